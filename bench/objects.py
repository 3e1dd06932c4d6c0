"""CPU per request of the object endpoints, as a ratio to a DRF view returning constant JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/objects.py
        [--requests N] [--profile]

Seeds a throwaway database (an album of 12 tracks, every track with two performers and
60 markets, a 50-item playlist, 60 saved tracks), starts gunicorn (one gthread worker,
one thread, DEBUG=0, CONN_MAX_AGE=60) with `bench/objects_settings.py`, whose urlconf adds
the floor view at `/bench/floor/` (nowhere in production urls), and sends N requests per
endpoint over one keep-alive connection. The saved tracks are read twice: with the
listener's session cookie (the web player) and with an OAuth bearer token (a Spotify
client). CPU is the worker's scheduler run time
(/proc/<pid>/task/*/schedstat) and that of the PostgreSQL backends of the bench database,
over the N requests, after warm-up requests (warm path: query shapes compiled, the JSON of
track objects kept by the rows each request reads; no response is cached anywhere). Each
measurement starts from empty throttle histories (`throttle_histories_clear`).
`--profile` also runs each endpoint in-process under cProfile and prints the top functions
(BENCH_SORT=tottime to sort by own time). Query counts (session
queries included) are counted in-process.
"""

import argparse
import contextlib
import cProfile
import datetime
import http.client
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, bench_database, describe_database, free_port, wait_for_port

MARKETS = 60
ALBUM_TRACKS = 12
PLAYLIST_ITEMS = 50
SAVED_TRACKS = 60
BEARER_TOKEN = "bench-objects-bearer-token"  # noqa: S105 (a throwaway database's token)


def seed() -> dict:
    from django.utils import timezone
    from django_countries import countries

    from accounts.models import User
    from accounts.sessions import SessionStore
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import (
        Artist,
        FollowedArtist,
        Genre,
        Label,
        Playlist,
        PlaylistItem,
        Release,
        ReleaseArtist,
        SavedTrack,
        Track,
        TrackArtist,
    )
    from catalog.services import AvailabilityWindow

    now = timezone.now()
    markets = [code for code, _ in countries][:MARKETS]
    genres = Genre.objects.bulk_create(
        Genre(name=f"Genre {n}", slug=f"genre-{n}") for n in range(3)
    )
    label = Label.objects.create(name="Bench Records")
    artists = Artist.objects.bulk_create(
        Artist(name=f"Artist {n}", popularity=n % 100, image=f"artists/a{n}.jpg") for n in range(40)
    )
    for artist in artists[:2]:
        artist.genres.set(genres)
    releases = Release.objects.bulk_create(
        Release(
            title=f"Album {n}",
            release_date=(now - datetime.timedelta(days=n)).date(),
            label=label,
            upc=f"{n:012d}",
            copyright="(C) Bench Records",
            cover=f"images/{n % 256:02x}/{n:064x}/640.jpg",
        )
        for n in range(20)
    )
    for release in releases[:1]:
        release.genres.set(genres)
    ReleaseArtist.objects.bulk_create(
        ReleaseArtist(release=release, artist=artists[n % 20], position=0)
        for n, release in enumerate(releases)
    )
    tracks = Track.objects.bulk_create(
        Track(
            title=f"Track {n}",
            release=releases[n // ALBUM_TRACKS],
            track_number=n % ALBUM_TRACKS + 1,
            duration_ms=180_000 + n,
            isrc=f"SEBEN{n:07d}",
            popularity=n % 100,
        )
        for n in range(ALBUM_TRACKS * len(releases))
    )
    TrackArtist.objects.bulk_create(
        TrackArtist(track=track, artist=artists[(n + k) % len(artists)], position=k)
        for n, track in enumerate(tracks)
        for k in range(2)
    )
    starts = now - datetime.timedelta(days=30)
    ids = [t.pk for t in tracks]
    windows = [AvailabilityWindow(m, starts) for m in markets]
    track_availability_write(plan=AvailabilityPlan.of_tracks(ids, windows), track_ids=ids)
    listener = User.objects.create(email="listener@bench.test", country="SE")
    owner = User.objects.create(email="owner@bench.test", display_name="Owner", country="SE")
    playlist = Playlist.objects.create(owner=owner, name="Bench mix", description="Fifty")
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track=track, position=n, added_by=owner)
        for n, track in enumerate(tracks[:: len(tracks) // PLAYLIST_ITEMS][:PLAYLIST_ITEMS])
    )
    SavedTrack.objects.bulk_create(
        SavedTrack(user=listener, track=track, added_at=now - datetime.timedelta(minutes=n))
        for n, track in enumerate(tracks[:SAVED_TRACKS])
    )
    FollowedArtist.objects.create(user=listener, artist=artists[0])
    # As a Spotify client signs in: an authorization-code token of an application.
    from oauth2_provider.models import AccessToken, Application

    application = Application.objects.create(
        user=owner, name="Bench client", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1/callback",
    )  # fmt: skip
    AccessToken.objects.create(
        user=listener, application=application, token=BEARER_TOKEN, scope="user-library-read",
        expires=now + datetime.timedelta(days=1),
    )  # fmt: skip
    session = SessionStore()
    session["_auth_user_id"] = str(listener.pk)
    session["_auth_user_backend"] = "accounts.backends.ThrottledModelBackend"
    session["_auth_user_hash"] = listener.get_session_auth_hash()
    session.create()
    return {
        "session": session.session_key,
        "listener": listener.pk,
        "paths": [
            ("floor (constant JSON)", "/bench/floor/", None),
            ("track", f"/api/v1/tracks/{tracks[0].pk}?market=SE", None),
            ("album (12 tracks)", f"/api/v1/albums/{releases[0].pk}?market=SE", None),
            ("artist", f"/api/v1/artists/{artists[0].pk}", None),
            ("playlist (50 items)", f"/api/v1/playlists/{playlist.pk}?market=SE", None),
            ("/me/tracks?limit=50", "/api/v1/me/tracks?limit=50&market=SE", "session"),
            ("  with a bearer token", "/api/v1/me/tracks?limit=50&market=SE", "bearer"),
        ],
    }


def in_process(world: dict, profile_rounds: int) -> dict[str, int]:
    """Query count of each endpoint (warm); with `profile_rounds`, print its cProfile top."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    counts = {}
    with override_settings(ROOT_URLCONF="objects_urls", ALLOWED_HOSTS=["testserver"]):
        for title, path, auth in world["paths"]:
            client = Client(headers=_auth_headers(world, auth))
            assert client.get(path).status_code == 200, path
            queries = []
            with connection.execute_wrapper(
                lambda run, sql, *a, seen=queries: seen.append(sql) or run(sql, *a)
            ):
                client.get(path)
            counts[title] = len(queries)
            if not profile_rounds:
                continue
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(profile_rounds):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            order = os.environ.get("BENCH_SORT", "cumulative")
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
            print(f"\n=== {title}: {counts[title]} queries")
            print("\n".join(out.getvalue().splitlines()[:50]))
    return counts


def run_cpu_ns(pid: int) -> int | None:
    """Nanoseconds the process ran on a CPU (all its threads); None once it is gone."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    for task in tasks:
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def backends_cpu_ns(pids: list[int], before: dict[int, int] | None = None) -> dict[int, int]:
    now = {pid: run_cpu_ns(pid) for pid in pids}
    return {
        pid: ns for pid, ns in now.items() if ns is not None and (before is None or pid in before)
    }


def backend_pids(database: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def throttle_histories_clear(user_id: int) -> None:
    """Forget the bench client's throttle histories (its address's and the listener's).

    The API's throttles keep the time of every request of the last minute (a sorted set in
    Redis, a list in the in-memory cache), so their cost can grow with the requests before
    it; the bench sends ~2,000 a minute from one address. Each measurement starts from an
    empty history, so the floor and every endpoint pay for the same history (their own ~330
    requests).
    """
    from django.core.cache import cache

    from accounts.throttling import AddressRateThrottle, UserRateThrottle

    keys = [
        AddressRateThrottle.cache_format % {"scope": "address", "ident": "127.0.0.1"},
        UserRateThrottle.cache_format % {"scope": "user", "ident": user_id},
    ]
    cache.delete_many(keys)


def _auth_headers(world: dict, auth: str | None) -> dict:
    """The signed-in listener's session cookie or bearer token, as `auth` says."""
    if auth == "session":
        return {"Cookie": f"sessionid={world['session']}"}
    if auth == "bearer":
        return {"Authorization": f"Bearer {BEARER_TOKEN}"}
    return {}


def measure(port: int, worker: int, path: str, auth: dict, n: int, db: str) -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Host": "127.0.0.1", "Connection": "keep-alive", **auth}

    def get() -> None:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status, body[:200])

    for _ in range(max(n // 10, 20)):  # warm-up: imports, compiled query shapes
        get()
    backends = backend_pids(db)
    worker_before, backends_before = run_cpu_ns(worker), backends_cpu_ns(backends)
    for _ in range(n):
        get()
    worker_after, backends_after = run_cpu_ns(worker), backends_cpu_ns(backends, backends_before)
    conn.close()
    postgres = sum(ns - backends_before[pid] for pid, ns in backends_after.items())
    return (worker_after - worker_before) / n / 1e6, postgres / n / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per endpoint (400)")
    parser.add_argument("--profile", action="store_true", help="also cProfile in-process")
    args = parser.parse_args()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench reads pg_stat_activity).")
    with bench_database() as database_url:
        world = seed()
        sys.path.insert(0, str(Path(__file__).parent))
        queries = in_process(world, profile_rounds=50 if args.profile else 0)
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parent),
            "DJANGO_SETTINGS_MODULE": "objects_settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "CONN_MAX_AGE": "60",
            # Throttles still run on every request, at rates the bench's volume stays under.
            "THROTTLE_RATE_ADDRESS": "1000000/min",
            "THROTTLE_RATE_USER": "1000000/min",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
             "--threads", "1", "--keep-alive", "30", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=60)
            time.sleep(0.5)
            workers = Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children").read_text()
            worker = int(workers.split()[0])
            db = connection.settings_dict["NAME"]
            print(
                f"database: {describe_database()}; gunicorn 1 gthread worker (1 thread), "
                f"CONN_MAX_AGE=60, DEBUG=0; 1 client, keep-alive, {args.requests} requests "
                "per endpoint after warm-up\npath measured: warm (query shapes compiled, "
                "track JSON kept by the rows read; every query runs, no response cache)"
            )
            print(
                f"{'endpoint':24} {'gunicorn CPU ms':>15} {'ratio':>7} {'postgres CPU ms':>15}"
                f" {'queries':>8}"
            )
            floor_path = world["paths"][0][1]
            throttle_histories_clear(world["listener"])
            first_floor = measure(port, worker, floor_path, {}, args.requests, db)[0]
            results = []
            for title, path, auth in world["paths"][1:]:
                headers = _auth_headers(world, auth)
                throttle_histories_clear(world["listener"])
                results.append((title, *measure(port, worker, path, headers, args.requests, db)))
            throttle_histories_clear(world["listener"])
            last_floor = measure(port, worker, floor_path, {}, args.requests, db)[0]
            # The floor is measured before and after the endpoints; the ratio uses their mean.
            floor = (first_floor + last_floor) / 2
            title = world["paths"][0][0]
            print(f"{title:24} {floor:15.2f} {1:6.1f}x {0:15.2f} {0:8}")
            print(f"{'  (before / after)':24} {first_floor:7.2f} / {last_floor:5.2f}")
            for title, cpu, pg in results:
                print(f"{title:24} {cpu:15.2f} {cpu / floor:6.1f}x {pg:15.2f} {queries[title]:8}")
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            connection.close()


if __name__ == "__main__":
    main()
