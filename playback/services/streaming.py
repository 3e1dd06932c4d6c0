"""Stream URLs: issued for a playable rendition in the listener's market, then checked."""

import datetime
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from common.errors import NotFound
from common.storage import storage_is_local
from mediatools.offset import PipedAudio, copy_from
from playback import selectors
from playback.errors import NotPlayable, StreamUrlExpired, StreamUrlInvalid, UnavailableInMarket
from playback.models import Rendition, StreamGrantDay
from playback.signing import (
    StreamGrant,
    TokenExpired,
    TokenInvalid,
    media_url_sign,
    stream_token_make,
    stream_token_read,
)


@dataclass(frozen=True)
class StreamUrl:
    token: str
    expires_at: datetime.datetime
    rendition: Rendition
    # Where nginx serves the bytes itself (STREAM_SIGNED_MEDIA); None: through Django's
    # stream view with `token` (the embedded shape, object storage, and Subsonic).
    media_path: str | None = None
    # The track's loudness and its album's, for the player's normalisation.
    loudness: selectors.Loudness = selectors.LOUDNESS_UNKNOWN


def _market_refusal(country: str) -> UnavailableInMarket:
    return UnavailableInMarket(
        f"The track is not available in your market ({country}) at this time."
    )


def stream_url_issue(*, user, track_id: int, codecs: list[str], quality: str) -> StreamUrl:
    """Sign a short-lived grant for the best ready rendition the user may play now.

    One query reads what is checked and served; the listener's grant for the day is
    recorded (committed before the URL is returned) only when that read did not find it.
    """
    country = str(user.country)
    now = timezone.now()
    day = now.astimezone(datetime.UTC).date()
    facts = selectors.stream_facts(
        track_id=track_id, market=country, user_id=user.pk, day=day, now=now
    )
    if facts is None:
        raise NotFound("Track not found.")
    if not facts.playable:
        raise _market_refusal(country)
    rendition = selectors.rendition_pick(facts.ready, codecs=codecs, quality=quality)
    if rendition is None:
        raise NotPlayable(f"The track has no ready rendition in {', '.join(codecs)}.")
    ttl = settings.STREAM_URL_TTL_SECONDS
    expires_at = (now + datetime.timedelta(seconds=ttl)).replace(microsecond=0)
    if not facts.granted:
        stream_grant_record(user_id=user.pk, track_id=track_id, day=day)
    grant = StreamGrant(user.pk, track_id, rendition.pk, expires_at)
    media_path = None
    if settings.STREAM_SIGNED_MEDIA and storage_is_local():
        # The checks above are the last ones this grant gets: nginx verifies only the
        # signature and expiry of each byte request, so a takedown bites within the TTL.
        media_path = media_url_sign(
            rendition.file.name,
            expires_at=expires_at,
            secret=settings.STREAM_SIGNED_MEDIA_SECRET,
            prefix=settings.STREAM_SIGNED_MEDIA_PREFIX,
        )
    return StreamUrl(
        token=stream_token_make(grant),
        expires_at=expires_at,
        rendition=rendition,
        media_path=media_path,
        loudness=facts.loudness,
    )


_GRANT_FIELDS = ("user", "track", "day")
_grant_inserts: dict[str, str] = {}


def _grant_insert_sql(alias: str) -> str:
    """`bulk_create(..., ignore_conflicts=True)`'s INSERT of one StreamGrantDay, compiled
    once per database alias (its placeholders in `_GRANT_FIELDS` order)."""
    sql = _grant_inserts.get(alias)
    if sql is None:
        query = InsertQuery(StreamGrantDay, on_conflict=OnConflict.IGNORE)
        query.insert_values(
            [StreamGrantDay._meta.get_field(name) for name in _GRANT_FIELDS],
            [StreamGrantDay(user_id=0, track_id=0, day=datetime.date.min)],
        )
        [(sql, _)] = query.get_compiler(using=alias).as_sql()
        _grant_inserts[alias] = sql
    return sql


def stream_grant_record(*, user_id: int, track_id: int, day: datetime.date) -> None:
    """Remember that the listener was given a stream URL for the track on `day` (UTC):
    one INSERT that does nothing when the day is already recorded, committed on return
    (outside a transaction). Plays need it."""
    alias = router.db_for_write(StreamGrantDay)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            _grant_insert_sql(alias),
            [user_id, track_id, connection.ops.adapt_datefield_value(day)],
        )


def stream_grant_check(*, token: str) -> Rendition:
    """Verify a stream token and re-check the market (one query); return the rendition."""
    try:
        grant = stream_token_read(token)
    except TokenInvalid as exc:
        raise StreamUrlInvalid(str(exc)) from None
    except TokenExpired as exc:
        raise StreamUrlExpired(str(exc)) from None
    rendition = selectors.rendition_for_stream(
        rendition_id=grant.rendition_id, track_id=grant.track_id, user_id=grant.user_id
    )
    if rendition is None:
        raise NotPlayable("The rendition is no longer available; request a new stream URL.")
    if rendition.listener_country is None:
        raise StreamUrlInvalid("The stream URL's listener no longer exists.")
    if not rendition.playable:
        raise _market_refusal(str(rendition.listener_country))
    return rendition


# ffmpeg's input format for each rendition muxer (RenditionProfile.muxer).
_DEMUXERS = {"ogg": "ogg", "ipod": "mov", "mp3": "mp3"}


def rendition_stream_from(*, rendition: Rendition, offset_seconds: int) -> PipedAudio:
    """The rendition's audio from `offset_seconds` on, same codec and container, as ffmpeg
    copies it (the caller has authorised the stream, and must close the result).

    From object storage the file is first copied to a temporary file, removed as soon as
    ffmpeg has it open. Raises mediatools' ToolError when ffmpeg cannot send it.
    """
    muxer = rendition.spec.muxer
    options = {
        "demuxer": _DEMUXERS[muxer],
        "muxer": muxer,
        "offset_seconds": offset_seconds,
        "timeout": settings.FFMPEG_TIMEOUT_SECONDS,
    }
    try:
        local = Path(default_storage.path(rendition.file.name))
    except NotImplementedError:  # object storage
        local = None
    if local is not None:
        return copy_from(local, **options)
    handle, name = tempfile.mkstemp(prefix="streamify-offset-")
    try:
        with os.fdopen(handle, "wb") as local, default_storage.open(rendition.file.name) as remote:
            for chunk in iter(lambda: remote.read(1 << 20), b""):
                local.write(chunk)
        return copy_from(Path(name), **options)
    finally:
        Path(name).unlink(missing_ok=True)  # ffmpeg keeps its open file
