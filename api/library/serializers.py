"""Requests and responses of the listener's library endpoints (Spotify Web API shapes)."""

from rest_framework import serializers

from api.objects import (
    AlbumSerializer,
    ArtistSerializer,
    SimplifiedPlaylistSerializer,
    TrackSerializer,
    paging_serializer,
)
from api.params import id_list, uri_id
from common.errors import NotFound


def parse_ids(raw, *, label: str = "ids") -> list[int]:
    """Parse `1,2,3` or `["1", 2]`; an id no row can have is a 404."""
    ids = id_list(raw, label=label)
    if None in ids:
        raise NotFound(f"Not found: an id in {label} names nothing.")
    return ids


def track_id_from_uri(uri: str) -> int:
    track_id = uri_id(uri, kind="track")
    if track_id is None:
        raise NotFound(f"Track not found: {str(uri)[:60]!r}.")
    return track_id


# Requests


class IdsBodySerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Used when `ids` is not in the query.",
    )


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    country = serializers.CharField(
        min_length=2, max_length=2, required=False, help_text="ISO 3166-1 alpha-2 code."
    )
    language = serializers.CharField(max_length=8, required=False, help_text="en, sv or es.")


class PlaylistCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=True)


class PlaylistUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    public = serializers.BooleanField(required=False)


class PlaylistItemsAddSerializer(serializers.Serializer):
    uris = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=100,
        help_text="Track URIs, e.g. `streamify:track:42`.",
    )
    ids = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=100,
        help_text="Track ids, as an alternative to `uris`.",
    )
    position = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Zero-based index to insert at; appended when absent.",
    )

    def validate(self, attrs):
        track_ids = [track_id_from_uri(uri) for uri in attrs.get("uris") or []]
        track_ids += parse_ids(attrs.get("ids") or [], label="ids")
        if not track_ids:
            raise serializers.ValidationError("Give `uris` or `ids`.")
        attrs["track_ids"] = track_ids
        return attrs


class PlaylistItemRefSerializer(serializers.Serializer):
    uri = serializers.CharField()
    positions = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Remove only the occurrences at these positions.",
    )


class PlaylistItemsRemoveSerializer(serializers.Serializer):
    tracks = PlaylistItemRefSerializer(many=True, required=False)
    ids = serializers.ListField(child=serializers.CharField(), required=False)
    snapshot_id = serializers.CharField(required=False)

    def validate(self, attrs):
        every, at = [], {}
        for ref in attrs.get("tracks") or []:
            track_id = track_id_from_uri(ref["uri"])
            if ref.get("positions"):
                at.setdefault(track_id, []).extend(ref["positions"])
            else:
                every.append(track_id)
        every += parse_ids(attrs.get("ids") or [], label="ids")
        if not every and not at:
            raise serializers.ValidationError("Give `tracks` or `ids`.")
        attrs["track_ids"], attrs["positions"] = every, at
        return attrs


class PlaylistItemsReorderSerializer(serializers.Serializer):
    range_start = serializers.IntegerField(min_value=0)
    insert_before = serializers.IntegerField(min_value=0)
    range_length = serializers.IntegerField(min_value=1, required=False, default=1)
    snapshot_id = serializers.CharField(required=False)


# Responses


class SavedTrackSerializer(serializers.Serializer):
    added_at = serializers.DateTimeField()
    track = TrackSerializer()


class SavedAlbumSerializer(serializers.Serializer):
    added_at = serializers.DateTimeField()
    album = AlbumSerializer(source="release")


SavedAlbumPagingSerializer = paging_serializer("SavedAlbumPaging", SavedAlbumSerializer(many=True))
SavedTrackPagingSerializer = paging_serializer("SavedTrackPaging", SavedTrackSerializer(many=True))
LibraryPlaylistPagingSerializer = paging_serializer(
    "LibraryPlaylistPaging", SimplifiedPlaylistSerializer(many=True)
)


class SnapshotSerializer(serializers.Serializer):
    snapshot_id = serializers.CharField()


class ArtistCursorsSerializer(serializers.Serializer):
    after = serializers.CharField(allow_null=True)
    before = serializers.CharField(allow_null=True)


class FollowedArtistsCursorPagingSerializer(serializers.Serializer):
    href = serializers.URLField()
    items = ArtistSerializer(many=True)
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    cursors = ArtistCursorsSerializer()
    total = serializers.IntegerField()


class FollowedArtistsSerializer(serializers.Serializer):
    artists = FollowedArtistsCursorPagingSerializer()
