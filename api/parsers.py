"""A JSON parser that refuses oversized and deeply nested bodies, and NUL characters, with a 4xx."""

from django.conf import settings
from rest_framework import exceptions, parsers


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise PayloadTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
            nul = _has_nul(data)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        if nul:  # no text column stores one; no field needs one
            raise exceptions.ParseError("JSON parse error - NUL characters are not allowed.")
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False
