"""Signed media URLs served by the real nginx with deploy/nginx.conf (STREAM_SIGNED_MEDIA).

The stream URL comes from the API (market check, grant recorded); nginx alone checks its
signature and expiry and sends the bytes. Skipped when nginx is not installed, unless
STREAMIFY_REQUIRE_NGINX=1 (CI), which makes a missing nginx a failure.
"""

import datetime
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from playback.models import StreamGrantDay
from playback.signing import media_url_sign
from tests.playback.factories import RenditionFactory

pytestmark = pytest.mark.django_db

STREAM_URL = "/api/v1/me/player/stream-url"
SECRET = "nginx-test-secret-0123456789abcdefghijklmnop"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_config(port: int, media: Path, secret: str) -> str:
    """deploy/nginx.conf as the nginx image renders it, pointed at this machine."""
    site = (Path(django_settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    replacements = {
        "${STREAM_SIGNED_MEDIA_SECRET}": secret,
        "server web:8000;": f"server 127.0.0.1:{free_port()};",  # nothing listens: no Django
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/srv/streamify/media/": f"{media}/",
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


@pytest.fixture
def nginx(media_root, tmp_path):
    if NGINX is None:
        if os.environ.get("STREAMIFY_REQUIRE_NGINX") == "1":
            pytest.fail("STREAMIFY_REQUIRE_NGINX=1 but nginx is not installed", pytrace=False)
        pytest.skip("nginx is not installed")
    media_root.mkdir(parents=True, exist_ok=True)
    work = tmp_path / "nginx"
    work.mkdir()
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {work}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = work / "nginx.conf"
    conf.write_text(f"""
daemon off; worker_processes 1; {user}
pid {work}/nginx.pid; error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off; {temp} uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  {site_config(port, media_root, SECRET)}
}}
""")
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(work), "-e", str(work / "error.log")],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def fetch(port: int, path: str, *, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={"Host": "localhost", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def assert_json_error(response, body, status, text):
    assert response.status == status, body
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Cache-Control") == "no-store"
    error = json.loads(body)["error"]
    assert error["status"] == status
    assert text in error["message"]


@pytest.fixture
def signed_media(settings):
    settings.STREAM_SIGNED_MEDIA = True
    settings.STREAM_SIGNED_MEDIA_SECRET = SECRET


@pytest.fixture
def rendition(track):
    return RenditionFactory(track=track, profile="opus_160", content=os.urandom(300_000))


def issued_path(client, track) -> str:
    query = {"track_id": track.pk, "format": "opus", "quality": "high"}  # opus_160
    response = client.get(STREAM_URL, query)
    assert response.status_code == 200, response.content
    return urlsplit(response.json()["url"]).path


def test_issued_url_streams_with_range_from_nginx(
    nginx, signed_media, listener, listener_client, track, rendition
):
    path = issued_path(listener_client, track)
    assert path.startswith("/media-signed/")
    assert StreamGrantDay.objects.filter(user=listener, track=track).exists()  # plays need it
    content = rendition.file.read()
    seek = len(content) // 2
    response, body = fetch(nginx, path, headers={"Range": f"bytes={seek}-{seek + 65535}"})
    assert response.status == 206
    assert body == content[seek : seek + 65536]
    assert response.getheader("Content-Range") == f"bytes {seek}-{seek + 65535}/{len(content)}"
    assert response.getheader("Content-Type") == "audio/ogg; codecs=opus"
    assert response.getheader("Cache-Control") == "private, max-age=0, no-transform"
    response, body = fetch(nginx, path)
    assert (response.status, body) == (200, content)
    assert response.headers.get_all("Accept-Ranges") == ["bytes"]
    response, body = fetch(nginx, path, method="HEAD")
    assert (response.status, body) == (200, b"")
    assert response.getheader("Content-Length") == str(len(content))


def test_tampered_urls_are_refused_with_a_json_error(
    nginx, signed_media, listener_client, track, rendition
):
    other = RenditionFactory(track=track, profile="opus_96")
    path = issued_path(listener_client, track)
    prefix, hash_, expires, name = path.split("/", 4)[1:]
    tampered = [
        f"/{prefix}/{'A' * 22}/{expires}/{name}",  # another hash
        f"/{prefix}/{hash_}/{int(expires) + 3600}/{name}",  # a later expiry
        f"/{prefix}/{hash_}/{expires}/{other.file.name}",  # another file
    ]
    for bad in tampered:
        response, body = fetch(nginx, bad, headers={"Range": "bytes=0-3"})
        assert_json_error(response, body, 403, "signature")
    # Signed with another secret (nginx's and Django's disagree): refused too.
    expires_at = timezone.now() + datetime.timedelta(minutes=5)
    foreign = media_url_sign(
        rendition.file.name, expires_at=expires_at, secret="x" * 40, prefix="/media-signed/"
    )
    assert_json_error(*fetch(nginx, foreign), 403, "signature")


def test_expired_url_is_410_and_missing_file_404(nginx, rendition):
    past = timezone.now() - datetime.timedelta(seconds=2)
    expired = media_url_sign(
        rendition.file.name, expires_at=past, secret=SECRET, prefix="/media-signed/"
    )
    assert_json_error(*fetch(nginx, expired, headers={"Range": "bytes=0-3"}), 410, "expired")
    later = timezone.now() + datetime.timedelta(minutes=5)
    gone = media_url_sign(
        "renditions/gone/x.ogg", expires_at=later, secret=SECRET, prefix="/media-signed/"
    )
    assert_json_error(*fetch(nginx, gone), 404, "no longer available")


def test_only_signed_renditions_are_reachable(nginx, signed_media, rendition, media_root):
    later = timezone.now() + datetime.timedelta(minutes=5)
    (media_root / "originals").mkdir()
    (media_root / "originals" / "a.flac").write_bytes(b"original")
    original = media_url_sign(
        "originals/a.flac", expires_at=later, secret=SECRET, prefix="/media-signed/"
    )
    assert_json_error(*fetch(nginx, original), 404, "no longer available")
    response, _ = fetch(nginx, f"/protected-media/{rendition.file.name}")
    assert response.status == 404  # internal: only through X-Accel-Redirect
    response, _ = fetch(nginx, f"/media/{rendition.file.name}")
    assert response.status == 404


def test_embedded_shape_keeps_the_django_stream_url(listener_client, track, rendition):
    assert issued_path(listener_client, track).startswith("/api/v1/stream/")


def test_bad_range_and_method_are_refused_with_a_json_error(
    nginx, signed_media, listener_client, track, rendition
):
    path = issued_path(listener_client, track)
    size = len(rendition.file.read())
    response, body = fetch(nginx, path, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert response.status == 416, body
    assert response.getheader("Content-Type") == "application/json"
    assert "no-store" in response.getheader("Cache-Control")  # after the location's own
    assert "outside the file" in json.loads(body)["error"]["message"]
    for method in ("POST", "PUT", "DELETE"):
        response, body = fetch(nginx, path, method=method)
        assert_json_error(response, body, 405, "GET and HEAD")
        assert response.getheader("Allow") == "GET, HEAD"
