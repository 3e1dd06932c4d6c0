"""The one Spotify object model of the API (track, album, artist, playlist, user, paging, error).

Serializers read the querysets of the domain selectors (`catalog.selectors`,
`catalog.library_selectors`, ...): the annotations and prefetches they expect are made there.
"""

from api.objects.album import AlbumSerializer, SimplifiedAlbumSerializer
from api.objects.artist import ArtistSerializer, SimplifiedArtistSerializer
from api.objects.base import (
    URI_SCHEME,
    ConstantField,
    ImageSerializer,
    ObjectSerializer,
    api_url,
    images_of,
    object_uri,
)
from api.objects.error import ErrorDetailSerializer, ErrorSerializer
from api.objects.lists import (
    AlbumListSerializer,
    ArtistListSerializer,
    MarketsSerializer,
    SearchResultSerializer,
    TopTracksSerializer,
    TrackListSerializer,
    serialize_in_order,
)
from api.objects.lyrics import LyricsSerializer, lyrics_object
from api.objects.paging import paging, paging_serializer
from api.objects.playlist import (
    PlaylistSerializer,
    PlaylistTrackSerializer,
    SimplifiedPlaylistSerializer,
    playlists_localise,
)
from api.objects.track import SimplifiedTrackSerializer, TrackSerializer
from api.objects.user import (
    PlaylistOwnerSerializer,
    PrivateUserSerializer,
    PublicUserSerializer,
)

__all__ = [
    "URI_SCHEME",
    "AlbumListSerializer",
    "AlbumSerializer",
    "ArtistListSerializer",
    "ArtistSerializer",
    "ConstantField",
    "ErrorDetailSerializer",
    "ErrorSerializer",
    "ImageSerializer",
    "LyricsSerializer",
    "MarketsSerializer",
    "ObjectSerializer",
    "PlaylistOwnerSerializer",
    "PlaylistSerializer",
    "PlaylistTrackSerializer",
    "PrivateUserSerializer",
    "PublicUserSerializer",
    "SearchResultSerializer",
    "SimplifiedAlbumSerializer",
    "SimplifiedArtistSerializer",
    "SimplifiedPlaylistSerializer",
    "SimplifiedTrackSerializer",
    "TopTracksSerializer",
    "TrackListSerializer",
    "TrackSerializer",
    "api_url",
    "images_of",
    "lyrics_object",
    "object_uri",
    "paging",
    "paging_serializer",
    "playlists_localise",
    "serialize_in_order",
]
