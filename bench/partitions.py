"""Play events partitioned by month vs one plain table: insert rate and count refresh.

PostgreSQL only (DATABASE_URL). Both tables get the same columns, indexes and `--rows`
events spread over `--months` months; then, measured in the same run:
- ingestion: batches of 500 new events for today, with the INSERT ... ON CONFLICT ...
  DO NOTHING RETURNING the ingestion path sends (key (id) vs (id, ended_at));
- count refresh: the two GROUP BY queries `stream_counts_build_day` runs for one day, and
  the "days touched lately" query of `stream_counts_refresh_recent`.
The ratio partitioned/plain is the figure to read; absolute times depend on the machine.
"""

import argparse
import datetime
import statistics
import time
import uuid

from _common import bench_database, describe_database

PLAIN = "bench_playevent_plain"


def timed(run, repeat: int) -> float:
    """Median seconds of `repeat` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--batches", type=int, default=40, help="ingestion batches of 500")
    args = parser.parse_args()

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import Release, Track
    from playback import partitions
    from playback.models import PlayEvent

    if connection.vendor != "postgresql":
        raise SystemExit("bench/partitions.py needs PostgreSQL (set DATABASE_URL).")

    with bench_database():
        parted = PlayEvent._meta.db_table
        now = timezone.now()
        first_month = partitions.month_start(now - datetime.timedelta(days=31 * args.months))
        partitions.play_event_partitions_ensure(months_ahead=1, since=first_month)
        release = Release.objects.create(title="Bench")
        tracks = Track.objects.bulk_create(
            Track(title=f"T{n}", release=release, track_number=n + 1) for n in range(1000)
        )
        users = User.objects.bulk_create(
            User(email=f"bench{n}@example.com", country="SE", password="!")  # noqa: S106
            for n in range(2000)
        )
        track_low, user_low = tracks[0].pk, users[0].pk
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {PLAIN} (LIKE {parted} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            cursor.execute(f"ALTER TABLE {PLAIN} ADD PRIMARY KEY (id)")
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                [parted, "%pkey"],
            )
            for (definition,) in cursor.fetchall():
                name = definition.split(" ON ")[0].split()[-1]
                cursor.execute(
                    definition.replace(f" {name} ON ", f" {name}_plain ON ").replace(
                        f"public.{parted} ", f"public.{PLAIN} "
                    )
                )
            seconds = int(
                (
                    now - datetime.datetime.combine(first_month, datetime.time(), datetime.UTC)
                ).total_seconds()
            )
            load = (
                "INSERT INTO {table} (id, user_id, track_id, ms_played, context_type, context_id, "
                "started_at, ended_at, country, received_at) "
                "SELECT md5(n::text)::uuid, %(user_low)s + n %% 2000, %(track_low)s + n %% 1000, "
                "(n %% 240000) + 5000, 'album', '', e - interval '4 minutes', e, 'SE', e "
                "FROM (SELECT n, "
                "now() - make_interval(secs => (n::bigint * 7919) %% %(seconds)s) AS e "
                "FROM generate_series(1, %(rows)s) AS n) AS g"
            )
            params = {
                "user_low": user_low,
                "track_low": track_low,
                "seconds": seconds,
                "rows": args.rows,
            }
            for table in (parted, PLAIN):
                start = time.perf_counter()
                cursor.execute(load.format(table=table), params)
                cursor.execute(f"ANALYZE {table}")
                took = time.perf_counter() - start
                print(f"loaded {args.rows:,} events into {table} in {took:.1f} s")

        columns = (
            "id, user_id, track_id, ms_played, context_type, context_id, started_at, ended_at, "
            "country, received_at"
        )

        def ingest(table: str, key: str):
            def run():
                ended = timezone.now()
                rows, params = [], []
                for n in range(500):
                    rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
                    params += [
                        uuid.uuid4(),
                        user_low + n % 2000,
                        track_low + n % 1000,
                        60000,
                        "album",
                        "",
                        ended - datetime.timedelta(minutes=1),
                        ended,
                        "SE",
                        ended,
                    ]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} "
                        f"ON CONFLICT ({key}) DO NOTHING RETURNING id",
                        params,
                    )
                    cursor.fetchall()

            return run

        day = (now - datetime.timedelta(days=40)).date()
        start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
        end = start + datetime.timedelta(days=1)
        by_track = (
            "SELECT track_id, country, context_type, count(*) FILTER (WHERE ms_played >= 30000), "
            "count(DISTINCT user_id) FILTER (WHERE ms_played >= 30000), sum(ms_played) "
            "FROM {table} WHERE ended_at >= %s AND ended_at < %s GROUP BY 1, 2, 3"
        )
        by_listener = (
            "SELECT user_id, track_id, count(*), count(*) FILTER (WHERE ms_played >= 30000), "
            "sum(ms_played) FROM {table} WHERE ended_at >= %s AND ended_at < %s GROUP BY 1, 2"
        )
        recent = (
            "SELECT DISTINCT (ended_at AT TIME ZONE 'UTC')::date FROM {table} "
            "WHERE received_at >= %s"
        )

        def refresh(table: str):
            def run():
                with connection.cursor() as cursor:
                    for sql in (by_track, by_listener):
                        cursor.execute(sql.format(table=table), [start, end])
                        cursor.fetchall()

            return run

        def touched(table: str):
            def run():
                with connection.cursor() as cursor:
                    cursor.execute(recent.format(table=table), [now - datetime.timedelta(hours=48)])
                    cursor.fetchall()

            return run

        results = {}
        for label, table, key in (("plain", PLAIN, "id"), ("partitioned", parted, "id, ended_at")):
            seconds_per_batch = timed(ingest(table, key), args.batches)
            results[label] = {
                "events/s": 500 / seconds_per_batch,
                "day refresh ms": 1000 * timed(refresh(table), 5),
                "recent days ms": 1000 * timed(touched(table), 5),
            }
        print(f"\n{describe_database()}: {args.rows:,} events over {args.months} months per table")
        print(f"{'':<16}{'plain':>12}{'partitioned':>14}{'ratio':>8}")
        for metric in ("events/s", "day refresh ms", "recent days ms"):
            plain, parted_value = results["plain"][metric], results["partitioned"][metric]
            print(f"{metric:<16}{plain:>12.1f}{parted_value:>14.1f}{parted_value / plain:>8.2f}")
        per_month = args.rows / args.months
        print(
            f"\nOne month's partition holds {per_month:,.0f} events here; at 100M events a month"
            f" it holds {100_000_000 / per_month:,.0f}x more while the plain table holds every"
            " month: ingestion and a day's refresh touch only the current month's partition"
            " and its indexes, and old months detach instead of being deleted row by row."
        )


if __name__ == "__main__":
    main()
