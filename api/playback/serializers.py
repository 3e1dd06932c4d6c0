from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects import TrackSerializer
from playback.models import PlayEvent, Rendition, TranscodeJob
from playback.selectors import QUALITY_TARGET_KBPS
from playback.services import MAX_EVENTS_PER_BATCH

MAX_UNIX_MS = 253402300799999


class StreamUrlQuerySerializer(serializers.Serializer):
    track_id = serializers.IntegerField(min_value=1)
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


class PlayEventInputSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(help_text="Client-generated; a retry with it is a no-op.")
    track_id = serializers.IntegerField(min_value=1)
    ms_played = serializers.IntegerField(min_value=0, max_value=24 * 3600 * 1000)
    context_type = serializers.ChoiceField(choices=PlayEvent.Context.choices)
    context_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["ended_at"] < attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": "must not be before started_at."})
        return attrs


class PlayEventBatchSerializer(serializers.Serializer):
    events = PlayEventInputSerializer(many=True, allow_empty=False, max_length=MAX_EVENTS_PER_BATCH)


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
