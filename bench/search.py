"""Track search latency at 10k, 100k and 1M tracks (PostgreSQL), one client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/streamify \\
        .venv/bin/python bench/search.py [--sizes 10000,100000,1000000] [--repeat 40]

A throwaway `bench_<name>` database is migrated, then filled for each size by set-based SQL
(`bench/search_catalogue.py`). For common words, rare words, prefixes and typos (with the
correction the process remembers, and as a new typo: forgotten before each search) it times
`catalog.search.track_search_page` (market SE, first page of 20) and GET /api/v1/search
(type=track, market=SE) through Django's test client, and the same words as an album
search (type=album, market=SE: albums whose title or artist matches, ranked, judged for the
market page by page), and prints p50/p99 per size, the ratio of the largest size to the
smallest, the floor (`SELECT 1`) and the load average.
"""

import argparse
import os
import sys
import time

from _common import bench_database, percentile  # sets Django up first
from django.db import connection
from search_catalogue import generate, made_up

KINDS = {
    "common": [["love"], ["night"], ["heart"], ["dance"], ["love", "night"]],
    "rare": [[made_up(n)] for n in (4242, 77, 123456, 9001, 31337)],
    "prefix": [["danc"], ["nig"], [made_up(4242)[:6]], [made_up(77)[:4]], ["singul"]],
    "typo": [["singulrity"], ["singularty"], [made_up(4242)[:-1] + "x"], ["hearth"]],
}
# The same typos, each searched as if for the first time: the process forgets the
# corrections it remembers (`catalog.search`) before every search.
KINDS["new typo"] = KINDS["typo"]
FORGET = {"new typo"}
TABLES = (
    "catalog_trackavailabilityprofile, catalog_availabilityprofilewindow,"
    " catalog_availabilityprofile, catalog_trackartist, catalog_track, catalog_releaseartist,"
    " catalog_release, catalog_artist, catalog_searchword"
)


def timed(call, repeat: int, before=lambda: None) -> list[float]:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(repeat: int) -> dict[tuple[str, str], list[float]]:
    from django.test import Client

    from catalog import search

    client = Client()
    found = {}
    for kind, queries in KINDS.items():
        selector, api, albums = [], [], []
        forget = search._corrections.clear if kind in FORGET else lambda: None
        for words in queries:
            search.track_search_page(words=words, market="SE", limit=20)  # warm
            selector += timed(
                lambda w=words: search.track_search_page(words=w, market="SE", limit=20),
                repeat // len(queries) + 1,
                before=forget,
            )
            url = f"/api/v1/search?q={'+'.join(words)}&type=track&market=SE&limit=20"
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]
            api += timed(lambda u=url: client.get(u), repeat // len(queries) + 1, before=forget)
            url = url.replace("type=track", "type=album")
            assert client.get(url).status_code == 200
            albums += timed(lambda u=url: client.get(u), repeat // len(queries) + 1)
        found[(kind, "selector")] = selector
        found[(kind, "api")] = api
        found[(kind, "album api")] = albums
        print(f"  {kind}: selector p50 {percentile(selector, 50):.1f} ms", flush=True)
    return found


def floor(repeat: int) -> float:
    def ping():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    return percentile(timed(ping, repeat * 5), 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (set DATABASE_URL).")
    results = {}
    with bench_database():
        from django.conf import settings

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        for size in sizes:
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {TABLES} CASCADE")
                generate(cursor, size)
                cursor.execute("VACUUM ANALYZE catalog_track")
            built = time.perf_counter() - start
            print(f"{size:>9,} tracks generated in {built:.1f} s", flush=True)
            results[size] = measure(args.repeat)
        base = floor(args.repeat)
    print(f"\nms, market SE, first page of 20; floor (SELECT 1) p50 {base:.2f} ms;")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    head = "".join(f"{f'{size:,}':>18}" for size in sizes)
    print(f"{'query':<9}{'path':<10}{head}   {sizes[-1] // sizes[0]}x tracks: p50 ratio")
    print(f"{'':<19}" + "".join(f"{'p50':>9}{'p99':>9}" for _ in sizes))
    for kind in KINDS:
        for path in ("selector", "api", "album api"):
            cells, p50s = "", []
            for size in sizes:
                values = results[size][(kind, path)]
                p50s.append(percentile(values, 50))
                cells += f"{p50s[-1]:>9.1f}{percentile(values, 99):>9.1f}"
            print(f"{kind:<9}{path:<10}{cells}   {p50s[-1] / p50s[0]:.2f}")


if __name__ == "__main__":
    main()
