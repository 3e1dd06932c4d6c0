"""Load: a listener mix (browse, search, stream URL, audio bytes, play events) with wrk.

Builds a throwaway database (see _common.py; PostgreSQL when DATABASE_URL is set) with a
catalogue (8,000 tracks on 1,000 albums by 300 artists, playable in SE), a READY Opus
rendition per track, 200 logged-in listeners and 100,000 play events with their daily
counts, then VACUUM ANALYZE (what autovacuum does after a bulk load). Starts gunicorn,
and nginx in front of it when installed (audio then leaves
through X-Accel-Redirect, as in deploy/nginx.conf), and drives each with wrk and a Lua
script: every connection is one listener session sending a weighted mix of requests

    browse  27%  new releases, an album, an artist's top tracks
    search  20%  two-word prefix queries over track and artist names
    stream  38%  a stream URL, then 64 KiB of audio (Range) through a signed URL
    events  15%  a batch of 5 play events (POST with session and CSRF token)

Prints requests/s and p50/p99 latency per endpoint (timed in the Lua script, one
connection per wrk thread), the statuses, and the CPU time each party used (postgres:
every postgres process on the machine), which says what limits the figures here.

    .venv/bin/python bench/load.py [--seconds 20] [--connections 16] [--workers 4]
        [--worker-class sync|gthread] [--upstream-keepalive N] [--no-nginx] [--profile N]

`--profile N` runs no server: each kind of request N times in-process (Django's test
client), printing the web process's CPU per request and its share of the mix.

Measured here: `--upstream-keepalive 32` (as deploy/nginx.conf) with sync workers, which
close every connection, halves the throughput (56 against 105 req/s).
"""

import argparse
import contextlib
import cProfile
import datetime
import json
import os
import pstats
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

from _common import (
    ROOT,
    WORKDIR,
    bench_database,
    describe_database,
    free_port,
    percentile,
    wait_for_port,
)
from _proc import descendants

CSRF = "B" * 32  # a CSRF secret: cookie and header of every listener
UNUSABLE = "!"  # Django's unusable-password marker: these listeners have sessions only
WORDS = (  # noqa: SIM905 - a paragraph reads better than a list of 40 strings
    "blue night river stone fire light dream heart city summer winter rain gold silver "
    "wild sweet dark echo ocean shadow dance star moon sun wind road home storm glass "
    "paper velvet neon electric golden broken quiet lonely happy falling rising"
).split()
MIX = [
    ("new_releases", 10),
    ("album", 10),
    ("artist_top_tracks", 7),
    ("search", 20),
    ("stream_url", 19),
    ("stream_audio", 19),
    ("events", 15),
]


def seed(tracks: int, listeners: int, events: int) -> dict:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import Artist, Release, ReleaseArtist, Track, TrackArtist
    from catalog.services import AvailabilityWindow
    from playback.models import RENDITION_PROFILES, Rendition
    from playback.services import stream_url_issue

    rng = random.Random(11)
    now = timezone.now()

    def title(words: int) -> str:
        return " ".join(rng.choice(WORDS).capitalize() for _ in range(words))

    artists = Artist.objects.bulk_create(Artist(name=f"{title(2)} {n}") for n in range(300))
    releases = Release.objects.bulk_create(
        Release(title=title(2), release_date=(now - datetime.timedelta(days=n % 400)).date())
        for n in range(max(tracks // 8, 1))
    )
    ReleaseArtist.objects.bulk_create(
        ReleaseArtist(release=release, artist=artists[n % len(artists)])
        for n, release in enumerate(releases)
    )
    track_rows = Track.objects.bulk_create(
        Track(
            title=title(3),
            release=releases[n // 8 % len(releases)],
            track_number=n % 8 + 1,
            duration_ms=150_000 + n % 120_000,
        )
        for n in range(tracks)
    )
    TrackArtist.objects.bulk_create(
        TrackArtist(track=track, artist=artists[n // 8 % len(releases) % len(artists)])
        for n, track in enumerate(track_rows)
    )
    ids = [t.pk for t in track_rows]
    windows = [AvailabilityWindow(m, now - datetime.timedelta(days=30)) for m in ("SE", "NO")]
    track_availability_write(plan=AvailabilityPlan.of_tracks(ids, windows), track_ids=ids)
    # 40 distinct 1 MiB files shared by the renditions (bytes, not decoded by anyone here).
    spec = RENDITION_PROFILES[Rendition.Profile.OPUS_96]
    media = Path(os.environ["MEDIA_ROOT"])
    files = []
    for n in range(40):
        name = f"renditions/load/{n:02d}.{spec.extension}"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(rng.randbytes(1 << 20))
        files.append(name)
    Rendition.objects.bulk_create(
        Rendition(
            track=track,
            profile=Rendition.Profile.OPUS_96,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            state=Rendition.State.READY,
            file=files[n % len(files)],
            sha256=f"{n % len(files):064x}",
            size_bytes=1 << 20,
        )
        for n, track in enumerate(track_rows)
    )
    users = User.objects.bulk_create(
        User(email=f"listener{n}@load.test", country="SE", password=UNUSABLE)
        for n in range(listeners)
    )
    sessions = []
    for user in users:
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    call_command("load_demo_history", events=events, days=30, stdout=open(os.devnull, "w"))  # noqa: SIM115
    tokens = [
        stream_url_issue(
            user=rng.choice(users),
            track_id=rng.choice(track_rows).pk,
            codecs=["opus"],
            quality="normal",
        ).token
        for _ in range(2000)
    ]
    return {
        "sessions": sessions,
        "tracks": [t.pk for t in track_rows],
        "albums": [r.pk for r in releases],
        "artists": [a.pk for a in artists],
        "tokens": tokens,
    }


LUA = textwrap.dedent(
    """
    local ffi = require("ffi")
    ffi.cdef[[
      typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
      int clock_gettime(int clk_id, bench_timespec *tp);
    ]]
    local ts = ffi.new("bench_timespec")
    local function now_us()
      ffi.C.clock_gettime(1, ts)
      return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
    end

    local data = dofile("DATA_PATH")
    local threads, counter = {}, 0

    function setup(thread)
      counter = counter + 1
      thread:set("id", counter)
      table.insert(threads, thread)
    end

    local kinds, cumulative, total = {}, {}, 0
    for _, entry in ipairs(data.mix) do
      total = total + entry[2]
      table.insert(kinds, entry[1])
      table.insert(cumulative, total)
    end

    local function pick(list) return list[math.random(#list)] end
    local function uuid()
      local hex = "0123456789abcdef"
      local parts = {}
      for i = 1, 32 do
        local n = math.random(16)
        parts[i] = hex:sub(n, n)
      end
      local s = table.concat(parts)
      return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-a"
        .. s:sub(18, 20) .. "-" .. s:sub(21, 32)
    end

    -- Each thread (one connection) appends "kind status microseconds" lines to its own
    -- file, buffered; the C library flushes them when wrk exits. (wrk's thread:get cannot
    -- be trusted with tables, so nothing else crosses threads.)
    local cookie, kind, started, out

    function init(args)
      math.randomseed(id * 7919 + os.time())
      local session = data.sessions[(id - 1) % #data.sessions + 1]
      cookie = "sessionid=" .. session .. "; csrftoken=" .. data.csrf
      out = assert(io.open(args[1] .. "/thread-" .. id .. ".txt", "w"))
      out:setvbuf("full", 65536)
    end

    local function events_body()
      local t = os.time()
      local parts = {}
      for i = 1, 5 do
        local ended = os.date("!%Y-%m-%dT%H:%M:%SZ", t - i * 200)
        local begun = os.date("!%Y-%m-%dT%H:%M:%SZ", t - i * 200 - 180)
        parts[i] = string.format(
          '{"event_id":"%s","track_id":%d,"ms_played":%d,"context_type":"album",'
          .. '"started_at":"%s","ended_at":"%s"}',
          uuid(), pick(data.tracks), 20000 + math.random(160000), begun, ended)
      end
      return '{"events":[' .. table.concat(parts, ",") .. ']}'
    end

    function request()
      local r = math.random(total)
      for i, c in ipairs(cumulative) do
        if r <= c then kind = kinds[i]; break end
      end
      local headers = { ["Cookie"] = cookie, ["Accept"] = "application/json" }
      local path, method, body = nil, "GET", nil
      if kind == "new_releases" then
        path = "/api/v1/browse/new-releases?country=SE&limit=20&offset=" .. math.random(0, 3) * 20
      elseif kind == "album" then
        path = "/api/v1/albums/" .. pick(data.albums) .. "?market=SE"
      elseif kind == "artist_top_tracks" then
        path = "/api/v1/artists/" .. pick(data.artists) .. "/top-tracks?market=SE"
      elseif kind == "search" then
        path = "/api/v1/search?q=" .. pick(data.words) .. "+" .. pick(data.words):sub(1, 3)
          .. "&type=track,artist&market=SE&limit=10"
      elseif kind == "stream_url" then
        path = "/api/v1/me/player/stream-url?track_id=" .. pick(data.tracks)
      elseif kind == "stream_audio" then
        path = "/api/v1/stream/" .. pick(data.tokens)
        local first = math.random(0, 15) * 65536
        headers["Range"] = "bytes=" .. first .. "-" .. (first + 65535)
      else
        path, method, body = "/api/v1/me/player/events", "POST", events_body()
        headers["Content-Type"] = "application/json"
        headers["X-CSRFToken"] = data.csrf
      end
      started = now_us()
      return wrk.format(method, path, headers, body)
    end

    function response(code, headers, body)
      out:write(kind, " ", code, " ", math.floor(now_us() - started), "\\n")
    end

    function done(summary, latency, requests)
      local e = summary.errors
      io.write(string.format("BENCH_RESULT %d %d\\n", summary.duration,
        e.connect + e.read + e.write + e.timeout))
    end
    """
)


def lua_literal(value) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "{" + ",".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={lua_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


def write_script(world: dict) -> Path:
    data = WORKDIR / "load-data.lua"
    data.write_text("return " + lua_literal({**world, "csrf": CSRF, "words": WORDS, "mix": MIX}))
    script = WORKDIR / "load.lua"
    script.write_text(LUA.replace("DATA_PATH", str(data)))
    return script


def nginx_config(listen: int, upstream: int, media: Path, keepalive: int) -> Path:
    conf = WORKDIR / "nginx.conf"
    pool = f"keepalive {keepalive};" if keepalive else ""
    (WORKDIR / "nginx").mkdir(exist_ok=True)
    conf.write_text(
        textwrap.dedent(
            f"""
            worker_processes 1;
            daemon off;
            pid {WORKDIR}/nginx/nginx.pid;
            error_log {WORKDIR}/nginx/error.log warn;
            events {{ worker_connections 1024; }}
            http {{
              access_log off;
              client_body_temp_path {WORKDIR}/nginx/body;
              proxy_temp_path {WORKDIR}/nginx/proxy;
              fastcgi_temp_path {WORKDIR}/nginx/fastcgi;
              uwsgi_temp_path {WORKDIR}/nginx/uwsgi;
              scgi_temp_path {WORKDIR}/nginx/scgi;
              sendfile on;
              upstream streamify_web {{ server 127.0.0.1:{upstream}; {pool} }}
              server {{
                listen 127.0.0.1:{listen};
                location /protected-media/ {{
                  internal;
                  alias {media}/;
                  types {{ }}
                  default_type application/octet-stream;
                  add_header Accept-Ranges bytes;
                }}
                location / {{
                  proxy_pass http://streamify_web;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host $host;
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                  proxy_set_header X-Forwarded-Proto $scheme;
                }}
              }}
            }}
            """
        )
    )
    return conf


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all processes), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def run_wrk(script: Path, port: int, seconds: int, connections: int, parties: dict) -> dict:
    samples = Path(tempfile.mkdtemp(prefix="samples-", dir=WORKDIR))
    before = {name: cpu_seconds(pids()) for name, pids in parties.items()}
    busy = machine_busy_seconds()
    times = os.times()
    result = subprocess.run(
        ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s",
         "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}", "--", str(samples)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    after = os.times()
    cpu = {name: cpu_seconds(pids()) - before[name] for name, pids in parties.items()}
    cpu["wrk"] = (after.children_user + after.children_system) - (
        times.children_user + times.children_system
    )
    cpu["other processes"] = max(machine_busy_seconds() - busy - sum(cpu.values()), 0.0)
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT "))
    duration_us, socket_errors = (int(x) for x in line.split()[1:])
    latencies: dict[str, list[float]] = {name: [] for name, _ in MIX}
    statuses: dict[str, Counter] = {name: Counter() for name, _ in MIX}
    for path in samples.glob("thread-*.txt"):
        for row in path.read_text().splitlines():
            kind, status, micros = row.split()
            latencies[kind].append(int(micros) / 1000)
            statuses[kind][status] += 1
    return {
        "duration": duration_us / 1e6,
        "socket_errors": socket_errors,
        "latencies": latencies,
        "statuses": statuses,
        "cpu": cpu,
    }


def report(title: str, result: dict) -> None:
    duration = result["duration"]
    total = sum(len(values) for values in result["latencies"].values())
    print(f"\n{title}: {total / duration:,.0f} req/s over {duration:.0f} s")
    header = f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses"
    print(header)
    print("-" * (len(header) + 20))
    for name, _weight in MIX:
        values = result["latencies"][name]
        codes = " ".join(f"{code}x{n}" for code, n in sorted(result["statuses"][name].items()))
        p50 = percentile(values, 50) if values else 0.0
        p99 = percentile(values, 99) if values else 0.0
        print(f"{name:<20}{len(values) / duration:>9.0f}{p50:>9.1f}{p99:>9.1f}  {codes}")
    if result["socket_errors"]:
        print(f"socket errors: {result['socket_errors']}")
    cpu = ", ".join(
        f"{name} {seconds / duration * 100:.0f}%" for name, seconds in result["cpu"].items()
    )
    print(f"CPU (100% = one core of {os.cpu_count()}): {cpu}")


def _mix_request(kind: str, world: dict, rng: random.Random) -> tuple[str, str, dict]:
    """One request of the mix as the Lua script makes it: (method, path, extra)."""
    pick = rng.choice
    if kind == "new_releases":
        offset = rng.randint(0, 3) * 20
        return "GET", f"/api/v1/browse/new-releases?country=SE&limit=20&offset={offset}", {}
    if kind == "album":
        return "GET", f"/api/v1/albums/{pick(world['albums'])}?market=SE", {}
    if kind == "artist_top_tracks":
        return "GET", f"/api/v1/artists/{pick(world['artists'])}/top-tracks?market=SE", {}
    if kind == "search":
        q = f"{pick(WORDS)}+{pick(WORDS)[:3]}"
        return "GET", f"/api/v1/search?q={q}&type=track,artist&market=SE&limit=10", {}
    if kind == "stream_url":
        return "GET", f"/api/v1/me/player/stream-url?track_id={pick(world['tracks'])}", {}
    if kind == "stream_audio":
        first = rng.randint(0, 15) * 65536
        headers = {"HTTP_RANGE": f"bytes={first}-{first + 65535}"}
        return "GET", f"/api/v1/stream/{pick(world['tokens'])}", headers
    now = datetime.datetime.now(datetime.UTC)
    events = [
        {
            "event_id": f"{rng.getrandbits(128):032x}",
            "track_id": pick(world["tracks"]),
            "ms_played": 20000 + rng.randint(0, 160000),
            "context_type": "album",
            "started_at": (now - datetime.timedelta(seconds=i * 200 + 180)).isoformat(),
            "ended_at": (now - datetime.timedelta(seconds=i * 200)).isoformat(),
        }
        for i in range(1, 6)
    ]
    return "POST", "/api/v1/me/player/events", {"data": {"events": events}}


def settle() -> None:
    """What autovacuum does to a live database after a bulk load, done now: planner
    statistics (without them PostgreSQL takes the 8,000 tracks for none and picks plans
    for an empty table) and the GIN indexes' and visibility maps' upkeep."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def profile_mix(world: dict, requests: int, cprofile: tuple = ()) -> None:
    """CPU of the web process per request of each kind, in-process (no wrk, no nginx)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.throttling import SimpleRateThrottle

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As over HTTP: throttles on, at rates the bench stays under.
    SimpleRateThrottle.THROTTLE_RATES.update(user="1000000/min", address="1000000/min")
    settings.STREAM_X_ACCEL_REDIRECT = False
    rng = random.Random(5)
    client = Client()
    client.cookies["sessionid"] = world["sessions"][0]
    weights = dict(MIX)
    print(f"in-process, {requests} requests per kind after 10 warm-up ones (CPU of this process)")
    print(f"{'endpoint':<20}{'CPU ms':>8}{'queries':>9}{'share of mix CPU':>18}")
    rows = []
    for kind, _ in MIX:

        def call(kind=kind):
            method, path, extra = _mix_request(kind, world, rng)
            if method == "POST":
                response = client.post(path, extra["data"], content_type="application/json")
            else:
                response = client.get(path, **extra)
            assert response.status_code < 300, (path, response.status_code, response.content)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)

        for _ in range(10):
            call()
        queries: list = []
        with connection.execute_wrapper(
            lambda run, sql, *a, q=queries: q.append(sql) or run(sql, *a)
        ):
            call()
        profiler = cProfile.Profile() if kind in cprofile else None
        start = time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(requests):
            call()
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        rows.append((kind, (time.process_time() - start) / requests * 1000, len(queries)))
    mix_cpu = sum(cpu * weights[kind] for kind, cpu, _ in rows)
    for kind, cpu, count in rows:
        print(f"{kind:<20}{cpu:>8.2f}{count:>9}{cpu * weights[kind] / mix_cpu:>17.0%}")
    print(f"mix: {mix_cpu / sum(weights.values()):.2f} ms per request (weighted)")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--tracks", type=int, default=8000)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--no-nginx", action="store_true")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead of wrk: CPU per request of each kind of the mix, in-process, N each",
    )
    parser.add_argument(
        "--cprofile",
        default="",
        metavar="KINDS",
        help="with --profile: cProfile these kinds (comma-separated), top functions",
    )
    parser.add_argument(
        "--upstream-keepalive",
        type=int,
        default=0,
        help="idle connections nginx keeps to gunicorn (deploy/nginx.conf: 32); "
        "sync workers close every connection, so 0 unless --worker-class gthread",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.profile:
        sys.exit("wrk is missing: apt-get install -y wrk")
    use_nginx = not args.no_nginx and shutil.which("nginx") is not None

    with bench_database() as database_url:
        started = time.monotonic()
        world = seed(args.tracks, args.listeners, args.events)
        settle()
        print(
            f"database: {describe_database()}; {args.tracks} tracks, {args.listeners} "
            f"listeners, {args.events} play events; seeded in {time.monotonic() - started:.0f} s"
        )
        if args.profile:
            profile_mix(world, args.profile, tuple(filter(None, args.cprofile.split(","))))
            return
        script = write_script(world)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "CONN_MAX_AGE": "60",
            # Throttles on, at rates the bench stays under: every connection comes from
            # 127.0.0.1, and one listener sends ~30 requests a second.
            "THROTTLE_RATE_ADDRESS": "1000000/min",
            "THROTTLE_RATE_USER": "1000000/min",
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "STREAM_X_ACCEL_REDIRECT": "1" if use_nginx else "0",
        }
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--worker-class", args.worker_class, "--threads", "4" if args.worker_class ==
             "gthread" else "1", "--log-level", "warning", "--timeout", "60"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        nginx = None
        try:
            wait_for_port(port, timeout=60)
            parties = {
                "gunicorn": lambda: descendants(gunicorn.pid),
                "postgres": lambda: pids_named("postgres"),
            }
            targets = []
            if use_nginx:
                WORKDIR.chmod(0o755)  # nginx's workers run as an unprivileged user
                front = free_port()
                conf = nginx_config(
                    front, port, Path(os.environ["MEDIA_ROOT"]).resolve(), args.upstream_keepalive
                )
                nginx = subprocess.Popen(["nginx", "-c", str(conf)], start_new_session=True)
                wait_for_port(front)
                nginx_parties = {**parties, "nginx": lambda: descendants(nginx.pid)}
                targets.append(
                    ("nginx -> gunicorn (audio by X-Accel-Redirect)", front, nginx_parties)
                )
            else:
                targets.append(("gunicorn (audio by Django)", port, parties))
            print(
                f"gunicorn {args.workers} {args.worker_class} workers; wrk "
                f"{args.connections} connections x {args.seconds} s; "
                f"{os.cpu_count()} CPUs shared by wrk, nginx, gunicorn and the database"
            )
            for title, target, target_parties in targets:
                run_wrk(script, target, 3, args.connections, target_parties)  # warm-up
                result = run_wrk(script, target, args.seconds, args.connections, target_parties)
                report(title, result)
        finally:
            if nginx is not None:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(timeout=10)
            gunicorn.terminate()
            gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
