"""The subsonic-response envelope in XML (the default) or JSON (`f=json`, `f=jsonp`).

A payload is a dict: scalars become XML attributes, dicts child elements, lists repeated
child elements (lists of scalars: elements with text), and the key "value" an element's
text, as the spec's JSON <-> XML mapping has it.
"""

import datetime
import json
import re

# This module only builds XML, it never parses any.
from xml.etree.ElementTree import Element, SubElement, tostring  # nosec B405

from django.http import HttpResponse

PROTOCOL_VERSION = "1.16.1"
SERVER_TYPE = "streamify"
SERVER_VERSION = "1.0.0"
XMLNS = "http://subsonic.org/restapi"
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _jsonable(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _fill(element: Element, payload: dict) -> None:
    for key, value in payload.items():
        if value is None:
            continue
        if key == "value":
            element.text = _scalar(value)
        elif isinstance(value, dict):
            _fill(SubElement(element, key), value)
        elif isinstance(value, list | tuple):
            for item in value:
                child = SubElement(element, key)
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _scalar(item)
        else:
            element.set(key, _scalar(value))


def envelope(status: str, payload: dict | None = None) -> dict:
    return {
        "status": status,
        "version": PROTOCOL_VERSION,
        "type": SERVER_TYPE,
        "serverVersion": SERVER_VERSION,
        "openSubsonic": True,
        **(payload or {}),
    }


def response_format(params) -> str:
    f = (params.get("f") or "xml").lower()
    return f if f in ("json", "jsonp") else "xml"


def render(params, status: str, payload: dict | None = None) -> HttpResponse:
    """Answer with HTTP 200 (the protocol carries failures in the body)."""
    body = envelope(status, payload)
    fmt = response_format(params)
    if fmt in ("json", "jsonp"):
        text = json.dumps({"subsonic-response": _jsonable(body)}, separators=(",", ":"))
        callback = params.get("callback") or ""
        if fmt == "jsonp" and _CALLBACK.match(callback):
            return HttpResponse(f"{callback}({text});", content_type="application/javascript")
        return HttpResponse(text, content_type="application/json")
    root = Element("subsonic-response", {"xmlns": XMLNS})
    _fill(root, body)
    xml = tostring(root, encoding="unicode", xml_declaration=False)
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + xml, content_type="text/xml; charset=utf-8"
    )


def failure(params, code: int, message: str) -> HttpResponse:
    return render(params, "failed", {"error": {"code": code, "message": message}})
