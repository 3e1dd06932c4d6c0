"""Daily stream counts from qualifying plays, and catalogue popularity from them."""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from catalog import services as catalog_services
from playback import selectors
from playback.models import DailyListenerTrack, DailyTrackStreams


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


@transaction.atomic
def stream_counts_build_day(*, day: datetime.date) -> None:
    """Recompute one UTC day of both daily tables from counted plays (upsert, drop stale
    rows); refused plays count nowhere."""
    start, end = _day_bounds(day)
    events = selectors.plays_counted(start=start, end=end)
    is_stream = selectors.IS_STREAM
    track_rows = [
        DailyTrackStreams(
            day=day,
            track_id=row["track_id"],
            country=row["country"],
            source=row["context_type"],
            streams=row["streams"],
            listeners=row["listeners"],
            ms_played=row["total_ms"] or 0,
        )
        for row in events.values("track_id", "country", "context_type").annotate(
            streams=Count("pk", filter=is_stream),
            listeners=Count("user_id", filter=is_stream, distinct=True),
            total_ms=Sum("ms_played"),
        )
    ]
    listener_rows = [
        DailyListenerTrack(
            day=day,
            user_id=row["user_id"],
            track_id=row["track_id"],
            plays=row["plays"],
            streams=row["streams"],
            skips=row["plays"] - row["streams"],
            ms_played=row["total_ms"] or 0,
        )
        for row in events.values("user_id", "track_id").annotate(
            plays=Count("pk"), streams=Count("pk", filter=is_stream), total_ms=Sum("ms_played")
        )
    ]
    _upsert_day(
        DailyTrackStreams,
        day,
        track_rows,
        key=("track_id", "country", "source"),
        update=("streams", "listeners", "ms_played"),
    )
    _upsert_day(
        DailyListenerTrack,
        day,
        listener_rows,
        key=("user_id", "track_id"),
        update=("plays", "streams", "skips", "ms_played"),
    )


def _upsert_day(model, day, rows, *, key, update) -> None:
    wanted = {tuple(getattr(row, k) for k in key) for row in rows}
    stale = [
        pk
        for pk, *values in model.objects.filter(day=day).values_list("pk", *key)
        if tuple(values) not in wanted
    ]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    if rows:
        model.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["day", *(k.removesuffix("_id") for k in key)],
            update_fields=list(update),
        )


def stream_counts_build(*, days: Iterable[datetime.date]) -> list[datetime.date]:
    built = sorted(set(days))
    for day in built:
        stream_counts_build_day(day=day)
    return built


def stream_counts_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the days touched by plays received lately (late offline plays included)."""
    now = now or timezone.now()
    hours = settings.STREAM_COUNTS_LOOKBACK_HOURS
    since = now - datetime.timedelta(hours=hours)
    return stream_counts_build(days=selectors.play_days_touched(since=since, now=now))


def stream_counts_rebuild(*, since: datetime.date | None = None) -> list[datetime.date]:
    """Rebuild every day from `since` (default: the first counted play) to the last or today."""
    first, last = selectors.play_first_day(), selectors.play_last_day()
    today = timezone.now().astimezone(datetime.UTC).date()
    start = since or first or today
    end = max(last or today, today)
    # Days without events in the range lose their rows too.
    counted = DailyTrackStreams.objects.filter(day__gte=start).values_list("day", flat=True)
    listened = DailyListenerTrack.objects.filter(day__gte=start).values_list("day", flat=True)
    days = {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}
    return stream_counts_build(days=days | set(counted) | set(listened))


POPULARITY_DAYS = 28


def track_popularity_refresh(*, today: datetime.date | None = None) -> int:
    """Recompute catalogue popularity from the last POPULARITY_DAYS days of streams."""
    today = today or timezone.now().date()
    streams = dict(
        DailyTrackStreams.objects.filter(day__gt=today - datetime.timedelta(days=POPULARITY_DAYS))
        .values("track_id")
        .annotate(total=Sum("streams"))
        .values_list("track_id", "total")
    )
    return catalog_services.popularity_update(track_streams=streams)
