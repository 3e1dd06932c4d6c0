"""OpenSubsonic API (/rest/): p50/p99 of getAlbumList2, search3, stream start, reportPlayback.

Builds a throwaway database (see _common.py): a listener in Sweden with an app password,
`--albums` albums of 8 tracks playable in SE (a tenth of them not), and a short Opus
rendition for the tracks streamed. Starts gunicorn on a free port (DEBUG off) and sends
sequential requests with token auth (a fresh salt each, as clients do), JSON answers:

- getAlbumList2 type=newest size=50 at random offsets, and type=alphabeticalByName;
- search3 with a word of the catalogue (and an empty query, page of 20 each);
- stream start: time to the first byte of /rest/stream (authorisation, grant, Range code);
- the same with timeOffset=10 (ffmpeg started, its first packets copied; the client then
  hangs up, which stops ffmpeg);
- reportPlayback state=playing (player state, session row and now playing updated);

and `ping` in the same run, the floor every call pays (auth, throttle counters, envelope):
each figure is printed with its ratio to the ping p50.

    .venv/bin/python bench/subsonic.py [--albums 2000] [--requests 200] [--workers 2]
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

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

TRACKS_PER_ALBUM = 8
STREAMED_TRACKS = 20


def prepare(albums: int) -> dict:
    import datetime

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from accounts.services import app_password_create, user_create
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import Artist, Release, ReleaseArtist, Track, TrackArtist
    from catalog.services import AvailabilityWindow
    from playback.models import RENDITION_PROFILES, Rendition

    listener = user_create(email="bench@example.com", password=None, country="SE")
    _, secret = app_password_create(user=listener, name="bench")
    words = ["north", "river", "night", "gold", "echo", "glass", "paper", "storm", "violet"]
    artists = Artist.objects.bulk_create(
        Artist(name=f"{random.choice(words).title()} Artist {n}") for n in range(albums // 4 + 1)
    )
    releases = Release.objects.bulk_create(
        Release(
            title=f"{random.choice(words).title()} {random.choice(words)} {n}",
            release_date=datetime.date(1990 + n % 35, 1 + n % 12, 1),
        )
        for n in range(albums)
    )
    ReleaseArtist.objects.bulk_create(
        ReleaseArtist(release=r, artist=artists[n // 4]) for n, r in enumerate(releases)
    )
    tracks = Track.objects.bulk_create(
        Track(
            title=f"{random.choice(words).title()} song {n}",
            release=release,
            track_number=n + 1,
            duration_ms=180_000,
        )
        for release in releases
        for n in range(TRACKS_PER_ALBUM)
    )
    TrackArtist.objects.bulk_create(
        TrackArtist(track=t, artist=artists[i // TRACKS_PER_ALBUM // 4])
        for i, t in enumerate(tracks)
    )
    licensed = [t.pk for i, t in enumerate(tracks) if (i // TRACKS_PER_ALBUM) % 10]
    starts = timezone.now() - datetime.timedelta(days=30)
    track_availability_write(
        plan=AvailabilityPlan.of_tracks(
            licensed, [AvailabilityWindow(market="SE", starts_at=starts)]
        ),
        track_ids=licensed,
    )
    audio = make_audio(WORKDIR / "stream.opus", seconds=20, args=("-c:a", "libopus", "-b:a", "96k"))
    content = audio.read_bytes()
    spec = RENDITION_PROFILES[Rendition.Profile.OPUS_96]
    streamed = licensed[:STREAMED_TRACKS]
    for track_id in streamed:
        name = default_storage.save(f"renditions/bench/{track_id}.opus", ContentFile(content))
        Rendition.objects.create(
            track_id=track_id,
            profile=Rendition.Profile.OPUS_96,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            state=Rendition.State.READY,
            source_sha256=hashlib.sha256(str(track_id).encode()).hexdigest(),
            file=name,
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
        )
    return {"username": listener.email, "secret": secret, "streamed": streamed, "words": words}


def auth(data: dict) -> dict:
    salt = secrets.token_hex(6)
    token = hashlib.md5((data["secret"] + salt).encode(), usedforsecurity=False).hexdigest()
    return {"u": data["username"], "t": token, "s": salt, "v": "1.16.1", "c": "bench"}


def timed(port: int, method: str, params: dict, *, first_byte: bool = False) -> float:
    """Milliseconds to the whole answer (or to its first body byte)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", f"/rest/{method}?{urlencode(params)}", headers={"Host": "localhost"})
    response = conn.getresponse()
    if first_byte:
        response.read(1)
        elapsed = time.perf_counter() - started
        if response.status not in (200, 206) or response.getheader("Content-Type", "").startswith(
            "application/json"
        ):
            raise RuntimeError(f"{method}: {response.status} {response.read()[:200]!r}")
    else:
        body = response.read()
        elapsed = time.perf_counter() - started
        answer = json.loads(body)["subsonic-response"]
        if answer["status"] != "ok":
            raise RuntimeError(f"{method}: {answer}")
    conn.close()
    return elapsed * 1000


def measure(port: int, data: dict, requests: int, albums: int) -> dict[str, list[float]]:
    rng = random.Random(7)
    cases = {
        "ping": lambda: timed(port, "ping", {**auth(data), "f": "json"}),
        "getAlbumList2 newest": lambda: timed(
            port,
            "getAlbumList2",
            {
                **auth(data),
                "f": "json",
                "type": "newest",
                "size": 50,
                "offset": rng.randrange(0, max(1, albums - 50)),
            },
        ),
        "getAlbumList2 alphabeticalByName": lambda: timed(
            port,
            "getAlbumList2",
            {**auth(data), "f": "json", "type": "alphabeticalByName", "size": 50},
        ),
        "search3 word": lambda: timed(
            port, "search3", {**auth(data), "f": "json", "query": rng.choice(data["words"])}
        ),
        "search3 empty query": lambda: timed(
            port, "search3", {**auth(data), "f": "json", "query": "", "songOffset": 100}
        ),
        "stream start": lambda: timed(
            port,
            "stream",
            {**auth(data), "id": f"tr-{rng.choice(data['streamed'])}"},
            first_byte=True,
        ),
        "stream start timeOffset=10": lambda: timed(
            port,
            "stream",
            {**auth(data), "id": f"tr-{rng.choice(data['streamed'])}", "timeOffset": 10},
            first_byte=True,
        ),
        "reportPlayback playing": lambda: timed(
            port,
            "reportPlayback",
            {
                **auth(data),
                "f": "json",
                "mediaId": f"tr-{data['streamed'][0]}",
                "mediaType": "song",
                "positionMs": rng.randrange(0, 20_000),
                "state": "playing",
            },
        ),
    }
    for case in cases.values():  # warm up: imports, caches, connections
        case()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(requests):
        for name, case in cases.items():
            results[name].append(case())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from django.db import connection

    with bench_database() as database_url:
        started = time.perf_counter()
        data = prepare(args.albums)
        with connection.cursor() as cursor:  # statistics, as autovacuum keeps them in service
            cursor.execute("ANALYZE")
        print(
            f"database: {describe_database()}; {args.albums} albums, "
            f"{args.albums * TRACKS_PER_ALBUM} tracks (90% playable in SE), "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DEBUG": "0",
            "LOGIN_THROTTLE_PER_ACCOUNT": "1000000",
        }
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "streamify.wsgi",
             "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "-k", "gthread",
             "--threads", "2", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port)
            results = measure(port, data, args.requests, args.albums)
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=20)
    floor = percentile(results["ping"], 50)
    print(f"{args.requests} sequential requests each, gunicorn {args.workers} workers")
    print(f"{'call':36} {'p50 ms':>8} {'p99 ms':>8} {'p50/ping':>9}")
    for name, values in results.items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{name:36} {p50:8.1f} {p99:8.1f} {p50 / floor:9.1f}")


if __name__ == "__main__":
    main()
