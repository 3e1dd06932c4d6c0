import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Playlist, Track, TrackArtist
from catalog.selectors import track_genre_ids, track_playable_in, track_windows
from playback.demo import Catalog
from playback.models import PlayEvent, Rendition, TrackAudio, TranscodeJob

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


def rendition_choose(*, track_id: int, codecs: list[str], quality: str) -> Rendition | None:
    """The best READY rendition for the codecs (in order) and the quality setting."""
    ready = list(
        Rendition.objects.filter(track_id=track_id, state=Rendition.State.READY, codec__in=codecs)
    )
    target = QUALITY_TARGET_KBPS[quality]
    for codec in codecs:
        candidates = sorted((r for r in ready if r.codec == codec), key=lambda r: r.bitrate_kbps)
        if not candidates:
            continue
        within = [r for r in candidates if r.bitrate_kbps <= target]
        return within[-1] if within else candidates[0]
    return None


def rendition_for_stream(
    *, rendition_id: int, track_id: int, user_id: int, now: datetime.datetime | None = None
) -> Rendition | None:
    """One query: the READY rendition, annotated with the listener's country (None when the
    listener is gone or inactive) and whether the track is playable there now."""
    country = Subquery(
        get_user_model().objects.filter(pk=user_id, is_active=True).values("country")[:1]
    )
    return (
        Rendition.objects.filter(pk=rendition_id, track_id=track_id, state=Rendition.State.READY)
        .annotate(
            listener_country=country,
            playable=track_playable_in(
                market=country, now=now or timezone.now(), track_ref="track_id"
            ),
        )
        .first()
    )


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
    events = PlayEvent.objects.filter(user_id=user_id).select_related("track__release")
    events = events.prefetch_related(Prefetch("track__credits", queryset=credits))
    if after is not None:
        page = list(events.filter(ended_at__gt=after).order_by("ended_at", "id")[:limit])
        return page[::-1]
    if before is not None:
        events = events.filter(ended_at__lt=before)
    return list(events.order_by("-ended_at", "-id")[:limit])


def play_history_exists(*, user_id: int, before=None, after=None) -> bool:
    events = PlayEvent.objects.filter(user_id=user_id)
    if before is not None:
        events = events.filter(ended_at__lt=before)
    if after is not None:
        events = events.filter(ended_at__gt=after)
    return events.exists()


def renditions_of_track(*, track_id: int) -> QuerySet[Rendition]:
    return Rendition.objects.filter(track_id=track_id).order_by("codec", "bitrate_kbps")


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
