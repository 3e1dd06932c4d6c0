"""Stream endpoint under gunicorn vs nginx serving the same file directly.

Goals: Django's Range path >= 0.5x and X-Accel >= 0.9x of nginx's requests/s, for full
files and 64 KiB ranges (the player's seek); the production path that replaced X-Accel
for stream URLs ("signed") is held to X-Accel's 0.9x. Needs nginx and wrk. Every server
gets the same load: wrk with the same number of keep-alive connections (`--connections`),
for `--seconds` each. Servers: "django" is gunicorn (2 gthread workers for 2 cores,
keep-alive, sendfile, CONN_MAX_AGE=60) answering Range itself; "x-accel" is
deploy/nginx.conf in front of the same gunicorn shape with STREAM_X_ACCEL_REDIRECT=True
(Django checks the grant, nginx sends the bytes; upstream keep-alive); "auth-cache" is
design (a), here only: nginx's auth_request to that same Django check, its answer cached
by nginx per token for AUTH_CACHE_SECONDS; "signed" is design (b), the shipped one:
deploy/nginx.conf's /media-signed/ location checking the URL's signature and expiry itself
(secure_link), no Django; "static" (the floor) is nginx serving the file from its root
with sendfile. wrk runs on the same 2 cores, so every figure includes its cost; the load
average is printed.
"""

import argparse
import datetime
import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    ROOT,
    WORKDIR,
    bench_database,
    describe_database,
    free_port,
    make_audio,
    wait_for_port,
)

GOALS = {"django": 0.5, "x-accel": 0.9, "auth-cache": 0.9, "signed": 0.9}
SECRET = secrets.token_hex(24)  # shared by this run's nginx and signer only
AUTH_CACHE_SECONDS = 5


def gunicorn(workers: int, threads: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi",
        "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--keep-alive", "30",
    ]  # fmt: skip


def wrk(port: int, path: str, *, connections: int, seconds: float, headers=None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in {"Host": "localhost", **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    def megabytes(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)([KMG]?B)", text).groups()
        return float(value) * {"B": 1e-6, "KB": 1.024e-3, "MB": 1.048576, "GB": 1073.74}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "mbps": megabytes(re.search(r"Transfer/sec:\s+(\S+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": (
            int(errors.group(1)) if errors else 0,
            socket_errors.group(1) if socket_errors else "",
        ),
    }


def check_range(port: int, path: str, headers: dict, expected: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "localhost", **headers})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 206 and body == expected, (response.status, len(body))
    assert response.getheader("Content-Type", "").startswith("audio/ogg"), response.headers


def nginx_config(
    nginx_port: int, static_port: int, auth_port: int, web_port: int, media: Path
) -> Path:
    """deploy/nginx.conf pointed at this machine (as the nginx image renders its template),
    a plain static server, and design (a): auth_request with a cached answer."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("${STREAM_SIGNED_MEDIA_SECRET}", SECRET)
    site = site.replace("server web:8000;", f"server 127.0.0.1:{web_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("/srv/streamify/media/", f"{media}/")
    site = site.replace("/srv/streamify/static/", f"{WORKDIR}/static/")
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
  # Design (a): Django's X-Accel answer is the auth subrequest's, cached per token.
  proxy_cache_path {temp}/auth levels=1 keys_zone=stream_auth:1m max_size=10m inactive=60s;
  map $stream_accel $stream_file {{ ~^/protected-media/(?<name>.+)$ $name; default ""; }}
  server {{
    listen 127.0.0.1:{auth_port}; sendfile on;
    location ~ ^/authed/(?<stream_token>[A-Za-z0-9_.-]+)$ {{
      auth_request /_stream_auth;
      auth_request_set $stream_accel $upstream_http_x_accel_redirect;
      alias {media}/$stream_file;
      types {{ }} default_type audio/ogg;
      add_header Accept-Ranges bytes;
    }}
    location = /_stream_auth {{
      internal;
      proxy_pass http://streamify_web/api/v1/stream/$stream_token;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header Range "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_ignore_headers X-Accel-Redirect Cache-Control Expires Set-Cookie Vary;
      proxy_cache stream_auth;
      proxy_cache_key $stream_token;
      proxy_cache_valid 200 403 410 451 {AUTH_CACHE_SECONDS}s;
      proxy_cache_lock on;
    }}
  }}
}}
""")
    return conf


def selector_cost(rendition, user, calls: int = 300) -> tuple[float, float]:
    """ms per call of the stream-authorisation selector, and of the same SQL on a cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from playback import selectors

    def check():
        return selectors.rendition_for_stream(
            rendition_id=rendition.pk, track_id=rendition.track_id, user_id=user.pk
        )

    with CaptureQueriesContext(connection) as queries:
        check()
    (query,) = queries.captured_queries
    best = {}
    for name, call in (("selector", check), ("sql", lambda: _run_sql(connection, query["sql"]))):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(calls):
                call()
            times.append((time.perf_counter() - started) / calls * 1000)
        best[name] = min(times)
    return best["selector"], best["sql"]


def _run_sql(connection, sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=4, help="wrk keep-alive connections")
    parser.add_argument("--seconds", type=float, default=5, help="wrk run per server and case")
    parser.add_argument("--audio-seconds", type=float, default=240, help="length of the audio")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gthread workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds over all servers; the median is shown"
    )
    args = parser.parse_args()
    if not shutil.which("wrk") or not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        sys.exit("needs wrk and nginx: apt-get install -y wrk nginx")

    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from accounts.models import User
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import Release, Track
    from catalog.services import AvailabilityWindow
    from playback.models import Rendition
    from playback.signing import StreamGrant, media_url_sign, stream_token_make

    with bench_database() as database_url:
        media = Path(settings.MEDIA_ROOT)
        name = "renditions/bench/track.ogg"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        make_audio(
            media / name, seconds=args.audio_seconds, args=("-c:a", "libopus", "-b:a", "160k")
        )
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
        signed = media_url_sign(name, expires_at=expires, secret=SECRET, prefix="/media-signed/")

        selector_ms, sql_ms = selector_cost(rendition, user)
        print(
            f"stream authorisation selector: {selector_ms:.3f} ms per call, its SQL alone "
            f"{sql_ms:.3f} ms ({selector_ms / sql_ms:.1f}x), in process; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        ports = {key: free_port() for key in ("django", "static", "xaccel_web", "xaccel", "auth")}
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DEBUG": "0",
            "CONN_MAX_AGE": "60",  # as in production: no new connection per request
        }
        web = [*gunicorn(args.workers, args.threads), "--log-level", "warning"]
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = nginx_config(
            ports["xaccel"], ports["static"], ports["auth"], ports["xaccel_web"], media
        )
        processes = [
            subprocess.Popen([*web, "-b", f"127.0.0.1:{ports['django']}"], cwd=ROOT, env=env),
            subprocess.Popen(
                [*web, "-b", f"127.0.0.1:{ports['xaccel_web']}"],
                cwd=ROOT,
                env={**env, "STREAM_X_ACCEL_REDIRECT": "1"},
            ),
            subprocess.Popen([nginx, "-c", str(conf), "-p", str(WORKDIR)]),
        ]
        servers = [
            ("django", ports["django"], f"/api/v1/stream/{token}"),
            ("x-accel", ports["xaccel"], f"/api/v1/stream/{token}"),
            ("auth-cache", ports["auth"], f"/authed/{token}"),
            ("signed", ports["xaccel"], signed),
            ("static", ports["static"], f"/{name}"),
        ]
        try:
            for _, port, _ in servers:
                wait_for_port(port)
            seek = {"Range": f"bytes={size // 2}-{size // 2 + 65535}"}
            expected = (media / name).read_bytes()[size // 2 : size // 2 + 65536]
            for _, port, path in servers:
                check_range(port, path, seek, expected)
            print(
                f"database: {describe_database()}; file: {size / 1e6:.1f} MB opus 160k; wrk -t2 "
                f"-c{args.connections} (keep-alive) for {args.seconds:.0f} s per row, median of "
                f"{args.rounds} interleaved rounds; "
                f"gunicorn {args.workers} gthread workers x {args.threads} threads, "
                f"CONN_MAX_AGE=60; {os.cpu_count()} CPUs shared by wrk, nginx, gunicorn and "
                f"PostgreSQL"
            )
            header = (
                f"{'case':<22}{'server':<11}{'req/s':>9}{'MB/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
                f"{'vs nginx':>10}  goal"
            )
            print(header)
            print("-" * len(header))
            verdicts = []
            for label, headers in (("full file", None), ("range 64 KiB (seek)", seek)):
                runs = {server: [] for server, _, _ in servers}
                for _ in range(args.rounds):  # interleaved: a burst of load hits every server
                    for server, port, path in servers:
                        wrk(port, path, connections=args.connections, seconds=1, headers=headers)
                        runs[server].append(wrk(
                            port, path, connections=args.connections, seconds=args.seconds,
                            headers=headers,
                        ))  # fmt: skip
                figures = {
                    server: sorted(results, key=lambda r: r["rps"])[len(results) // 2]
                    for server, results in runs.items()
                }  # the median round of each server
                static = figures["static"]
                for server, result in figures.items():
                    ratio = result["rps"] / static["rps"]
                    goal = GOALS.get(server)
                    verdict = ""
                    if goal is not None:
                        met = ratio >= goal and result["errors"] == (0, "")
                        verdict = f">= {goal}x: {'met' if met else 'NOT met'}"
                        verdicts.append(met)
                    if result["errors"] != (0, ""):
                        verdict += f" (errors: {result['errors']})"
                    if args.rounds > 1:  # each round's ratio: the spread the noise gives
                        spread = (
                            run["rps"] / floor["rps"]
                            for run, floor in zip(runs[server], runs["static"], strict=True)
                        )
                        verdict += f" (rounds: {' '.join(f'{r:.2f}' for r in spread)})"
                    print(
                        f"{label:<22}{server:<11}{result['rps']:>9.0f}{result['mbps']:>9.0f}"
                        f"{result['p50']:>9.2f}{result['p99']:>9.2f}{ratio:>9.2f}x  {verdict}"
                    )
            print(
                f"goals: {sum(verdicts)} of {len(verdicts)} met; load average "
                f"{os.getloadavg()[0]:.2f}"
            )
        finally:
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
