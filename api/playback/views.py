import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.selectors import request_address
from api import scopes
from api.exceptions import error_body
from api.objects import ErrorSerializer
from api.playback.serializers import (
    BadEvent,
    PlayEventBatchSerializer,
    PlayEventIngestResultSerializer,
    PlayHistorySerializer,
    RecentlyPlayedQuerySerializer,
    RecentlyPlayedSerializer,
    StreamUrlQuerySerializer,
    StreamUrlSerializer,
    TrackSourceSerializer,
    TrackSourceUploadResultSerializer,
    TrackSourceUploadSerializer,
    TranscodeJobSerializer,
    play_event_batch_parse,
    stream_url_body,
    stream_url_query_parse,
)
from api.scopes import TokenHasScope
from catalog import selectors as catalog_selectors
from common.errors import ApplicationError, NotFound, ValidationFailed
from common.storage import storage_is_local
from playback import selectors, services
from playback.errors import PayloadTooLarge
from playback.ranges import file_response

ERROR_RESPONSE = ErrorSerializer


def _errors_text(detail, prefix: str = "") -> list[str]:
    """Flatten DRF errors into `events[3].ms_played: message` lines."""
    if isinstance(detail, dict):
        lines = []
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else key
            lines += _errors_text(value, name)
        return lines
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [
                f"{prefix}: {' '.join(str(item) for item in detail)}"
                if prefix
                else " ".join(map(str, detail))
            ]
        lines = []
        for index, item in enumerate(detail):
            lines += _errors_text(item, f"{prefix}[{index}]")
        return lines
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed("; ".join(_errors_text(serializer.errors)))
    return serializer.validated_data


class CanUploadTrackAudio(BasePermission):
    """Staff, artist team members and label staff, narrowed per track.

    Which of them may change a given track is decided by the function named in
    settings.TRACK_UPLOAD_PERMISSION (the artists app, which knows the teams, provides it);
    without one, only users with the catalog's change-track permission may.
    """

    message = "You may not change this track's audio."
    groups = (roles.ARTIST_TEAM_MEMBERS, roles.LABEL_STAFF)

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_staff or user.groups.filter(name__in=self.groups).exists()

    def has_object_permission(self, request, view, obj):
        path = settings.TRACK_UPLOAD_PERMISSION
        if not path:
            return request.user.has_perm("catalog.change_track")
        return import_string(path)(user=request.user, track=obj)


class TrackSourceUploadApi(APIView):
    permission_classes = [TokenHasScope, CanUploadTrackAudio]
    scopes = {"POST": (scopes.DASHBOARD_WRITE,)}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="upload_track_source",
        summary="Upload a track's original audio",
        description="Replaces the original (checked by content) and queues transcoding.",
        request={"multipart/form-data": TrackSourceUploadSerializer},
        responses={
            202: TrackSourceUploadResultSerializer,
            400: OpenApiResponse(ERROR_RESPONSE),
            403: OpenApiResponse(ERROR_RESPONSE),
            404: OpenApiResponse(ERROR_RESPONSE),
            409: OpenApiResponse(ERROR_RESPONSE),
            413: OpenApiResponse(ERROR_RESPONSE),
        },
        tags=["playback"],
    )
    def post(self, request, track_id: int):
        limit = services.upload_max_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # Refuse before parsing (and spooling to disk) a body that cannot fit; 64 KiB of slack
        # for the multipart envelope.
        if declared > limit + 64 * 1024:
            raise PayloadTooLarge(
                f"The file is larger than the limit of {limit // (1024 * 1024)} MB."
            )
        track = selectors.track_get(track_id=track_id)
        if track is None:
            raise NotFound("Track not found.")
        self.check_object_permissions(request, track)
        data = _validated(TrackSourceUploadSerializer, request.data)
        job = services.track_source_replace(track=track, file=data["file"])
        track_audio = selectors.track_audio_get(track_id=track.pk)
        body = {
            "track_id": str(track.pk),
            "source": TrackSourceSerializer(track_audio).data,
            "job": TranscodeJobSerializer(job).data,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class AcceptAnyAsJson(DefaultContentNegotiation):
    """Answer JSON even to `Accept: audio/...` and `?format=opus`: here both choose audio."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StreamUrlApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = {"GET": (scopes.USER_MODIFY_PLAYBACK_STATE,)}
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AcceptAnyAsJson

    @extend_schema(
        operation_id="get_stream_url",
        summary="Get a signed stream URL for a track",
        description=(
            "Chooses the best ready rendition for `format` (else the Accept header) and "
            "`quality`; the URL is bound to the listener and expires after a few minutes."
        ),
        parameters=[StreamUrlQuerySerializer],
        responses={
            200: StreamUrlSerializer,
            400: OpenApiResponse(ERROR_RESPONSE),
            401: OpenApiResponse(ERROR_RESPONSE),
            403: OpenApiResponse(ERROR_RESPONSE),
            404: OpenApiResponse(ERROR_RESPONSE),
            451: OpenApiResponse(ERROR_RESPONSE, description="Not available in the market."),
        },
        tags=["player"],
    )
    def get(self, request):
        params = stream_url_query_parse(request.query_params) or _validated(
            StreamUrlQuerySerializer, request.query_params
        )
        codecs = selectors.codecs_for_request(
            format=params.get("format"), accept=request.headers.get("Accept")
        )
        issued = services.stream_url_issue(
            user=request.user, track_id=params["track_id"], codecs=codecs, quality=params["quality"]
        )
        path = issued.media_path or reverse("playback:stream", args=[issued.token])
        body = stream_url_body(
            url=request.build_absolute_uri(path),
            expires_at=issued.expires_at,
            rendition=issued.rendition,
            loudness=issued.loudness,
        )
        return Response(body)


class PlayEventsApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = {"POST": (scopes.USER_MODIFY_PLAYBACK_STATE,)}
    # Budgeted by playback.ratelimits instead (per listener and per address, in events,
    # tighter than the API's general budgets): those cost four more cache round trips a
    # request on the busiest write path. A bad body is refused before any database work.
    throttle_classes = ()

    @extend_schema(
        operation_id="report_play_events",
        summary="Report a batch of play events",
        description=(
            "Stored before the response, once per `event_id`: a retried batch counts its "
            "events as duplicates. A play counts as a stream from 30 s on when it passes the "
            "integrity rules (see the README's Stream integrity); others are kept but not "
            "counted. 429 when the listener's or the address's event budget is spent."
        ),
        request=PlayEventBatchSerializer,
        responses={
            200: PlayEventIngestResultSerializer,
            400: OpenApiResponse(ERROR_RESPONSE),
            403: OpenApiResponse(ERROR_RESPONSE),
            429: OpenApiResponse(ERROR_RESPONSE),
        },
        tags=["player"],
    )
    def post(self, request):
        try:
            events = play_event_batch_parse(request.data)
        except BadEvent as problem:
            raise ValidationFailed(str(problem)) from None
        result = services.play_events_ingest(
            user=request.user, events=events, address=request_address(request)
        )
        # PlayEventIngestResultSerializer's fields, written out: the serializer cost 0.1 ms
        # of CPU a request, a tenth of a single event's ingestion.
        body = {
            "received": result.received,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
        }
        return Response(body)


def _ms(value: datetime.datetime, *, ceil: bool = False) -> int:
    micros = round(value.timestamp() * 1_000_000)
    return -(-micros // 1000) if ceil else micros // 1000


def _from_ms(value: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)


class RecentlyPlayedApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = {"GET": (scopes.USER_READ_RECENTLY_PLAYED,)}

    @extend_schema(
        operation_id="get_recently_played",
        summary="Get the listener's recently played tracks",
        parameters=[
            OpenApiParameter("limit", int, description="1 to 50, default 20."),
            OpenApiParameter("before", int, description="Unix ms: items played before it."),
            OpenApiParameter("after", int, description="Unix ms: items played after it."),
        ],
        responses={
            200: RecentlyPlayedSerializer,
            400: OpenApiResponse(ERROR_RESPONSE),
            403: OpenApiResponse(ERROR_RESPONSE),
        },
        tags=["player"],
    )
    def get(self, request):
        params = _validated(RecentlyPlayedQuerySerializer, request.query_params)
        limit = params["limit"]
        before = _from_ms(params["before"]) if "before" in params else None
        after = _from_ms(params["after"]) if "after" in params else None
        items = selectors.play_history_list(
            user_id=request.user.pk, limit=limit, before=before, after=after
        )
        tracks = catalog_selectors.tracks_by_ids(ids=list({item.track_id for item in items}))
        by_id = {track.pk: track for track in tracks if track is not None}
        for item in items:
            item.history_track = by_id[item.track_id]
        cursors, next_url = {}, None
        if items:
            # Cursors exclude the page's own items at millisecond precision.
            cursors = {
                "after": str(_ms(items[0].ended_at, ceil=True)),
                "before": str(_ms(items[-1].ended_at)),
            }
            if len(items) == limit and selectors.play_history_exists(
                user_id=request.user.pk, before=items[-1].ended_at
            ):
                base = request.build_absolute_uri(request.path)
                next_url = f"{base}?before={cursors['before']}&limit={limit}"
        body = {
            "href": request.build_absolute_uri(),
            "items": PlayHistorySerializer(items, many=True, context={"request": request}).data,
            "limit": limit,
            "next": next_url,
            "cursors": cursors,
        }
        return Response(body)


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.status, exc.message), status=exc.status)


@require_http_methods(["GET", "HEAD"])
def stream(request, token: str) -> HttpResponse:
    """Send a rendition for a signed token; no session needed (the token binds the user)."""
    try:
        rendition = services.stream_grant_check(token=token)
    except ApplicationError as exc:
        return _error(exc)
    headers = {"Cache-Control": "private, max-age=0, no-transform"}
    if not storage_is_local():
        # Object storage: the bucket (or the CDN before it) sends the bytes and answers
        # Range itself; the presigned URL lives no longer than a stream grant.
        url = default_storage.url(
            rendition.file.name,
            parameters={
                "ResponseContentType": rendition.mime_type,
                "ResponseCacheControl": headers["Cache-Control"],
            },
            expire=settings.STREAM_URL_TTL_SECONDS,
        )
        return HttpResponseRedirect(url, headers=headers)
    if settings.STREAM_X_ACCEL_REDIRECT:
        # nginx serves the bytes (and Range) from its internal location over the media volume.
        prefix = settings.STREAM_X_ACCEL_PREFIX
        response = HttpResponse(content_type=rendition.mime_type, headers=headers)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + rendition.file.name
        response["ETag"] = f'"{rendition.sha256}"'
        return response
    return file_response(
        request,
        open_file=lambda: default_storage.open(rendition.file.name, "rb"),
        size=rendition.size_bytes,
        content_type=rendition.mime_type,
        etag=rendition.sha256,
        last_modified=rendition.updated_at or timezone.now(),
        extra_headers=headers,
    )
