from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class StreamUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    rendition = RenditionSummarySerializer()


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


class HistoryArtistSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    name = serializers.CharField()
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    def get_id(self, artist) -> str:
        return str(artist.pk)

    def get_type(self, artist) -> str:
        return "artist"

    def get_uri(self, artist) -> str:
        return f"streamify:artist:{artist.pk}"


class HistoryImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)


class HistoryAlbumSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    album_type = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    release_date = serializers.DateField(allow_null=True)
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    def get_id(self, release) -> str:
        return str(release.pk)

    @extend_schema_field(serializers.ChoiceField(choices=["album", "single", "compilation"]))
    def get_album_type(self, release) -> str:
        # Spotify files EPs under singles.
        return {"ep": "single"}.get(release.release_type, release.release_type)

    @extend_schema_field(HistoryImageSerializer(many=True))
    def get_images(self, release) -> list[dict]:
        if not release.cover:
            return []
        request = self.context.get("request")
        url = release.cover.url
        return [
            {
                "url": request.build_absolute_uri(url) if request else url,
                "height": None,
                "width": None,
            }
        ]

    def get_type(self, release) -> str:
        return "album"

    def get_uri(self, release) -> str:
        return f"streamify:album:{release.pk}"


class PlayedTrackSerializer(serializers.Serializer):
    """The Spotify track object, reduced to what a history list shows."""

    id = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    artists = serializers.SerializerMethodField()
    album = HistoryAlbumSerializer(source="release")
    duration_ms = serializers.IntegerField()
    explicit = serializers.BooleanField()
    disc_number = serializers.IntegerField()
    track_number = serializers.IntegerField()
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    def get_id(self, track) -> str:
        return str(track.pk)

    @staticmethod
    def _artists(track):
        return [credit.artist for credit in track.credits.all()]

    @extend_schema_field(HistoryArtistSerializer(many=True))
    def get_artists(self, track) -> list[dict]:
        return HistoryArtistSerializer(self._artists(track), many=True).data

    def get_type(self, track) -> str:
        return "track"

    def get_uri(self, track) -> str:
        return f"streamify:track:{track.pk}"


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
    track = PlayedTrackSerializer()
    played_at = serializers.DateTimeField(source="ended_at")
    context = PlayContextSerializer(source="*")


class HistoryCursorsSerializer(serializers.Serializer):
    after = serializers.CharField(allow_null=True)
    before = serializers.CharField(allow_null=True)


class RecentlyPlayedSerializer(serializers.Serializer):
    href = serializers.URLField()
    items = PlayHistorySerializer(many=True)
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    cursors = HistoryCursorsSerializer(allow_null=True)


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
