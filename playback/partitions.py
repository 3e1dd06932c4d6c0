"""Play events partitioned by month of `ended_at` (PostgreSQL declarative partitioning).

On PostgreSQL `playback_playevent` is a partitioned table: one partition per UTC month,
`playback_playevent_pYYYYMM`, plus a DEFAULT partition for events outside every month
created so far. Its primary key is (id, ended_at), since a partitioned table's unique keys
must hold the partition column; a client's retry repeats both, so ingestion stays
idempotent with `ON CONFLICT (id, ended_at) DO NOTHING`. Partitions are created months
ahead by a beat task; old months are detached (kept as plain tables for archiving).
On SQLite, the embedded default, the table is an ordinary one and all of this is a no-op.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from playback.models import PlayEvent

DEFAULT_SUFFIX = "default"


@dataclass(frozen=True)
class Partition:
    name: str
    month: datetime.date | None  # None for the DEFAULT partition
    rows_estimate: int


def _parent() -> str:
    return PlayEvent._meta.db_table


def partition_name(month: datetime.date) -> str:
    return f"{_parent()}_p{month:%Y%m}"


def month_start(moment: datetime.date | datetime.datetime) -> datetime.date:
    return datetime.date(moment.year, moment.month, 1)


def month_after(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _bound(month: datetime.date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+00"


def is_partitioned(using=None) -> bool:
    conn = using or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [_parent()]
        )
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def play_event_partitions() -> list[Partition]:
    """The partitions attached now, oldest month first, DEFAULT last."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [_parent()],
        )
        rows = cursor.fetchall()
    found = []
    prefix = f"{_parent()}_p"
    for name, tuples in rows:
        month = None
        if name.startswith(prefix):
            stamp = name.removeprefix(prefix)
            month = datetime.date(int(stamp[:4]), int(stamp[4:6]), 1)
        found.append(Partition(name=name, month=month, rows_estimate=max(tuples, 0)))
    return sorted(found, key=lambda p: (p.month is None, p.month or datetime.date.min))


def play_event_partitions_ensure(
    *, months_ahead: int, now: datetime.datetime | None = None, since: datetime.date | None = None
) -> list[str]:
    """Create the monthly partitions from `since` (default: this month) to `months_ahead`
    months after this one; return the names created. Rows already in the DEFAULT partition
    for a new month move into it. Running it again creates nothing."""
    if not is_partitioned():
        return []
    today = (now or timezone.now()).astimezone(datetime.UTC).date()
    month = month_start(since or today)
    last = month_start(today)
    for _ in range(months_ahead):
        last = month_after(last)
    existing = {p.month for p in play_event_partitions()}
    created = []
    while month <= last:
        if month not in existing:
            _partition_create(month)
            created.append(partition_name(month))
        month = month_after(month)
    return created


@transaction.atomic
def _partition_create(month: datetime.date) -> None:
    quote = connection.ops.quote_name
    parent, name = quote(_parent()), quote(partition_name(month))
    default = quote(f"{_parent()}_{DEFAULT_SUFFIX}")
    start, end = _bound(month), _bound(month_after(month))
    # Identifiers come from the model's table name and a date; bounds are dates we format.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {default} WHERE ended_at >= %s AND ended_at < %s)",  # noqa: S608
            [start, end],
        )
        strays = cursor.fetchone()[0]
        if not strays:
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {parent} "
                f"FOR VALUES FROM ('{start}') TO ('{end}')"
            )
            return
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE ended_at >= %s AND ended_at < %s "  # noqa: S608
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')"
        )


def play_event_partition_detach(*, month: datetime.date) -> str:
    """Detach one month's partition; it stays as a plain table to archive (pg_dump -t)
    and drop. Its events leave counts rebuilt afterwards: detach only closed months."""
    if not is_partitioned():
        return ""
    month = month_start(month)
    if month not in {p.month for p in play_event_partitions()}:
        return ""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {quote(_parent())} DETACH PARTITION {quote(partition_name(month))}"
        )
    return partition_name(month)


def play_event_partitions_detach_before(*, month: datetime.date) -> list[str]:
    """Detach every monthly partition older than `month`; return their names."""
    month = month_start(month)
    return [
        play_event_partition_detach(month=p.month)
        for p in play_event_partitions()
        if p.month is not None and p.month < month
    ]
