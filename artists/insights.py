"""Reads of the dashboard's insights: only daily aggregates, never raw play events.

Every function takes a `Period` (whole UTC days, both ends included) and returns plain
JSON-ready data for the API (dates as ISO strings), cached until the next rebuild.
Listeners are unique per day; over a period the breakdowns give `listener_days` (a
listener counts once per day), because unique listeners over a range cannot be added up
from days. City data does not exist (plays record the listener's market only), so the API
says so instead of inventing it.
"""

import contextlib
import datetime
import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from artists.models import (
    ArtistDailyAudience,
    ArtistDailyCountry,
    ArtistDailyPlaylist,
    ArtistDailySource,
    ArtistDailyStats,
    LabelDailyStats,
    TrackDailyStats,
)
from artists.selectors import CREDITED_ROLES, roster_artist_ids
from catalog.models import Artist, Playlist, Track, TrackArtist
from common.errors import ValidationFailed
from playback.models import DailyTrackStreams

logger = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 28
MAX_PERIOD_DAYS = 732  # two years with a leap day, both ends included
DEFAULT_TOP = 10
MAX_TOP = 50
CITIES_NOTE = "No city data: plays record the listener's country (market) only."
GENDER_NOTE = "Listeners are not asked for their gender."

# Dashboard sources -> playback's play contexts.
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "editorial": ("Editorial playlists", ("editorial",)),
    "personalised": (
        "Personalised playlists (Discover Weekly, Release Radar...)",
        ("personalised",),
    ),
    "library": ("Listeners' own library and playlists", ("collection", "playlist")),
    "search": ("Search", ("search",)),
    "artist_page": ("Artist profile and catalogue", ("artist", "album")),
    "other": ("Other", ("other",)),
}


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterable[datetime.date]:
        return (self.start + datetime.timedelta(days=n) for n in range(self.days))

    def q(self, field: str = "day") -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lte": self.end})

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


# Results are cached until the aggregates are rebuilt (`insights_cache_invalidate`, called
# by the build) or CACHE_SECONDS pass: with a per-process cache (no Redis) another
# process's rebuild is seen after at most that long.
CACHE_SECONDS = 600
GENERATION_KEY = "artists:insights:generation"


def insights_cache_invalidate() -> None:
    try:
        cache.set(GENERATION_KEY, time.time_ns(), None)
    except Exception:  # the cache is an optimisation; entries expire anyway
        logger.warning("Insights cache unreachable; cached results expire by themselves.")


def _key_part(value) -> str:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Period):
        return f"{value.start}:{value.end}"
    if isinstance(value, list | tuple | set):
        return ",".join(str(v) for v in sorted(value))
    return str(value)


def cached(function):
    """Cache a read by its arguments, tagged with the aggregates' generation."""

    @functools.wraps(function)
    def read(**kwargs):
        parts = ":".join(f"{name}={_key_part(kwargs[name])}" for name in sorted(kwargs))
        key = f"artists:insights:{function.__name__}:{parts}"
        try:
            found = cache.get_many([GENERATION_KEY, key])
        except Exception:  # cache down: read the aggregates
            logger.warning("Insights cache unreachable; reading the aggregates.")
            return function(**kwargs)
        generation = found.get(GENERATION_KEY, 0)
        stored = found.get(key)
        if stored is not None and stored[0] == generation:
            return stored[1]
        result = function(**kwargs)
        with contextlib.suppress(Exception):
            cache.set(key, (generation, result), CACHE_SECONDS)
        return result

    return read


def _date(name: str, raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"Invalid {name}: {raw[:20]!r}. Use YYYY-MM-DD.") from None


def period_from_params(
    *, start: str | None, end: str | None, today: datetime.date | None = None
) -> Period:
    """The period of `start`..`end` (ISO dates); default: the last 28 days up to today UTC."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    end_day = _date("end", end) if end else today
    start_day = (
        _date("start", start) if start else end_day - datetime.timedelta(DEFAULT_PERIOD_DAYS - 1)
    )
    if start_day > end_day:
        raise ValidationFailed(f"The period starts ({start_day}) after it ends ({end_day}).")
    period = Period(start_day, end_day)
    if period.days > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            f"The period is {period.days} days long; the limit is {MAX_PERIOD_DAYS} days."
        )
    return period


def limit_from_param(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_TOP
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise ValidationFailed(f"Invalid limit: must be an integer between 1 and {MAX_TOP}.")
    return int(raw)


def _share(part: int, total: int) -> float:
    return round(part / total, 4) if total else 0.0


# Daily series (artists, tracks, labels)


def _daily_rows(queryset: QuerySet, fields: tuple[str, ...]) -> dict[datetime.date, dict]:
    """Rows by day; several rows of one day (a party with several labels) are added."""
    rows: dict[datetime.date, dict] = {}
    for values in queryset.order_by().values_list("day", *fields):
        day, numbers = values[0], values[1:]
        row = rows.get(day)
        if row is None:
            rows[day] = dict(zip(fields, numbers, strict=True))
        else:
            for field, number in zip(fields, numbers, strict=True):
                row[field] += number
    return rows


def _overview(rows: dict[datetime.date, dict], period: Period, fields: tuple[str, ...]) -> dict:
    totals = {field: sum(row[field] for row in rows.values()) for field in fields}
    peak_day = max(rows, key=lambda day: (rows[day]["listeners"], day), default=None)
    peak = rows[peak_day]["listeners"] if peak_day else 0
    totals["listeners"] = {
        "daily_average": round(totals["listeners"] / period.days, 2),
        "peak": peak,
        "peak_day": peak_day.isoformat() if peak else None,
    }
    return totals


def _timeline(
    rows: dict[datetime.date, dict],
    period: Period,
    fields: tuple[str, ...],
    carry: dict[str, int] | None = None,
) -> list[dict]:
    """One entry per day of the period, zeros where nothing happened; `carry` fields are
    running totals that keep their last value, starting from the given one."""
    last = dict(carry or {})
    days = []
    for day in period.dates():
        row = rows.get(day)
        entry = {"day": day.isoformat()}
        for field in fields:
            if field in last:
                if row is not None:
                    last[field] = row[field]
                entry[field] = last[field]
            else:
                entry[field] = row[field] if row is not None else 0
        days.append(entry)
    return days


# Artist

ARTIST_FIELDS = ("streams", "listeners", "saves", "follows", "followers", "playlist_adds")


def _artist_rows(artist: Artist, period: Period) -> dict[datetime.date, dict]:
    return _daily_rows(ArtistDailyStats.objects.filter(period.q(), artist=artist), ARTIST_FIELDS)


def _followers_before(artist: Artist, day: datetime.date) -> int:
    return (
        ArtistDailyStats.objects.filter(artist=artist, day__lt=day)
        .order_by("-day")
        .values_list("followers", flat=True)
        .first()
        or 0
    )


def _followers_at_end(artist: Artist, rows: dict, period: Period) -> int:
    if rows:
        return rows[max(rows)]["followers"]
    return _followers_before(artist, period.start)


@cached
def artist_overview(*, artist: Artist, period: Period) -> dict:
    rows = _artist_rows(artist, period)
    totals = _overview(rows, period, ("streams", "listeners", "saves", "follows", "playlist_adds"))
    return {
        **period.as_dict(),
        "streams": totals["streams"],
        "listeners": totals["listeners"],
        "saves": totals["saves"],
        "followers": {
            "gained": totals["follows"],
            "total": _followers_at_end(artist, rows, period),
        },
        "playlist_adds": totals["playlist_adds"],
    }


@cached
def artist_timeline(*, artist: Artist, period: Period) -> dict:
    rows = _artist_rows(artist, period)
    followers = 0 if period.start in rows else _followers_before(artist, period.start)
    days = _timeline(rows, period, ARTIST_FIELDS, carry={"followers": followers})
    return {**period.as_dict(), "items": days}


def _breakdown(queryset: QuerySet, key: str) -> list[dict]:
    found = list(
        queryset.order_by()
        .values(key)
        .annotate(streams=Sum("streams"), listener_days=Sum("listeners"))
        .order_by("-streams", key)
    )
    total = sum(row["streams"] for row in found)
    return [{**row, "share": _share(row["streams"], total)} for row in found]


@cached
def artist_countries(*, artist: Artist, period: Period) -> dict:
    countries = _breakdown(ArtistDailyCountry.objects.filter(period.q(), artist=artist), "country")
    return {**period.as_dict(), "countries": countries, "cities": None, "cities_note": CITIES_NOTE}


def _sources(by_context: dict[str, dict]) -> list[dict]:
    total = sum(row["streams"] for row in by_context.values())
    sources = []
    for key, (label, contexts) in SOURCES.items():
        streams = sum(by_context.get(c, {}).get("streams", 0) for c in contexts)
        listener_days = sum(by_context.get(c, {}).get("listener_days", 0) for c in contexts)
        sources.append(
            {
                "source": key,
                "label": label,
                "contexts": list(contexts),
                "streams": streams,
                "listener_days": listener_days,
                "share": _share(streams, total),
            }
        )
    return sorted(sources, key=lambda row: -row["streams"])


@cached
def artist_sources(*, artist: Artist, period: Period) -> dict:
    rows = _breakdown(ArtistDailySource.objects.filter(period.q(), artist=artist), "source")
    return {**period.as_dict(), "sources": _sources({row["source"]: row for row in rows})}


@cached
def artist_demographics(*, artist: Artist, period: Period) -> dict:
    found = {
        row["age_group"]: row
        for row in _breakdown(
            ArtistDailyAudience.objects.filter(period.q(), artist=artist), "age_group"
        )
    }
    total = sum(row["streams"] for row in found.values())
    age = [
        {
            "age_group": group,
            "streams": found.get(group, {}).get("streams", 0),
            "listener_days": found.get(group, {}).get("listener_days", 0),
            "share": _share(found.get(group, {}).get("streams", 0), total),
        }
        for group in ArtistDailyAudience.AgeGroup.values
    ]
    return {**period.as_dict(), "age": age, "gender": None, "gender_note": GENDER_NOTE}


def _track_items(rows: list[dict]) -> list[dict]:
    tracks = (
        Track.objects.select_related("release")
        .only("id", "title", "release__id", "release__title")
        .in_bulk([row["track_id"] for row in rows])
    )
    items = []
    for row in rows:
        track = tracks.get(row["track_id"])
        if track is None:
            continue
        items.append(
            {
                "track": {
                    "id": str(track.pk),
                    "name": track.title,
                    "album": {"id": str(track.release_id), "name": track.release.title},
                },
                "streams": row["streams"],
                "listener_days": row["listener_days"],
                "saves": row["saves"],
                "playlist_adds": row["playlist_adds"],
            }
        )
    return items


def _top_tracks(queryset: QuerySet, limit: int) -> list[dict]:
    rows = list(
        queryset.order_by()
        .values("track_id")
        .annotate(
            streams=Sum("streams"),
            listener_days=Sum("listeners"),
            saves=Sum("saves"),
            playlist_adds=Sum("playlist_adds"),
        )
        .order_by("-streams", "track_id")[:limit]
    )
    return _track_items(rows)


def artist_track_ids(*, artist: Artist) -> QuerySet:
    return TrackArtist.objects.filter(artist=artist, role__in=CREDITED_ROLES).values("track_id")


@cached
def artist_top_tracks(*, artist: Artist, period: Period, limit: int = DEFAULT_TOP) -> dict:
    queryset = TrackDailyStats.objects.filter(
        period.q(), track_id__in=artist_track_ids(artist=artist)
    )
    return {**period.as_dict(), "items": _top_tracks(queryset, limit)}


@cached
def artist_top_playlists(*, artist: Artist, period: Period, limit: int = DEFAULT_TOP) -> dict:
    """Public user and editorial playlists by name; personalised and private playlists
    only as totals (whether a playlist is public is read now, not when it was played)."""
    rows = ArtistDailyPlaylist.objects.filter(period.q(), artist=artist).order_by()
    named = Q(playlist__public=True) & ~Q(playlist__kind=Playlist.Kind.PERSONALISED)
    top = list(
        rows.filter(named)
        .values("playlist_id")
        .annotate(streams=Sum("streams"), listener_days=Sum("listeners"))
        .order_by("-streams", "playlist_id")[:limit]
    )
    playlists = Playlist.objects.only("id", "name", "kind", "owner_id").in_bulk(
        [row["playlist_id"] for row in top]
    )
    items = [
        {
            "playlist": {
                "id": str(row["playlist_id"]),
                "name": playlists[row["playlist_id"]].name,
                "kind": playlists[row["playlist_id"]].kind,
            },
            "streams": row["streams"],
            "listener_days": row["listener_days"],
        }
        for row in top
        if row["playlist_id"] in playlists
    ]
    personalised = rows.filter(playlist__kind=Playlist.Kind.PERSONALISED).aggregate(
        streams=Sum("streams"), listener_days=Sum("listeners")
    )
    private = (
        rows.filter(playlist__public=False)
        .exclude(playlist__kind=Playlist.Kind.PERSONALISED)
        .aggregate(streams=Sum("streams"), listener_days=Sum("listeners"))
    )
    return {
        **period.as_dict(),
        "items": items,
        "other": [
            {
                "kind": "personalised",
                "streams": personalised["streams"] or 0,
                "listener_days": personalised["listener_days"] or 0,
            },
            {
                "kind": "private",
                "streams": private["streams"] or 0,
                "listener_days": private["listener_days"] or 0,
            },
        ],
    }


# Track

TRACK_FIELDS = ("streams", "listeners", "saves", "playlist_adds")


def _track_rows(track: Track, period: Period) -> dict[datetime.date, dict]:
    return _daily_rows(TrackDailyStats.objects.filter(period.q(), track=track), TRACK_FIELDS)


@cached
def track_overview(*, track: Track, period: Period) -> dict:
    return {**period.as_dict(), **_overview(_track_rows(track, period), period, TRACK_FIELDS)}


@cached
def track_timeline(*, track: Track, period: Period) -> dict:
    return {
        **period.as_dict(),
        "items": _timeline(_track_rows(track, period), period, TRACK_FIELDS),
    }


@cached
def track_countries(*, track: Track, period: Period) -> dict:
    countries = _breakdown(DailyTrackStreams.objects.filter(period.q(), track=track), "country")
    return {**period.as_dict(), "countries": countries, "cities": None, "cities_note": CITIES_NOTE}


@cached
def track_sources(*, track: Track, period: Period) -> dict:
    rows = _breakdown(DailyTrackStreams.objects.filter(period.q(), track=track), "source")
    return {**period.as_dict(), "sources": _sources({row["source"]: row for row in rows})}


# Label (a licensing party: the catalog labels it licenses)


def _label_rows(label_ids: list[int], period: Period) -> dict[datetime.date, dict]:
    return _daily_rows(
        LabelDailyStats.objects.filter(period.q(), label_id__in=label_ids), TRACK_FIELDS
    )


@cached
def label_overview(*, label_ids: list[int], period: Period) -> dict:
    rows = _label_rows(label_ids, period)
    return {
        **period.as_dict(),
        **_overview(rows, period, TRACK_FIELDS),
        "roster_size": roster_artist_ids(label_ids=label_ids).count(),
    }


@cached
def label_timeline(*, label_ids: list[int], period: Period) -> dict:
    return {
        **period.as_dict(),
        "items": _timeline(_label_rows(label_ids, period), period, TRACK_FIELDS),
    }


@cached
def label_roster(*, label_ids: list[int], period: Period, limit: int = DEFAULT_TOP) -> dict:
    """The label's artists by streams in the period, of the label's releases only (an
    artist's tracks on other labels are not shown to this label). Listener figures add
    up per track (a listener of two of the artist's tracks counts twice); follows are of
    the artist."""
    roster = roster_artist_ids(label_ids=label_ids)
    artist = "track__credits__artist_id"
    per_day = (
        TrackDailyStats.objects.filter(
            period.q(),
            track__release__label_id__in=label_ids,
            track__credits__role__in=CREDITED_ROLES,
            track__credits__artist_id__in=roster,
        )
        .order_by()
        .values(artist, "day")
        .annotate(streams=Sum("streams"), listeners=Sum("listeners"), saves=Sum("saves"))
    )
    totals: dict[int, dict] = {}
    for row in per_day:
        found = totals.setdefault(
            row[artist],
            {"streams": 0, "listener_days": 0, "peak_listeners": 0, "saves": 0, "follows": 0},
        )
        found["streams"] += row["streams"]
        found["listener_days"] += row["listeners"]
        found["peak_listeners"] = max(found["peak_listeners"], row["listeners"])
        found["saves"] += row["saves"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1]["streams"], item[0]))[:limit]
    follows = dict(
        ArtistDailyStats.objects.filter(period.q(), artist_id__in=[pk for pk, _ in ranked])
        .order_by()
        .values("artist_id")
        .annotate(follows=Sum("follows"))
        .values_list("artist_id", "follows")
    )
    artists = Artist.objects.only("id", "name").in_bulk([pk for pk, _ in ranked])
    items = [
        {
            "artist": {"id": str(pk), "name": artists[pk].name},
            **figures,
            "follows": follows.get(pk) or 0,
        }
        for pk, figures in ranked
        if pk in artists
    ]
    return {**period.as_dict(), "roster_size": roster.count(), "items": items}


@cached
def label_top_tracks(*, label_ids: list[int], period: Period, limit: int = DEFAULT_TOP) -> dict:
    queryset = TrackDailyStats.objects.filter(period.q(), track__release__label_id__in=label_ids)
    return {**period.as_dict(), "items": _top_tracks(queryset, limit)}
