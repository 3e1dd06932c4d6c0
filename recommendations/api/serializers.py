"""Track and artist objects in the shape of the Spotify Web API, for similar/related lists.

Built from `catalog.selectors` querysets (annotations `market_list`, `is_playable`,
`followers_total`; prefetches `performer_credits`, `artist_credits`, `genres`); catalog's
API serializers are not reachable from here, so the shapes are written out again.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import ALBUM_TYPE_OF_RELEASE, markets_from

URI_SCHEME = "streamify"


def _api_url(context: dict, view: str, pk) -> str:
    return context["request"].build_absolute_uri(reverse(f"catalog_api:{view}", args=[str(pk)]))


def _images(context: dict, image) -> list[dict]:
    if not image:
        return []
    url = context["request"].build_absolute_uri(image.url)
    return [{"url": url, "height": None, "width": None}]


class RecommendationsErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()


class RecommendationsErrorSerializer(serializers.Serializer):
    error = RecommendationsErrorDetailSerializer()


class _ObjectSerializer(serializers.Serializer):
    object_type = ""
    detail_view = ""

    external_urls = serializers.SerializerMethodField()
    href = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    @extend_schema_field(
        {"type": "object", "properties": {"streamify": {"type": "string", "format": "uri"}}}
    )
    def get_external_urls(self, obj) -> dict:
        url = self.context["request"].build_absolute_uri(f"/{self.object_type}/{obj.pk}")
        return {"streamify": url}

    def get_href(self, obj) -> str:
        return _api_url(self.context, self.detail_view, obj.pk)

    def get_type(self, obj) -> str:
        return self.object_type

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:{self.object_type}:{obj.pk}"


_IMAGES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "height": {"type": "integer", "nullable": True},
            "width": {"type": "integer", "nullable": True},
        },
    },
}


class RecommendedArtistSimplifiedSerializer(_ObjectSerializer):
    object_type = "artist"
    detail_view = "artist-detail"

    name = serializers.CharField()


class RecommendedArtistSerializer(RecommendedArtistSimplifiedSerializer):
    followers = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    popularity = serializers.IntegerField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "href": {"type": "string", "nullable": True},
                "total": {"type": "integer"},
            },
        }
    )
    def get_followers(self, obj) -> dict:
        return {"href": None, "total": obj.followers_total}

    def get_genres(self, obj) -> list[str]:
        return [genre.name for genre in obj.genres.all()]

    @extend_schema_field(_IMAGES_SCHEMA)
    def get_images(self, obj) -> list[dict]:
        return _images(self.context, obj.image)


def _artists(serializer, credits) -> list[dict]:
    artists = list({credit.artist_id: credit.artist for credit in credits}.values())
    return RecommendedArtistSimplifiedSerializer(
        artists, many=True, context=serializer.context
    ).data


class RecommendedAlbumSimplifiedSerializer(_ObjectSerializer):
    object_type = "album"
    detail_view = "album-detail"

    album_type = serializers.SerializerMethodField()
    artists = serializers.SerializerMethodField()
    available_markets = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    release_date = serializers.DateField(allow_null=True)
    release_date_precision = serializers.SerializerMethodField()
    total_tracks = serializers.IntegerField()

    def get_album_type(self, obj) -> str:
        return ALBUM_TYPE_OF_RELEASE.get(obj.release_type, "album")

    @extend_schema_field(RecommendedArtistSimplifiedSerializer(many=True))
    def get_artists(self, obj) -> list[dict]:
        return _artists(self, obj.artist_credits)

    def get_available_markets(self, obj) -> list[str]:
        return markets_from(obj.market_list)

    @extend_schema_field(_IMAGES_SCHEMA)
    def get_images(self, obj) -> list[dict]:
        return _images(self.context, obj.cover)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_release_date_precision(self, obj) -> str | None:
        return "day" if obj.release_date else None


class RecommendedTrackSerializer(_ObjectSerializer):
    object_type = "track"
    detail_view = "track-detail"

    album = RecommendedAlbumSimplifiedSerializer(source="release")
    artists = serializers.SerializerMethodField()
    available_markets = serializers.SerializerMethodField()
    disc_number = serializers.IntegerField()
    duration_ms = serializers.IntegerField()
    explicit = serializers.BooleanField()
    external_ids = serializers.SerializerMethodField()
    is_local = serializers.SerializerMethodField()
    is_playable = serializers.BooleanField(
        required=False, help_text="Only with `market`: whether the track plays there now."
    )
    name = serializers.CharField(source="title")
    popularity = serializers.IntegerField()
    track_number = serializers.IntegerField()

    @extend_schema_field(RecommendedArtistSimplifiedSerializer(many=True))
    def get_artists(self, obj) -> list[dict]:
        return _artists(self, obj.performer_credits)

    def get_available_markets(self, obj) -> list[str]:
        return markets_from(obj.market_list)

    @extend_schema_field({"type": "object", "properties": {"isrc": {"type": "string"}}})
    def get_external_ids(self, obj) -> dict:
        return {"isrc": obj.isrc} if obj.isrc else {}

    def get_is_local(self, obj) -> bool:
        return False


class SimilarTracksSerializer(serializers.Serializer):
    tracks = RecommendedTrackSerializer(many=True)


class RelatedArtistsSerializer(serializers.Serializer):
    artists = RecommendedArtistSerializer(many=True)
