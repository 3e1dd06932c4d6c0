"""Public catalog API v1, read side, shaped like the Spotify Web API."""

from django.utils import timezone
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from catalog import search, selectors
from catalog.api.serializers import (
    AlbumListSerializer,
    AlbumSerializer,
    ArtistListSerializer,
    ArtistSerializer,
    ErrorSerializer,
    PlaylistSerializer,
    PlaylistTrackSerializer,
    SearchResultSerializer,
    SimplifiedAlbumSerializer,
    SimplifiedPlaylistSerializer,
    SimplifiedTrackSerializer,
    TopTracksSerializer,
    TrackListSerializer,
    TrackSerializer,
    paging,
    serialize_in_order,
)
from common.errors import ValidationFailed
from common.pagination import SpotifyPagination

MAX_TRACK_IDS = 50
MAX_ALBUM_IDS = 20
MAX_ARTIST_IDS = 50
# Spotify's bound on offset + limit in search.
MAX_SEARCH_DEPTH = 1000
SEARCH_TYPES = ("album", "artist", "playlist", "track")
_MAX_PK = 2**63 - 1

# Query parameters


def path_pk(raw: str) -> int | None:
    """Return the pk an API id names, None when it names no row; a malformed id is a 400."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed(f"Invalid id: {raw[:40]!r}.")
    if len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= _MAX_PK else None


def ids_param(request, *, maximum: int) -> list[int | None]:
    raw = request.query_params.get("ids", "")
    if not raw.strip():
        raise ValidationFailed("Missing parameter: ids.")
    parts = raw.split(",")
    if len(parts) > maximum:
        raise ValidationFailed(f"Too many ids: at most {maximum}.")
    return [path_pk(part) for part in parts]


def market_param(request, *, required: bool = False) -> str | None:
    """Return the ISO 3166-1 alpha-2 market of the request; `from_token` is the user's country."""
    raw = request.query_params.get("market", "").strip()
    if not raw:
        if required:
            raise ValidationFailed("Missing parameter: market.")
        return None
    if raw == "from_token":
        if not request.user.is_authenticated:
            raise ValidationFailed("market=from_token needs an authenticated user.")
        return request.user.country.code
    code = raw.upper()
    if len(code) != 2 or code not in countries:
        raise ValidationFailed(f"Invalid market: {raw[:40]!r}. Use an ISO 3166-1 alpha-2 code.")
    return code


def choices_param(request, name: str, allowed: tuple[str, ...], *, default=None) -> list[str]:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        if default is None:
            raise ValidationFailed(f"Missing parameter: {name}.")
        return list(default)
    values = list(dict.fromkeys(value.strip() for value in raw.split(",")))
    wrong = [value for value in values if value not in allowed]
    if wrong:
        raise ValidationFailed(
            f"Invalid {name}: {', '.join(wrong)[:80]}. Use any of {', '.join(allowed)}."
        )
    return values


ID_PATH = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The id.")
MARKET = OpenApiParameter(
    "market",
    OpenApiTypes.STR,
    description="ISO 3166-1 alpha-2 country code, or `from_token` for the user's country. "
    "With it, tracks carry `is_playable` (and `restrictions` when not playable).",
)
MARKET_REQUIRED = OpenApiParameter(
    "market", OpenApiTypes.STR, required=True, description=MARKET.description
)


def ids_parameter(maximum: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ids",
        OpenApiTypes.STR,
        required=True,
        description=f"Comma-separated ids, at most {maximum}; unknown ids give null.",
    )


ERRORS_400 = {400: ErrorSerializer}
ERRORS_400_404 = {400: ErrorSerializer, 404: ErrorSerializer}


class _CatalogApi(APIView):
    def context(self, market: str | None) -> dict:
        return {"request": self.request, "market": market}


class _CatalogPagingApi(GenericAPIView):
    pagination_class = SpotifyPagination

    def context(self, market: str | None) -> dict:
        return {"request": self.request, "market": market}

    def page_response(self, queryset, serializer_class, market: str | None) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.context(market)).data
        return self.get_paginated_response(data)


# Tracks


class TrackDetailApi(_CatalogApi):
    @extend_schema(
        operation_id="get_track",
        summary="Get a track",
        tags=["tracks"],
        parameters=[ID_PATH, MARKET],
        responses={200: TrackSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        track = selectors.track_get(track_id=path_pk(id), market=market)
        return Response(TrackSerializer(track, context=self.context(market)).data)


class TrackListApi(_CatalogApi):
    @extend_schema(
        operation_id="get_several_tracks",
        summary="Get several tracks",
        tags=["tracks"],
        parameters=[ids_parameter(MAX_TRACK_IDS), MARKET],
        responses={200: TrackListSerializer, **ERRORS_400},
    )
    def get(self, request):
        ids = ids_param(request, maximum=MAX_TRACK_IDS)
        market = market_param(request)
        tracks = selectors.tracks_by_ids(ids=ids, market=market)
        context = self.context(market)
        return Response({"tracks": serialize_in_order(TrackSerializer, tracks, context)})


# Albums


class AlbumDetailApi(_CatalogApi):
    @extend_schema(
        operation_id="get_album",
        summary="Get an album",
        tags=["albums"],
        parameters=[ID_PATH, MARKET],
        responses={200: AlbumSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        release = selectors.release_get(release_id=path_pk(id), market=market)
        return Response(AlbumSerializer(release, context=self.context(market)).data)


class AlbumListApi(_CatalogApi):
    @extend_schema(
        operation_id="get_several_albums",
        summary="Get several albums",
        tags=["albums"],
        parameters=[ids_parameter(MAX_ALBUM_IDS), MARKET],
        responses={200: AlbumListSerializer, **ERRORS_400},
    )
    def get(self, request):
        ids = ids_param(request, maximum=MAX_ALBUM_IDS)
        market = market_param(request)
        releases = selectors.releases_by_ids(ids=ids, market=market)
        context = self.context(market)
        return Response({"albums": serialize_in_order(AlbumSerializer, releases, context)})


class AlbumTracksApi(_CatalogPagingApi):
    @extend_schema(
        operation_id="get_album_tracks",
        summary="Get an album's tracks",
        tags=["albums"],
        parameters=[ID_PATH, MARKET],
        responses={200: SimplifiedTrackSerializer(many=True), **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        release = selectors.release_get_minimal(release_id=path_pk(id))
        tracks = selectors.release_tracks(release=release, market=market)
        return self.page_response(tracks, SimplifiedTrackSerializer, market)


# Artists


class ArtistDetailApi(_CatalogApi):
    @extend_schema(
        operation_id="get_artist",
        summary="Get an artist",
        tags=["artists"],
        parameters=[ID_PATH],
        responses={200: ArtistSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        artist = selectors.artist_get(artist_id=path_pk(id))
        return Response(ArtistSerializer(artist, context=self.context(None)).data)


class ArtistListApi(_CatalogApi):
    @extend_schema(
        operation_id="get_several_artists",
        summary="Get several artists",
        tags=["artists"],
        parameters=[ids_parameter(MAX_ARTIST_IDS)],
        responses={200: ArtistListSerializer, **ERRORS_400},
    )
    def get(self, request):
        ids = ids_param(request, maximum=MAX_ARTIST_IDS)
        artists = selectors.artists_by_ids(ids=ids)
        context = self.context(None)
        return Response({"artists": serialize_in_order(ArtistSerializer, artists, context)})


class ArtistAlbumsApi(_CatalogPagingApi):
    @extend_schema(
        operation_id="get_artist_albums",
        summary="Get an artist's albums",
        tags=["artists"],
        parameters=[
            ID_PATH,
            OpenApiParameter(
                "include_groups",
                OpenApiTypes.STR,
                description="Comma-separated album groups: "
                f"{', '.join(selectors.ALBUM_GROUPS)} (default: all).",
            ),
            MARKET,
        ],
        responses={200: SimplifiedAlbumSerializer(many=True), **ERRORS_400_404},
    )
    def get(self, request, id):
        groups = choices_param(
            request, "include_groups", selectors.ALBUM_GROUPS, default=selectors.ALBUM_GROUPS
        )
        market = market_param(request)
        artist = selectors.artist_get_minimal(artist_id=path_pk(id))
        releases = selectors.artist_releases(artist=artist, groups=groups, market=market)
        return self.page_response(releases, SimplifiedAlbumSerializer, market)


class ArtistTopTracksApi(_CatalogApi):
    @extend_schema(
        operation_id="get_artist_top_tracks",
        summary="Get an artist's top tracks",
        description=f"The {selectors.TOP_TRACKS_LIMIT} most popular tracks playable in `market`.",
        tags=["artists"],
        parameters=[ID_PATH, MARKET_REQUIRED],
        responses={200: TopTracksSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request, required=True)
        artist = selectors.artist_get_minimal(artist_id=path_pk(id))
        tracks = selectors.artist_top_tracks(artist=artist, market=market)
        data = TrackSerializer(tracks, many=True, context=self.context(market)).data
        return Response({"tracks": data})


# Playlists


class PlaylistDetailApi(_CatalogApi):
    @extend_schema(
        operation_id="get_playlist",
        summary="Get a playlist",
        description="Public playlists, and the user's own private ones.",
        tags=["playlists"],
        parameters=[ID_PATH, MARKET],
        responses={200: PlaylistSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        playlist = selectors.playlist_get(playlist_id=path_pk(id), user=request.user, market=market)
        return Response(PlaylistSerializer(playlist, context=self.context(market)).data)


class PlaylistTracksApi(_CatalogPagingApi):
    @extend_schema(
        operation_id="get_playlist_tracks",
        summary="Get a playlist's items",
        tags=["playlists"],
        parameters=[ID_PATH, MARKET],
        responses={200: PlaylistTrackSerializer(many=True), **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        playlist = selectors.playlist_get_visible(playlist_id=path_pk(id), user=request.user)
        items = selectors.playlist_items(playlist=playlist, market=market)
        return self.page_response(items, PlaylistTrackSerializer, market)


# Search


class SearchApi(_CatalogApi):
    @extend_schema(
        operation_id="search",
        summary="Search the catalog",
        description="Every word of `q` must match, as a prefix on PostgreSQL (search as you "
        "type). Tracks and albums also match by their artists' names. Only public playlists "
        "are found. With `market`, only tracks playable there (and albums with one) are "
        "returned. `limit` and `offset` apply to each type.",
        tags=["search"],
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="Search words."),
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                required=True,
                description=f"Comma-separated types to search: {', '.join(SEARCH_TYPES)}.",
            ),
            MARKET,
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (default 20)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="0 to 1000 (default 0)."),
        ],
        responses={200: SearchResultSerializer, **ERRORS_400},
    )
    def get(self, request):
        q = request.query_params.get("q", "")
        if not q.strip():
            raise ValidationFailed("Missing parameter: q.")
        types = choices_param(request, "type", SEARCH_TYPES)
        market = market_param(request)
        pagination = SpotifyPagination()
        limit = pagination.get_limit(request)
        offset = pagination.get_offset(request)
        if offset + limit > MAX_SEARCH_DEPTH:
            raise ValidationFailed(
                f"Invalid offset: offset + limit must be at most {MAX_SEARCH_DEPTH}."
            )
        words = search.search_words(q)
        now = timezone.now()
        found = {
            "track": (
                lambda: search.track_search(words=words, market=market, now=now),
                TrackSerializer,
            ),
            "album": (
                lambda: search.release_search(words=words, market=market, now=now),
                SimplifiedAlbumSerializer,
            ),
            "artist": (lambda: search.artist_search(words=words), ArtistSerializer),
            "playlist": (lambda: search.playlist_search(words=words), SimplifiedPlaylistSerializer),
        }
        context = self.context(market)
        url = request.build_absolute_uri()
        result = {}
        for kind in types:
            queryset_of, serializer_class = found[kind]
            queryset = queryset_of()
            page = list(queryset[offset : offset + limit])
            total = (
                offset + len(page)
                if len(page) < limit and (page or not offset)
                else queryset.count()
            )
            result[f"{kind}s"] = paging(
                url=replace_query_param(url, "type", kind),
                items=serializer_class(page, many=True, context=context).data,
                total=total,
                limit=limit,
                offset=offset,
            )
        return Response(result)
