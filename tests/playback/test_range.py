"""RFC 9110 Range and conditional requests on GET /api/v1/stream/<token>."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from playback.signing import StreamGrant, stream_token_make
from tests.playback.factories import RenditionFactory

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 400  # 102,400 bytes, every offset recognisable


@pytest.fixture
def rendition(track):
    return RenditionFactory(track=track, content=CONTENT)


@pytest.fixture
def url(listener, rendition):
    expires = timezone.now() + datetime.timedelta(minutes=5)
    token = stream_token_make(StreamGrant(listener.pk, rendition.track_id, rendition.pk, expires))
    return reverse("playback:stream", args=[token])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def get(client, url, **headers):
    return client.get(url, headers=headers)


def test_full_get(client, url, rendition):
    response = get(client, url)
    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/ogg; codecs=opus"
    assert response["ETag"] == f'"{rendition.sha256}"'
    assert response["Last-Modified"]
    assert "Content-Range" not in response


def test_streams_in_chunks(client, url):
    response = get(client, url)
    chunks = list(response.streaming_content)
    assert len(chunks) > 1 and max(map(len, chunks)) <= 64 * 1024


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-100", 100, 100),
        ("bytes=1000-", 1000, len(CONTENT) - 1),
        ("bytes=-500", len(CONTENT) - 500, len(CONTENT) - 1),
        ("bytes=-999999", 0, len(CONTENT) - 1),  # suffix longer than the file
        ("bytes=102000-999999", 102000, len(CONTENT) - 1),  # end clipped
        ("bytes= 5 - 9", 5, 9),
        ("BYTES=5-9", 5, 9),
    ],
)
def test_single_range(client, url, header, first, last):
    response = get(client, url, Range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == CONTENT[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=102400-", "bytes=200000-300000", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, url, header):
    response = get(client, url, Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize(
    "header", ["bytes=9-5", "bytes=abc", "items=0-5", "bytes=", "bytes=-", "0-5"]
)
def test_invalid_range_is_ignored(client, url, header):
    response = get(client, url, Range=header)
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_multiple_ranges_answered_with_whole_file(client, url):
    response = get(client, url, Range="bytes=0-9, 20-29")
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_if_range_matching_etag(client, url, rendition):
    response = get(client, url, Range="bytes=10-19", **{"If-Range": f'"{rendition.sha256}"'})
    assert response.status_code == 206
    assert body(response) == CONTENT[10:20]


@pytest.mark.parametrize("validator", ['"stale-etag"', 'W/"{etag}"'])
def test_if_range_mismatch_or_weak_sends_whole_file(client, url, rendition, validator):
    response = get(
        client, url, Range="bytes=10-19", **{"If-Range": validator.format(etag=rendition.sha256)}
    )
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_if_range_with_last_modified(client, url):
    last_modified = get(client, url)["Last-Modified"]
    response = get(client, url, Range="bytes=10-19", **{"If-Range": last_modified})
    assert response.status_code == 206
    older = http_date(timezone.now().timestamp() - 86400)
    response = get(client, url, Range="bytes=10-19", **{"If-Range": older})
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_if_none_match_is_304(client, url, rendition):
    response = get(client, url, **{"If-None-Match": f'"{rendition.sha256}"'})
    assert response.status_code == 304
    assert not body(response)


def test_head_full_and_range(client, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/ogg; codecs=opus"
    assert not body(response)
    response = client.head(url, headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-9/{len(CONTENT)}"
    assert response["Content-Length"] == "10"
    assert not body(response)


def test_post_not_allowed(client, url):
    assert client.post(url).status_code == 405
