"""Artist objects (simplified and full)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.base import (
    ConstantField,
    FollowersSerializer,
    ImageSerializer,
    ObjectSerializer,
    images_of,
)
from catalog.models import Artist


class SimplifiedArtistSerializer(ObjectSerializer):
    object_type = "artist"
    detail_view = "artist-detail"

    name = serializers.CharField()
    type = ConstantField("artist")


class ArtistSerializer(SimplifiedArtistSerializer):
    followers = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    popularity = serializers.IntegerField()

    @extend_schema_field(FollowersSerializer)
    def get_followers(self, obj: Artist) -> dict:
        return {"href": None, "total": obj.followers_total}

    def get_genres(self, obj: Artist) -> list[str]:
        return [genre.name for genre in obj.genres.all()]

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj: Artist) -> list[dict]:
        return images_of(self.context, obj.image)


def artists_of(serializer: serializers.Serializer, credits) -> list[dict]:
    artists = list({credit.artist_id: credit.artist for credit in credits}.values())
    return SimplifiedArtistSerializer(artists, many=True, context=serializer.context).data
