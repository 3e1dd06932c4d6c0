"""Play-event ingestion: events/s of POST /api/v1/me/player/events, integrity rules on/off.

Builds a throwaway database (see _common.py; PostgreSQL when DATABASE_URL is set): 50
tracks playable in SE, one listener per connection with a stream grant for every track
(so plays pass the rules and are judged in full), budgets raised out of the way.
Every event is stored (committed) before its 2xx. A listener's plays fit in the accepted
7 days only ~18,000 times back to back, so a long row moves on to fresh listeners, and a
row fails if any of its plays was refused (a refusal is cheaper than a full judgement).
Persistent database connections in both parts (one for all of part 1; CONN_MAX_AGE=60 in part 2).

1. In process (Django's WSGI handler called directly, as gunicorn calls it, with the
   session cookie and CSRF header wrk sends): events/s per batch size, rules on and off,
   and their ratio (the goal: the rules cost at most 20%), with the CPU per request of
   the web process and of its PostgreSQL backend (read from /proc: the figure to trust
   when the machine is shared).
2. Over HTTP (needs wrk): gunicorn as deployed (4 sync workers; `--worker-class gthread
   --threads 4` to compare threads) with persistent database connections
   (CONN_MAX_AGE=60, CONN_HEALTH_CHECKS), wrk with N connections, one listener each,
   sending one event per request and batches of 500, rules on and off. The floor, run
   the same way: the same INSERT ... ON CONFLICT DO NOTHING, one event per transaction,
   from N threads straight through the database driver. Goals: >= 1,000 events/s with one
   event per request at 16 connections, >= 20,000 events/s batched. Under each row, the CPU
   per request of every program on the machine over the row (gunicorn, PostgreSQL, Redis,
   wrk, the rest), read from /proc: what a request costs in all, and where.

    .venv/bin/python bench/events.py [--requests 200] [--batches 1,50,500]
        [--seconds 10] [--connections 16] [--workers 4] [--worker-class sync|gthread]
        [--threads 4] [--no-http] [--cprofile]
"""

import argparse
import cProfile
import datetime
import http.client
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

from _common import (
    ROOT,
    bench_database,
    describe_database,
    free_port,
    percentile,
    wait_for_port,
)

CSRF = "C" * 32
GOAL_SINGLE = 1_000  # events/s, one event per request, at 16 connections
GOAL_BATCHED = 20_000  # events/s in batches of 500
SPACING_S = 31  # consecutive plays of one listener: 30 s each, 1 s apart (no overlap)


def seed(listeners: int) -> dict:
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import Release, Track
    from catalog.services import AvailabilityWindow
    from playback.models import StreamGrantDay

    release = Release.objects.create(title="Bench")
    tracks = Track.objects.bulk_create(
        Track(title=f"T{n}", release=release, track_number=n + 1, duration_ms=200_000)
        for n in range(50)
    )
    since = timezone.now() - datetime.timedelta(days=400)
    ids = [t.pk for t in tracks]
    track_availability_write(
        plan=AvailabilityPlan.of_tracks(ids, [AvailabilityWindow(market="SE", starts_at=since)]),
        track_ids=ids,
    )
    users = User.objects.bulk_create(
        User(email=f"bench{n}@events.test", country="SE", password=UNUSABLE_PASSWORD_PREFIX)
        for n in range(listeners)
    )
    today = timezone.now().astimezone(datetime.UTC).date()
    StreamGrantDay.objects.bulk_create(
        StreamGrantDay(user=user, track=track, day=today - datetime.timedelta(days=8))
        for user in users
        for track in tracks
    )
    sessions = []
    for user in users:
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    return {"tracks": [t.pk for t in tracks], "users": users, "sessions": sessions}


class Timeline:
    """Consecutive, non-overlapping plays for one listener, from 6.5 days ago on."""

    START_AGO_S = 6.5 * 86400

    def __init__(self):
        self.at = time.time() - self.START_AGO_S

    @classmethod
    def capacity(cls) -> int:
        """Plays that end before now (with ten minutes to spare for the run itself)."""
        return int((cls.START_AGO_S - 600) // SPACING_S)

    def events(self, size: int, tracks: list[int]) -> list[dict]:
        made = []
        for n in range(size):
            started = datetime.datetime.fromtimestamp(self.at, tz=datetime.UTC)
            self.at += SPACING_S
            made.append({
                "event_id": str(uuid.uuid4()),
                "track_id": tracks[n % len(tracks)],
                "ms_played": 30_000,
                "context_type": "album",
                "started_at": started.isoformat(),
                "ended_at": (started + datetime.timedelta(seconds=30)).isoformat(),
            })  # fmt: skip
        return made


def listeners_needed(size: int, requests: int) -> int:
    """Listeners for one row: one listener's plays fit in the accepted window (7 days) only
    about 18,000 times at SPACING_S, so a long row moves on to the next listener."""
    per_listener = Timeline.capacity() // size
    return -(-requests // per_listener)


def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU time of the database server process `pid` (PostgreSQL on this machine)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_by_program() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, summed per program name
    (gunicorn, postgres, redis-server, wrk...), and "all" from /proc/stat (every CPU,
    kernel threads and interrupts included)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rpartition(")")[2].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    totals["all"] = sum(int(v) for n, v in enumerate(busy[:8]) if n not in (3, 4)) / tick
    return totals


def _cpu_split(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    """ms of CPU per request by program between two `_cpu_by_program` snapshots."""
    used = {name: after[name] - before.get(name, 0.0) for name in after}
    shown = {"web": used.get("gunicorn", 0.0), "db": used.get("postgres", 0.0),
             "redis": used.get("redis-server", 0.0), "wrk": used.get("wrk", 0.0)}  # fmt: skip
    # Processes that ended during the run (wrk's threads are one process) are not in
    # `after`; "all" counts them.
    shown["other"] = max(used["all"] - sum(shown.values()), 0.0)
    per = requests or 1
    return ", ".join(f"{name} {seconds / per * 1000:.2f}" for name, seconds in shown.items())


def _wsgi_post(app, session: str, body: str) -> tuple[str, bytes]:
    """POST `body` to the events endpoint through Django's WSGI handler as gunicorn would
    call it: the listener's session cookie and the CSRF header, as wrk sends them."""
    data = body.encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/me/player/events", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
        "HTTP_ACCEPT": "application/json", "HTTP_X_CSRFTOKEN": CSRF,
        "HTTP_COOKIE": f"sessionid={session}; csrftoken={CSRF}",
        "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }  # fmt: skip
    status = []
    chunks = app(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        return status[0], b"".join(chunks)
    finally:
        chunks.close()


def in_process(world: dict, requests: int, batches: list[int], cprofile: bool = False) -> None:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from playback.models import PlayEvent

    print(
        f"\n1. In process, Django's WSGI handler called directly (session cookie and CSRF "
        f"header as over HTTP), {requests} requests per row; CPU per request of this "
        "process (web) and of its PostgreSQL backend (db)"
    )
    header = f"{'events/request':<16}{'rules':<7}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'on/off':>9}{'web ms':>9}{'db ms':>8}")
    print("-" * (len(header) + 26))
    app = WSGIHandler()
    index = {user.pk: n for n, user in enumerate(world["users"])}
    users = iter(world["users"])
    # One connection for the whole part (its backend's CPU is read), not one a minute.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    backend = None
    for size in batches:
        rates = {}
        for rules in (False, True, False, True):  # twice each, interleaved: take the best
            settings.PLAY_EVENTS_INTEGRITY = rules
            sent_by, bodies = [], []
            per_listener = Timeline.capacity() // size
            for first in range(0, requests, per_listener):
                user = next(users)
                sent_by.append(user)
                session = world["sessions"][index[user.pk]]
                timeline = Timeline()
                bodies += [
                    (session, json.dumps({"events": timeline.events(size, world["tracks"])}))
                    for _ in range(min(per_listener, requests - first))
                ]
            if backend is None and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backend = cursor.fetchone()[0]
            latencies = []
            profiler = cProfile.Profile() if cprofile and rules else None
            db_before = _backend_cpu_seconds(backend)
            cpu_before = time.process_time()
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            for session, body in bodies:
                sent = time.perf_counter()
                status, content = _wsgi_post(app, session, body)
                latencies.append((time.perf_counter() - sent) * 1000)
                assert status.startswith("200"), content
                assert json.loads(content)["accepted"] == size
            if profiler:
                profiler.disable()
                print(f"cProfile (wall time), {size} event(s) a request, rules on")
                print("(the figures of this row below are slowed by it):")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
            rate = size * requests / (time.perf_counter() - started)
            web_ms = (time.process_time() - cpu_before) / requests * 1000
            db_after = _backend_cpu_seconds(backend)
            db_ms = None if db_after is None else (db_after - db_before) / requests * 1000
            # Every play passes the rules, so each one is judged in full (no early refusal).
            refused = PlayEvent.objects.filter(
                user__in=sent_by, verdict=PlayEvent.Verdict.REFUSED
            ).count()
            assert refused == 0, f"{refused} plays refused: the bench's plays must pass"
            if rate > rates.get(rules, (0,))[0]:
                p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
                rates[rules] = (rate, p50, p99, web_ms, db_ms)
        for rules in (False, True):
            rate, p50, p99, web_ms, db_ms = rates[rules]
            ratio = f"{rates[True][0] / rates[False][0]:>9.2f}" if rules else f"{'':>9}"
            db = f"{db_ms:>8.2f}" if db_ms is not None else f"{'-':>8}"
            print(
                f"{size:<16}{'on' if rules else 'off':<7}{rate:>10.0f}{p50:>9.2f}{p99:>9.2f}"
                f"{ratio}{web_ms:>9.2f}{db}"
            )
    print(f"load average {os.getloadavg()[0]:.1f}")
    settings.PLAY_EVENTS_INTEGRITY = True


def floor(database_url: str, connections: int, seconds: float, tracks: list[int], users) -> float:
    """Events/s of the same INSERT, one event per transaction, from `connections` threads."""
    from django.db import connections as django_connections

    from playback.services.plays import _insert_events_returning

    stop = time.monotonic() + seconds
    counts = [0] * connections

    def worker(index: int) -> None:
        from django.db import transaction

        timeline = Timeline()
        user = users[index % len(users)]
        try:
            while time.monotonic() < stop:
                (event,) = timeline.events(1, tracks)
                with transaction.atomic():
                    _insert_events_returning([(
                        uuid.UUID(event["event_id"]), user.pk, event["track_id"], 30_000,
                        "album", "", datetime.datetime.fromisoformat(event["started_at"]),
                        datetime.datetime.fromisoformat(event["ended_at"]), "SE",
                        datetime.datetime.now(datetime.UTC), "stream", "", None,
                    )])  # fmt: skip
                counts[index] += 1
        finally:
            django_connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


LUA = textwrap.dedent(
    """
    local data = dofile(os.getenv("BENCH_DATA"))
    local size = tonumber(os.getenv("BENCH_BATCH"))
    local counter = 0
    local session, at
    local hex = "0123456789abcdef"
    local threads = {}

    function setup(thread)
      thread:set("id", #threads + 1)
      table.insert(threads, thread)
    end

    local function uuid()
      local parts = {}
      for i = 1, 32 do
        local n = math.random(16)
        parts[i] = hex:sub(n, n)
      end
      local s = table.concat(parts)
      return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-a"
        .. s:sub(18, 20) .. "-" .. s:sub(21, 32)
    end

    function init(args)
      math.randomseed(id * 7919 + os.time())
      session = data.sessions[(id - 1) % #data.sessions + 1]
      at = os.time() - math.floor(6.5 * 86400)
    end

    function request()
      local parts = {}
      for i = 1, size do
        local begun = os.date("!%Y-%m-%dT%H:%M:%SZ", at)
        local ended = os.date("!%Y-%m-%dT%H:%M:%SZ", at + 30)
        at = at + 31
        parts[i] = string.format(
          '{"event_id":"%s","track_id":%d,"ms_played":30000,"context_type":"album",'
          .. '"started_at":"%s","ended_at":"%s"}',
          uuid(), data.tracks[(i % #data.tracks) + 1], begun, ended)
      end
      local headers = {
        ["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. data.csrf,
        ["X-CSRFToken"] = data.csrf,
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json",
      }
      return wrk.format("POST", "/api/v1/me/player/events", headers,
        '{"events":[' .. table.concat(parts, ",") .. ']}')
    end

    function done(summary, latency, requests)
      io.write(string.format("BENCH_RESULT %d %d %d %d %d\\n", summary.requests,
        summary.duration, summary.errors.status, summary.errors.connect
        + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(99)))
    end
    """
)


def lua_data(world: dict, folder: Path, sessions: list[str], name: str) -> Path:
    path = folder / f"{name}.lua"
    sessions = ", ".join(f'"{s}"' for s in sessions)
    tracks = ", ".join(str(t) for t in world["tracks"])
    path.write_text(
        f'return {{ sessions = {{ {sessions} }}, tracks = {{ {tracks} }}, csrf = "{CSRF}" }}'
    )
    return path


def answered(port: int, session: str, timeout: float = 180) -> None:
    """Wait until every worker has booted: gunicorn binds before its workers load Django.
    The probe reads the listener's profile with its session (a 200: nothing logged)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/api/v1/me", headers={"Cookie": f"sessionid={session}"})
            conn.getresponse().read()
        except OSError:
            time.sleep(0.5)
            continue
        finally:
            conn.close()
        return
    raise RuntimeError("gunicorn did not answer")


def over_http(world: dict, database_url: str, args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="streamify-bench-events-"))
    # gunicorn turns sync workers given threads into gthread ones.
    threads = args.threads if args.worker_class == "gthread" else 1
    script = folder / "events.lua"
    script.write_text(LUA)
    print(
        f"\n2. Over HTTP: gunicorn {args.workers} {args.worker_class} workers x "
        f"{threads} threads, CONN_MAX_AGE=60; wrk "
        f"{args.connections} connections x {args.seconds} s; {os.cpu_count()} CPUs shared "
        f"by wrk, gunicorn and the database; load average {os.getloadavg()[0]:.1f}"
    )
    # Fresh listeners for the floor and for every row, so no row overlaps another's plays.
    group = iter(range(len(world["users"]) - 5 * args.connections, 10**6, args.connections))
    first = next(group)
    users = world["users"][first : first + args.connections]
    floor_rate = floor(database_url, args.connections, args.seconds, world["tracks"], users)
    print(f"floor: same INSERT, 1 event per transaction, {args.connections} threads, "
          f"no HTTP: {floor_rate:.0f} events/s")  # fmt: skip
    header = f"{'events/request':<16}{'rules':<7}{'events/s':>10}{'req/s':>9}{'p99 ms':>9}"
    print(header + f"{'/floor':>9}{'errors':>8}")
    print("-" * (len(header) + 17))
    rates = {}
    for rules in (True, False):
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
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "PLAY_EVENTS_INTEGRITY": "1" if rules else "0",
            "PLAY_EVENTS_LIMIT_PER_USER": str(10**9),
            "PLAY_EVENTS_LIMIT_PER_ADDRESS": str(10**9),
            # Every wrk connection comes from 127.0.0.1: the API's general budgets too.
            "THROTTLE_RATE_USER": "1000000/min",
            "THROTTLE_RATE_ADDRESS": "1000000/min",
        }
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--worker-class", args.worker_class, "--threads", str(threads),
             "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=60)
            for _ in range(4 * args.workers):
                answered(port, world["sessions"][0])
            for size in (1, 500):
                first = next(group)
                sessions = world["sessions"][first : first + args.connections]
                data = lua_data(world, folder, sessions, f"{rules}-{size}")
                cpu_before = _cpu_by_program()
                result = subprocess.run(
                    ["wrk", "-t", str(args.connections), "-c", str(args.connections),
                     "-d", f"{args.seconds}s", "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}"],
                    env={**os.environ, "BENCH_DATA": str(data), "BENCH_BATCH": str(size)},
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT"))
                done, micros, bad_status, errors, p99 = (int(x) for x in line.split()[1:])
                cpu = _cpu_split(cpu_before, _cpu_by_program(), done)
                done -= bad_status  # only 2xx count
                rate = done * size / (micros / 1e6)
                rates[rules, size] = rate
                print(
                    f"{size:<16}{'on' if rules else 'off':<7}{rate:>10.0f}"
                    f"{done / (micros / 1e6):>9.0f}{p99 / 1000:>9.1f}"
                    f"{rate / floor_rate:>9.2f}{bad_status + errors:>8}"
                )
                print(f"{'':<7}CPU ms per request: {cpu}")
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
    print(
        f"goals, rules on: one event per request {rates[True, 1]:.0f} / {GOAL_SINGLE:,} = "
        f"{rates[True, 1] / GOAL_SINGLE:.2f}; batches of 500 {rates[True, 500]:.0f} / "
        f"{GOAL_BATCHED:,} = {rates[True, 500] / GOAL_BATCHED:.2f} (met at >= 1); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="in-process requests per row")
    parser.add_argument("--batches", default="1,50,500", help="in-process events per request")
    parser.add_argument("--seconds", type=int, default=10, help="HTTP: seconds per row")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="gthread: threads per worker")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument(
        "--cprofile", action="store_true", help="part 1: cProfile the rules-on rows, top functions"
    )
    args = parser.parse_args()
    os.environ.setdefault("PLAY_EVENTS_LIMIT_PER_USER", str(10**9))

    from django.conf import settings

    from playback.models import PlayEvent

    settings.PLAY_EVENTS_LIMIT_PER_USER = settings.PLAY_EVENTS_LIMIT_PER_ADDRESS = 10**9
    batches = [int(s) for s in args.batches.split(",")]
    with bench_database() as database_url:
        in_process_listeners = sum(4 * listeners_needed(size, args.requests) for size in batches)
        world = seed(listeners=in_process_listeners + 5 * args.connections)
        print(f"database: {describe_database()}")
        in_process(world, args.requests, batches, args.cprofile)
        if args.no_http:
            pass
        elif shutil.which("wrk") is None:
            print("\n2. Over HTTP: skipped, wrk is missing (apt-get install -y wrk)")
        else:
            over_http(world, database_url, args)
        refused = PlayEvent.objects.filter(verdict=PlayEvent.Verdict.REFUSED).count()
        print(f"\nstored: {PlayEvent.objects.count()} events, {refused} refused")


if __name__ == "__main__":
    main()
