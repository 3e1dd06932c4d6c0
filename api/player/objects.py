"""The player's objects in Spotify's shapes: device, playback state, queue, context."""

import re

from rest_framework import serializers

from api.objects import ErrorSerializer, TrackSerializer
from api.objects.base import URI_SCHEME
from api.params import MAX_PK
from catalog import selectors as catalog_selectors
from common.errors import ValidationFailed
from playback import player
from playback.models import PlayerDevice

QUEUE_LIMIT = 50
ERROR_RESPONSE = ErrorSerializer
_URI = re.compile(rf"^{URI_SCHEME}:([a-z]+):([0-9]{{1,19}})$", re.ASCII)
_CONTEXT_VIEWS = {"album": "album-detail", "playlist": "playlist-detail", "artist": "artist-detail"}

# --- Shapes (for the schema and for request bodies) -----------------------------------------


class DeviceSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    is_active = serializers.BooleanField()
    is_private_session = serializers.BooleanField()
    is_restricted = serializers.BooleanField()
    name = serializers.CharField()
    type = serializers.CharField()
    volume_percent = serializers.IntegerField(allow_null=True)
    supports_volume = serializers.BooleanField()


class DeviceListSerializer(serializers.Serializer):
    devices = DeviceSerializer(many=True)


class ContextSerializer(serializers.Serializer):
    type = serializers.CharField()
    href = serializers.CharField()
    external_urls = serializers.DictField(child=serializers.CharField())
    uri = serializers.CharField()


class ActionsSerializer(serializers.Serializer):
    interrupting_playback = serializers.BooleanField()
    pausing = serializers.BooleanField()
    resuming = serializers.BooleanField()
    seeking = serializers.BooleanField()
    skipping_next = serializers.BooleanField()
    skipping_prev = serializers.BooleanField()
    toggling_repeat_context = serializers.BooleanField()
    toggling_shuffle = serializers.BooleanField()
    toggling_repeat_track = serializers.BooleanField()
    transferring_playback = serializers.BooleanField()


class PlaybackStateSerializer(serializers.Serializer):
    device = DeviceSerializer(required=False)
    repeat_state = serializers.ChoiceField(choices=["off", "track", "context"])
    shuffle_state = serializers.BooleanField()
    context = ContextSerializer(allow_null=True)
    timestamp = serializers.IntegerField(help_text="Unix ms of the last change.")
    progress_ms = serializers.IntegerField(allow_null=True)
    is_playing = serializers.BooleanField()
    item = TrackSerializer(allow_null=True)
    currently_playing_type = serializers.CharField()
    actions = ActionsSerializer()


class QueueSerializer(serializers.Serializer):
    currently_playing = TrackSerializer(allow_null=True)
    queue = TrackSerializer(many=True)


class TransferBodySerializer(serializers.Serializer):
    device_ids = serializers.ListField(
        child=serializers.CharField(max_length=player.DEVICE_ID_MAX_LENGTH),
        min_length=1,
        max_length=1,
    )
    play = serializers.BooleanField(required=False, default=False)


class OffsetSerializer(serializers.Serializer):
    position = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    uri = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs):
        if "position" in attrs and "uri" in attrs:
            raise serializers.ValidationError("Give position or uri, not both.")
        return attrs


class PlayBodySerializer(serializers.Serializer):
    context_uri = serializers.CharField(required=False, max_length=100)
    uris = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=player.QUEUE_MAX_TRACKS,
    )
    offset = OffsetSerializer(required=False)
    position_ms = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def validate(self, attrs):
        if "context_uri" in attrs and "uris" in attrs:
            raise serializers.ValidationError("Give context_uri or uris, not both.")
        return attrs


class DeviceRegisterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(choices=PlayerDevice.Type.values, required=False)
    volume_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)


# --- Builders ------------------------------------------------------------------------------


def _uri_parts(uri) -> tuple[str, int]:
    match = _URI.match(str(uri or "").strip())
    if match is None or int(match.group(2)) > MAX_PK or int(match.group(2)) < 1:
        raise ValidationFailed(f"Invalid URI: {str(uri)[:60]!r}.")
    return match.group(1), int(match.group(2))


def uri_track_id(uri) -> int:
    if not uri:
        raise ValidationFailed("Missing parameter: uri.")
    kind, pk = _uri_parts(uri)
    if kind != "track":
        raise ValidationFailed(f"Invalid track URI: {str(uri)[:60]!r}.")
    return pk


def play_arguments(user, data: dict) -> dict:
    """The arguments of `player.player_play` for a play request's body."""
    offset = data.get("offset") or {}
    arguments = {"position_ms": data.get("position_ms")}
    if "uris" in data:
        arguments["track_ids"] = [uri_track_id(uri) for uri in data["uris"]]
    elif "context_uri" in data:
        kind, pk = _uri_parts(data["context_uri"])
        if kind not in player.CONTEXT_KINDS:
            raise ValidationFailed(f"Invalid context_uri: {data['context_uri'][:60]!r}.")
        arguments["track_ids"] = player.player_context_track_ids(kind=kind, object_id=pk, user=user)
        arguments["context_uri"] = data["context_uri"]
        arguments["skip_unplayable"] = True
    else:
        return arguments
    if "position" in offset:
        arguments["offset"] = offset["position"]
    elif "uri" in offset:
        arguments["offset_track_id"] = uri_track_id(offset["uri"])
    return arguments


def device(device: PlayerDevice, active_id: int | None) -> dict:
    return {
        "id": device.key,
        "is_active": device.pk == active_id,
        "is_private_session": False,
        "is_restricted": False,
        "name": device.name,
        "type": device.type,
        "volume_percent": device.volume_percent if device.supports_volume else None,
        "supports_volume": device.supports_volume,
    }


def _context(request, uri: str) -> dict | None:
    match = _URI.match(uri or "")
    if match is None or match.group(1) not in _CONTEXT_VIEWS:
        return None
    kind, pk = match.groups()
    base = request.build_absolute_uri("/")
    return {
        "type": kind,
        "href": f"{base}api/v1/{kind}s/{pk}",
        "external_urls": {"streamify": f"{base}{kind}/{pk}"},
        "uri": uri,
    }


def _tracks(request, ids: list[int]) -> list[dict | None]:
    market = str(request.user.country)
    found = catalog_selectors.tracks_by_ids(ids=ids, market=market)
    context = {"request": request}
    return [TrackSerializer(t, context=context).data if t is not None else None for t in found]


def playback_state(request, snapshot: player.PlayerSnapshot, *, with_device: bool) -> dict:
    state = snapshot.state
    is_playing = snapshot.is_playing
    body = {}
    if with_device:
        body["device"] = device(state.device, state.device_id) if state.device else None
        body["repeat_state"] = state.repeat
        body["shuffle_state"] = state.shuffle
    (item,) = _tracks(request, [state.track_id]) if state.track_id else (None,)
    body |= {
        "context": _context(request, state.context_uri),
        "timestamp": int(state.updated_at.timestamp() * 1000),
        "progress_ms": snapshot.progress_ms,
        "is_playing": is_playing,
        "item": item,
        "currently_playing_type": "track",
        "actions": {
            "interrupting_playback": False,
            "pausing": not is_playing,
            "resuming": is_playing,
            "seeking": False,
            "skipping_next": False,
            "skipping_prev": False,
            "toggling_repeat_context": False,
            "toggling_shuffle": False,
            "toggling_repeat_track": False,
            "transferring_playback": False,
        },
    }
    return body


def queue(request, snapshot, upcoming) -> dict:
    current_id = snapshot.state.track_id if snapshot else None
    ids = ([current_id] if current_id else []) + [item.track_id for item in upcoming]
    tracks = _tracks(request, ids)
    current = tracks.pop(0) if current_id else None
    return {"currently_playing": current, "queue": [t for t in tracks if t is not None]}
