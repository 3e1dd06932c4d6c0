# ruff: noqa: S608 - SQL is built from model table names and fixed text only.
"""Bulk writer of track availability, the one licensing uses for refreshes and rebuilds.

The caller describes availability compactly as an `AvailabilityPlan`: a few profiles (each
a list of market windows), each release mapped to a profile and the odd track mapped to its
own. The catalog stores it in the same shape: each distinct window set once as an
`AvailabilityProfile` (named by the digest of its windows) and one
`TrackAvailabilityProfile` row per available track. The writer first makes sure the plan's
profiles are stored (a handful of rows), then points tracks at them with set-based SQL,
never a Python loop per track:

- `track_availability_write` diffs per chunk of track ids, one transaction per chunk: tracks
  already on the right profile stay, so replaying a plan writes nothing. Any database.
- `track_availability_rebuild_swap` (PostgreSQL) fills a new track-to-profile table chunk
  by chunk, builds its indexes and constraints, and swaps it in with one short transaction;
  readers see the old availability until the swap.

Writers of availability serialise on an advisory lock (PostgreSQL); profiles no track uses
any more are deleted at the end of each write.
"""

import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from catalog.models import Track, TrackAvailabilityProfile
from catalog.services import (
    AVAILABILITY_LOCK_KEY,
    AvailabilityWindow,
    availability_profiles_ensure,
    availability_profiles_prune,
    availability_window_check,
)
from common.errors import ValidationFailed

ADVISORY_LOCK_KEY = AVAILABILITY_LOCK_KEY
DEFAULT_CHUNK_TRACKS = 50_000

_TABLE = TrackAvailabilityProfile._meta.db_table
_TRACK_TABLE = Track._meta.db_table


@dataclass
class AvailabilityPlan:
    """Availability described by profile: `release_profiles` and `track_profiles` map ids to
    keys of `profiles`; a track's own profile wins over its release's; a track of a release
    without a profile (or on a profile without windows) has no availability."""

    profiles: dict[int, Sequence[AvailabilityWindow]]
    release_profiles: dict[int, int]
    track_profiles: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of_tracks(
        cls, track_ids: Iterable[int], windows: Iterable[AvailabilityWindow]
    ) -> "AvailabilityPlan":
        """The same windows for every track of `track_ids` (none: no availability); write
        it with `track_ids` as the scope."""
        return cls(
            profiles={0: list(windows)},
            release_profiles={},
            track_profiles=dict.fromkeys(track_ids, 0),
        )


@dataclass
class AvailabilityWriteResult:
    """Counts of tracks: `created` given a profile, `updated` moved to another profile,
    `deleted` left without availability (after a swap: rows written and rows replaced);
    `profiles` stored profiles the plan uses, `pruned` unused ones deleted."""

    tracks: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    profiles: int = 0
    pruned: int = 0
    chunks: int = 0
    swapped: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def track_availability_write(
    *,
    plan: AvailabilityPlan,
    release_ids: Collection[int] | None = None,
    track_ids: Collection[int] | None = None,
    chunk_tracks: int = DEFAULT_CHUNK_TRACKS,
) -> AvailabilityWriteResult:
    """Make `plan` the availability of every track of `release_ids`, or of the tracks
    `track_ids` (neither: of every track).

    One transaction per chunk of `chunk_tracks` track ids (savepoints when the caller is in
    a transaction). Idempotent: tracks already on the right profile are kept, so a replay
    writes nothing.
    """
    if release_ids is not None and track_ids is not None:
        raise ValidationFailed("Scope an availability write by releases or by tracks, not both.")
    _check_plan(plan)
    result = AvailabilityWriteResult()
    clock = _Clock(result.timings)
    with _session_lock():
        profile_ids = _ensure_profiles(plan)
        result.profiles = len(set(profile_ids.values()))
        clock.lap("profiles")
        with _staged(plan, profile_ids, release_ids=release_ids, track_ids=track_ids) as scope:
            clock.lap("stage")
            bounds = _track_bounds(scope)
            for low, high in _chunks(bounds, chunk_tracks):
                with transaction.atomic():
                    created, updated, deleted, tracks = _write_chunk(low, high, scope)
                result.created += created
                result.updated += updated
                result.deleted += deleted
                result.tracks += tracks
                result.chunks += 1
            clock.lap("write")
        if result.updated or result.deleted:
            result.pruned = availability_profiles_prune()
        clock.lap("prune")
    result.timings["total"] = sum(result.timings.values())
    return result


def track_availability_rebuild_swap(
    *, plan: AvailabilityPlan, chunk_tracks: int = 200_000, validate: bool = True
) -> AvailabilityWriteResult:
    """Replace the availability of every track by `plan` through a new table (PostgreSQL).

    Profiles are stored first (a few rows, committed). Chunks of the new track-to-profile
    table commit one by one (outside any caller transaction they are invisible to readers);
    the swap holds an exclusive lock on the table only for renames. Tracks deleted during the
    build lose their rows at the swap; tracks created during it get availability from the
    next `track_availability_write` covering them. Foreign keys are added NOT VALID and
    validated after the swap unless `validate` is off.
    """
    if connection.vendor != "postgresql":
        raise ValidationFailed("A rebuild by table swap needs PostgreSQL.")
    _check_plan(plan)
    result = AvailabilityWriteResult(swapped=True)
    clock = _Clock(result.timings)
    new = f"{_TABLE}_new"
    with _session_lock():
        profile_ids = _ensure_profiles(plan)
        result.profiles = len(set(profile_ids.values()))
        clock.lap("profiles")
        with _staged(plan, profile_ids):
            clock.lap("stage")
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {new}")
                cursor.execute(
                    f"CREATE TABLE {new} (LIKE {_TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)"
                )
                cursor.execute("DROP TABLE IF EXISTS tmp_av_tracks")
                # The tracks as the build starts (id and release); the swap drops the rows
                # of those deleted meanwhile.
                cursor.execute(
                    "CREATE TEMP TABLE tmp_av_tracks AS "
                    f"SELECT id, release_id FROM {_TRACK_TABLE} ORDER BY id"
                )
                cursor.execute("ANALYZE tmp_av_tracks")
                cursor.execute("SELECT min(id), max(id), count(*) FROM tmp_av_tracks")
                low, high, result.tracks = cursor.fetchone()
            for chunk_low, chunk_high in _chunks((low, high), chunk_tracks):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute(
                        f"INSERT INTO {new} (track_id, profile_id) "
                        + _WANTED_FROM.format(tracks="tmp_av_tracks"),
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
        result.pruned = availability_profiles_prune()
        clock.lap("prune")
    result.timings["total"] = sum(result.timings.values())
    return result


class _session_lock:
    """Hold the availability writers' advisory lock for the whole write (PostgreSQL): until
    the caller's transaction ends when there is one, else until the write returns."""

    def __enter__(self):
        self.session = not connection.in_atomic_block
        if connection.vendor == "postgresql":
            function = "pg_advisory_lock" if self.session else "pg_advisory_xact_lock"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {function}(%s)", [ADVISORY_LOCK_KEY])

    def __exit__(self, exc_type, exc, traceback):
        if connection.vendor == "postgresql" and self.session:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def _ensure_profiles(plan: AvailabilityPlan) -> dict[int, int]:
    """Store the plan's profiles (missing ones only); plan key -> stored profile id."""
    with transaction.atomic():
        return availability_profiles_ensure(profiles=plan.profiles)


# Staging


_WANTED_FROM = (
    "SELECT t.id AS track_id, p.profile_id AS profile_id "
    "FROM {tracks} t "
    "LEFT JOIN tmp_av_track tt ON tt.track_id = t.id "
    "LEFT JOIN tmp_av_release tr ON tr.release_id = t.release_id "
    "JOIN tmp_av_profile p ON p.plan_key = COALESCE(tt.profile_id, tr.profile_id) "
    "WHERE t.id >= %s AND t.id <= %s"
)
_WANTED = _WANTED_FROM.format(tracks=_TRACK_TABLE)
_STAGING = {
    "tmp_av_profile": "plan_key bigint PRIMARY KEY, profile_id bigint NOT NULL",
    "tmp_av_release": "release_id bigint PRIMARY KEY, profile_id bigint",
    "tmp_av_track": "track_id bigint PRIMARY KEY, profile_id bigint",
    "tmp_av_scope": "release_id bigint PRIMARY KEY",
    "tmp_av_scope_track": "track_id bigint PRIMARY KEY",
    "tmp_av_chunk": "track_id bigint PRIMARY KEY, profile_id bigint NOT NULL",
}


class _staged:
    """Temporary tables holding the plan (and the scope), dropped on exit. Entering returns
    the scope as a condition on the tracks table aliased `t` (None: every track)."""

    def __init__(
        self,
        plan: AvailabilityPlan,
        profile_ids: dict[int, int],
        *,
        release_ids: Collection[int] | None = None,
        track_ids: Collection[int] | None = None,
    ):
        self.plan = plan
        self.release_ids = release_ids
        self.track_ids = track_ids
        self.profile_ids = profile_ids

    def __enter__(self) -> str | None:
        with connection.cursor() as cursor:
            for table, columns in _STAGING.items():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMP TABLE {table} ({columns})")
            _load(cursor, "tmp_av_profile", self.profile_ids.items(), 2)
            _load(cursor, "tmp_av_release", self.plan.release_profiles.items(), 2)
            _load(cursor, "tmp_av_track", self.plan.track_profiles.items(), 2)
            scope = None
            if self.release_ids is not None:
                _load(cursor, "tmp_av_scope", ((i,) for i in set(self.release_ids)), 1)
                scope = "t.release_id IN (SELECT release_id FROM tmp_av_scope)"
            elif self.track_ids is not None:
                _load(cursor, "tmp_av_scope_track", ((i,) for i in set(self.track_ids)), 1)
                scope = "t.id IN (SELECT track_id FROM tmp_av_scope_track)"
            if connection.vendor == "postgresql":
                for table in (
                    "tmp_av_profile",
                    "tmp_av_release",
                    "tmp_av_track",
                    "tmp_av_scope",
                    "tmp_av_scope_track",
                ):
                    cursor.execute(f"ANALYZE {table}")
        return scope

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
            availability_window_check(window)
            if (window.market, window.starts_at) in seen:
                raise ValidationFailed(
                    f"Two windows of profile {key} in {window.market} start together."
                )
            seen.add((window.market, window.starts_at))
    missing = {*plan.release_profiles.values(), *plan.track_profiles.values()} - set(plan.profiles)
    if missing:
        raise ValidationFailed(f"Unknown availability profiles: {sorted(missing)[:5]}.")


# Chunks


def _track_bounds(scope: str | None) -> tuple[int | None, int | None]:
    with connection.cursor() as cursor:
        if scope:
            cursor.execute(f"SELECT min(t.id), max(t.id) FROM {_TRACK_TABLE} t WHERE {scope}")
        else:
            cursor.execute(f"SELECT min(id), max(id) FROM {_TRACK_TABLE}")
        low, high = cursor.fetchone()
        # Rows of tracks outside the current id range (none, normally) are cleared too.
        cursor.execute(f"SELECT min(track_id), max(track_id) FROM {_TABLE}")
        row_low, row_high = cursor.fetchone()
    if scope or row_low is None:
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


def _write_chunk(low: int, high: int, scope: str | None) -> tuple[int, int, int, int]:
    """Diff the chunk's track profiles against the plan: delete, move, insert."""
    in_scope = f" AND {scope}" if scope else ""
    track_filter = (
        f"track_id IN (SELECT t.id FROM {_TRACK_TABLE} t WHERE {scope})" if scope else "1 = 1"
    )
    a = _TABLE
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tmp_av_chunk")
        cursor.execute(f"INSERT INTO tmp_av_chunk {_WANTED}{in_scope}", [low, high])
        cursor.execute(
            f"SELECT count(*) FROM {_TRACK_TABLE} t WHERE t.id >= %s AND t.id <= %s{in_scope}",
            [low, high],
        )
        tracks = cursor.fetchone()[0]
        cursor.execute(
            f"DELETE FROM {a} WHERE track_id >= %s AND track_id <= %s AND {track_filter} "
            f"AND NOT EXISTS (SELECT 1 FROM tmp_av_chunk c WHERE c.track_id = {a}.track_id)",
            [low, high],
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"UPDATE {a} SET profile_id = "
            f"(SELECT c.profile_id FROM tmp_av_chunk c WHERE c.track_id = {a}.track_id) "
            "WHERE track_id >= %s AND track_id <= %s AND EXISTS (SELECT 1 FROM tmp_av_chunk c "
            f"WHERE c.track_id = {a}.track_id AND c.profile_id <> {a}.profile_id)",
            [low, high],
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {a} (track_id, profile_id) "
            "SELECT c.track_id, c.profile_id FROM tmp_av_chunk c "
            f"WHERE NOT EXISTS (SELECT 1 FROM {a} x WHERE x.track_id = c.track_id)"
        )
        created = cursor.rowcount
    return created, updated, deleted, tracks


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
