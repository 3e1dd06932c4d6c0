"""Play events: one ingestion path with integrity rules (rate limits, verdicts)."""

import datetime
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Track
from common.errors import ValidationFailed
from common.query_shapes import prepared_cursor
from playback import integrity, ratelimits
from playback.models import STREAM_THRESHOLD_MS, PlayEvent, StreamGrantDay

MAX_EVENTS_PER_BATCH = 500


@dataclass(frozen=True)
class IngestResult:
    received: int
    accepted: int
    duplicates: int
    refused: int = 0


_EVENT_FIELDS = (
    "id",
    "user",
    "track",
    "ms_played",
    "context_type",
    "context_id",
    "started_at",
    "ended_at",
    "country",
    "received_at",
    "verdict",
    "reason",
    "address",
)
COUNTED_VERDICTS = (PlayEvent.Verdict.STREAM, PlayEvent.Verdict.PLAY)
_COUNTED = tuple(map(str, COUNTED_VERDICTS))
# Namespace of the per-listener advisory lock (PostgreSQL) that serialises judging.
_LISTENER_LOCK = 0x504C4159
# PostgreSQL statements (`_BUILDERS`), built once per process and prepared once per
# database connection (see `_execute_prepared`).
_statements: dict[str, tuple[str, list]] = {}


def _insert_events_returning(rows: list[tuple]) -> list[uuid.UUID]:
    """Store rows (values in _EVENT_FIELDS order) once each: ON CONFLICT DO NOTHING on
    the primary key; return the ids inserted.

    On PostgreSQL one prepared statement for any batch size: each column goes as one
    array parameter through unnest(), so a batch of 500 costs 13 values to adapt and send
    rather than 6,500 placeholders to build and plan.
    """
    if not rows:
        return []
    meta = PlayEvent._meta
    if connection.vendor == "postgresql":
        params = [list(column) for column in zip(*rows, strict=True)]
        (inserted,) = _execute_prepared([("insert", params)])
        return [meta.pk.to_python(value) for (value,) in inserted]
    fields = [meta.get_field(name) for name in _EVENT_FIELDS]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(meta.pk.column)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(rows))} "
        f"ON CONFLICT ({pk}) DO NOTHING RETURNING {pk}"
    )
    params = [
        field.get_db_prep_save(value, connection)
        for values in rows
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [meta.pk.to_python(value) for (value,) in cursor.fetchall()]


def _insert_sql() -> tuple[str, list]:
    meta = PlayEvent._meta
    fields = [meta.get_field(name) for name in _EVENT_FIELDS]
    quote = connection.ops.quote_name
    pk = quote(meta.pk.column)
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    # Partitioned by month (playback/partitions.py): the key is (id, ended_at), which a
    # client's retry repeats exactly. Only identifiers and types from the model's metadata
    # are interpolated.
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        f"ON CONFLICT ({pk}, {quote(meta.get_field('ended_at').column)}) DO NOTHING "
        f"RETURNING {pk}"
    ), []


def play_events_ingest(*, user, events: list[dict], address: str | None = None) -> IngestResult:
    """Judge and store a batch of validated events once each (keyed by the client's UUID).

    The batch first takes its size from the listener's and the address's budgets
    (429 when spent, nothing stored). Each new event is then judged by
    `playback.integrity` and stored with its verdict and reason: refused plays are kept
    (visible in admin and the fraud report) but count nowhere. Durable before return:
    either every event of the batch is stored (or already was), or none is.
    """
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise ValidationFailed(f"events: at most {MAX_EVENTS_PER_BATCH} events per request.")
    if not events:
        return IngestResult(received=0, accepted=0, duplicates=0)
    ratelimits.play_events_budget_take(user_id=user.pk, address=address, count=len(events))
    return _play_events_store(user=user, events=events, address=address or None)


@transaction.atomic
def _play_events_store(*, user, events: list[dict], address: str | None) -> IngestResult:
    track_ids = sorted({event["track_id"] for event in events})
    country = str(user.country)
    now = timezone.now()
    unique: dict[uuid.UUID, dict] = {}
    for event in events:
        unique.setdefault(event["event_id"], event)
    plays = [
        integrity.Candidate(
            track_id=event["track_id"],
            ms_played=event["ms_played"],
            started_at=event["started_at"],
            ended_at=event["ended_at"],
        )
        for event in unique.values()
    ]
    if settings.PLAY_EVENTS_INTEGRITY:
        judged = _plays_judge(
            user_id=user.pk, market=country, now=now, events=events, ids=list(unique), plays=plays
        )
    else:
        durations = dict(
            Track.objects.filter(pk__in=track_ids).order_by().values_list("pk", "duration_ms")
        )
        _require_known_tracks(events, durations)
        judged = [
            (
                PlayEvent.Verdict.STREAM
                if play.ms_played >= STREAM_THRESHOLD_MS
                else PlayEvent.Verdict.PLAY,
                "",
            )
            for play in plays
        ]
    rows = [  # in _EVENT_FIELDS order
        (
            event_id, user.pk, event["track_id"], event["ms_played"], event["context_type"],
            event.get("context_id") or "", event["started_at"], event["ended_at"], country,
            now, str(verdict), str(reason), address,
        )
        for (event_id, event), (verdict, reason) in zip(unique.items(), judged, strict=True)
    ]  # fmt: skip
    inserted = set(_insert_events_returning(rows))
    refused = sum(
        1
        for (event_id, _), (verdict, _) in zip(unique.items(), judged, strict=True)
        if event_id in inserted and verdict == PlayEvent.Verdict.REFUSED
    )
    return IngestResult(
        received=len(events),
        accepted=len(inserted),
        duplicates=len(events) - len(inserted),
        refused=refused,
    )


def _require_known_tracks(events: list[dict], known) -> None:
    for index, event in enumerate(events):
        if event["track_id"] not in known:
            raise ValidationFailed(f"events[{index}].track_id: unknown track {event['track_id']}.")


def _plays_judge(
    *,
    user_id: int,
    market: str,
    now: datetime.datetime,
    events: list[dict],
    ids: list[uuid.UUID],
    plays: list[integrity.Candidate],
) -> list[tuple[str, str]]:
    """Look up the facts `integrity.plays_judge` needs and apply it: two statements
    whatever the batch's size (the listener's lock with their grants and the tracks' facts,
    then their counted plays), prepared on PostgreSQL. Unknown tracks: ValidationFailed
    naming the first.

    Holds the listener's lock until commit, so two concurrent batches of one listener
    cannot both count overlapping plays.
    """
    rules = integrity.Rules(
        now=now, grant_max_age=datetime.timedelta(days=settings.PLAY_GRANT_MAX_AGE_DAYS)
    )
    # Bounds clipped to the accepted window, so absurd timestamps never reach a query.
    earliest_start = rules.earliest_end - datetime.timedelta(days=1)
    lo = max(min(play.started_at for play in plays), earliest_start)
    hi = min(max(play.ended_at for play in plays), rules.latest_end)
    facts, grant_days, counted = _listener_lock_and_facts(
        user_id=user_id,
        market=market,
        track_ids=sorted({play.track_id for play in plays}),
        first=(lo - rules.grant_max_age).astimezone(datetime.UTC).date(),
        last=(hi + integrity.PLAY_CLOCK_SKEW).astimezone(datetime.UTC).date(),
        # When lo > hi nothing can count: every play is refused by its timestamps.
        counted_between=(lo, hi) if lo <= hi else None,
    )
    _require_known_tracks(events, facts)
    incoming = set(ids)  # a retried event is judged afresh, never against itself
    counted = [(start, end) for pk, start, end in counted if pk not in incoming]
    return integrity.plays_judge(
        plays=plays,
        rules=rules,
        durations={pk: duration for pk, (duration, _) in facts.items()},
        market_windows={pk: windows for pk, (_, windows) in facts.items()},
        grant_days=grant_days,
        counted=counted,
    )


def _listener_lock_and_facts(
    *,
    user_id: int,
    market: str,
    track_ids: list[int],
    first: datetime.date,
    last: datetime.date,
    counted_between: tuple[datetime.datetime, datetime.datetime] | None,
) -> tuple[catalog_selectors.TrackFacts, dict[int, list[datetime.date]], list[tuple]]:
    """Take the listener's lock (PostgreSQL); return the tracks' facts (durations and
    windows in `market`, see `catalog.selectors.track_fact_rows`), track id -> sorted UTC
    days with a grant in [first, last], and (id, start, end) of the listener's counted
    plays that overlap `counted_between` (through the (user, ended_at) index; none when
    it is None).

    The counted plays are read by a statement of their own after the lock's, so with a
    snapshot taken after the lock was granted: a batch committed while this one waited is
    seen. The facts and grants are not what the lock guards and ride on the lock's
    statement.
    """
    grant_days: dict[int, list[datetime.date]] = {}
    counted: list[tuple] = []
    if connection.vendor != "postgresql":  # no lock to take: SQLite runs one writer
        facts = catalog_selectors.track_facts_from_rows(
            catalog_selectors.track_fact_rows(track_ids=track_ids, market=market)
        )
        grants = StreamGrantDay.objects.filter(
            user_id=user_id, track_id__in=track_ids, day__gte=first, day__lte=last
        ).values_list("track_id", "day")
        if counted_between is not None:
            lo, hi = counted_between
            counted = list(
                PlayEvent.objects.filter(
                    user_id=user_id,
                    verdict__in=COUNTED_VERDICTS,
                    ended_at__gt=lo,
                    started_at__lt=hi,
                )
                .order_by()
                .values_list("pk", "started_at", "ended_at")
            )
    else:
        statements = [
            (
                "lock_and_facts",
                [_LISTENER_LOCK, user_id % (1 << 31), user_id, track_ids, first, last],
            )
        ]
        if counted_between is not None:
            statements.append(("counted", [user_id, *_COUNTED, *counted_between]))
        rows, *then = _execute_prepared(statements, market=market, tracks=track_ids)
        if counted_between is not None:
            counted = then[0]
        facts = catalog_selectors.track_facts_from_rows(
            row[2:] for row in rows if row[2] is not None
        )
        grants = [row[:2] for row in rows if row[0] is not None]
    for track_id, granted_on in grants:
        grant_days.setdefault(track_id, []).append(granted_on)
    for days in grant_days.values():
        days.sort()
    return facts, grant_days, counted


_TRACK_SENTINELS = (7_306_002_000, 7_306_002_001)
_MARKET_SENTINEL = "\x01market\x01"
_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _lock_and_facts_sql() -> tuple[str, list]:
    """The statement of `_listener_lock_and_facts` and how to fill the facts query's
    parameters after the lock's and grants' own six: per placeholder "market",
    "tracks" (the track ids as one array) or ("fixed", value).

    The facts are `catalog.selectors.track_fact_rows`' query as the ORM compiles it, with
    its `IN (...)` over the track ids made `= ANY(array)`, so one text serves any number
    of tracks.
    """
    facts_sql, facts_params = catalog_selectors.track_fact_rows(
        track_ids=list(_TRACK_SENTINELS), market=_MARKET_SENTINEL
    ).query.sql_with_params()
    slots: list = []
    for index, value in enumerate(facts_params):
        if value == _MARKET_SENTINEL:
            slots.append("market")
        elif value == _TRACK_SENTINELS[0] and facts_params[index + 1 : index + 2] == (
            _TRACK_SENTINELS[1],
        ):
            slots.append("tracks")
        elif value != _TRACK_SENTINELS[1]:
            slots.append(("fixed", value))
    where = [m.start() for m in re.finditer(r"IN \(%s, %s\)", facts_sql)]
    placeholders = [m.start() for m in _PLACEHOLDER.finditer(facts_sql)]
    if (
        slots.count("market") != 1
        or slots.count("tracks") != 1
        or len(where) != 1
        or placeholders.index(where[0] + 4) != slots.index("tracks")
    ):
        raise RuntimeError("track_fact_rows' SQL is not as expected: one market, one IN list")
    facts_sql = facts_sql[: where[0]] + "= ANY(%s)" + facts_sql[where[0] + len("IN (%s, %s)") :]
    meta = StreamGrantDay._meta
    quote = connection.ops.quote_name
    track, day = (quote(meta.get_field(name).column) for name in ("track", "day"))
    user = quote(meta.get_field("user").column)
    # The lock (a materialised CTE, read once as the outer side of the join) with the
    # grants through the (user, track, day) unique index, then the tracks' facts from
    # the catalogue's own query: rows of (grant track, grant day, then the facts).
    # Only identifiers from the model's metadata and the ORM's SQL are interpolated;
    # values are parameters.
    sql = (
        "WITH listener_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(%s, %s)) "  # noqa: S608
        f"SELECT g.{track}, g.{day}, NULL, NULL, NULL, NULL FROM listener_lock "
        f"LEFT JOIN {quote(meta.db_table)} g ON g.{user} = %s AND g.{track} = ANY(%s) "
        f"AND g.{day} >= %s AND g.{day} <= %s "
        f"UNION ALL SELECT NULL, NULL, facts.* FROM ({facts_sql}) facts"
    )
    return sql, slots


def _counted_sql() -> tuple[str, list]:
    meta = PlayEvent._meta
    quote = connection.ops.quote_name
    pk, user, verdict, started, ended = (
        quote(meta.get_field(name).column)
        for name in ("id", "user", "verdict", "started_at", "ended_at")
    )
    # Only identifiers from the model's metadata are interpolated; values are parameters.
    return (
        f"SELECT {pk}, {started}, {ended} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {user} = %s AND {verdict} IN (%s, %s) AND {ended} > %s AND {started} < %s"
    ), []


_BUILDERS = {
    "lock_and_facts": _lock_and_facts_sql,
    "counted": _counted_sql,
    "insert": _insert_sql,
}


def _execute_prepared(statements: list[tuple[str, list]], **values) -> list[list[tuple]]:
    """Run PostgreSQL statements of `_BUILDERS`, (key, params) each (then its extra
    parameters' slots filled from `values`), one after the other; return each one's rows.

    Each statement is built once per process and prepared once per connection
    (`common.query_shapes.prepared_cursor`): a batch then sends only the statement's name and
    its values. Planning them each time cost PostgreSQL more CPU than running them (the
    counted plays' query, over the monthly partitions, 0.3 ms of planning for 0.04 ms of
    work).
    """
    found = []
    with prepared_cursor(connection) as cursor:
        for key, params in statements:
            if key not in _statements:
                _statements[key] = _BUILDERS[key]()
            sql, slots = _statements[key]
            for slot in slots:
                params.append(values[slot] if isinstance(slot, str) else slot[1])
            cursor.execute(sql, params)
            found.append(cursor.fetchall() if cursor.description is not None else [])
    return found


@transaction.atomic
def play_events_bulk_load(*, events: list[PlayEvent], batch_size: int = 5000) -> int:
    """Insert events, skipping ids already stored; return how many were new."""
    before = PlayEvent.objects.count()
    PlayEvent.objects.bulk_create(events, batch_size=batch_size, ignore_conflicts=True)
    return PlayEvent.objects.count() - before
