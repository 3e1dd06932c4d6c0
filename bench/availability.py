"""How long a full availability rebuild takes for N tracks x ~180 markets on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_licensing \\
        .venv/bin/python bench/availability.py [--tracks 1000000] [--regenerate]

Uses its own database (its name must contain "bench"; it is migrated and filled by this
script). Catalog rows are generated with set-based SQL; every label gets one catalogue
agreement covering exactly `--markets` countries, some releases get per-market go-live
moments and some takedowns, so the plan has a realistic handful of profiles.

Then it measures, each from the same licensing plan:
1. rows: the shipped rebuild, `licensing.services.availability_rebuild(swap=True)`: one
   `catalog_trackavailability` row per track, market and window (N x markets rows), built in
   a new table chunk by chunk, indexed, swapped in, constraints validated;
2. compact: the proposed representation (not used by the app yet): windows per profile
   (`bench_profile_window`) plus one profile per track (`bench_track_profile`), built the
   same way (new table + swap);
and the latency of the stream-authorisation lookup (one track, one market) on both.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamify.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from catalog.availability import _staged  # noqa: E402
from licensing import selectors, services  # noqa: E402
from licensing.models import (  # noqa: E402
    Agreement,
    AgreementMarket,
    Party,
    ReleaseMarketDate,
    Takedown,
)
from licensing.territories import all_markets, local_midnight  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--markets", type=int, default=180)
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--tracks-per-release", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-rows", action="store_true", help="Measure the compact one only.")
    parser.add_argument("--chunk-tracks", type=int, default=200_000)
    args = parser.parse_args()

    settings = connection.settings_dict
    if connection.vendor != "postgresql" or "bench" not in settings["NAME"]:
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    print(f"database {settings['NAME']} on {settings['HOST']}, {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalog_track")
        present = cursor.fetchone()[0]
    if args.regenerate or present != args.tracks:
        generate(args)
    else:
        print(f"reusing {present} tracks (--regenerate to make them again)")

    started = time.monotonic()
    plan = selectors.availability_plan()
    plan_seconds = time.monotonic() - started
    windows = sum(len(w) for w in plan.profiles.values())
    print(
        f"plan: {len(plan.profiles)} profiles, {windows} profile windows, "
        f"{len(plan.release_profiles)} releases, {len(plan.track_profiles)} tracks on their "
        f"own profile; computed in {plan_seconds:.1f}s"
    )

    if not args.skip_rows:
        started = time.monotonic()
        result = services.availability_rebuild(swap=True, chunk_tracks=args.chunk_tracks)
        total = time.monotonic() - started
        size = _relation_size("catalog_trackavailability")
        parts = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items() if k != "total")
        print(
            f"rows: {result.created:,} rows for {result.tracks:,} tracks in {total:.1f}s "
            f"(plan included; {parts}); table+indexes {size}"
        )
        print(f"rows: lookup {_lookup_ms(ROWS_LOOKUP, args):.3f} ms per stream authorisation")

    started = time.monotonic()
    timings = compact_rebuild(plan, chunk_tracks=args.chunk_tracks)
    total = time.monotonic() - started + plan_seconds
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    size = f"{_relation_size('bench_track_profile')} + {_relation_size('bench_profile_window')}"
    print(f"compact: rebuilt in {total:.1f}s (plan included; {parts}); tables+indexes {size}")
    print(f"compact: lookup {_lookup_ms(COMPACT_LOOKUP, args):.3f} ms per stream authorisation")


# Data


def generate(args) -> None:
    started = time.monotonic()
    releases = args.tracks // args.tracks_per_release
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_trackavailability, catalog_track, catalog_release, catalog_label, "
            "licensing_agreementmarket, licensing_agreement_releases, licensing_agreement, "
            "licensing_party_labels, licensing_party, licensing_releasemarketdate, "
            "licensing_takedown, licensing_labelmembership RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            "INSERT INTO catalog_label (name, created_at) "
            "SELECT 'Bench Label ' || g, now() FROM generate_series(1, %s) g",
            [args.labels],
        )
        cursor.execute(
            "INSERT INTO catalog_release (title, release_type, release_date, label_id, cover, "
            "upc, copyright, popularity, created_at) "
            "SELECT 'Release ' || g, 'album', date '2015-01-02' + (g %% 3000), "
            "1 + g %% %s, '', '', '', 0, now() FROM generate_series(1, %s) g",
            [args.labels, releases],
        )
        cursor.execute(
            "INSERT INTO catalog_track (title, release_id, isrc, disc_number, track_number, "
            "duration_ms, explicit, popularity, source_file, source_sha256, created_at) "
            "SELECT 'Track ' || g, 1 + (g - 1) / %s, NULL, 1, 1 + (g - 1) %% %s, 200000, "
            "false, 0, '', NULL, now() - interval '30 days' FROM generate_series(1, %s) g",
            [args.tracks_per_release, args.tracks_per_release, args.tracks],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_track")
        cursor.execute("VACUUM ANALYZE catalog_release")
    print(
        f"generated {args.tracks:,} tracks on {releases:,} releases in "
        f"{time.monotonic() - started:.1f}s"
    )
    _licensing(args, releases)


def _licensing(args, releases: int) -> None:
    """One catalogue agreement per label on exactly `markets` countries, bulk-created."""
    markets = sorted(all_markets())
    rng = random.Random(2025)
    with transaction.atomic():
        parties = Party.objects.bulk_create(
            Party(name=f"Bench Party {n}") for n in range(1, args.labels + 1)
        )
        Party.labels.through.objects.bulk_create(
            Party.labels.through(party_id=party.id, label_id=n)
            for n, party in enumerate(parties, start=1)
        )
        chosen_markets = [
            (markets + markets)[(n * 7) % len(markets) :][: args.markets]
            for n in range(len(parties))
        ]
        agreements = Agreement.objects.bulk_create(
            Agreement(
                party=party,
                reference=f"BENCH-{n}",
                status=Agreement.Status.ACTIVE,
                territories="WORLDWIDE",
                excluded_territories=" ".join(sorted(set(markets) - set(chosen_markets[n - 1]))),
                starts_on=datetime.date(2018 + n % 6, 1 + n % 12, 1),
                ends_on=None if n % 2 else datetime.date(2031, 12, 31),
                revenue_share=Decimal("0.5"),
            )
            for n, party in enumerate(parties, start=1)
        )
        rows = []
        for agreement, chosen in zip(agreements, chosen_markets, strict=True):
            rows.extend(AgreementMarket(agreement=agreement, market=m) for m in chosen)
        AgreementMarket.objects.bulk_create(rows, batch_size=10_000)
        # Friday releases rolling through the time zones, and some takedowns.
        friday = datetime.date(2025, 3, 7)
        dates = [
            ReleaseMarketDate(release_id=release_id, market=m, live_at=local_midnight(m, friday))
            for release_id in rng.sample(range(1, releases + 1), min(200, releases))
            for m in markets
        ]
        ReleaseMarketDate.objects.bulk_create(dates, batch_size=10_000)
        Takedown.objects.bulk_create(
            Takedown(release_id=release_id, reason="other", effective_at=_utc(2025, 1, 1))
            for release_id in rng.sample(range(1, releases + 1), min(100, releases))
        )
        Takedown.objects.bulk_create(
            Takedown(
                release_id=1 + (track_id - 1) // args.tracks_per_release,
                track_id=track_id,
                territories="US",
                reason="other",
                effective_at=_utc(2025, 1, 1),
            )
            for track_id in rng.sample(range(1, args.tracks + 1), min(100, args.tracks))
        )


def _utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


# The proposed compact representation


COMPACT_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_profile_window (profile_id bigint NOT NULL, "
    "market varchar(2) NOT NULL, starts_at timestamptz NOT NULL, ends_at timestamptz, "
    "PRIMARY KEY (profile_id, market, starts_at))",
    "CREATE INDEX IF NOT EXISTS bench_profile_window_market "
    "ON bench_profile_window (market, profile_id, starts_at)",
    "CREATE TABLE IF NOT EXISTS bench_track_profile (track_id bigint PRIMARY KEY "
    "REFERENCES catalog_track (id) DEFERRABLE INITIALLY DEFERRED, profile_id bigint NOT NULL)",
)


def compact_rebuild(plan, *, chunk_tracks: int) -> dict[str, float]:
    """Windows per profile (small) and a profile per track, the latter via new table + swap."""
    timings, last = {}, time.monotonic()

    def lap(name):
        nonlocal last
        timings[name] = time.monotonic() - last
        last = time.monotonic()

    with connection.cursor() as cursor:
        for sql in COMPACT_DDL:
            cursor.execute(sql)
    with _staged(plan, None):
        lap("stage")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_track_profile_new")
            cursor.execute(
                "CREATE TABLE bench_track_profile_new (track_id bigint NOT NULL, "
                "profile_id bigint NOT NULL)"
            )
            cursor.execute("SELECT min(id), max(id) FROM catalog_track")
            low, high = cursor.fetchone()
        while low is not None and low <= high:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_track_profile_new "
                    "SELECT t.id, COALESCE(tt.profile_id, tr.profile_id) FROM catalog_track t "
                    "LEFT JOIN tmp_av_track tt ON tt.track_id = t.id "
                    "LEFT JOIN tmp_av_release tr ON tr.release_id = t.release_id "
                    "WHERE t.id BETWEEN %s AND %s "
                    "AND COALESCE(tt.profile_id, tr.profile_id) IS NOT NULL",
                    [low, min(high, low + chunk_tracks - 1)],
                )
            low += chunk_tracks
        lap("insert")
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE bench_track_profile_new ADD CONSTRAINT bench_track_profile_new_pkey "
                "PRIMARY KEY (track_id)"
            )
            cursor.execute(
                "ALTER TABLE bench_track_profile_new ADD CONSTRAINT bench_track_profile_new_fk "
                "FOREIGN KEY (track_id) REFERENCES catalog_track (id) "
                "DEFERRABLE INITIALLY DEFERRED NOT VALID"
            )
        lap("index")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE bench_track_profile IN ACCESS EXCLUSIVE MODE")
            cursor.execute("DELETE FROM bench_profile_window")
            cursor.execute(
                "INSERT INTO bench_profile_window SELECT profile_id, market, starts_at, ends_at "
                "FROM tmp_av_window"
            )
            cursor.execute("DROP TABLE bench_track_profile")
            cursor.execute("ALTER TABLE bench_track_profile_new RENAME TO bench_track_profile")
            cursor.execute(
                "ALTER TABLE bench_track_profile RENAME CONSTRAINT bench_track_profile_new_pkey "
                "TO bench_track_profile_pkey"
            )
        lap("swap")
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE bench_track_profile VALIDATE CONSTRAINT bench_track_profile_new_fk"
            )
            cursor.execute("ANALYZE bench_track_profile")
            cursor.execute("ANALYZE bench_profile_window")
        lap("validate")
    return timings


ROWS_LOOKUP = (
    "SELECT EXISTS (SELECT 1 FROM catalog_trackavailability WHERE track_id = %s "
    "AND market = %s AND starts_at <= now() AND (ends_at IS NULL OR ends_at > now()))"
)
COMPACT_LOOKUP = (
    "SELECT EXISTS (SELECT 1 FROM bench_track_profile p JOIN bench_profile_window w "
    "ON w.profile_id = p.profile_id WHERE p.track_id = %s AND w.market = %s "
    "AND w.starts_at <= now() AND (w.ends_at IS NULL OR w.ends_at > now()))"
)


def _lookup_ms(sql: str, args, samples: int = 2000) -> float:
    rng = random.Random(7)
    markets = sorted(all_markets())
    timings = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            params = [rng.randint(1, args.tracks), rng.choice(markets)]
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchone()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _relation_size(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
