"""Insights aggregates: one UTC day of every daily table, rebuilt idempotently."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from artists import insights
from artists.models import (
    ArtistDailyAudience,
    ArtistDailyCountry,
    ArtistDailyPlaylist,
    ArtistDailySource,
    ArtistDailyStats,
    LabelDailyStats,
    TrackDailyStats,
)
from artists.selectors import CREDITED_ROLES
from catalog.models import FollowedArtist, Playlist, PlaylistItem, SavedTrack
from playback import selectors as playback_selectors
from playback.models import PlayEvent

from ._common import _today


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


def _age_group(birth_year: int | None, day: datetime.date) -> str:
    if not birth_year:
        return ArtistDailyAudience.AgeGroup.UNKNOWN
    age = day.year - birth_year
    for upper, group in (
        (17, ArtistDailyAudience.AgeGroup.UNDER_18),
        (24, ArtistDailyAudience.AgeGroup.AGE_18_24),
        (34, ArtistDailyAudience.AgeGroup.AGE_25_34),
        (44, ArtistDailyAudience.AgeGroup.AGE_35_44),
        (54, ArtistDailyAudience.AgeGroup.AGE_45_54),
        (64, ArtistDailyAudience.AgeGroup.AGE_55_64),
    ):
        if 0 <= age <= upper:
            return group
    return (
        ArtistDailyAudience.AgeGroup.AGE_65_PLUS
        if age > 0
        else ArtistDailyAudience.AgeGroup.UNKNOWN
    )


def _replace_day(
    model, day: datetime.date, rows: list, key: tuple[str, ...], fields: tuple[str, ...]
):
    """Make `rows` the day's rows of `model`: upsert them, delete the day's others."""
    wanted = {tuple(getattr(row, k) for k in key) for row in rows}
    stale = [
        pk
        for pk, *values in model.objects.filter(day=day).values_list("pk", *key).iterator()
        if tuple(values) not in wanted
    ]
    for start in range(0, len(stale), 5000):
        model.objects.filter(pk__in=stale[start : start + 5000]).delete()
    if rows:
        model.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=[k.removesuffix("_id") for k in key] + ["day"],
            update_fields=list(fields),
        )


def _grouped(queryset, keys: tuple[str, ...], **aggregates) -> Iterable[dict]:
    return queryset.order_by().values(*keys).annotate(**aggregates).iterator(chunk_size=5000)


@dataclass(frozen=True)
class _Day:
    """One UTC day and the plays counted as streams in it."""

    day: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    streams: QuerySet

    @classmethod
    def of(cls, day: datetime.date) -> "_Day":
        start, end = _day_bounds(day)
        return cls(day, start, end, playback_selectors.streams_counted(start=start, end=end))

    @property
    def credited(self) -> QuerySet:
        """The day's streams once per artist credited on the track (primary or featured)."""
        return self.streams.filter(track__credits__role__in=CREDITED_ROLES)

    def added(self, model, **filters) -> QuerySet:
        """Library rows of `model` (saves, playlist items) added that day that still exist."""
        return model.objects.filter(added_at__gte=self.start, added_at__lt=self.end, **filters)


_ARTIST = "track__credits__artist_id"
_LABEL = "track__release__label_id"
_COUNTED = ("streams", "listeners")


def _counts() -> dict[str, Count]:
    return {"streams": Count("pk", distinct=True), "listeners": Count("user_id", distinct=True)}


def _row(rows: dict, model, field: str, key: int, day: datetime.date):
    """The row of `key` in `rows`, a new `model` row of the day when there is none yet."""
    if key not in rows:
        rows[key] = model(**{field: key}, day=day)
    return rows[key]


@transaction.atomic
def insights_build_day(*, day: datetime.date) -> dict[str, int]:
    """Recompute one UTC day of every insights aggregate (idempotent upsert).

    Streams are the plays playback counts as streams (`playback.selectors`); an artist's
    tracks are those it is credited on as primary or featured artist. Saves, follows and
    playlist adds are the library rows created that day that still exist. Each table is
    built by its own function; none of them reads another's table.
    """
    of_day = _Day.of(day)
    artists = _artist_stats_build(of_day)
    _artist_countries_build(of_day)
    _artist_sources_build(of_day)
    _artist_audience_build(of_day)
    playlists = _artist_playlists_build(of_day)
    tracks = _track_stats_build(of_day)
    labels = _label_stats_build(of_day)
    insights.insights_cache_invalidate()
    transaction.on_commit(insights.insights_cache_invalidate)
    return {"artists": artists, "tracks": tracks, "labels": labels, "playlists": playlists}


def _artist_stats_build(of_day: _Day) -> int:
    """ArtistDailyStats: streams, listeners, saves, playlist adds, follows and followers."""
    rows: dict[int, ArtistDailyStats] = {}

    def row(artist_id: int) -> ArtistDailyStats:
        return _row(rows, ArtistDailyStats, "artist_id", artist_id, of_day.day)

    for found in _grouped(of_day.credited, (_ARTIST,), **_counts()):
        artist_row = row(found[_ARTIST])
        artist_row.streams, artist_row.listeners = found["streams"], found["listeners"]
    saved = of_day.added(SavedTrack, track__credits__role__in=CREDITED_ROLES)
    for found in _grouped(saved, (_ARTIST,), n=Count("pk", distinct=True)):
        row(found[_ARTIST]).saves = found["n"]
    added = of_day.added(PlaylistItem, track__credits__role__in=CREDITED_ROLES)
    for found in _grouped(added, (_ARTIST,), n=Count("pk", distinct=True)):
        row(found[_ARTIST]).playlist_adds = found["n"]
    follows = FollowedArtist.objects.filter(
        followed_at__gte=of_day.start, followed_at__lt=of_day.end
    )
    for found in _grouped(follows, ("artist_id",), n=Count("pk")):
        row(found["artist_id"]).follows = found["n"]
    for found in _grouped(
        FollowedArtist.objects.filter(followed_at__lt=of_day.end, artist_id__in=list(rows)),
        ("artist_id",),
        n=Count("pk"),
    ):
        row(found["artist_id"]).followers = found["n"]
    _replace_day(
        ArtistDailyStats,
        of_day.day,
        list(rows.values()),
        ("artist_id",),
        ("streams", "listeners", "saves", "follows", "followers", "playlist_adds"),
    )
    return len(rows)


def _artist_countries_build(of_day: _Day) -> None:
    rows = [
        ArtistDailyCountry(
            artist_id=found[_ARTIST],
            day=of_day.day,
            country=found["country"],
            **{k: found[k] for k in _COUNTED},
        )
        for found in _grouped(of_day.credited, (_ARTIST, "country"), **_counts())
    ]
    _replace_day(ArtistDailyCountry, of_day.day, rows, ("artist_id", "country"), _COUNTED)


def _artist_sources_build(of_day: _Day) -> None:
    rows = [
        ArtistDailySource(
            artist_id=found[_ARTIST],
            day=of_day.day,
            source=found["context_type"],
            **{k: found[k] for k in _COUNTED},
        )
        for found in _grouped(of_day.credited, (_ARTIST, "context_type"), **_counts())
    ]
    _replace_day(ArtistDailySource, of_day.day, rows, ("artist_id", "source"), _COUNTED)


def _artist_audience_build(of_day: _Day) -> None:
    # Listeners of different birth years are different people: per-year counts add up.
    audience: dict[tuple[int, str], ArtistDailyAudience] = {}
    for found in _grouped(of_day.credited, (_ARTIST, "user__birth_year"), **_counts()):
        group = _age_group(found["user__birth_year"], of_day.day)
        key = (found[_ARTIST], group)
        row = audience.setdefault(
            key, ArtistDailyAudience(artist_id=key[0], day=of_day.day, age_group=group)
        )
        row.streams += found["streams"]
        row.listeners += found["listeners"]
    _replace_day(
        ArtistDailyAudience,
        of_day.day,
        list(audience.values()),
        ("artist_id", "age_group"),
        _COUNTED,
    )


def _artist_playlists_build(of_day: _Day) -> int:
    """ArtistDailyPlaylist: streams from playlists that still exist (by the play's context)."""
    playlist_ids = set()
    playlist_found = []
    for found in _grouped(
        of_day.credited.filter(
            context_type__in=[
                PlayEvent.Context.PLAYLIST,
                PlayEvent.Context.EDITORIAL,
                PlayEvent.Context.PERSONALISED,
            ]
        ).exclude(context_id=""),
        (_ARTIST, "context_id"),
        **_counts(),
    ):
        if found["context_id"].isdigit() and len(found["context_id"]) < 19:
            playlist_ids.add(int(found["context_id"]))
            playlist_found.append(found)
    existing = set(
        Playlist.objects.filter(pk__in=playlist_ids).values_list("pk", flat=True).iterator()
    )
    rows = [
        ArtistDailyPlaylist(
            artist_id=found[_ARTIST],
            day=of_day.day,
            playlist_id=int(found["context_id"]),
            streams=found["streams"],
            listeners=found["listeners"],
        )
        for found in playlist_found
        if int(found["context_id"]) in existing
    ]
    _replace_day(ArtistDailyPlaylist, of_day.day, rows, ("artist_id", "playlist_id"), _COUNTED)
    return len(rows)


def _track_stats_build(of_day: _Day) -> int:
    rows: dict[int, TrackDailyStats] = {}

    def row(track_id: int) -> TrackDailyStats:
        return _row(rows, TrackDailyStats, "track_id", track_id, of_day.day)

    for found in _grouped(of_day.streams, ("track_id",), **_counts()):
        track_row = row(found["track_id"])
        track_row.streams, track_row.listeners = found["streams"], found["listeners"]
    for found in _grouped(of_day.added(SavedTrack), ("track_id",), n=Count("pk")):
        row(found["track_id"]).saves = found["n"]
    for found in _grouped(of_day.added(PlaylistItem), ("track_id",), n=Count("pk")):
        row(found["track_id"]).playlist_adds = found["n"]
    _replace_day(
        TrackDailyStats,
        of_day.day,
        list(rows.values()),
        ("track_id",),
        ("streams", "listeners", "saves", "playlist_adds"),
    )
    return len(rows)


def _label_stats_build(of_day: _Day) -> int:
    rows: dict[int, LabelDailyStats] = {}

    def row(label_id: int) -> LabelDailyStats:
        return _row(rows, LabelDailyStats, "label_id", label_id, of_day.day)

    labelled = {"track__release__label__isnull": False}
    for found in _grouped(of_day.streams.filter(**labelled), (_LABEL,), **_counts()):
        label_row = row(found[_LABEL])
        label_row.streams, label_row.listeners = found["streams"], found["listeners"]
    for found in _grouped(of_day.added(SavedTrack, **labelled), (_LABEL,), n=Count("pk")):
        row(found[_LABEL]).saves = found["n"]
    for found in _grouped(of_day.added(PlaylistItem, **labelled), (_LABEL,), n=Count("pk")):
        row(found[_LABEL]).playlist_adds = found["n"]
    _replace_day(
        LabelDailyStats,
        of_day.day,
        list(rows.values()),
        ("label_id",),
        ("streams", "listeners", "saves", "playlist_adds"),
    )
    return len(rows)


def insights_build(*, days: Iterable[datetime.date]) -> list[datetime.date]:
    built = sorted(set(days))
    for day in built:
        insights_build_day(day=day)
    return built


def insights_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the UTC days of the last ARTISTS_INSIGHTS_LOOKBACK_HOURS and the days of plays
    received in that time (offline plays arrive late)."""
    now = now or timezone.now()
    hours = settings.ARTISTS_INSIGHTS_LOOKBACK_HOURS
    since = now - datetime.timedelta(hours=hours)
    first, today = _today(since), _today(now)
    days = {first + datetime.timedelta(days=n) for n in range((today - first).days + 1)}
    days.update(playback_selectors.play_days_touched(since=since, now=now))
    return insights_build(days=days)


def insights_rebuild(
    *, since: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """Rebuild every day from `since` (default: the first play) to today."""
    today = _today(now)
    if since is None:
        since = playback_selectors.play_first_day() or today
    days = {since + datetime.timedelta(days=n) for n in range((today - since).days + 1)}
    days.update(
        ArtistDailyStats.objects.filter(day__gte=since).values_list("day", flat=True).distinct()
    )
    return insights_build(days=days)
