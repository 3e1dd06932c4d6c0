import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import router
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Greatest, Power, TruncDate
from django.utils import timezone

from catalog.models import Playlist, Track, TrackArtist
from catalog.selectors import track_genre_ids, track_playable_in, track_windows
from common.paging import page_total
from common.query_shapes import QueryShape
from playback.demo import Catalog
from playback.models import (
    PlayEvent,
    Rendition,
    StreamGrantDay,
    TrackAudio,
    TranscodeJob,
)

# Target bitrate (kbit/s) per quality setting: take the best ready rendition not above it,
# else the smallest above it.
QUALITY_TARGET_KBPS = {"low": 96, "normal": 128, "high": 320}
CODEC_PREFERENCE = ("opus", "aac", "mp3")
_ACCEPT_CODECS = {
    "audio/ogg": "opus",
    "audio/opus": "opus",
    "audio/webm": "opus",
    "audio/mp4": "aac",
    "audio/aac": "aac",
    "audio/x-m4a": "aac",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


def track_playable(*, track_id: int, market: str, now: datetime.datetime | None = None):
    """Whether the track has an open availability window in `market` now; None: no track."""
    return (
        Track.objects.filter(pk=track_id)
        .annotate(playable=track_playable_in(market=market, now=now or timezone.now()))
        .values_list("playable", flat=True)
        .first()
    )


def codecs_for_request(*, format: str | None, accept: str | None) -> list[str]:
    """Codecs in order of preference: the explicit format, else the Accept header's order."""
    if format:
        return [format]
    weighted = []
    for position, item in enumerate((accept or "").split(",")):
        media_type, *params = (part.strip() for part in item.split(";"))
        codec = _ACCEPT_CODECS.get(media_type.lower())
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            elif name.strip() == "codecs" and value.strip('"').lower() in CODEC_PREFERENCE:
                codec = value.strip('"').lower()
        if codec and quality > 0 and codec not in (c for _, _, c in weighted):
            weighted.append((-quality, position, codec))
    codecs = [codec for _, _, codec in sorted(weighted)]
    return codecs or list(CODEC_PREFERENCE)


def rendition_pick(ready: list[Rendition], *, codecs: list[str], quality: str) -> Rendition | None:
    """The best of READY renditions (already loaded) for the codecs (in order) and the
    quality setting."""
    target = QUALITY_TARGET_KBPS[quality]
    for codec in codecs:
        candidates = sorted((r for r in ready if r.codec == codec), key=lambda r: r.bitrate_kbps)
        if not candidates:
            continue
        within = [r for r in candidates if r.bitrate_kbps <= target]
        return within[-1] if within else candidates[0]
    return None


def _rendition_for_stream_shape(p) -> QuerySet:
    listener = get_user_model().objects.filter(pk=p.user_id.int(), is_active=True).order_by()
    country = Subquery(listener.values("country")[:1])
    return (
        Rendition.objects.filter(
            pk=p.rendition_id.int(), track_id=p.track_id.int(), state=Rendition.State.READY
        )
        .order_by()  # one row by primary key: no join to the models' default orderings
        .annotate(
            listener_country=country,
            playable=track_playable_in(market=country, now=p.now.datetime(), track_ref="track_id"),
        )
        .values(*_RENDITION_COLUMNS, "listener_country", "playable")[:1]
    )


_RENDITION_COLUMNS = [field.attname for field in Rendition._meta.concrete_fields]
# Checked on every stream request: its SQL is compiled once per process.
_RENDITION_FOR_STREAM = QueryShape(_rendition_for_stream_shape)


def rendition_for_stream(
    *, rendition_id: int, track_id: int, user_id: int, now: datetime.datetime | None = None
) -> Rendition | None:
    """One query: the READY rendition, annotated with the listener's country (None when the
    listener is gone or inactive) and whether the track is playable there now."""
    rows = _RENDITION_FOR_STREAM.rows(
        model=Rendition,
        rendition_id=rendition_id,
        track_id=track_id,
        user_id=user_id,
        now=now or timezone.now(),
    )
    if not rows:
        return None
    row = rows[0]
    rendition = Rendition.from_db(
        router.db_for_read(Rendition) or "default",
        _RENDITION_COLUMNS,
        [row[name] for name in _RENDITION_COLUMNS],
    )
    rendition.listener_country = row["listener_country"]
    rendition.playable = row["playable"]
    return rendition


def track_get(*, track_id: int) -> Track | None:
    return Track.objects.filter(pk=track_id).first()


def track_audio_get(*, track_id: int) -> TrackAudio | None:
    return TrackAudio.objects.filter(track_id=track_id).first()


def transcode_job_latest(*, track_id: int) -> TranscodeJob | None:
    return TranscodeJob.objects.filter(track_id=track_id).order_by("-created_at", "-id").first()


def play_history_list(
    *,
    user_id: int,
    limit: int,
    before: datetime.datetime | None = None,
    after: datetime.datetime | None = None,
) -> list[PlayEvent]:
    """The user's plays newest first (`after`: the oldest `limit` after it, still newest first)."""
    credits = TrackArtist.objects.filter(
        role__in=[TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED]
    ).select_related("artist")
    events = (
        PlayEvent.objects.filter(user_id=user_id)
        .exclude(verdict=PlayEvent.Verdict.REFUSED)
        .select_related("track__release")
    )
    events = events.prefetch_related(Prefetch("track__credits", queryset=credits))
    if after is not None:
        page = list(events.filter(ended_at__gt=after).order_by("ended_at", "id")[:limit])
        return page[::-1]
    if before is not None:
        events = events.filter(ended_at__lt=before)
    return list(events.order_by("-ended_at", "-id")[:limit])


def play_history_exists(*, user_id: int, before=None, after=None) -> bool:
    events = PlayEvent.objects.filter(user_id=user_id).exclude(verdict=PlayEvent.Verdict.REFUSED)
    if before is not None:
        events = events.filter(ended_at__lt=before)
    if after is not None:
        events = events.filter(ended_at__gt=after)
    return events.exists()


def demo_catalog(
    *,
    tastes: dict[int, tuple[int, ...]] | None = None,
    shares: dict[int, float] | None = None,
) -> Catalog:
    """Active users, tracks, primary artists, user/editorial playlists, availability
    windows and genres, for demo history."""
    users = [
        (pk, str(country))
        for pk, country in get_user_model()
        .objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "country")
    ]
    tracks = list(Track.objects.order_by("pk").values_list("pk", "release_id", "duration_ms"))
    primary = dict(
        TrackArtist.objects.filter(role=TrackArtist.Role.PRIMARY)
        .order_by("-position", "-pk")
        .values_list("track_id", "artist_id")
    )
    playlists = list(Playlist.objects.order_by("pk").values_list("pk", flat=True)[:500])
    return Catalog(
        users=users,
        tracks=tracks,
        primary_artist=primary,
        playlists=playlists,
        windows=track_windows(),
        genres=track_genre_ids(),
        tastes=tastes or {},
        shares=shares or {},
    )


# Top items (`/me/top/...`): streams (plays of 30 s or more) within a time range.

TOP_TIME_RANGE_DAYS = {"short_term": 28, "medium_term": 182, "long_term": 365}


def _streams_since(*, user_id: int, since: datetime.datetime) -> QuerySet[PlayEvent]:
    return PlayEvent.objects.filter(
        user_id=user_id, ended_at__gte=since, verdict=PlayEvent.Verdict.STREAM
    ).order_by()


def top_track_ids(
    *, user_id: int, since: datetime.datetime, limit: int, offset: int
) -> tuple[list[int], int]:
    """The user's most streamed tracks since `since` (a page of ids) and how many there are."""
    grouped = (
        _streams_since(user_id=user_id, since=since)
        .values("track_id")
        .annotate(streams=Count("id"))
        .order_by("-streams", "track_id")
    )
    page = [row["track_id"] for row in grouped[offset : offset + limit]]
    total = page_total(grouped, shown=len(page), offset=offset, limit=limit)
    return page, total


def top_artist_ids(
    *, user_id: int, since: datetime.datetime, limit: int, offset: int
) -> tuple[list[int], int]:
    """The artists the user streamed most since `since` (a page of ids) and how many."""
    streams = (
        _streams_since(user_id=user_id, since=since)
        .filter(track__credits__role__in=[TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED])
        .values("track__credits__artist_id")
        .annotate(streams=Count("id"))
        .order_by("-streams", "track__credits__artist_id")
    )
    page = [row["track__credits__artist_id"] for row in streams[offset : offset + limit]]
    total = page_total(streams, shown=len(page), offset=offset, limit=limit)
    return page, total


# The one definition of what counts, read by every aggregate (daily counts here, artist
# insights, editorial stats, and through the daily counts, royalties and recommendations).

COUNTED_VERDICTS = (PlayEvent.Verdict.STREAM, PlayEvent.Verdict.PLAY)
IS_STREAM = Q(verdict=PlayEvent.Verdict.STREAM)


def plays_counted(*, start: datetime.datetime, end: datetime.datetime) -> QuerySet[PlayEvent]:
    """Plays that count (streams and skips) ending in [start, end); refused ones never."""
    return PlayEvent.objects.filter(
        ended_at__gte=start, ended_at__lt=end, verdict__in=COUNTED_VERDICTS
    ).order_by()


def streams_counted(*, start: datetime.datetime, end: datetime.datetime) -> QuerySet[PlayEvent]:
    """Plays that count as streams ending in [start, end)."""
    return PlayEvent.objects.filter(
        ended_at__gte=start, ended_at__lt=end, verdict=PlayEvent.Verdict.STREAM
    ).order_by()


def play_days_touched(
    *, since: datetime.datetime, now: datetime.datetime | None = None
) -> set[datetime.date]:
    """UTC days of the counted plays received since `since`: the days aggregates rebuild.

    Counted plays end within a week of their arrival, so this is a handful of days whatever
    timestamps clients send.
    """
    now = now or timezone.now()
    days = (
        PlayEvent.objects.filter(received_at__gte=since, verdict__in=COUNTED_VERDICTS)
        .annotate(day=TruncDate("ended_at", tzinfo=datetime.UTC))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    latest = (now + datetime.timedelta(days=1)).astimezone(datetime.UTC).date()
    return {day for day in days if day is not None and day <= latest}


def play_first_day() -> datetime.date | None:
    """The UTC day of the earliest counted play."""
    first = (
        PlayEvent.objects.filter(verdict__in=COUNTED_VERDICTS)
        .order_by("ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    return first.astimezone(datetime.UTC).date() if first else None


def play_last_day() -> datetime.date | None:
    last = (
        PlayEvent.objects.filter(verdict__in=COUNTED_VERDICTS)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    return last.astimezone(datetime.UTC).date() if last else None


# Fraud report


def _suspicion(events: QuerySet[PlayEvent], keys: tuple[str, ...], *, min_plays: int, limit: int):
    share = Cast(F("refused"), FloatField()) / Cast(F("plays"), FloatField())
    rows = list(
        events.values(*keys)
        .annotate(
            plays=Count("pk"),
            refused=Count("pk", filter=Q(verdict=PlayEvent.Verdict.REFUSED)),
        )
        .filter(plays__gte=min_plays, refused__gt=0)
        .annotate(share=share)
        .order_by("-share", "-refused", keys[0])[:limit]
    )
    if rows:
        reasons: dict = {}
        for found in (
            events.filter(verdict=PlayEvent.Verdict.REFUSED, **{
                f"{keys[0]}__in": [row[keys[0]] for row in rows]
            })
            .values(keys[0], "reason")
            .annotate(n=Count("pk"))
            .order_by(keys[0], "-n", "reason")
        ):  # fmt: skip
            reasons.setdefault(found[keys[0]], []).append((found["reason"], found["n"]))
        for row in rows:
            row["reasons"] = reasons.get(row[keys[0]], [])
    return rows


def fraud_report(
    *, since: datetime.datetime, limit: int = 20, min_plays: int = 5
) -> dict[str, list[dict]]:
    """Accounts, tracks and client addresses ranked by their share of refused plays among
    the plays received since `since` (at least `min_plays` of them, one refused at least).

    Each row: the key fields, `plays`, `refused`, `share` (0..1) and `reasons`, a list of
    (reason, count), most frequent first.
    """
    events = PlayEvent.objects.filter(received_at__gte=since).order_by()
    return {
        "accounts": _suspicion(
            events, ("user_id", "user__email"), min_plays=min_plays, limit=limit
        ),
        "tracks": _suspicion(
            events, ("track_id", "track__title"), min_plays=min_plays, limit=limit
        ),
        "addresses": _suspicion(
            events.exclude(address=None), ("address",), min_plays=min_plays, limit=limit
        ),
    }


def _with_audio_state(tracks: QuerySet[Track]) -> QuerySet[Track]:
    latest_job = TranscodeJob.objects.filter(
        track_id=OuterRef("pk"), source_sha256=OuterRef("source_sha256")
    ).order_by("-created_at", "-id")
    return tracks.annotate(
        has_ready=Exists(
            Rendition.objects.filter(track_id=OuterRef("pk"), state=Rendition.State.READY)
        ),
        job_state=Subquery(latest_job.values("state")[:1]),
    )


def track_audio_statuses(*, track_ids) -> dict[int, str]:
    """Where each track's audio stands (`Track.AudioStatus` values), in one query: ready
    when a rendition plays, failed when its original's job failed, processing while it has
    an original on its way, none without one."""
    rows = _with_audio_state(Track.objects.filter(pk__in=list(track_ids))).values_list(
        "pk", "source_file", "has_ready", "job_state"
    )
    statuses = {}
    for pk, source_file, has_ready, job_state in rows:
        if has_ready:
            statuses[pk] = Track.AudioStatus.READY
        elif not source_file:
            statuses[pk] = Track.AudioStatus.NONE
        elif job_state == TranscodeJob.State.FAILED:
            statuses[pk] = Track.AudioStatus.FAILED
        else:
            statuses[pk] = Track.AudioStatus.PROCESSING
    return statuses


@dataclass(frozen=True)
class TranscodeProgress:
    """Tracks with an original: `ready` play (the default rendition first), `complete` have
    every rendition, `failed` did not pass the decode, `pending` are still queued or running."""

    total: int
    ready: int
    complete: int
    failed: int
    pending: int

    def __str__(self) -> str:
        text = f"{self.ready} of {self.total} tracks ready"
        if self.failed:
            text += f", {self.failed} failed"
        if self.pending:
            text += f", {self.pending} pending"
        return text


def transcode_progress() -> TranscodeProgress:
    """One query over every track with an original, for the console and the player."""
    tracks = _with_audio_state(Track.objects.exclude(source_file="").exclude(source_file=None))
    counts = tracks.aggregate(
        total=Count("pk"),
        ready=Count("pk", filter=Q(has_ready=True)),
        complete=Count("pk", filter=Q(job_state=TranscodeJob.State.READY)),
        failed=Count("pk", filter=Q(has_ready=False, job_state=TranscodeJob.State.FAILED)),
    )
    return TranscodeProgress(
        total=counts["total"],
        ready=counts["ready"],
        complete=counts["complete"],
        failed=counts["failed"],
        pending=counts["total"] - counts["ready"] - counts["failed"],
    )


def release_ids_played(*, user_id: int, order: str) -> QuerySet:
    """Ids of the releases the user played: "frequent" (most plays first) or "recent"."""
    plays = (
        PlayEvent.objects.filter(user_id=user_id)
        .values("track__release_id")
        .annotate(plays=Count("id"), last=Max("ended_at"))
    )
    ordering = ("-plays", "-last") if order == "frequent" else ("-last",)
    return plays.order_by(*ordering).values_list("track__release_id", flat=True)


def track_play_counts(*, user_id: int, track_ids: list[int]) -> dict[int, int]:
    """How many times the user played each of the tracks (missing: never)."""
    if not track_ids:
        return {}
    return dict(
        PlayEvent.objects.filter(user_id=user_id, track_id__in=track_ids)
        .values("track_id")
        .annotate(n=Count("id"))
        .values_list("track_id", "n")
    )


def renditions_ready() -> QuerySet[Rendition]:
    """READY renditions, to prefetch on tracks (`Prefetch("renditions", ...)`)."""
    return Rendition.objects.filter(state=Rendition.State.READY).order_by("bitrate_kbps", "id")


def now_playing_list(*, user_id: int) -> list[dict]:
    """What the user's players reported as playing (`now_playing_set`), newest first."""
    return sorted(
        (cache.get(now_playing_key(user_id)) or {}).values(),
        key=lambda entry: entry["at"],
        reverse=True,
    )


def now_playing_position_ms(*, entry: dict, now: datetime.datetime) -> int | None:
    """The position now of a reported entry (None without a report): as reported, plus the
    time since x its rate while starting or playing, within the track."""
    if "position_ms" not in entry:
        return None
    position = entry["position_ms"]
    if entry.get("state") in ("starting", "playing"):
        elapsed_ms = max(0.0, (now - entry["at"]).total_seconds() * 1000)
        position += int(elapsed_ms * entry.get("playback_rate", 1.0))
    duration = entry.get("duration_ms") or 0
    return min(position, duration) if duration else position


def now_playing_key(user_id: int) -> str:
    return f"playback:now-playing:{user_id}"


# ReplayGain 2.0's reference level: a track at -18 LUFS needs no gain.
REPLAYGAIN_REFERENCE_LUFS = -18.0


@dataclass(frozen=True)
class Loudness:
    """A track's measured loudness (EBU R128) and its album's, with ReplayGain 2.0 values:
    gains in dB to the -18 LUFS reference, peaks as linear amplitudes (1.0 = full scale).
    None where the audio was not analysed yet."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    album_integrated_lufs: float | None
    album_true_peak_dbtp: float | None

    @staticmethod
    def _gain(lufs):
        return None if lufs is None else round(REPLAYGAIN_REFERENCE_LUFS - lufs, 2)

    @staticmethod
    def _peak(dbtp):
        return None if dbtp is None else round(10 ** (dbtp / 20), 6)

    def as_dict(self) -> dict:
        return {
            "integrated_lufs": self.integrated_lufs,
            "true_peak_dbtp": self.true_peak_dbtp,
            "album_integrated_lufs": self.album_integrated_lufs,
            "album_true_peak_dbtp": self.album_true_peak_dbtp,
            "replaygain_track_gain": self._gain(self.integrated_lufs),
            "replaygain_track_peak": self._peak(self.true_peak_dbtp),
            "replaygain_album_gain": self._gain(self.album_integrated_lufs),
            "replaygain_album_peak": self._peak(self.album_true_peak_dbtp),
        }


LOUDNESS_UNKNOWN = Loudness(None, None, None, None)


def loudness_of(*, track_ids: Iterable[int]) -> dict[int, Loudness]:
    """The loudness of each analysed track among `track_ids` and of its release, in one
    query over those releases' analysed tracks. An album's loudness is the
    duration-weighted energy mean of its tracks (as if measured in one piece), its peak
    the highest of theirs. Tracks not analysed yet are missing from the answer."""
    ids = list(track_ids)
    rows = TrackAudio.objects.filter(
        track__release_id__in=Track.objects.filter(pk__in=ids).values("release_id"),
        loudness_lufs__isnull=False,
    ).values_list("track_id", "track__release_id", "loudness_lufs", "true_peak_dbtp", "duration_ms")
    by_release: dict[int, list] = {}
    for row in rows:
        by_release.setdefault(row[1], []).append(row)
    albums = {}
    for release_id, tracks in by_release.items():
        weights = sum(max(row[4], 1) for row in tracks)
        energy = sum(max(row[4], 1) * 10 ** (row[2] / 10) for row in tracks) / weights
        peaks = [row[3] for row in tracks if row[3] is not None]
        albums[release_id] = (round(10 * math.log10(energy), 2), max(peaks) if peaks else None)
    wanted = set(ids)
    return {
        row[0]: Loudness(
            integrated_lufs=row[2],
            true_peak_dbtp=row[3],
            album_integrated_lufs=albums[row[1]][0],
            album_true_peak_dbtp=albums[row[1]][1],
        )
        for tracks in by_release.values()
        for row in tracks
        if row[0] in wanted
    }


def _album_loudness(energy: float | None, weight: int | None) -> float | None:
    """The album's integrated loudness from its tracks' duration-weighted energy sum."""
    return round(10 * math.log10(energy / weight), 2) if weight else None


# Issuing a stream URL: the facts about one track for one listener, in one statement.


@dataclass(frozen=True)
class StreamFacts:
    """Whether the track plays in the market now, whether the listener's grant for the day
    is recorded already, its READY renditions and its loudness (`loudness_of`'s values)."""

    playable: bool
    granted: bool
    ready: list[Rendition]
    loudness: Loudness


def _stream_facts_shape(p) -> QuerySet:
    track_id = p.track_id.int()
    # The album's analysed tracks, summed as `loudness_of` does (the log in Python). The
    # subqueries depend on parameters only, so PostgreSQL runs each once per statement.
    weight = Greatest(F("duration_ms"), Value(1))
    album = (
        TrackAudio.objects.filter(
            track__release_id=Subquery(
                Track.objects.filter(pk=track_id).order_by().values("release_id")[:1]
            ),
            loudness_lufs__isnull=False,
        )
        .order_by()
        .values("track__release_id")
        .annotate(
            energy=Sum(weight * Power(Value(10.0), F("loudness_lufs") / Value(10.0))),
            weight=Sum(weight),
            peak=Max("true_peak_dbtp"),
        )
    )
    granted = StreamGrantDay.objects.filter(
        user_id=p.user_id.int(), track_id=track_id, day=p.day.date()
    )
    return (
        Track.objects.filter(pk=track_id)
        .order_by()
        .annotate(
            ready=FilteredRelation(
                "renditions", condition=Q(renditions__state=Rendition.State.READY)
            ),
            playable=track_playable_in(market=p.market.str(), now=p.now.datetime()),
            granted=Exists(granted),
            album_energy=Subquery(album.values("energy")),
            album_weight=Subquery(album.values("weight")),
            album_peak=Subquery(album.values("peak")),
        )
        .values(
            *(f"ready__{name}" for name in _RENDITION_COLUMNS),
            "audio__loudness_lufs",
            "audio__true_peak_dbtp",
            "playable",
            "granted",
            "album_energy",
            "album_weight",
            "album_peak",
        )
    )


# Read on every stream URL issued: its SQL is compiled once per process.
_STREAM_FACTS = QueryShape(_stream_facts_shape)


def stream_facts(
    *,
    track_id: int,
    market: str,
    user_id: int,
    day: datetime.date,
    now: datetime.datetime | None = None,
) -> StreamFacts | None:
    """One query (None: no such track): availability in `market` now, whether the
    listener's StreamGrantDay for `day` exists, the READY renditions and the loudness."""
    rows = _STREAM_FACTS.rows(
        model=Track,
        track_id=track_id,
        market=market,
        user_id=user_id,
        day=day,
        now=now or timezone.now(),
    )
    if not rows:
        return None
    alias = router.db_for_read(Rendition) or "default"
    ready = [
        Rendition.from_db(
            alias, _RENDITION_COLUMNS, [row[f"ready__{c}"] for c in _RENDITION_COLUMNS]
        )
        for row in rows
        if row["ready__id"] is not None
    ]
    row = rows[0]
    loudness = LOUDNESS_UNKNOWN
    if row["audio__loudness_lufs"] is not None:  # analysed (`loudness_of`: else unknown)
        loudness = Loudness(
            integrated_lufs=row["audio__loudness_lufs"],
            true_peak_dbtp=row["audio__true_peak_dbtp"],
            album_integrated_lufs=_album_loudness(row["album_energy"], row["album_weight"]),
            album_true_peak_dbtp=row["album_peak"],
        )
    return StreamFacts(
        playable=bool(row["playable"]), granted=bool(row["granted"]), ready=ready, loudness=loudness
    )
