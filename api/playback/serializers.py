import datetime
import re
import uuid

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects import TrackSerializer
from api.params import MAX_PK
from playback.models import PlayEvent, Rendition, TranscodeJob
from playback.selectors import QUALITY_TARGET_KBPS
from playback.services import MAX_EVENTS_PER_BATCH

MAX_UNIX_MS = 253402300799999


class StreamUrlQuerySerializer(serializers.Serializer):
    track_id = serializers.IntegerField(min_value=1, max_value=MAX_PK)
    format = serializers.ChoiceField(choices=Rendition.Codec.choices, required=False)
    quality = serializers.ChoiceField(
        choices=list(QUALITY_TARGET_KBPS), required=False, default="normal"
    )


class RenditionSummarySerializer(serializers.Serializer):
    codec = serializers.CharField()
    bitrate = serializers.IntegerField(source="bitrate_kbps", help_text="Nominal kbit/s.")
    mime_type = serializers.CharField()


class LoudnessSerializer(serializers.Serializer):
    """EBU R128 measurements and ReplayGain 2.0 values (gain in dB to -18 LUFS, peak as a
    linear amplitude); null until the audio is analysed. Players normalise with them."""

    integrated_lufs = serializers.FloatField(allow_null=True)
    true_peak_dbtp = serializers.FloatField(allow_null=True)
    album_integrated_lufs = serializers.FloatField(allow_null=True)
    album_true_peak_dbtp = serializers.FloatField(allow_null=True)
    replaygain_track_gain = serializers.FloatField(allow_null=True)
    replaygain_track_peak = serializers.FloatField(allow_null=True)
    replaygain_album_gain = serializers.FloatField(allow_null=True)
    replaygain_album_peak = serializers.FloatField(allow_null=True)


class StreamUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    rendition = RenditionSummarySerializer()
    loudness = LoudnessSerializer()


# The stream URL is asked for before every track a player plays: its query and its answer
# are handled by the two functions below rather than by DRF's field machinery (about 0.3 ms
# and 0.6 ms of CPU a request); the serializers above stay the schema, and a test
# (tests/playback/test_api.py) holds each function to its serializer's result.

_CODECS = frozenset(Rendition.Codec.values)
_EXPIRES_AT = serializers.DateTimeField()


def stream_url_query_parse(query) -> dict | None:
    """StreamUrlQuerySerializer's validated data for the plain queries players send (a
    track id in digits, known choices or none); None for anything else, which the
    serializer then judges (with its own messages)."""
    track_id = query.get("track_id", "")
    codec = query.get("format")
    quality = query.get("quality")
    if not (track_id.isascii() and track_id.isdigit() and len(track_id) <= 18):
        return None
    if int(track_id) < 1 or (codec is not None and codec not in _CODECS):
        return None
    if quality is not None and quality not in QUALITY_TARGET_KBPS:
        return None
    params = {"track_id": int(track_id), "quality": quality or "normal"}
    if codec is not None:
        params["format"] = codec
    return params


def stream_url_body(*, url: str, expires_at: datetime.datetime, rendition, loudness) -> dict:
    """What StreamUrlSerializer makes of these (`loudness`: a playback `Loudness`)."""
    return {
        "url": url,
        "expires_at": _EXPIRES_AT.to_representation(expires_at),
        "rendition": {
            "codec": str(rendition.codec),
            "bitrate": int(rendition.bitrate_kbps),
            "mime_type": str(rendition.mime_type),
        },
        "loudness": {
            name: None if value is None else float(value)
            for name, value in loudness.as_dict().items()
        },
    }


MAX_MS_PLAYED = 24 * 3600 * 1000
MAX_CONTEXT_ID = 64


class PlayEventInputSerializer(serializers.Serializer):
    """The schema of one event; requests are checked by `play_event_batch_parse`."""

    event_id = serializers.UUIDField(help_text="Client-generated; a retry with it is a no-op.")
    track_id = serializers.IntegerField(min_value=1, max_value=MAX_PK)
    ms_played = serializers.IntegerField(min_value=0, max_value=MAX_MS_PLAYED)
    context_type = serializers.ChoiceField(choices=PlayEvent.Context.choices)
    context_id = serializers.CharField(
        max_length=MAX_CONTEXT_ID, required=False, allow_blank=True, allow_null=True
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["ended_at"] < attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": "must not be before started_at."})
        return attrs


class PlayEventBatchSerializer(serializers.Serializer):
    events = PlayEventInputSerializer(many=True, allow_empty=False, max_length=MAX_EVENTS_PER_BATCH)


_CONTEXT_TYPES = frozenset(PlayEvent.Context.values)
_INTEGER_TEXT = re.compile(r"[+-]?\d+")


class BadEvent(ValueError):
    """One problem of a batch, as `events[3].ms_played: message`."""


def _integer(value, name: str, low: int, high: int | None = None) -> int:
    whole_float = isinstance(value, float) and value.is_integer()
    if whole_float or (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip())):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadEvent(f"{name}: A valid integer is required.")
    if value < low:
        raise BadEvent(f"{name}: Ensure this value is greater than or equal to {low}.")
    if high is not None and value > high:
        raise BadEvent(f"{name}: Ensure this value is less than or equal to {high}.")
    return value


def _datetime(value, name: str) -> datetime.datetime:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well formed but out of range, e.g. month 13
            parsed = None
    if parsed is None:
        raise BadEvent(f"{name}: Datetime has wrong format; use ISO 8601.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    try:  # as DRF's DateTimeField: 9999-12-31T23:59-01:00 is past the last datetime in UTC
        return parsed.astimezone(datetime.UTC)
    except OverflowError:
        raise BadEvent(f"{name}: Datetime value out of range.") from None


def _event(value, at: str) -> dict:
    if not isinstance(value, dict):
        raise BadEvent(f"{at}: Invalid data. Expected a dictionary.")
    for name in ("event_id", "track_id", "ms_played", "context_type", "started_at", "ended_at"):
        if value.get(name) is None:
            raise BadEvent(f"{at}.{name}: This field is required.")
    try:
        event_id = uuid.UUID(value["event_id"])
    except (TypeError, ValueError, AttributeError):
        raise BadEvent(f"{at}.event_id: Must be a valid UUID.") from None
    context_type = value["context_type"]
    if context_type not in _CONTEXT_TYPES:
        raise BadEvent(f'{at}.context_type: "{context_type}" is not a valid choice.')
    context_id = value.get("context_id") or ""
    if not isinstance(context_id, str | int) or isinstance(context_id, bool):
        raise BadEvent(f"{at}.context_id: Not a valid string.")
    context_id = str(context_id).strip()
    if len(context_id) > MAX_CONTEXT_ID:
        raise BadEvent(
            f"{at}.context_id: Ensure this field has no more than {MAX_CONTEXT_ID} characters."
        )
    started_at = _datetime(value["started_at"], f"{at}.started_at")
    ended_at = _datetime(value["ended_at"], f"{at}.ended_at")
    if ended_at < started_at:
        raise BadEvent(f"{at}.ended_at: must not be before started_at.")
    return {
        "event_id": event_id,
        "track_id": _integer(value["track_id"], f"{at}.track_id", 1, MAX_PK),
        "ms_played": _integer(value["ms_played"], f"{at}.ms_played", 0, MAX_MS_PLAYED),
        "context_type": context_type,
        "context_id": context_id,
        "started_at": started_at,
        "ended_at": ended_at,
    }


def play_event_batch_parse(data) -> list[dict]:
    """Check a request body as PlayEventBatchSerializer describes it; return its events as
    the services take them, or raise BadEvent naming the first bad field and its index.

    Written out rather than run through the serializer: DRF's field machinery cost about
    30 us of CPU per event (15 ms for a batch of 500), this about 4 us. A test
    (tests/api/test_play_events_parse.py) holds the two to the same verdicts.
    """
    if not isinstance(data, dict) or data.get("events") is None:
        raise BadEvent("events: This field is required.")
    events = data["events"]
    if not isinstance(events, list):
        raise BadEvent(f'events: Expected a list of items but got type "{type(events).__name__}".')
    if not events:
        raise BadEvent("events: This list may not be empty.")
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise BadEvent(
            f"events: Ensure this field has no more than {MAX_EVENTS_PER_BATCH} elements."
        )
    return [_event(value, f"events[{index}]") for index, value in enumerate(events)]


class PlayEventIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Newly stored events.")
    duplicates = serializers.IntegerField(help_text="Events already stored (retries).")


class PlayContextSerializer(serializers.Serializer):
    type = serializers.CharField(source="context_type")
    id = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    def get_id(self, event) -> str | None:
        return event.context_id or None

    def get_uri(self, event) -> str | None:
        if not event.context_id:
            return None
        return f"streamify:{event.context_type}:{event.context_id}"


class PlayHistorySerializer(serializers.Serializer):
    """`track` is the full track object, set by the view as `history_track` (see
    `catalog.selectors.tracks_by_ids`); `context` is left out when the play had none."""

    track = TrackSerializer(source="history_track")
    played_at = serializers.DateTimeField(source="ended_at")
    context = serializers.SerializerMethodField()

    @extend_schema_field(PlayContextSerializer(required=False))
    def get_context(self, event) -> dict | None:
        if not event.context_id:
            return None
        return PlayContextSerializer(event, context=self.context).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["context"] is None:
            del data["context"]
        return data


class HistoryCursorsSerializer(serializers.Serializer):
    after = serializers.CharField(required=False)
    before = serializers.CharField(required=False)


class RecentlyPlayedSerializer(serializers.Serializer):
    href = serializers.URLField()
    items = PlayHistorySerializer(many=True)
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    cursors = HistoryCursorsSerializer(help_text="Empty when the page is empty.")


class RecentlyPlayedQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=20)
    # Unix ms up to the year 9999 (Python's datetime bound).
    before = serializers.IntegerField(
        min_value=0, max_value=MAX_UNIX_MS, required=False, help_text="Unix ms."
    )
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_UNIX_MS, required=False, help_text="Unix ms."
    )

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError("Only one of before and after may be given.")
        return attrs


class TrackSourceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class TrackSourceSerializer(serializers.Serializer):
    sha256 = serializers.CharField(source="source_sha256")
    format = serializers.CharField(source="source_format")
    codec = serializers.CharField(source="source_codec")
    channels = serializers.IntegerField()
    sample_rate = serializers.IntegerField()
    duration_ms = serializers.IntegerField()


class TranscodeJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = TranscodeJob
        fields = ["id", "state", "attempts", "queued_at", "finished_at", "error"]


class TrackSourceUploadResultSerializer(serializers.Serializer):
    track_id = serializers.CharField()
    source = TrackSourceSerializer()
    job = TranscodeJobSerializer()
