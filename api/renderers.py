"""The API's JSON renderer: DRF's, plus pieces of a response that are JSON already.

A `RawJSON` value inside response data is written as is, not encoded again: the object
endpoints keep the JSON text of a track object and reuse it (`api.objects.render`).
"""

import re
import secrets

from rest_framework import renderers
from rest_framework.utils import encoders


class RawJSON:
    """A JSON text to embed as it is (made by `dumps`, so it is valid and compact)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


_MARKER = re.compile(r'"\\u0000([0-9a-f]{8}):(\d+)\\u0000"')


class _Encoder(encoders.JSONEncoder):
    """DRF's encoder; a `RawJSON` becomes a marker string, replaced after encoding.

    The marker starts and ends with NUL, which the encoder always escapes, and carries a
    random key per response, so no string of the data can be taken for one.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw: list[str] = []
        self.key = secrets.token_hex(4)

    def default(self, obj):
        if isinstance(obj, RawJSON):
            self.raw.append(obj.text)
            return f"\0{self.key}:{len(self.raw) - 1}\0"
        return super().default(obj)

    def encode(self, o) -> str:
        text = super().encode(o)
        if not self.raw:
            return text

        def raw(found: re.Match) -> str:
            if found[1] != self.key:  # a string that only looks like a marker
                return found[0]
            return self.raw[int(found[2])]

        return _MARKER.sub(raw, text)


def dumps(data) -> str:
    """`data` as the renderer writes it (compact, UTF-8 text, no NaN)."""
    text = _Encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(data)
    # As DRF's renderer: U+2028/9 are valid JSON but not valid JavaScript.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = _Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        indent = self.get_indent(accepted_media_type, renderer_context)
        if indent is not None:  # asked for by the client: DRF's own path
            return super().render(data, accepted_media_type, renderer_context)
        return dumps(data).encode()
