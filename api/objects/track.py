"""Track objects (simplified and full). With a market, `is_playable` (and `restrictions`)
instead of `available_markets`, as Spotify's track relinking."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.album import SimplifiedAlbumSerializer
from api.objects.artist import SimplifiedArtistSerializer, artists_of
from api.objects.base import (
    AvailableMarketsField,
    ConstantField,
    ObjectSerializer,
    RestrictionsSerializer,
    TrackExternalIdsSerializer,
    playability,
)
from api.objects.paging import paging_serializer
from catalog.models import Track


class SimplifiedTrackSerializer(ObjectSerializer):
    object_type = "track"
    detail_view = "track-detail"

    artists = serializers.SerializerMethodField()
    available_markets = AvailableMarketsField()
    disc_number = serializers.IntegerField()
    duration_ms = serializers.IntegerField()
    explicit = serializers.BooleanField()
    is_local = ConstantField(False)
    is_playable = serializers.BooleanField(
        required=False, help_text="Only with `market`: whether the track plays there now."
    )
    restrictions = RestrictionsSerializer(
        required=False, help_text="Only with `market`, when the track does not play there."
    )
    name = serializers.CharField(source="title")
    track_number = serializers.IntegerField()
    type = ConstantField("track")

    @extend_schema_field(SimplifiedArtistSerializer(many=True))
    def get_artists(self, obj: Track) -> list[dict]:
        return artists_of(self, obj.performer_credits)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.pop("restrictions", None)
        if "is_playable" in data:
            data["is_playable"], reason = playability(data["is_playable"], instance.audio_status)
            if reason is not None:
                data["restrictions"] = {"reason": reason}
        return data


class TrackSerializer(SimplifiedTrackSerializer):
    album = SimplifiedAlbumSerializer(source="release")
    external_ids = serializers.SerializerMethodField()
    popularity = serializers.IntegerField()

    @extend_schema_field(TrackExternalIdsSerializer)
    def get_external_ids(self, obj: Track) -> dict:
        return {"isrc": obj.isrc} if obj.isrc else {}


SimplifiedTrackPagingSerializer = paging_serializer(
    "SimplifiedTrackPaging", SimplifiedTrackSerializer(many=True)
)
