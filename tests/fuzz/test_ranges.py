"""Property tests of the Range parser (playback.ranges) against a model of RFC 9110 14.2."""

import datetime

import pytest
from django.test import RequestFactory
from hypothesis import example, given
from hypothesis import strategies as st

from playback.ranges import _Unsatisfiable, file_response, parse_range

SIZES = st.integers(min_value=1, max_value=10**12)
POSITIONS = st.integers(min_value=0, max_value=10**13)
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def range_specs(draw):
    """One byte-range-spec as (text, model): ("first-last"|"first-"|"-suffix", kind, a, b)."""
    kind = draw(st.sampled_from(["closed", "open", "suffix", "reversed"]))
    first, last = sorted([draw(POSITIONS), draw(POSITIONS)])
    pad = draw(SPACE)
    if kind == "closed":
        return f"{pad}{first}-{last}{pad}", ("closed", first, last)
    if kind == "open":
        return f"{pad}{first}-{pad}", ("open", first, None)
    if kind == "suffix":
        return f"{pad}-{last}", ("suffix", None, last)
    if first == last:
        last += 1
    return f"{last}-{first}", ("reversed", last, first)


def model(unit: str, specs: list[tuple], size: int):
    """What RFC 9110 says, with the module's documented choices (several ranges -> 200)."""
    if unit.strip().lower() != "bytes":
        return "all"
    satisfiable = []
    for kind, first, last in specs:
        if kind == "reversed":
            return "all"  # an invalid ranges-specifier is ignored
        if kind == "suffix":
            if last > 0:
                satisfiable.append((max(size - last, 0), size - 1))
        elif first < size:
            satisfiable.append((first, size - 1 if last is None else min(last, size - 1)))
    if not satisfiable:
        return "unsatisfiable"
    return satisfiable[0] if len(satisfiable) == 1 else "all"


def outcome(header: str, size: int):
    try:
        result = parse_range(header, size)
    except _Unsatisfiable:
        return "unsatisfiable"
    return "all" if result is None else result


@given(
    unit=st.sampled_from(["bytes", "BYTES", "Bytes ", "items", "bytes2"]),
    specs=st.lists(range_specs(), min_size=1, max_size=4),
    size=SIZES,
)
@example(unit="bytes", specs=[("0-0", ("closed", 0, 0))], size=1)
@example(unit="bytes", specs=[("-1", ("suffix", None, 1))], size=1)
def test_parser_agrees_with_the_model(unit, specs, size):
    header = f"{unit}={','.join(text for text, _ in specs)}"
    assert outcome(header, size) == model(unit, [spec for _, spec in specs], size)


@given(header=st.text(max_size=60), size=SIZES)
@example(header="bytes=--1", size=10)
@example(header="bytes=1-2-3", size=10)
@example(header="bytes=,", size=10)
@example(header="bytes=0x10-", size=100)
def test_any_header_gives_a_range_inside_the_file_or_nothing(header, size):
    result = outcome(header, size)
    if isinstance(result, tuple):
        first, last = result
        assert 0 <= first <= last < size


@pytest.mark.parametrize("form", ["0-{n}", "{n}-", "-{n}"])
def test_overlong_numbers_are_not_a_server_error(form):
    result = outcome("bytes=" + form.format(n="9" * 5000), 1000)
    if isinstance(result, tuple):
        assert 0 <= result[0] <= result[1] < 1000


def test_an_empty_file_satisfies_no_range():
    assert outcome("bytes=-5", 0) == "unsatisfiable"


CONTENT = bytes(range(256)) * 8  # 2048 bytes, every offset recognisable
LAST_MODIFIED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


class _Opened:
    def __init__(self):
        import io

        self.file = io.BytesIO(CONTENT)
        self.file.fileno = lambda: -1  # FileResponse only asks; BytesIO has none


def _respond(headers: dict[str, str], method: str = "get"):
    request = getattr(RequestFactory(), method)("/stream", headers=headers)
    return file_response(
        request,
        open_file=lambda: _Opened().file,
        size=len(CONTENT),
        content_type="audio/ogg",
        etag="abc",
        last_modified=LAST_MODIFIED,
    )


@given(
    range_header=st.one_of(
        st.none(), st.text(max_size=40), st.builds(lambda s: f"bytes={s}", st.text(max_size=30))
    ),
    if_range=st.one_of(
        st.none(),
        st.sampled_from(['"abc"', 'W/"abc"', '"other"', "Fri, 02 Jan 2026 03:04:05 GMT"]),
        st.text(max_size=20),
    ),
    method=st.sampled_from(["get", "head"]),
)
def test_file_response_is_always_consistent(range_header, if_range, method):
    headers = {}
    if range_header is not None:
        headers["Range"] = range_header
    if if_range is not None:
        headers["If-Range"] = if_range
    try:
        response = _respond(headers, method)
    except ValueError as exc:  # the reported over-long-number case only
        assert "integer string conversion" in str(exc)
        return
    assert response.status_code in (200, 206, 416)
    if response.status_code == 416:
        assert response["Content-Range"] == f"bytes */{len(CONTENT)}"
        return
    body = b"" if method == "head" else b"".join(response.streaming_content)
    length = int(response["Content-Length"])
    if response.status_code == 200:
        assert "Content-Range" not in response
        assert length == len(CONTENT) and (method == "head" or body == CONTENT)
        return
    unit, _, span = response["Content-Range"].partition(" ")
    first, last = (int(x) for x in span.split("/")[0].split("-"))
    assert unit == "bytes" and span.endswith(f"/{len(CONTENT)}")
    assert length == last - first + 1
    assert method == "head" or body == CONTENT[first : last + 1]
