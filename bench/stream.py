"""Stream endpoint under gunicorn vs a static file server on the same file.

Prints throughput (MB/s, requests/s) for full downloads at 1 and 4 concurrent clients and
time to first byte, for a full GET and for a 64 KiB Range request (the player's seek),
then the ratio to the static server. The static server is nginx when installed, else
`python -m http.server` (which ignores Range). With nginx, a third server is measured:
deploy/nginx.conf in front of gunicorn with STREAM_X_ACCEL_REDIRECT=True (Django checks,
nginx sends the bytes).
"""

import argparse
import datetime
import http.client
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import (
    ROOT,
    WORKDIR,
    bench_database,
    describe_database,
    free_port,
    make_audio,
    percentile,
    wait_for_port,
)

GUNICORN = [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi", "-w", "2"]


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[float, float, int, int]:
    """GET path; return (time to first body byte, total time, status, bytes)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
    response = conn.getresponse()
    first = response.read(1)
    ttfb = time.perf_counter() - started
    size = len(first)
    while chunk := response.read(256 * 1024):
        size += len(chunk)
    total = time.perf_counter() - started
    conn.close()
    return ttfb, total, response.status, size


def measure(port: int, path: str, *, requests: int, clients: int, headers=None) -> dict:
    for _ in range(3):
        fetch(port, path, headers)  # warm up
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda _: fetch(port, path, headers), range(requests)))
    elapsed = time.perf_counter() - started
    ttfbs = [ttfb * 1000 for ttfb, _, _, _ in results]
    return {
        "status": {status for _, _, status, _ in results},
        "rps": requests / elapsed,
        "mbps": sum(size for _, _, _, size in results) / elapsed / 1e6,
        "ttfb_p50": percentile(ttfbs, 50),
        "ttfb_p99": percentile(ttfbs, 99),
    }


def check_range(port: int, path: str, headers: dict, expected: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "localhost", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 206 and body == expected, (port, path, response.status, body[:300])
    assert response.getheader("Content-Type", "").startswith("audio/ogg"), response.headers


def nginx_config(nginx_port: int, static_port: int, web_port: int, media: Path) -> Path:
    """deploy/nginx.conf pointed at this machine, plus a plain static server."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{web_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("/srv/streamify/media/", f"{media}/")
    site = site.replace("/srv/streamify/static/", f"{WORKDIR}/")
    temp = WORKDIR / "nginx-temp"
    temp.mkdir(exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = WORKDIR / "nginx.conf"
    conf.write_text(f"""
daemon off; worker_processes 2; {user}
pid {WORKDIR}/nginx.pid; error_log {WORKDIR}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
  types {{ audio/ogg ogg; }}
  server {{ listen 127.0.0.1:{static_port}; root {media}; sendfile on; }}
  {site}
}}
""")
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=240, help="length of the test audio")
    args = parser.parse_args()

    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from accounts.models import User
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import Release, Track
    from catalog.services import AvailabilityWindow
    from playback.models import Rendition
    from playback.signing import StreamGrant, stream_token_make

    with bench_database() as database_url:
        media = Path(settings.MEDIA_ROOT)
        name = "renditions/bench/track.ogg"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        make_audio(media / name, seconds=args.seconds, args=("-c:a", "libopus", "-b:a", "160k"))
        size = default_storage.size(name)
        user = User.objects.create_user(email="bench@example.com", country="SE")
        track = Track.objects.create(title="Bench", release=Release.objects.create(title="B"))
        windows = [AvailabilityWindow("SE", timezone.now() - datetime.timedelta(days=1))]
        track_availability_write(
            plan=AvailabilityPlan.of_tracks([track.pk], windows), track_ids=[track.pk]
        )
        rendition = Rendition.objects.create(
            track=track, profile="opus_160", codec="opus", bitrate_kbps=160, state="ready",
            file=name, sha256="0" * 64, size_bytes=size,
        )  # fmt: skip
        expires = timezone.now() + datetime.timedelta(hours=1)
        token = stream_token_make(StreamGrant(user.pk, track.pk, rendition.pk, expires))

        ports = {key: free_port() for key in ("django", "static", "xaccel_web", "xaccel")}
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DEBUG": "0",
            "CONN_MAX_AGE": "60",  # as in production: no new connection per request
        }
        processes = [
            subprocess.Popen(
                [*GUNICORN, "-b", f"127.0.0.1:{ports['django']}", "--log-level", "warning"],
                cwd=ROOT,
                env=env,
            )
        ]
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        servers = [("django", ports["django"], f"/api/v1/stream/{token}")]
        if nginx:
            conf = nginx_config(ports["xaccel"], ports["static"], ports["xaccel_web"], media)
            processes.append(
                subprocess.Popen(
                    [*GUNICORN, "-b", f"127.0.0.1:{ports['xaccel_web']}", "--log-level", "warning"],
                    cwd=ROOT,
                    env={**env, "STREAM_X_ACCEL_REDIRECT": "1"},
                )
            )
            processes.append(subprocess.Popen([nginx, "-c", str(conf), "-p", str(WORKDIR)]))
            servers.append(("x-accel", ports["xaccel"], f"/api/v1/stream/{token}"))
            static_name = "nginx"
        else:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "http.server",
                        str(ports["static"]),
                        "--bind",
                        "127.0.0.1",
                        "--directory",
                        str(media),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            static_name = "python -m http.server"
        servers.append(("static", ports["static"], f"/{name}"))
        try:
            for _, port, _ in servers:
                wait_for_port(port)
            seek = {"Range": f"bytes={size // 2}-{size // 2 + 65535}"}
            expected = (media / name).read_bytes()[size // 2 : size // 2 + 65536]
            for server, port, path in servers:
                if server != "static" or nginx:
                    check_range(port, path, seek, expected)
            print(
                f"database: {describe_database()}; file: {size / 1e6:.1f} MB opus 160k, "
                f"{args.seconds:.0f} s; {args.requests} requests per row; django = gunicorn "
                f"2 sync workers, CONN_MAX_AGE=60; x-accel = "
                f"{'nginx + ' if nginx else ''}gunicorn with "
                f"STREAM_X_ACCEL_REDIRECT; static = {static_name}"
            )
            header = (
                f"{'case':<32}{'server':<9}{'req/s':>9}{'MB/s':>9}{'TTFB p50 ms':>13}"
                f"{'p99 ms':>9}{'vs static (req/s, TTFB p50)':>30}"
            )
            print(header)
            print("-" * len(header))
            rows = [
                ("full file, 1 client", 1, None),
                ("full file, 4 clients", 4, None),
                ("range 64 KiB (seek), 1 client", 1, seek),
                ("range 64 KiB (seek), 4 clients", 4, seek),
            ]
            for label, clients, headers in rows:
                figures = {
                    server: measure(
                        port, path, requests=args.requests, clients=clients, headers=headers
                    )
                    for server, port, path in servers
                }
                static = figures["static"]
                for server, result in figures.items():
                    ratio = (
                        f"{result['rps'] / static['rps']:.2f}x, "
                        f"{result['ttfb_p50'] / static['ttfb_p50']:.2f}x"
                        if server != "static"
                        else ""
                    )
                    print(
                        f"{label:<32}{server:<9}{result['rps']:>9.1f}{result['mbps']:>9.1f}"
                        f"{result['ttfb_p50']:>13.2f}{result['ttfb_p99']:>9.2f}{ratio:>30}"
                        f"   HTTP {','.join(map(str, sorted(result['status'])))}"
                    )
        finally:
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
