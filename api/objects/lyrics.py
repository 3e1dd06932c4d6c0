"""The lyrics object: {"track_id", "synced", "lines": [{"start_ms", "text"}], "plain", ...}."""

from rest_framework import serializers


class LyricsLineSerializer(serializers.Serializer):
    start_ms = serializers.IntegerField(
        allow_null=True, help_text="When the line starts, in ms; null in plain lyrics."
    )
    text = serializers.CharField(allow_blank=True)


class LyricsSerializer(serializers.Serializer):
    track_id = serializers.CharField()
    synced = serializers.BooleanField()
    lines = LyricsLineSerializer(many=True)
    plain = serializers.CharField(allow_blank=True)
    language = serializers.CharField(allow_null=True, help_text="ISO 639 code, null if unknown.")
    source = serializers.CharField(help_text="tag, sidecar or edited.")
    updated_at = serializers.DateTimeField()


def lyrics_object(lyrics) -> dict:
    """The lyrics object of a `catalog.TrackLyrics` row."""
    return {
        "track_id": str(lyrics.track_id),
        "synced": lyrics.synced,
        "lines": [
            {"start_ms": line.get("start_ms") if lyrics.synced else None, "text": line["text"]}
            for line in lyrics.lines
        ],
        "plain": lyrics.plain,
        "language": lyrics.language or None,
        "source": lyrics.source,
        "updated_at": lyrics.updated_at,
    }
