"""Browse objects in the shape of the Spotify Web API (simplified playlist, album, category).

The catalog API's serializers give the same shapes but live in `catalog.api`, which other
apps may not import (import-linter); these read the querysets of `editorial.selectors`.
Texts are localised with the `languages` of the serializer context.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import ALBUM_TYPE_OF_RELEASE, markets_from
from editorial import selectors
from editorial.models import Category

URI_SCHEME = "streamify"


def _absolute(context: dict, path: str) -> str:
    return context["request"].build_absolute_uri(path)


def _images(context: dict, image) -> list[dict]:
    if not image:
        return []
    return [{"url": _absolute(context, image.url), "height": None, "width": None}]


def paging_serializer(name: str, item: serializers.Serializer) -> type[serializers.Serializer]:
    """A serializer describing a paging object of `item` (for the schema)."""
    fields = {
        "href": serializers.URLField(),
        "items": item,
        "limit": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "offset": serializers.IntegerField(),
        "previous": serializers.URLField(allow_null=True),
        "total": serializers.IntegerField(),
    }
    return type(f"{name}Serializer", (serializers.Serializer,), fields)


class BrowseErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()


class BrowseErrorSerializer(serializers.Serializer):
    error = BrowseErrorDetailSerializer()


class BrowseImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)


class BrowseExternalUrlsSerializer(serializers.Serializer):
    streamify = serializers.URLField()


class _BrowseObjectSerializer(serializers.Serializer):
    object_type = ""
    detail_view = ""

    external_urls = serializers.SerializerMethodField()
    href = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    @extend_schema_field(BrowseExternalUrlsSerializer)
    def get_external_urls(self, obj) -> dict:
        return {"streamify": _absolute(self.context, f"/{self.object_type}/{obj.pk}")}

    def get_href(self, obj) -> str:
        return _absolute(self.context, reverse(self.detail_view, args=[str(obj.pk)]))

    def get_type(self, obj) -> str:
        return self.object_type

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:{self.object_type}:{obj.pk}"


class BrowseUserSerializer(serializers.Serializer):
    display_name = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    type = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()

    def get_display_name(self, obj) -> str | None:
        return obj.display_name or None

    def get_type(self, obj) -> str:
        return "user"

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:user:{obj.pk}"


class BrowseTracksRefSerializer(serializers.Serializer):
    href = serializers.URLField()
    total = serializers.IntegerField()


class BrowsePlaylistSerializer(_BrowseObjectSerializer):
    """A simplified playlist object; editorial name and description in the request's language.

    Also reads catalog playlists (the `made-for-you` category), which have no translations.
    """

    object_type = "playlist"
    detail_view = "catalog_api:playlist-detail"

    collaborative = serializers.BooleanField()
    description = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    owner = BrowseUserSerializer()
    public = serializers.BooleanField()
    snapshot_id = serializers.CharField(source="snapshot")
    tracks = serializers.SerializerMethodField()

    def _texts(self, obj):
        if not hasattr(obj, "translations"):
            return obj.name, obj.description
        texts = selectors.playlist_texts(playlist=obj, languages=self.context["languages"])
        return texts.title, texts.description

    def get_name(self, obj) -> str:
        return self._texts(obj)[0]

    def get_description(self, obj) -> str | None:
        return self._texts(obj)[1] or None

    @extend_schema_field(BrowseImageSerializer(many=True))
    def get_images(self, obj) -> list[dict]:
        return _images(self.context, obj.cover)

    @extend_schema_field(BrowseTracksRefSerializer)
    def get_tracks(self, obj) -> dict:
        href = _absolute(self.context, reverse("catalog_api:playlist-tracks", args=[str(obj.pk)]))
        return {"href": href, "total": obj.tracks_total}


class BrowseArtistSerializer(_BrowseObjectSerializer):
    object_type = "artist"
    detail_view = "catalog_api:artist-detail"

    name = serializers.CharField()


class BrowseAlbumSerializer(_BrowseObjectSerializer):
    """A simplified album object (reads `catalog.selectors.release_list_simplified`)."""

    object_type = "album"
    detail_view = "catalog_api:album-detail"

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

    @extend_schema_field(BrowseArtistSerializer(many=True))
    def get_artists(self, obj) -> list[dict]:
        artists = list({c.artist_id: c.artist for c in obj.artist_credits}.values())
        return BrowseArtistSerializer(artists, many=True, context=self.context).data

    def get_available_markets(self, obj) -> list[str]:
        return markets_from(obj.market_list)

    @extend_schema_field(BrowseImageSerializer(many=True))
    def get_images(self, obj) -> list[dict]:
        return _images(self.context, obj.cover)

    def get_release_date_precision(self, obj) -> str | None:
        return "day" if obj.release_date else None


class BrowseCategorySerializer(serializers.Serializer):
    href = serializers.SerializerMethodField()
    icons = serializers.SerializerMethodField()
    id = serializers.CharField(source="slug")
    name = serializers.SerializerMethodField()

    def get_href(self, obj: Category) -> str:
        return _absolute(self.context, reverse("editorial_api:category", args=[obj.slug]))

    @extend_schema_field(BrowseImageSerializer(many=True))
    def get_icons(self, obj: Category) -> list[dict]:
        return _images(self.context, obj.icon)

    def get_name(self, obj: Category) -> str:
        return selectors.category_name(category=obj, languages=self.context["languages"])


BrowsePlaylistPagingSerializer = paging_serializer(
    "BrowsePlaylistPaging", BrowsePlaylistSerializer(many=True)
)


class FeaturedPlaylistsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    playlists = BrowsePlaylistPagingSerializer()


class CategoryPlaylistsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    playlists = BrowsePlaylistPagingSerializer()


class CategoriesResponseSerializer(serializers.Serializer):
    categories = paging_serializer("BrowseCategoryPaging", BrowseCategorySerializer(many=True))()


class NewReleasesResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    albums = paging_serializer("BrowseAlbumPaging", BrowseAlbumSerializer(many=True))()
