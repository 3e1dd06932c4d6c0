"""Serve a stored file with RFC 9110 conditional and Range requests, in chunks.

Django's FileResponse ignores Range; this answers 206 with Content-Range for one range
(`a-b`, `a-`, `-n`), 416 with `Content-Range: bytes */len` when nothing is satisfiable,
and the whole file (200) for several ranges, an If-Range mismatch or an invalid header.
"""

import datetime
import re

from django.http import FileResponse, HttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag

CHUNK_SIZE = 64 * 1024
_RANGE_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class _Unsatisfiable(Exception):
    pass


def _position(digits: str) -> int:
    """A byte position; one longer than any file is as good as infinite."""
    return int(digits) if len(digits) <= 18 else 10**18


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return (first, last) inclusive for one satisfiable range, else None (send all).

    Raise _Unsatisfiable when the header is valid but no range overlaps the file.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges = []
    for part in spec.split(","):
        match = _RANGE_SPEC.match(part)
        if not match:
            return None  # an invalid ranges-specifier is ignored (RFC 9110 14.2)
        first, last = match.groups()
        if first == "" and last == "":
            return None
        if first == "":
            suffix = _position(last)
            if suffix == 0 or size == 0:
                continue
            ranges.append((max(size - suffix, 0), size - 1))
            continue
        start = _position(first)
        end = _position(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            continue
        ranges.append((start, min(end, size - 1)))
    if not ranges:
        raise _Unsatisfiable
    if len(ranges) > 1:
        return None  # several ranges: answering with the whole file is allowed
    return ranges[0]


def _if_range_matches(value: str, etag: str, last_modified: datetime.datetime) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        return not value.startswith("W/") and value == etag  # strong comparison only
    when = parse_http_date_safe(value)
    return when is not None and when == int(last_modified.timestamp())


def _etag_listed(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


class _FileSlice:
    """A file limited to `length` bytes from its current position.

    It keeps `fileno()`, so gunicorn's wsgi.file_wrapper sends the slice with sendfile(2)
    from the current offset for Content-Length bytes.
    """

    def __init__(self, file, length: int):
        self._file = file
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size)
        self._remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()


def file_response(
    request,
    *,
    open_file,
    size: int,
    content_type: str,
    etag: str,
    last_modified: datetime.datetime,
    extra_headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Answer GET or HEAD for a file of `size` bytes opened lazily by `open_file()`."""
    etag = quote_etag(etag)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": http_date(last_modified.timestamp()),
        **(extra_headers or {}),
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and _etag_listed(if_none_match, etag):
        return HttpResponse(status=304, headers=headers)

    byte_range = None
    if_range = request.headers.get("If-Range")
    if if_range is None or _if_range_matches(if_range, etag, last_modified):
        try:
            byte_range = parse_range(request.headers.get("Range"), size)
        except _Unsatisfiable:
            return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})

    status, start, length = 200, 0, size
    if byte_range is not None:
        start, end = byte_range
        status, length = 206, end - start + 1
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"

    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type, headers=headers)
        response["Content-Length"] = str(length)
        return response

    file = open_file()
    if start:
        file.seek(start)
    response = FileResponse(
        _FileSlice(file, length), status=status, content_type=content_type, headers=headers
    )
    response.block_size = CHUNK_SIZE
    response["Content-Length"] = str(length)
    return response
