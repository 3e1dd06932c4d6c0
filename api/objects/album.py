"""Album objects (simplified and full); the full one embeds a page of simplified tracks.
With a market, `is_playable` instead of `available_markets`, as in track objects."""

from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.artist import SimplifiedArtistSerializer, artists_of
from api.objects.base import (
    AlbumExternalIdsSerializer,
    AvailableMarketsField,
    ConstantField,
    CopyrightSerializer,
    ImageSerializer,
    ObjectSerializer,
    api_url,
    images_of,
)
from api.objects.paging import paging
from catalog.models import Release
from catalog.selectors import ALBUM_GROUPS, ALBUM_TYPE_OF_RELEASE, EMBEDDED_PAGE_LIMIT


class SimplifiedAlbumSerializer(ObjectSerializer):
    object_type = "album"
    detail_view = "album-detail"

    album_type = serializers.SerializerMethodField()
    album_group = serializers.ChoiceField(
        choices=ALBUM_GROUPS,
        required=False,
        help_text="Only in an artist's albums: how the artist relates to the album.",
    )
    artists = serializers.SerializerMethodField()
    available_markets = AvailableMarketsField(
        help_text="ISO 3166-1 alpha-2 codes of the markets where some track of it plays now; "
        "only without `market`."
    )
    is_playable = serializers.BooleanField(
        required=False,
        help_text="Only with `market`: whether some track of it plays there now.",
    )
    images = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    release_date = serializers.DateField(allow_null=True)
    release_date_precision = serializers.SerializerMethodField()
    total_tracks = serializers.IntegerField()
    type = ConstantField("album")

    @extend_schema_field(serializers.ChoiceField(choices=["album", "single", "compilation"]))
    def get_album_type(self, obj: Release) -> str:
        return ALBUM_TYPE_OF_RELEASE.get(obj.release_type, "album")

    @extend_schema_field(SimplifiedArtistSerializer(many=True))
    def get_artists(self, obj: Release) -> list[dict]:
        return artists_of(self, obj.artist_credits)

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj: Release) -> list[dict]:
        return images_of(self.context, obj.cover)

    @extend_schema_field(
        serializers.ChoiceField(choices=["day"], allow_null=True),
    )
    def get_release_date_precision(self, obj: Release) -> str | None:
        return "day" if obj.release_date else None


class AlbumSerializer(SimplifiedAlbumSerializer):
    copyrights = serializers.SerializerMethodField()
    external_ids = serializers.SerializerMethodField()
    genres = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    popularity = serializers.IntegerField()
    tracks = serializers.SerializerMethodField()

    @extend_schema_field(CopyrightSerializer(many=True))
    def get_copyrights(self, obj: Release) -> list[dict]:
        return [{"text": obj.copyright, "type": "C"}] if obj.copyright else []

    @extend_schema_field(AlbumExternalIdsSerializer)
    def get_external_ids(self, obj: Release) -> dict:
        return {"upc": obj.upc} if obj.upc else {}

    def get_genres(self, obj: Release) -> list[str]:
        return [genre.name for genre in obj.genres.all()]

    def get_label(self, obj: Release) -> str:
        return obj.label.name if obj.label else ""

    @extend_schema_field(lazy_serializer("api.objects.track.SimplifiedTrackPagingSerializer")())
    def get_tracks(self, obj: Release) -> dict:
        from api.objects.track import SimplifiedTrackSerializer

        return paging(
            url=api_url(self.context, "album-tracks", obj.pk, market=self.context.get("market")),
            items=SimplifiedTrackSerializer(obj.track_page, many=True, context=self.context).data,
            total=obj.total_tracks,
            limit=EMBEDDED_PAGE_LIMIT,
        )
