"""Responses that wrap lists of objects (several by ids, top tracks, search)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.album import AlbumSerializer, SimplifiedAlbumSerializer
from api.objects.artist import ArtistSerializer
from api.objects.paging import paging_serializer
from api.objects.playlist import SimplifiedPlaylistSerializer
from api.objects.track import TrackSerializer


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
    corrected_query = serializers.CharField(
        required=False,
        help_text="Not in the reference: the words searched instead when `q` found no track "
        "and a misspelt word was corrected (PostgreSQL); absent otherwise.",
    )


def serialize_in_order(serializer_class, objects: list, context: dict) -> list:
    """Serialize `objects` with one serializer, keeping None (unknown ids) in place."""
    found = iter(
        serializer_class([o for o in objects if o is not None], many=True, context=context).data
    )
    return [next(found) if o is not None else None for o in objects]


class MarketsSerializer(serializers.Serializer):
    markets = serializers.ListField(child=serializers.CharField())
