# ruff: noqa: S608 - SQL is built from model table names and fixed text only.
"""Bulk writer of track availability, the one licensing uses for refreshes and rebuilds.

The caller describes availability compactly as an `AvailabilityPlan`: a few profiles (each
a list of market windows), each release mapped to a profile and the odd track mapped to its
own. The writer expands plan x tracks into `TrackAvailability` rows with set-based SQL,
never a Python loop per row:

- `track_availability_write` diffs per chunk of track ids, one transaction per chunk: rows
  that are already right stay, so replaying a plan writes nothing. Any database.
- `track_availability_rebuild_swap` (PostgreSQL) fills a new table chunk by chunk, builds
  its indexes and constraints, and swaps it in with one short transaction; readers see the
  old availability until the swap. Writers of availability serialise on an advisory lock.
"""

import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from catalog.models import Track, TrackAvailability
from catalog.services import AvailabilityWindow
from common.errors import ValidationFailed

ADVISORY_LOCK_KEY = 7_316_001  # pg advisory lock serialising availability writers
DEFAULT_CHUNK_TRACKS = 50_000

_TABLE = TrackAvailability._meta.db_table
_TRACK_TABLE = Track._meta.db_table


@dataclass
class AvailabilityPlan:
    """Availability described by profile: `release_profiles` and `track_profiles` map ids to
    keys of `profiles`; a track's own profile wins over its release's; a track of a release
    without a profile has no availability."""

    profiles: dict[int, Sequence[AvailabilityWindow]]
    release_profiles: dict[int, int]
    track_profiles: dict[int, int] = field(default_factory=dict)

    def rows_per_profile(self) -> dict[int, int]:
        return {key: len(windows) for key, windows in self.profiles.items()}


@dataclass
class AvailabilityWriteResult:
    tracks: int = 0
    created: int = 0
    deleted: int = 0
    chunks: int = 0
    swapped: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def track_availability_write(
    *,
    plan: AvailabilityPlan,
    release_ids: Collection[int] | None = None,
    chunk_tracks: int = DEFAULT_CHUNK_TRACKS,
) -> AvailabilityWriteResult:
    """Make `plan` the availability of every track of `release_ids` (None: of every track).

    One transaction per chunk of `chunk_tracks` track ids (savepoints when the caller is in
    a transaction). Idempotent: rows already right are kept, so a replay writes nothing.
    """
    _check_plan(plan)
    result = AvailabilityWriteResult()
    started = time.monotonic()
    with _staged(plan, release_ids) as scoped:
        result.timings["stage"] = time.monotonic() - started
        bounds = _track_bounds(scoped)
        for low, high in _chunks(bounds, chunk_tracks):
            with transaction.atomic():
                _advisory_xact_lock()
                created, deleted, tracks = _write_chunk(low, high, scoped)
            result.created += created
            result.deleted += deleted
            result.tracks += tracks
            result.chunks += 1
    result.timings["total"] = time.monotonic() - started
    return result


def track_availability_rebuild_swap(
    *, plan: AvailabilityPlan, chunk_tracks: int = 200_000, validate: bool = True
) -> AvailabilityWriteResult:
    """Replace the availability of every track by `plan` through a new table (PostgreSQL).

    Chunks of the new table commit one by one (outside any caller transaction they are
    invisible to readers); the swap holds an exclusive lock on the table only for renames.
    Tracks deleted during the build lose their rows at the swap; tracks created during it get
    availability from the next `track_availability_write` covering them. The foreign key and
    check constraint are added NOT VALID and validated after the swap unless `validate` is off.
    """
    if connection.vendor != "postgresql":
        raise ValidationFailed("A rebuild by table swap needs PostgreSQL.")
    _check_plan(plan)
    result = AvailabilityWriteResult(swapped=True)
    clock = _Clock(result.timings)
    new = f"{_TABLE}_new"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
    try:
        with _staged(plan, None):
            clock.lap("stage")
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {new}")
                cursor.execute(
                    f"CREATE TABLE {new} (LIKE {_TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)"
                )
                cursor.execute("DROP TABLE IF EXISTS tmp_av_tracks")
                cursor.execute(f"CREATE TEMP TABLE tmp_av_tracks AS SELECT id FROM {_TRACK_TABLE}")
                cursor.execute("SELECT min(id), max(id), count(*) FROM tmp_av_tracks")
                low, high, result.tracks = cursor.fetchone()
            for chunk_low, chunk_high in _chunks((low, high), chunk_tracks):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute(
                        f"INSERT INTO {new} (track_id, market, starts_at, ends_at) "
                        f"{_WANTED} AND t.id IN (SELECT id FROM tmp_av_tracks)",
                        [chunk_low, chunk_high],
                    )
                    result.created += cursor.rowcount
                    result.chunks += 1
            clock.lap("insert")
            with connection.cursor() as cursor:
                definitions = _pg_definitions(cursor, _TABLE)
                cursor.execute("SET maintenance_work_mem = '1GB'")
                try:
                    for kind, name, sql in definitions:
                        cursor.execute(_on_table(sql, kind, name, new))
                finally:
                    cursor.execute("RESET maintenance_work_mem")
                cursor.execute(f"ANALYZE {new}")
            clock.lap("index")
            with transaction.atomic(), connection.cursor() as cursor:
                # Deferred foreign-key checks of this transaction must run before the drop.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"LOCK TABLE {_TABLE} IN ACCESS EXCLUSIVE MODE")
                cursor.execute(
                    f"DELETE FROM {new} WHERE track_id IN "
                    f"(SELECT id FROM tmp_av_tracks EXCEPT SELECT id FROM {_TRACK_TABLE})"
                )
                cursor.execute(f"SELECT count(*) FROM {_TABLE}")
                result.deleted = cursor.fetchone()[0]
                cursor.execute(f"DROP TABLE {_TABLE}")
                cursor.execute(f"ALTER TABLE {new} RENAME TO {_TABLE}")
                for kind, name, _sql in definitions:
                    cursor.execute(_rename(kind, _TABLE, _temporary(name), name))
                cursor.execute("DROP TABLE tmp_av_tracks")
            clock.lap("swap")
            if validate:
                with connection.cursor() as cursor:
                    for kind, name, _sql in definitions:
                        if kind in ("f", "c"):
                            cursor.execute(f"ALTER TABLE {_TABLE} VALIDATE CONSTRAINT {name}")
                clock.lap("validate")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
    result.timings["total"] = sum(result.timings.values())
    return result


# Staging


_WANTED = (
    "SELECT t.id AS track_id, w.market AS market, w.starts_at AS starts_at, "
    "w.ends_at AS ends_at "
    f"FROM {_TRACK_TABLE} t "
    "LEFT JOIN tmp_av_track tt ON tt.track_id = t.id "
    "LEFT JOIN tmp_av_release tr ON tr.release_id = t.release_id "
    "JOIN tmp_av_window w ON w.profile_id = COALESCE(tt.profile_id, tr.profile_id) "
    "WHERE t.id >= %s AND t.id <= %s"
)
_STAGING = {
    "tmp_av_window": "profile_id bigint, market varchar(2), starts_at {dt}, ends_at {dt} NULL",
    "tmp_av_release": "release_id bigint PRIMARY KEY, profile_id bigint",
    "tmp_av_track": "track_id bigint PRIMARY KEY, profile_id bigint",
    "tmp_av_scope": "release_id bigint PRIMARY KEY",
    "tmp_av_chunk": "track_id bigint, market varchar(2), starts_at {dt}, ends_at {dt} NULL",
}


class _staged:
    """Temporary tables holding the plan (and the scope), dropped on exit."""

    def __init__(self, plan: AvailabilityPlan, release_ids: Collection[int] | None):
        self.plan = plan
        self.release_ids = release_ids

    def __enter__(self) -> bool:
        datetime_type = "timestamptz" if connection.vendor == "postgresql" else "datetime"
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            for table, columns in _STAGING.items():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMP TABLE {table} ({columns.format(dt=datetime_type)})")
            _load(
                cursor,
                "tmp_av_window",
                (
                    (key, w.market, adapt(w.starts_at), adapt(w.ends_at))
                    for key, windows in self.plan.profiles.items()
                    for w in windows
                ),
                4,
            )
            _load(cursor, "tmp_av_release", self.plan.release_profiles.items(), 2)
            _load(cursor, "tmp_av_track", self.plan.track_profiles.items(), 2)
            if self.release_ids is not None:
                _load(cursor, "tmp_av_scope", ((i,) for i in set(self.release_ids)), 1)
            cursor.execute("CREATE INDEX tmp_av_window_profile ON tmp_av_window (profile_id)")
            cursor.execute(
                "CREATE INDEX tmp_av_chunk_window ON tmp_av_chunk (track_id, market, starts_at)"
            )
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE tmp_av_window")
                cursor.execute("ANALYZE tmp_av_release")
                cursor.execute("ANALYZE tmp_av_track")
                cursor.execute("ANALYZE tmp_av_scope")
        return self.release_ids is not None

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None and connection.needs_rollback:
            return  # the transaction is broken; its rollback drops what it created
        try:
            with connection.cursor() as cursor:
                for table in _STAGING:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
        except DatabaseError:
            if exc_type is None:
                raise  # else the original error is the one to see


def _load(cursor, table: str, rows: Iterable[tuple], width: int) -> None:
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * width)
    batch = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) == 5000:
            cursor.executemany(f"INSERT INTO {table} VALUES ({placeholders})", batch)
            batch = []
    if batch:
        cursor.executemany(f"INSERT INTO {table} VALUES ({placeholders})", batch)


def _check_plan(plan: AvailabilityPlan) -> None:
    for key, windows in plan.profiles.items():
        seen = set()
        for window in windows:
            if (
                len(window.market) != 2
                or not window.market.isalpha()
                or not window.market.isupper()
            ):
                raise ValidationFailed(f"Invalid market {window.market!r}: use ISO 3166-1 alpha-2.")
            if window.ends_at is not None and window.ends_at <= window.starts_at:
                raise ValidationFailed(f"Window in {window.market} ends before it starts.")
            if (window.market, window.starts_at) in seen:
                raise ValidationFailed(
                    f"Two windows of profile {key} in {window.market} start together."
                )
            seen.add((window.market, window.starts_at))
    missing = {*plan.release_profiles.values(), *plan.track_profiles.values()} - set(plan.profiles)
    if missing:
        raise ValidationFailed(f"Unknown availability profiles: {sorted(missing)[:5]}.")


# Chunks


def _track_bounds(scoped: bool) -> tuple[int | None, int | None]:
    with connection.cursor() as cursor:
        if scoped:
            cursor.execute(
                f"SELECT min(id), max(id) FROM {_TRACK_TABLE} "
                "WHERE release_id IN (SELECT release_id FROM tmp_av_scope)"
            )
        else:
            cursor.execute(f"SELECT min(id), max(id) FROM {_TRACK_TABLE}")
        low, high = cursor.fetchone()
        # Rows of tracks outside the current id range (none, normally) are cleared too.
        cursor.execute(f"SELECT min(track_id), max(track_id) FROM {_TABLE}")
        row_low, row_high = cursor.fetchone()
    if scoped or row_low is None:
        return low, high
    return min(x for x in (low, row_low) if x is not None), max(
        x for x in (high, row_high) if x is not None
    )


def _chunks(bounds: tuple[int | None, int | None], size: int) -> Iterator[tuple[int, int]]:
    low, high = bounds
    if low is None:
        return
    while low <= high:
        yield low, min(low + size - 1, high)
        low += size


def _advisory_xact_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _write_chunk(low: int, high: int, scoped: bool) -> tuple[int, int, int]:
    """Diff the chunk's rows against the plan: delete the wrong ones, insert the missing."""
    in_scope = " AND t.release_id IN (SELECT release_id FROM tmp_av_scope)" if scoped else ""
    track_filter = (
        f"track_id IN (SELECT id FROM {_TRACK_TABLE} "
        "WHERE release_id IN (SELECT release_id FROM tmp_av_scope))"
        if scoped
        else "1 = 1"
    )
    a = _TABLE
    same_window = (
        f"c.track_id = {a}.track_id AND c.market = {a}.market AND c.starts_at = {a}.starts_at "
        f"AND (c.ends_at = {a}.ends_at OR (c.ends_at IS NULL AND {a}.ends_at IS NULL))"
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tmp_av_chunk")
        cursor.execute(f"INSERT INTO tmp_av_chunk {_WANTED}{in_scope}", [low, high])
        cursor.execute(
            f"SELECT count(*) FROM {_TRACK_TABLE} t WHERE t.id >= %s AND t.id <= %s{in_scope}",
            [low, high],
        )
        tracks = cursor.fetchone()[0]
        cursor.execute(
            f"DELETE FROM {_TABLE} WHERE track_id >= %s AND track_id <= %s AND {track_filter} "
            f"AND NOT EXISTS (SELECT 1 FROM tmp_av_chunk c WHERE {same_window})",
            [low, high],
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {_TABLE} (track_id, market, starts_at, ends_at) "
            "SELECT c.track_id, c.market, c.starts_at, c.ends_at FROM tmp_av_chunk c "
            f"WHERE NOT EXISTS (SELECT 1 FROM {_TABLE} a WHERE a.track_id = c.track_id "
            "AND a.market = c.market AND a.starts_at = c.starts_at)"
        )
        created = cursor.rowcount
    return created, deleted, tracks


# Table swap (PostgreSQL)


class _Clock:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = now - self.last
        self.last = now


def _pg_definitions(cursor, table: str) -> list[tuple[str, str, str]]:
    """(kind, name, definition) of the table's constraints (p, u, f, c) and other indexes."""
    cursor.execute(
        "SELECT contype, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c') "
        "ORDER BY contype = 'p' DESC, conname",
        [table],
    )
    definitions = list(cursor.fetchall())
    cursor.execute(
        "SELECT 'i', c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
        "AND k.conrelid = i.indrelid) ORDER BY c.relname",
        [table],
    )
    return definitions + list(cursor.fetchall())


def _temporary(name: str) -> str:
    return f"{name[:55]}_swap"


def _on_table(sql: str, kind: str, name: str, table: str) -> str:
    if kind == "i":
        head, _on, tail = sql.partition(" ON ")
        tail = tail.split(" USING ", 1)[1]
        unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
        return f"CREATE {unique}INDEX {_temporary(name)} ON {table} USING {tail}"
    suffix = " NOT VALID" if kind in ("f", "c") else ""
    return f"ALTER TABLE {table} ADD CONSTRAINT {_temporary(name)} {sql}{suffix}"


def _rename(kind: str, table: str, name: str, to: str) -> str:
    if kind == "i":
        return f"ALTER INDEX {name} RENAME TO {to}"
    return f"ALTER TABLE {table} RENAME CONSTRAINT {name} TO {to}"
