"""Catalog objects in the shape of the Spotify Web API (track, album, artist, playlist).

Serializers expect the querysets of `catalog.selectors`: the annotations (`market_list`,
`total_tracks`, `is_playable`, ...) and prefetches (`performer_credits`, `artist_credits`,
`track_page`, `item_page`) they read are made there. `is_playable` (and `restrictions`
when not playable) appear only when the request named a market.
"""

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from catalog.models import Artist, Playlist, PlaylistItem, Release, Track
from catalog.selectors import (
    ALBUM_GROUPS,
    ALBUM_TYPE_OF_RELEASE,
    EMBEDDED_PAGE_LIMIT,
    image_sizes,
    markets_from,
)

URI_SCHEME = "streamify"


class ConstantField(serializers.Field):
    """A read-only field whose value is always `value` (an object's `type`)."""

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return self.value


class ConstantFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        value = self.target.value
        if isinstance(value, bool):
            return {"type": "boolean"}
        # A component of its own, so the enum hook does not rename it per serializer.
        component = ResolvedComponent(
            name=f"{value.capitalize()}ObjectType",
            type=ResolvedComponent.SCHEMA,
            object=f"ConstantField.{value}",
            schema={"type": "string", "enum": [value]},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def api_url(context: dict, view: str, pk, **query) -> str:
    url = context["request"].build_absolute_uri(reverse(f"catalog_api:{view}", args=[str(pk)]))
    for name, value in query.items():
        if value is not None:
            url = replace_query_param(url, name, value)
    return url


def paging(*, url: str, items: list, total: int, limit: int, offset: int = 0) -> dict:
    """A paging object for a page of `items` taken from the list behind `url`."""

    def link(at: int) -> str:
        return replace_query_param(replace_query_param(url, "offset", at), "limit", limit)

    return {
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "total": total,
    }


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


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ExternalUrlsSerializer(serializers.Serializer):
    streamify = serializers.URLField()


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)


class FollowersSerializer(serializers.Serializer):
    href = serializers.URLField(allow_null=True)
    total = serializers.IntegerField()


class RestrictionsSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=["market"])


class CopyrightSerializer(serializers.Serializer):
    text = serializers.CharField()
    type = serializers.ChoiceField(choices=["C", "P"])


class TrackExternalIdsSerializer(serializers.Serializer):
    isrc = serializers.CharField(required=False)


class AlbumExternalIdsSerializer(serializers.Serializer):
    upc = serializers.CharField(required=False)


def _images(context: dict, image) -> list[dict]:
    build = context["request"].build_absolute_uri
    return [{"url": build(i.url), "height": i.height, "width": i.width} for i in image_sizes(image)]


class _CatalogObjectSerializer(serializers.Serializer):
    """The members every catalog object has: external_urls, href, id, type, uri."""

    object_type = ""
    detail_view = ""

    external_urls = serializers.SerializerMethodField()
    href = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    uri = serializers.SerializerMethodField()

    @extend_schema_field(ExternalUrlsSerializer)
    def get_external_urls(self, obj) -> dict:
        url = self.context["request"].build_absolute_uri(f"/{self.object_type}/{obj.pk}")
        return {"streamify": url}

    def get_href(self, obj) -> str:
        return api_url(self.context, self.detail_view, obj.pk)

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:{self.object_type}:{obj.pk}"


# Artists


class SimplifiedArtistSerializer(_CatalogObjectSerializer):
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
        return _images(self.context, obj.image)


def _artists(serializer: serializers.Serializer, credits) -> list[dict]:
    artists = list({credit.artist_id: credit.artist for credit in credits}.values())
    return SimplifiedArtistSerializer(artists, many=True, context=serializer.context).data


# Albums


class SimplifiedAlbumSerializer(_CatalogObjectSerializer):
    object_type = "album"
    detail_view = "album-detail"

    album_type = serializers.SerializerMethodField()
    album_group = serializers.ChoiceField(
        choices=ALBUM_GROUPS,
        required=False,
        help_text="Only in an artist's albums: how the artist relates to the album.",
    )
    artists = serializers.SerializerMethodField()
    available_markets = serializers.SerializerMethodField()
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
        return _artists(self, obj.artist_credits)

    def get_available_markets(self, obj: Release) -> list[str]:
        return markets_from(obj.market_list)

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj: Release) -> list[dict]:
        return _images(self.context, obj.cover)

    @extend_schema_field(
        serializers.ChoiceField(choices=["day"], allow_null=True),
    )
    def get_release_date_precision(self, obj: Release) -> str | None:
        return "day" if obj.release_date else None


# Tracks


class SimplifiedTrackSerializer(_CatalogObjectSerializer):
    object_type = "track"
    detail_view = "track-detail"

    artists = serializers.SerializerMethodField()
    available_markets = serializers.SerializerMethodField()
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
        return _artists(self, obj.performer_credits)

    def get_available_markets(self, obj: Track) -> list[str]:
        return markets_from(obj.market_list)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data.pop("restrictions", None)
        if data.get("is_playable") is False:
            data["restrictions"] = {"reason": "market"}
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

    @extend_schema_field(SimplifiedTrackPagingSerializer)
    def get_tracks(self, obj: Release) -> dict:
        return paging(
            url=api_url(self.context, "album-tracks", obj.pk, market=self.context.get("market")),
            items=SimplifiedTrackSerializer(obj.track_page, many=True, context=self.context).data,
            total=obj.total_tracks,
            limit=EMBEDDED_PAGE_LIMIT,
        )


# Playlists


class PublicUserSerializer(serializers.Serializer):
    display_name = serializers.CharField(allow_null=True)
    id = serializers.CharField(source="pk")
    type = ConstantField("user")
    uri = serializers.SerializerMethodField()

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:user:{obj.pk}"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["display_name"] = data["display_name"] or None
        return data


class PlaylistTracksRefSerializer(serializers.Serializer):
    href = serializers.URLField()
    total = serializers.IntegerField()


class SimplifiedPlaylistSerializer(_CatalogObjectSerializer):
    object_type = "playlist"
    detail_view = "playlist-detail"

    collaborative = serializers.BooleanField()
    description = serializers.CharField(allow_null=True)
    images = serializers.SerializerMethodField()
    name = serializers.CharField()
    owner = PublicUserSerializer()
    public = serializers.BooleanField()
    snapshot_id = serializers.CharField(source="snapshot")
    tracks = serializers.SerializerMethodField()
    type = ConstantField("playlist")

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj: Playlist) -> list[dict]:
        return _images(self.context, obj.cover)

    @extend_schema_field(PlaylistTracksRefSerializer)
    def get_tracks(self, obj: Playlist) -> dict:
        return {"href": api_url(self.context, "playlist-tracks", obj.pk), "total": obj.tracks_total}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["description"] = data["description"] or None
        return data


class PlaylistTrackSerializer(serializers.Serializer):
    added_at = serializers.DateTimeField()
    added_by = PublicUserSerializer(allow_null=True)
    is_local = ConstantField(False)
    track = TrackSerializer()


PlaylistTrackPagingSerializer = paging_serializer(
    "PlaylistTrackPaging", PlaylistTrackSerializer(many=True)
)


class PlaylistSerializer(SimplifiedPlaylistSerializer):
    followers = serializers.SerializerMethodField()

    @extend_schema_field(FollowersSerializer)
    def get_followers(self, obj: Playlist) -> dict:
        return {"href": None, "total": obj.followers_total}

    @extend_schema_field(PlaylistTrackPagingSerializer)
    def get_tracks(self, obj: Playlist) -> dict:
        items: list[PlaylistItem] = obj.item_page
        return paging(
            url=api_url(self.context, "playlist-tracks", obj.pk, market=self.context.get("market")),
            items=PlaylistTrackSerializer(items, many=True, context=self.context).data,
            total=obj.tracks_total,
            limit=EMBEDDED_PAGE_LIMIT,
        )


# Responses that wrap lists


def _nullable_items(component: str):
    """A list field whose items are `component` objects or null (ids that match nothing)."""
    schema = {
        "type": "array",
        "items": {"allOf": [{"$ref": f"#/components/schemas/{component}"}], "nullable": True},
    }
    return extend_schema_field(schema)(
        type(f"Nullable{component}List", (serializers.ListField,), {})
    )


class TrackListSerializer(serializers.Serializer):
    # Unknown ids answer null in place, as in the Spotify Web API.
    tracks = _nullable_items("Track")(child=TrackSerializer(allow_null=True))


class AlbumListSerializer(serializers.Serializer):
    # Unknown ids answer null in place, as in the Spotify Web API.
    albums = _nullable_items("Album")(child=AlbumSerializer(allow_null=True))


class ArtistListSerializer(serializers.Serializer):
    # Unknown ids answer null in place, as in the Spotify Web API.
    artists = _nullable_items("Artist")(child=ArtistSerializer(allow_null=True))


class TopTracksSerializer(serializers.Serializer):
    tracks = TrackSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    tracks = paging_serializer("TrackPaging", TrackSerializer(many=True))(required=False)
    albums = paging_serializer("SimplifiedAlbumPaging", SimplifiedAlbumSerializer(many=True))(
        required=False
    )
    artists = paging_serializer("ArtistPaging", ArtistSerializer(many=True))(required=False)
    playlists = paging_serializer(
        "SimplifiedPlaylistPaging", SimplifiedPlaylistSerializer(many=True)
    )(required=False)


def serialize_in_order(serializer_class, objects: list, context: dict) -> list:
    """Serialize `objects` with one serializer, keeping None (unknown ids) in place."""
    found = iter(
        serializer_class([o for o in objects if o is not None], many=True, context=context).data
    )
    return [next(found) if o is not None else None for o in objects]
