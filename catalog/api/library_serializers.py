"""Requests and responses of the listener's library endpoints (Spotify Web API shapes)."""

import re

from rest_framework import serializers

from catalog.api.serializers import (
    URI_SCHEME,
    ArtistSerializer,
    ConstantField,
    SimplifiedPlaylistSerializer,
    TrackSerializer,
    paging_serializer,
)
from common.errors import ValidationFailed

_URI = re.compile(r"^[a-z]+:track:(\d+)$")


def parse_ids(raw, *, label: str = "ids") -> list[int]:
    """Parse `1,2,3` (a query parameter) or `["1", 2]` (a JSON list) into ints."""
    if raw is None or raw == "":
        return []
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, list):
        raise ValidationFailed(f"Invalid {label}: expected a list.")
    ids = []
    for part in parts:
        text = str(part).strip()
        if not text.isdigit():
            raise ValidationFailed(f"Invalid {label}: {text!r} is not an id.")
        ids.append(int(text))
    return ids


def track_id_from_uri(uri: str) -> int:
    match = _URI.match(str(uri).strip())
    if match is None:
        raise ValidationFailed(f"Invalid track URI: {uri!r}.")
    return int(match.group(1))


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


class PrivateUserSerializer(serializers.Serializer):
    country = serializers.CharField()
    display_name = serializers.CharField(allow_null=True)
    email = serializers.EmailField()
    id = serializers.CharField(source="pk")
    language = serializers.CharField()
    product = ConstantField("free")
    type = ConstantField("user")
    uri = serializers.SerializerMethodField()

    def get_uri(self, obj) -> str:
        return f"{URI_SCHEME}:user:{obj.pk}"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["display_name"] = data["display_name"] or None
        return data


class SavedTrackSerializer(serializers.Serializer):
    added_at = serializers.DateTimeField()
    track = TrackSerializer()


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
