"""Performance: daily stats of editorial playlists from counted streams."""

import datetime

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from catalog.models import FollowedPlaylist
from editorial.models import EditorialPlaylist, PlaylistDailyStats
from playback import selectors as playback_selectors
from playback.models import PlayEvent

STATS_LOOKBACK_HOURS = 48


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


@transaction.atomic
def playlist_stats_build_day(*, day: datetime.date) -> int:
    """Recompute one UTC day of every editorial playlist's stats from raw events and follows.

    Playback's daily counts have no per-playlist breakdown, so this reads the plays playback
    counts (`playback.selectors.plays_counted`, never refused ones) with a playlist context
    (`playlist` or `editorial`) whose context id is the playlist's id.
    """
    start, end = _day_bounds(day)
    editorial_ids = {str(pk) for pk in EditorialPlaylist.objects.values_list("pk", flat=True)}
    is_stream = playback_selectors.IS_STREAM
    rows: dict[int, PlaylistDailyStats] = {}

    def row(playlist_id: int) -> PlaylistDailyStats:
        if playlist_id not in rows:
            rows[playlist_id] = PlaylistDailyStats(day=day, playlist_id=playlist_id)
        return rows[playlist_id]

    plays = (
        playback_selectors.plays_counted(start=start, end=end)
        .filter(context_type__in=[PlayEvent.Context.PLAYLIST, PlayEvent.Context.EDITORIAL])
        .order_by()
        .values("context_id")
        .annotate(
            streams=Count("pk", filter=is_stream),
            skips=Count("pk", filter=~is_stream),
            listeners=Count("user_id", filter=is_stream, distinct=True),
            total_ms=Sum("ms_played"),
        )
    )
    for found in plays:
        if found["context_id"] not in editorial_ids:
            continue
        stats = row(int(found["context_id"]))
        stats.streams = found["streams"]
        stats.skips = found["skips"]
        stats.listeners = found["listeners"]
        stats.ms_played = found["total_ms"] or 0
    saves = (
        FollowedPlaylist.objects.filter(
            followed_at__gte=start,
            followed_at__lt=end,
            playlist_id__in=EditorialPlaylist.objects.values("pk"),
        )
        .order_by()
        .values("playlist_id")
        .annotate(n=Count("pk"))
    )
    for found in saves:
        row(found["playlist_id"]).saves = found["n"]
    PlaylistDailyStats.objects.filter(day=day).exclude(playlist_id__in=list(rows)).delete()
    if rows:
        PlaylistDailyStats.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["day", "playlist"],
            update_fields=["streams", "listeners", "skips", "saves", "ms_played"],
        )
    return len(rows)


def playlist_stats_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the UTC days of the last STATS_LOOKBACK_HOURS, and the days of plays received
    in that time (offline plays arrive late)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=STATS_LOOKBACK_HOURS)
    first, today = since.astimezone(datetime.UTC).date(), now.astimezone(datetime.UTC).date()
    days = {first + datetime.timedelta(days=n) for n in range((today - first).days + 1)}
    days.update(playback_selectors.play_days_touched(since=since, now=now))
    built = sorted(days)
    for day in built:
        playlist_stats_build_day(day=day)
    return built
