"""`/me/player`: playback state, devices, queue and commands, as the Spotify Web API.

Commands answer 204 with no body. `device_id` (query) names the device a command targets,
else the active device; a client names itself in it, which tells the server it is alive
(a device not heard from for a minute stops playing). `PUT me/player/devices/{id}` is this
API's own addition: a client registers itself as a device (Spotify's devices register
through Spotify Connect).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import scopes
from api.player import objects
from api.player.objects import (
    DeviceListSerializer,
    DeviceRegisterSerializer,
    DeviceSerializer,
    PlaybackStateSerializer,
    PlayBodySerializer,
    QueueSerializer,
    TransferBodySerializer,
)
from api.scopes import TokenHasScope
from common.errors import ValidationFailed
from playback import player

TAGS = ["player"]
ERRORS = {
    code: OpenApiResponse(objects.ERROR_RESPONSE, description=text)
    for code, text in {
        400: "Bad request.",
        401: "No valid authentication.",
        403: "Restriction violated.",
        404: "No active device, or an unknown device or track.",
        451: "A track is not available in the listener's market.",
    }.items()
}
DEVICE_ID = OpenApiParameter(
    "device_id", str, description="The device to target; default: the active device."
)
MARKET = OpenApiParameter("market", str, description="An ISO 3166-1 alpha-2 code; ignored.")
ADDITIONAL_TYPES = OpenApiParameter("additional_types", str, description="Ignored: tracks only.")


def _no_content() -> Response:
    return Response(status=204)


def _device_param(request) -> str | None:
    raw = request.query_params.get("device_id")
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > player.DEVICE_ID_MAX_LENGTH:
        raise ValidationFailed("Invalid device_id.")
    return raw


def _int_param(request, name: str, *, minimum: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        raise ValidationFailed(f"Missing parameter: {name}.")
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise ValidationFailed(f"Invalid {name}: must be an integer.")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"≥ {minimum}"
        raise ValidationFailed(f"Invalid {name}: must be {bound}.")
    return value


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


READ = (scopes.USER_READ_PLAYBACK_STATE,)
MODIFY = (scopes.USER_MODIFY_PLAYBACK_STATE,)


class _PlayerApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = {"PUT": MODIFY, "POST": MODIFY}


class PlaybackStateApi(_PlayerApi):
    scopes = {"GET": READ, "PUT": MODIFY}

    @extend_schema(
        operation_id="get_information_about_the_users_current_playback",
        summary="Get playback state",
        parameters=[MARKET, ADDITIONAL_TYPES],
        responses={
            200: PlaybackStateSerializer,
            204: OpenApiResponse(description="Nothing is playing or paused."),
            **ERRORS,
        },
        tags=TAGS,
    )
    def get(self, request):
        snapshot = player.player_snapshot_get(user=request.user)
        if snapshot is None or snapshot.state.track_id is None:
            return _no_content()
        return Response(objects.playback_state(request, snapshot, with_device=True))

    @extend_schema(
        operation_id="transfer_a_users_playback",
        summary="Transfer playback",
        request=TransferBodySerializer,
        responses={204: OpenApiResponse(description="Transferred."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        data = _validated(TransferBodySerializer, request.data)
        player.player_transfer(
            user=request.user, device_id=data["device_ids"][0], play=data.get("play", False)
        )
        return _no_content()


class CurrentlyPlayingApi(_PlayerApi):
    scopes = {"GET": (scopes.USER_READ_CURRENTLY_PLAYING, *READ)}

    @extend_schema(
        operation_id="get_the_users_currently_playing_track",
        summary="Get currently playing track",
        parameters=[MARKET, ADDITIONAL_TYPES],
        responses={
            200: PlaybackStateSerializer,
            204: OpenApiResponse(description="Nothing is playing or paused."),
            **ERRORS,
        },
        tags=TAGS,
    )
    def get(self, request):
        snapshot = player.player_snapshot_get(user=request.user)
        if snapshot is None or snapshot.state.track_id is None:
            return _no_content()
        return Response(objects.playback_state(request, snapshot, with_device=False))


class DevicesApi(_PlayerApi):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="get_a_users_available_devices",
        summary="Get available devices",
        responses={200: DeviceListSerializer, **ERRORS},
        tags=TAGS,
    )
    def get(self, request):
        snapshot = player.player_snapshot_get(user=request.user)
        active_id = snapshot.state.device_id if snapshot else None
        devices = player.player_devices_list(user=request.user)
        return Response({"devices": [objects.device(d, active_id) for d in devices]})


class DeviceRegisterApi(_PlayerApi):
    @extend_schema(
        operation_id="register_a_device",
        summary="Register this client as a device (Streamify's addition)",
        request=DeviceRegisterSerializer,
        responses={200: DeviceSerializer, **ERRORS},
        tags=TAGS,
    )
    def put(self, request, device_id: str):
        data = _validated(DeviceRegisterSerializer, request.data)
        device = player.player_device_register(user=request.user, device_id=device_id, **data)
        snapshot = player.player_snapshot_get(user=request.user)
        return Response(objects.device(device, snapshot.state.device_id if snapshot else None))


class QueueApi(_PlayerApi):
    scopes = {"GET": READ, "POST": MODIFY}

    @extend_schema(
        operation_id="get_queue",
        summary="Get the user's queue",
        responses={200: QueueSerializer, **ERRORS},
        tags=TAGS,
    )
    def get(self, request):
        snapshot = player.player_snapshot_get(user=request.user)
        upcoming = player.player_queue_upcoming(user=request.user, limit=objects.QUEUE_LIMIT)
        return Response(objects.queue(request, snapshot, upcoming))

    @extend_schema(
        operation_id="add_to_queue",
        summary="Add an item to the end of the user's queue",
        parameters=[
            OpenApiParameter("uri", str, required=True, description="A track URI."),
            DEVICE_ID,
        ],
        request=None,
        responses={204: OpenApiResponse(description="Added."), **ERRORS},
        tags=TAGS,
    )
    def post(self, request):
        track_id = objects.uri_track_id(request.query_params.get("uri"))
        player.player_queue_add(
            user=request.user, track_id=track_id, device_id=_device_param(request)
        )
        return _no_content()


class PlayApi(_PlayerApi):
    @extend_schema(
        operation_id="start_a_users_playback",
        summary="Start or resume playback",
        parameters=[DEVICE_ID],
        request=PlayBodySerializer,
        responses={204: OpenApiResponse(description="Playing."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        data = _validated(PlayBodySerializer, request.data or {})
        player.player_play(
            user=request.user,
            device_id=_device_param(request),
            **objects.play_arguments(request.user, data),
        )
        return _no_content()


class PauseApi(_PlayerApi):
    @extend_schema(
        operation_id="pause_a_users_playback",
        summary="Pause playback",
        parameters=[DEVICE_ID],
        request=None,
        responses={204: OpenApiResponse(description="Paused."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        player.player_pause(user=request.user, device_id=_device_param(request))
        return _no_content()


class NextApi(_PlayerApi):
    @extend_schema(
        operation_id="skip_users_playback_to_next_track",
        summary="Skip to next",
        parameters=[DEVICE_ID],
        request=None,
        responses={204: OpenApiResponse(description="Skipped."), **ERRORS},
        tags=TAGS,
    )
    def post(self, request):
        player.player_next(user=request.user, device_id=_device_param(request))
        return _no_content()


class PreviousApi(_PlayerApi):
    @extend_schema(
        operation_id="skip_users_playback_to_previous_track",
        summary="Skip to previous",
        parameters=[DEVICE_ID],
        request=None,
        responses={204: OpenApiResponse(description="Skipped."), **ERRORS},
        tags=TAGS,
    )
    def post(self, request):
        player.player_previous(user=request.user, device_id=_device_param(request))
        return _no_content()


class SeekApi(_PlayerApi):
    @extend_schema(
        operation_id="seek_to_position_in_currently_playing_track",
        summary="Seek to position",
        parameters=[
            OpenApiParameter("position_ms", int, required=True, description="≥ 0."),
            DEVICE_ID,
        ],
        request=None,
        responses={204: OpenApiResponse(description="Moved."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        position = _int_param(request, "position_ms", minimum=0, maximum=2**31 - 1)
        player.player_seek(
            user=request.user, position_ms=position, device_id=_device_param(request)
        )
        return _no_content()


class RepeatApi(_PlayerApi):
    @extend_schema(
        operation_id="set_repeat_mode_on_users_playback",
        summary="Set repeat mode",
        parameters=[
            OpenApiParameter(
                "state", str, required=True, enum=["track", "context", "off"], description="Mode."
            ),
            DEVICE_ID,
        ],
        request=None,
        responses={204: OpenApiResponse(description="Set."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        state = request.query_params.get("state")
        if not state:
            raise ValidationFailed("Missing parameter: state.")
        player.player_repeat_set(user=request.user, state=state, device_id=_device_param(request))
        return _no_content()


class ShuffleApi(_PlayerApi):
    @extend_schema(
        operation_id="toggle_shuffle_for_users_playback",
        summary="Toggle playback shuffle",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.BOOL, required=True, description="On or off."),
            DEVICE_ID,
        ],
        request=None,
        responses={204: OpenApiResponse(description="Set."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        raw = (request.query_params.get("state") or "").strip().lower()
        if raw not in ("true", "false"):
            raise ValidationFailed("Invalid state: true or false.")
        player.player_shuffle_set(
            user=request.user, state=raw == "true", device_id=_device_param(request)
        )
        return _no_content()


class VolumeApi(_PlayerApi):
    @extend_schema(
        operation_id="set_volume_for_users_playback",
        summary="Set playback volume",
        parameters=[
            OpenApiParameter("volume_percent", int, required=True, description="0 to 100."),
            DEVICE_ID,
        ],
        request=None,
        responses={204: OpenApiResponse(description="Set."), **ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        volume = _int_param(request, "volume_percent", minimum=0, maximum=100)
        player.player_volume_set(
            user=request.user, volume_percent=volume, device_id=_device_param(request)
        )
        return _no_content()
