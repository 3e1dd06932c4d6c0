"""Playlist objects (simplified and full) and playlist track objects."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.base import (
    ConstantField,
    FollowersSerializer,
    ImageSerializer,
    ObjectSerializer,
    api_url,
    images_of,
)
from api.objects.paging import paging, paging_serializer
from api.objects.track import TrackSerializer
from api.objects.user import PlaylistOwnerSerializer
from catalog.models import Playlist, PlaylistItem
from catalog.selectors import EMBEDDED_PAGE_LIMIT
from editorial import selectors as editorial_selectors


class PlaylistTracksRefSerializer(serializers.Serializer):
    href = serializers.URLField()
    total = serializers.IntegerField()


def items_url(context: dict, pk, **query) -> str:
    """The reference's current path for a playlist's items, `/playlists/{id}/items`."""
    return api_url(context, "playlist-items-v2", pk, namespace="library_api", **query)


class SimplifiedPlaylistSerializer(ObjectSerializer):
    object_type = "playlist"
    detail_view = "playlist-detail"

    collaborative = serializers.BooleanField()
    description = serializers.CharField(allow_null=True)
    images = serializers.SerializerMethodField()
    name = serializers.CharField()
    owner = PlaylistOwnerSerializer()
    public = serializers.BooleanField()
    snapshot_id = serializers.CharField(source="snapshot")
    items = serializers.SerializerMethodField()
    tracks = serializers.SerializerMethodField(help_text="Deprecated in the reference: `items`.")
    type = ConstantField("playlist")

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj: Playlist) -> list[dict]:
        return images_of(self.context, obj.cover)

    @extend_schema_field(PlaylistTracksRefSerializer)
    def get_items(self, obj: Playlist) -> dict:
        return {"href": items_url(self.context, obj.pk), "total": obj.tracks_total}

    @extend_schema_field(PlaylistTracksRefSerializer)
    def get_tracks(self, obj: Playlist) -> dict:
        return {"href": api_url(self.context, "playlist-tracks", obj.pk), "total": obj.tracks_total}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["description"] = data["description"] or None
        return data


def playlists_localise(objects: list[dict], languages: list[str]) -> list[dict]:
    """Give the editorial playlists among `objects` (playlist objects) their name and
    description in `languages` (one query; the rule of every playlist answer)."""
    if objects:
        texts = editorial_selectors.playlist_texts_of(
            playlist_ids=[int(o["id"]) for o in objects], languages=languages
        )
        for obj in objects:
            found = texts.get(int(obj["id"]))
            if found is not None:
                obj["name"], obj["description"] = found.title, found.description or None
    return objects


class PlaylistTrackSerializer(serializers.Serializer):
    """An item; in an editorial or personalised playlist `added_by` is the playlist's owner
    (the curating account), never the editor who added it."""

    added_at = serializers.DateTimeField()
    added_by = serializers.SerializerMethodField()
    is_local = ConstantField(False)
    track = TrackSerializer()

    @extend_schema_field(PlaylistOwnerSerializer(allow_null=True))
    def get_added_by(self, item: PlaylistItem) -> dict | None:
        playlist = item.playlist
        user = item.added_by if playlist.kind == Playlist.Kind.USER else playlist.owner
        if user is None:
            return None
        return PlaylistOwnerSerializer(user, context=self.context).data


PlaylistTrackPagingSerializer = paging_serializer(
    "PlaylistTrackPaging", PlaylistTrackSerializer(many=True)
)


class PlaylistSerializer(SimplifiedPlaylistSerializer):
    followers = serializers.SerializerMethodField()

    @extend_schema_field(FollowersSerializer)
    def get_followers(self, obj: Playlist) -> dict:
        return {"href": None, "total": obj.followers_total}

    def _first_page(self, obj: Playlist, url: str) -> dict:
        # `items` and `tracks` hold the same page: serialize it once.
        if not hasattr(obj, "_first_page_items"):
            page: list[PlaylistItem] = obj.item_page
            obj._first_page_items = PlaylistTrackSerializer(
                page, many=True, context=self.context
            ).data
        return paging(
            url=url, items=obj._first_page_items, total=obj.tracks_total, limit=EMBEDDED_PAGE_LIMIT
        )

    @extend_schema_field(PlaylistTrackPagingSerializer)
    def get_items(self, obj: Playlist) -> dict:
        market = self.context.get("market")
        return self._first_page(obj, items_url(self.context, obj.pk, market=market))

    @extend_schema_field(PlaylistTrackPagingSerializer)
    def get_tracks(self, obj: Playlist) -> dict:
        market = self.context.get("market")
        return self._first_page(
            obj, api_url(self.context, "playlist-tracks", obj.pk, market=market)
        )
