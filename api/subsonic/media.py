"""Bytes of /rest/: stream, download and getCoverArt.

Audio is authorised exactly as the web player's: `stream_url_issue` (market check, a grant
for the listener, track and rendition) then `stream_grant_check`, so a later scrobble of the
track finds its grant; bytes go out through playback's Range code (or nginx), or from a
`timeOffset` through ffmpeg (no Range then). Streaming never counts a play.
"""

import io
import mimetypes

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from api.subsonic import errors
from api.subsonic.errors import SubsonicError
from api.subsonic.params import ALBUM, ARTIST, PLAYLIST, SONG, entity_id
from catalog import selectors as catalog_selectors
from mediatools.errors import ToolError
from playback import selectors as playback_selectors
from playback import services as playback_services
from playback.ranges import file_response

FORMAT_CODECS = {
    "mp3": "mp3",
    "opus": "opus",
    "ogg": "opus",
    "oga": "opus",
    "aac": "aac",
    "m4a": "aac",
    "mp4": "aac",
}
MAX_COVER_SIZE = 2000
_HEADERS = {"Cache-Control": "private, max-age=0, no-transform"}


def _quality(max_bit_rate: int) -> str:
    if not max_bit_rate or max_bit_rate >= 320:
        return "high"
    return "low" if max_bit_rate < 128 else "normal"


def _authorised(request, params, user, *, format_name: str | None):
    """The track id and the rendition the listener may stream now (raises when not)."""
    _, track_id = entity_id("id", params.get("id"), SONG)
    max_bit_rate = params.int("maxBitRate", 0, minimum=0)
    preference = playback_selectors.codecs_for_request(
        format=None, accept=request.headers.get("Accept")
    )
    requested = FORMAT_CODECS.get((format_name or "").lower())
    codecs = [requested, *(c for c in preference if c != requested)] if requested else preference
    grant = playback_services.stream_url_issue(
        user=user, track_id=track_id, codecs=codecs, quality=_quality(max_bit_rate)
    )
    return track_id, playback_services.stream_grant_check(token=grant.token)


def _send(request, *, name: str, size: int, content_type: str, etag: str, modified, extra=None):
    headers = {**_HEADERS, **(extra or {})}
    if settings.STREAM_X_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type, headers=headers)
        response["X-Accel-Redirect"] = settings.STREAM_X_ACCEL_PREFIX.rstrip("/") + "/" + name
        response["ETag"] = f'"{etag}"'
        return response
    return file_response(
        request,
        open_file=lambda: default_storage.open(name, "rb"),
        size=size,
        content_type=content_type,
        etag=etag,
        last_modified=modified or timezone.now(),
        extra_headers=headers,
    )


def _send_rendition(request, rendition, extra=None) -> HttpResponse:
    return _send(
        request,
        name=rendition.file.name,
        size=rendition.size_bytes,
        content_type=rendition.mime_type,
        etag=rendition.sha256,
        modified=rendition.updated_at,
        extra=extra,
    )


def _send_original(request, track_id: int, extra=None) -> HttpResponse | None:
    track = playback_selectors.track_get(track_id=track_id)
    if track is None or not track.source_file or not track.source_sha256:
        return None
    name = track.source_file.name
    try:
        size = default_storage.size(name)
    except OSError:
        return None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return _send(
        request,
        name=name,
        size=size,
        content_type=content_type,
        etag=track.source_sha256,
        modified=track.created_at,
        extra=extra,
    )


def _send_from(rendition, offset_seconds: int) -> StreamingHttpResponse:
    """The rendition from `offset_seconds` on (the transcodeOffset extension): its packets
    copied by ffmpeg as the client reads them, with no length and no Range (the bytes are
    made now); ffmpeg stops when the response is closed, by the end or a disconnect."""
    try:
        piped = playback_services.rendition_stream_from(
            rendition=rendition, offset_seconds=offset_seconds
        )
    except ToolError as exc:
        raise SubsonicError(errors.GENERIC, "The audio cannot be sent now; try again.") from exc
    response = StreamingHttpResponse(piped, content_type=rendition.mime_type, headers=_HEADERS)
    response["Accept-Ranges"] = "none"
    return response


def stream(request, params, user) -> HttpResponseBase:
    format_name = params.get("format")
    offset = params.int("timeOffset", 0, minimum=0)
    track_id, rendition = _authorised(request, params, user, format_name=format_name)
    if offset:
        duration_ms = playback_selectors.track_get(track_id=track_id).duration_ms
        if duration_ms and offset * 1000 >= duration_ms:
            raise errors.invalid("timeOffset", "at or past the end of the song.")
        return _send_from(rendition, offset)
    if format_name == "raw":
        original = _send_original(request, track_id)
        if original is not None:
            return original
    return _send_rendition(request, rendition)


def download(request, params, user) -> HttpResponse:
    """The original where kept, else the best rendition; the same authorisation as stream."""
    track_id, rendition = _authorised(request, params, user, format_name=None)
    original = _send_original(request, track_id, extra={"Content-Disposition": "attachment"})
    if original is not None:
        return original
    return _send_rendition(request, rendition, extra={"Content-Disposition": "attachment"})


def _image_of(raw_id: str | None, user):
    kind, pk = entity_id("id", raw_id, ALBUM, ARTIST, PLAYLIST, SONG)
    if kind == SONG:
        track = playback_selectors.track_get(track_id=pk)
        if track is None:
            raise errors.not_found("Cover art")
        kind, pk = ALBUM, track.release_id
    if kind == ALBUM:
        return catalog_selectors.release_get_minimal(release_id=pk).cover
    if kind == ARTIST:
        return catalog_selectors.artist_get_minimal(artist_id=pk).image
    return catalog_selectors.playlist_get_visible(playlist_id=pk, user=user).cover


def cover_art(params, user) -> HttpResponse:
    image = _image_of(params.get("id"), user)
    if not image:
        raise errors.not_found("Cover art")
    size = params.int("size", 0, minimum=0, maximum=MAX_COVER_SIZE)
    headers = {"Cache-Control": "private, max-age=86400"}
    with default_storage.open(image.name, "rb") as file:
        data = file.read()
    if not size:
        content_type = mimetypes.guess_type(image.name)[0] or "image/jpeg"
        return HttpResponse(data, content_type=content_type, headers=headers)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.thumbnail((size, size))
            out = io.BytesIO()
            picture.convert("RGB").save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError):
        raise errors.not_found("Cover art") from None
    return HttpResponse(out.getvalue(), content_type="image/jpeg", headers=headers)
