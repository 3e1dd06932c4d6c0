"""How long a full availability rebuild takes for N tracks x ~180 markets on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_licensing \\
        .venv/bin/python bench/availability.py [--tracks 1000000] [--regenerate]

Uses its own database (its name must contain "bench"; it is migrated and filled by this
script). Catalog rows are generated with set-based SQL; every label gets one catalogue
agreement covering exactly `--markets` countries, some releases get per-market go-live
moments and some takedowns, so the plan has a realistic handful of profiles.

Then it measures the shipped rebuild, `licensing.services.availability_rebuild(swap=True)`
(plan computed from the rights included): each distinct window set stored once as an
`AvailabilityProfile` with its windows, and one `catalog_trackavailabilityprofile` row per
track, built in a new table chunk by chunk, indexed, swapped in, constraints validated; then
the latency of the stream-authorisation lookup (one track, one market), as raw SQL and
through `playback.selectors.track_playable`.

(The former form, one row per track, market and window, took 897 s for 1M tracks x 180
markets on the 2-core bench machine.)
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

from licensing import selectors, services  # noqa: E402
from licensing.models import (  # noqa: E402
    Agreement,
    AgreementMarket,
    Party,
    ReleaseMarketDate,
    Takedown,
)
from licensing.territories import all_markets, local_midnight  # noqa: E402
from playback.selectors import track_playable  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--markets", type=int, default=180)
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--tracks-per-release", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true")
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

    started = time.monotonic()
    result = services.availability_rebuild(swap=True, chunk_tracks=args.chunk_tracks)
    total = time.monotonic() - started
    sizes = ", ".join(
        f"{table} {_relation_size(table)}"
        for table in (
            "catalog_trackavailabilityprofile",
            "catalog_availabilityprofile",
            "catalog_availabilityprofilewindow",
        )
    )
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items() if k != "total")
    print(
        f"rebuild: {result.created:,} tracks on {result.profiles:,} profiles "
        f"({result.pruned:,} pruned) in {total:.1f}s, {total + plan_seconds:.1f}s with the "
        f"plan above ({parts}); {sizes}"
    )
    print(f"lookup: {_lookup_ms(args):.3f} ms median per stream authorisation (SQL)")
    print(f"lookup: {_selector_ms(args):.3f} ms median via playback.selectors.track_playable")


# Data


def generate(args) -> None:
    started = time.monotonic()
    releases = args.tracks // args.tracks_per_release
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_trackavailabilityprofile, catalog_availabilityprofilewindow, "
            "catalog_availabilityprofile, catalog_track, catalog_release, catalog_label, "
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


# Lookups


LOOKUP = (
    "SELECT EXISTS (SELECT 1 FROM catalog_trackavailabilityprofile p "
    "JOIN catalog_availabilityprofilewindow w ON w.profile_id = p.profile_id "
    "WHERE p.track_id = %s AND w.market = %s "
    "AND w.starts_at <= now() AND (w.ends_at IS NULL OR w.ends_at > now()))"
)


def _selector_ms(args, samples: int = 2000) -> float:
    rng = random.Random(7)
    markets = sorted(all_markets())
    timings = []
    for _ in range(samples):
        track_id, market = rng.randint(1, args.tracks), rng.choice(markets)
        started = time.perf_counter()
        track_playable(track_id=track_id, market=market)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _lookup_ms(args, samples: int = 2000) -> float:
    rng = random.Random(7)
    markets = sorted(all_markets())
    timings = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            params = [rng.randint(1, args.tracks), rng.choice(markets)]
            started = time.perf_counter()
            cursor.execute(LOOKUP, params)
            cursor.fetchone()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _relation_size(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
