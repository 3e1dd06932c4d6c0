"""Insights API under gunicorn, measured with wrk at concurrency 16.

Builds a PostgreSQL database (`bench_insights`, dropped and re-created) holding the daily
aggregates of one artist with 10M plays over the last 365 days (by day, country, source,
age group, playlist and track, written with COPY) plus other artists as background, starts
gunicorn, gets an OAuth2 token (client credentials of an app owned by a team admin) and
runs `wrk -c16 --latency` on the insights endpoints for the whole year.

    .venv/bin/python bench/insights.py [--plays 10000000] [--seconds 30] [--workers 4]

Prints p50/p99 latency and requests/s per endpoint; the target is p99 < 100 ms for the
overview.
"""

import argparse
import base64
import contextlib
import datetime
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="streamify-bench-insights-"))
BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_insights"
)
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "streamify.settings.base",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": BENCH_URL,
    "CONN_MAX_AGE": "600",
    "STATIC_ROOT": str(WORKDIR / "static"),
    "MEDIA_ROOT": str(WORKDIR / "media"),
    "LOG_LEVEL": "WARNING",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    # Throttles stay on (their cache lookups are part of each request), with room for wrk.
    "THROTTLE_RATE_ARTISTS_INSIGHTS": "100000000/min",
}
os.environ.update(SERVER_ENV)
(WORKDIR / "static").mkdir()

COUNTRIES = [
    "SE", "NO", "DK", "FI", "US", "GB", "DE", "NL", "FR", "ES", "IT", "PL", "BR", "MX", "CA", "AU",
    "JP", "IS", "EE", "LV", "LT", "IE", "BE", "AT", "CH", "PT", "CZ", "SK", "HU", "RO", "BG", "GR",
    "TR", "IL", "AE", "IN", "ID", "PH", "SG", "MY", "TH", "VN", "KR", "TW", "HK", "NZ", "ZA", "NG",
    "KE", "EG", "MA", "AR", "CL", "CO", "PE", "UY", "EC", "CR", "PA", "DO",
]  # fmt: skip
CONTEXTS = {
    "playlist": 0.28,
    "editorial": 0.22,
    "personalised": 0.18,
    "collection": 0.12,
    "album": 0.08,
    "artist": 0.06,
    "search": 0.05,
    "other": 0.01,
}
AGE_GROUPS = {
    "0-17": 0.08,
    "18-24": 0.31,
    "25-34": 0.29,
    "35-44": 0.14,
    "45-54": 0.07,
    "55-64": 0.03,
    "65+": 0.01,
    "unknown": 0.07,
}
SECRET = "bench-client-secret-0123456789"  # noqa: S105
ENDPOINTS = ("overview", "timeline", "countries", "sources", "top-tracks")


def zipf(n: int, s: float = 1.1) -> list[float]:
    weights = [1 / (rank**s) for rank in range(1, n + 1)]
    total = sum(weights)
    return [w / total for w in weights]


def split(total: int, weights: list[float], rng: random.Random, jitter=0.15) -> list[int]:
    """`total` shared by noisy weights; the parts add up exactly."""
    noisy = [w * rng.uniform(1 - jitter, 1 + jitter) for w in weights]
    scale = total / sum(noisy)
    parts = [int(w * scale) for w in noisy]
    parts[0] += total - sum(parts)
    return parts


def create_database() -> None:
    import psycopg

    name = BENCH_URL.rsplit("/", 1)[1]
    admin_url = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(plays: int, others: int, seed: int = 42) -> dict:
    """Migrate, create the catalog rows with the ORM and the aggregates with COPY."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from oauth2_provider.models import Application

    from accounts.models import User
    from artists import services as artists_services
    from artists.models import TeamRole
    from catalog.models import Artist, Label, Playlist, Release, ReleaseArtist, Track, TrackArtist

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    today = datetime.datetime.now(datetime.UTC).date()
    days = [today - datetime.timedelta(days=n) for n in range(365, 0, -1)]

    admin = User.objects.create_user(email="admin@bench.test", password=None)
    owner = User.objects.create_user(email="playlists@bench.test", password=None)
    label = Label.objects.create(name="Bench Records")
    artist = Artist.objects.create(name="Bench Artist")
    artists_services.artist_team_member_add(artist=artist, user=admin, role=TeamRole.ADMIN)
    tracks = []
    for number in range(6):
        release = Release.objects.create(
            title=f"Album {number}", label=label, release_date=today - datetime.timedelta(400)
        )
        ReleaseArtist.objects.create(release=release, artist=artist)
        for position in range(1, 11):
            track = Track.objects.create(
                title=f"Song {number}.{position}", release=release, track_number=position
            )
            TrackArtist.objects.create(track=track, artist=artist)
            tracks.append(track.pk)
    kinds = ["user"] * 250 + ["editorial"] * 50 + ["personalised"] * 50 + ["user"] * 50
    playlists = Playlist.objects.bulk_create(
        Playlist(owner=owner, name=f"Playlist {n}", kind=kind, public=n < 350)
        for n, kind in enumerate(kinds)
    )
    other_ids = [
        a.pk for a in Artist.objects.bulk_create(Artist(name=f"Other {n}") for n in range(others))
    ]
    secret = SECRET
    application = Application.objects.create(
        name="bench",
        user=admin,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )

    # Daily totals: growth over the year, weekends higher, noise; exactly `plays` in all.
    shape = [
        (0.6 + 0.8 * n / len(days))
        * (1.15 if day.weekday() in (4, 5) else 0.92 if day.weekday() == 0 else 1.0)
        * rng.uniform(0.9, 1.1)
        for n, day in enumerate(days)
    ]
    daily = split(plays, shape, rng, jitter=0)
    country_w, track_w, playlist_w = zipf(len(COUNTRIES)), zipf(len(tracks)), zipf(len(playlists))
    rows = {
        name: []
        for name in (
            "stats",
            "country",
            "source",
            "audience",
            "playlist",
            "track",
            "label",
        )
    }
    followers = 50_000
    for day, streams in zip(days, daily, strict=True):
        listeners = int(streams * 0.62)
        follows = int(streams * 0.003)
        followers += follows
        saves, adds = int(streams * 0.02), int(streams * 0.004)
        rows["stats"].append((artist.pk, day, streams, listeners, saves, follows, followers, adds))
        rows["label"].append((label.pk, day, streams, listeners, saves, adds))
        for code, n in zip(COUNTRIES, split(streams, country_w, rng), strict=True):
            if n > 0:
                rows["country"].append((artist.pk, day, code, n, int(n * 0.7)))
        for context, n in zip(CONTEXTS, split(streams, list(CONTEXTS.values()), rng), strict=True):
            rows["source"].append((artist.pk, day, context, n, int(n * 0.75)))
        for group, n in zip(
            AGE_GROUPS, split(streams, list(AGE_GROUPS.values()), rng), strict=True
        ):
            rows["audience"].append((artist.pk, day, group, n, int(n * 0.7)))
        from_playlists = int(streams * 0.68)
        for playlist, n in zip(playlists, split(from_playlists, playlist_w, rng), strict=True):
            if n > 0:
                rows["playlist"].append((artist.pk, day, playlist.pk, n, int(n * 0.8)))
        for track_id, n in zip(tracks, split(streams, track_w, rng), strict=True):
            rows["track"].append((track_id, day, n, int(n * 0.7), int(n * 0.02), int(n * 0.004)))
    for other in other_ids:
        size = rng.randint(10, 3000)
        for day in days:
            n = max(0, int(size * rng.uniform(0.5, 1.5)))
            rows["stats"].append((other, day, n, int(n * 0.6), 0, 0, size * 5, 0))
            for code in rng.sample(COUNTRIES, 5):
                rows["country"].append((other, day, code, n // 5, n // 8))

    copies = {
        "stats": (
            "artists_artistdailystats",
            "artist_id, day, streams, listeners, saves, follows, followers, playlist_adds",
        ),
        "country": ("artists_artistdailycountry", "artist_id, day, country, streams, listeners"),
        "source": ("artists_artistdailysource", "artist_id, day, source, streams, listeners"),
        "audience": (
            "artists_artistdailyaudience",
            "artist_id, day, age_group, streams, listeners",
        ),
        "playlist": (
            "artists_artistdailyplaylist",
            "artist_id, day, playlist_id, streams, listeners",
        ),
        "track": (
            "artists_trackdailystats",
            "track_id, day, streams, listeners, saves, playlist_adds",
        ),
        "label": (
            "artists_labeldailystats",
            "label_id, day, streams, listeners, saves, playlist_adds",
        ),
    }
    started = time.perf_counter()
    total = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for name, (table, columns) in copies.items():
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows[name]:
                    copy.write_row(row)
            total += len(rows[name])
        raw.execute("ANALYZE")
    print(
        f"COPY: {total:,} aggregate rows in {time.perf_counter() - started:.1f} s "
        f"({len(rows['stats']):,} artist-days, {len(rows['country']):,} country rows, "
        f"{len(rows['playlist']):,} playlist rows); {sum(daily):,} plays for the artist"
    )
    connection.close()
    return {
        "artist_id": artist.pk,
        "client_id": application.client_id,
        "secret": secret,
        "start": days[0],
        "end": days[-1],
        "plays": plays,
    }


def existing_world(plays: int) -> dict:
    """The world of a kept bench database (`--reuse`)."""
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Min
    from oauth2_provider.models import Application

    from artists.models import ArtistDailyStats
    from catalog.models import Artist

    artist = Artist.objects.get(name="Bench Artist")
    days = ArtistDailyStats.objects.filter(artist=artist).aggregate(
        start=Min("day"), end=Max("day")
    )
    world = {
        "artist_id": artist.pk,
        "client_id": Application.objects.get(name="bench").client_id,
        "secret": SECRET,
        "plays": plays,
        **days,
    }
    connection.close()
    return world


def worker_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of gunicorn's workers, the children of `pid`."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def _request(port: int, method: str, path: str, body: str | None, headers: dict) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data}")
    return data


def token(port: int, client_id: str, secret: str) -> str:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return _request(
        port,
        "POST",
        "/o/token/",
        "grant_type=client_credentials&scope=read",
        {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )["access_token"]


def get_json(port: int, path: str, bearer: str) -> dict:
    return _request(port, "GET", path, None, {"Authorization": f"Bearer {bearer}"})


def wrk(url: str, bearer: str, seconds: int, connections: int = 16) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {bearer}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": ms("50%"),
        "p99": ms("99%"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plays", type=int, default=10_000_000)
    parser.add_argument("--other-artists", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    parser.add_argument("--reuse", action="store_true", help="Use the kept bench database.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    if args.reuse:
        world = existing_world(args.plays)
    else:
        create_database()
        world = build(args.plays, args.other_artists)
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "streamify.wsgi",
            "-w",
            str(args.workers),
            "-k",
            args.worker_class,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV},
    )
    try:
        wait_for_port(port)
        bearer = token(port, world["client_id"], world["secret"])
        path = f"/api/v1/artists/{world['artist_id']}/insights"
        base = f"http://127.0.0.1:{port}{path}"
        query = f"start={world['start']}&end={world['end']}"
        overview = get_json(port, f"{path}/overview?{query}", bearer)
        assert overview["streams"] == world["plays"], overview
        print(
            f"Artist {world['artist_id']}: {overview['streams']:,} streams from "
            f"{world['start']} to {world['end']} ({overview['days']} days); gunicorn "
            f"{args.workers} {args.worker_class} workers; wrk -t2 -c16 -d{args.seconds}s; "
            f"{os.cpu_count()} CPUs shared by wrk, gunicorn and PostgreSQL"
        )
        print(
            f"{'endpoint':<14}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'non-2xx':>9}"
            f"{'CPU ms/req':>12}"
        )
        results = {}
        for name in args.endpoints.split(","):
            url = f"{base}/{name}?{query}"
            wrk(url, bearer, seconds=3)  # warm-up: connections, caches
            cpu = worker_cpu_seconds(server.pid)
            result = results[name] = wrk(url, bearer, seconds=args.seconds)
            cpu_ms = (worker_cpu_seconds(server.pid) - cpu) * 1000 / max(result["requests"], 1)
            print(
                f"{name:<14}{result['p50']:>9.2f}{result['p99']:>9.2f}"
                f"{result['rps']:>9.0f}{result['non_2xx']:>9}{cpu_ms:>12.2f}"
            )
        if "overview" in results:
            verdict = "meets" if results["overview"]["p99"] < 100 else "MISSES"
            print(f"overview p99 {results['overview']['p99']:.2f} ms {verdict} the 100 ms target")
        load = os.getloadavg()
        print(f"load average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not (args.keep or args.reuse):
            with contextlib.suppress(Exception):
                import psycopg

                name = BENCH_URL.rsplit("/", 1)[1]
                with psycopg.connect(
                    BENCH_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True
                ) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
