"""Public catalog API v1, read side, shaped like the Spotify Web API."""

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api import scopes
from api.objects import (
    AlbumListSerializer,
    AlbumSerializer,
    ArtistListSerializer,
    ArtistSerializer,
    ErrorSerializer,
    LyricsSerializer,
    MarketsSerializer,
    PlaylistSerializer,
    PlaylistTrackSerializer,
    SearchResultSerializer,
    SimplifiedAlbumSerializer,
    SimplifiedPlaylistSerializer,
    SimplifiedTrackSerializer,
    TopTracksSerializer,
    TrackListSerializer,
    TrackSerializer,
    lyrics_object,
    paging,
    playlists_localise,
    render,
    serialize_in_order,
)
from api.paging import SpotifyPagination
from api.params import (
    ID_PATH,
    MARKET,
    choices_param,
    ids_param,
    ids_parameter,
    languages_param,
    market_param,
    path_pk,
)
from api.public import PublicPagingApi
from api.scopes import TokenHasScope
from catalog import object_selectors, search, selectors, services
from catalog.models import Playlist, TrackLyrics
from common.errors import NotFound, ValidationFailed
from common.paging import page_total

MAX_TRACK_IDS = 50
MAX_ALBUM_IDS = 20
MAX_ARTIST_IDS = 50
# Spotify's bound on offset + limit in search.
MAX_SEARCH_DEPTH = 1000
SEARCH_TYPES = ("album", "artist", "playlist", "track")
ERRORS_400 = {400: ErrorSerializer}
ERRORS_400_404 = {400: ErrorSerializer, 404: ErrorSerializer}


class _CatalogApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    def context(self, market: str | None) -> dict:
        return {"request": self.request, "market": market}


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
        row, track_artists, release_artists = object_selectors.track_object_rows(
            track_id=path_pk(id), market=market
        )
        return Response(
            render.track_json(
                render.Links(request),
                row,
                track_artists.get(row["t_id"], []),
                release_artists.get(row["r_id"], []),
            )
        )


class CanEditTrackLyrics(BasePermission):
    """Anyone may read; writing needs the hook in settings.TRACK_LYRICS_PERMISSION (the
    artists app's: the track's artist team, its label's staff, catalogue staff)."""

    message = "You may not change this track's lyrics."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return import_string(settings.TRACK_LYRICS_PERMISSION)(user=request.user, track=obj)


class LyricsEditSerializer(serializers.Serializer):
    text = serializers.CharField(
        trim_whitespace=False,
        help_text="LRC ([mm:ss.xx] at the start of lines: synced) or plain text; at most "
        "32,000 characters.",
    )
    language = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="ISO 639 code, e.g. 'en'."
    )


LYRICS_EDIT_ERRORS = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


class TrackLyricsApi(_CatalogApi):
    permission_classes = [TokenHasScope, CanEditTrackLyrics]
    scopes = {"PUT": (scopes.DASHBOARD_WRITE,), "DELETE": (scopes.DASHBOARD_WRITE,)}

    @extend_schema(
        operation_id="get_track_lyrics",
        summary="Get a track's lyrics",
        description=(
            "Synced lyrics have `start_ms` on every line (ordered by it); plain lyrics have "
            "`start_ms` null. With `market` (or `from_token`) the lyrics are shown only while "
            "the track is playable there, as its audio is. 404 when there are none."
        ),
        tags=["tracks"],
        parameters=[ID_PATH, MARKET],
        responses={200: LyricsSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        track_id = path_pk(id)
        market = market_param(request)
        lyrics = selectors.track_lyrics_get(track_id=track_id, market=market)
        return Response(lyrics_object(lyrics))

    @extend_schema(
        operation_id="put_track_lyrics",
        summary="Set a track's lyrics (artist dashboard)",
        description=(
            "The track's artist team (admins and editors), its label's staff and catalogue "
            "staff. Replaces the lyrics; a malformed timestamp or offset, an untimed line in "
            "synced lyrics or too long a text is a 400 naming the line."
        ),
        tags=["artist dashboard"],
        parameters=[ID_PATH],
        request=LyricsEditSerializer,
        responses={200: LyricsSerializer, **LYRICS_EDIT_ERRORS},
    )
    def put(self, request, id):
        track = self._track(request, id)
        data = LyricsEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lyrics = services.track_lyrics_check(
            text=data.validated_data["text"], language=data.validated_data["language"]
        )
        row = services.track_lyrics_set(
            track=track, lyrics=lyrics, source=TrackLyrics.Source.EDITED, user=request.user
        )
        return Response(lyrics_object(row))

    @extend_schema(
        operation_id="delete_track_lyrics",
        summary="Remove a track's lyrics (artist dashboard)",
        tags=["artist dashboard"],
        parameters=[ID_PATH],
        request=None,
        responses={204: None, **LYRICS_EDIT_ERRORS},
    )
    def delete(self, request, id):
        track = self._track(request, id)
        if not services.track_lyrics_delete(track=track):
            raise NotFound("This track has no lyrics.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _track(self, request, id):
        track = selectors.track_for_edit_get(track_id=path_pk(id))
        self.check_object_permissions(request, track)
        return track


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
        rows = object_selectors.release_object_rows(release_id=path_pk(id), market=market)
        return Response(render.album(render.Links(request), rows, market))


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


class AlbumTracksApi(PublicPagingApi):
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
        row, genres = object_selectors.artist_object_rows(artist_id=path_pk(id))
        return Response(render.artist(render.Links(request), row, genres))


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


class ArtistAlbumsApi(PublicPagingApi):
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
        description=f"The {selectors.TOP_TRACKS_LIMIT} most popular tracks "
        "(playable in `market` when given).",
        tags=["artists"],
        parameters=[ID_PATH, MARKET],
        responses={200: TopTracksSerializer, **ERRORS_400_404},
    )
    def get(self, request, id):
        market = market_param(request)
        now = timezone.now()
        ids = object_selectors.artist_top_track_ids(artist_id=path_pk(id), market=market, now=now)
        rows = object_selectors.tracks_object_rows(ids=ids, market=market, now=now)
        return Response({"tracks": render.track_list_json(render.Links(request), *rows)})


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
        rows = object_selectors.playlist_object_rows(
            playlist_id=path_pk(id), user=request.user, market=market
        )
        data = render.playlist(render.Links(request), rows, market)
        if rows["playlist"]["kind"] == Playlist.Kind.EDITORIAL:  # the only ones translated
            playlists_localise([data], languages_param(request))
        return Response(data)


class PlaylistTracksApi(PublicPagingApi):
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
        "returned. `limit` and `offset` apply to each type. Tracks also match by their "
        "album's title, and a misspelt word is corrected when nothing matches (PostgreSQL). "
        f"`total` counts at most {MAX_SEARCH_DEPTH} results, the deepest a client can page.",
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
        context = self.context(market)
        url = request.build_absolute_uri()
        links = render.Links(request)
        result = {}
        for kind in types:
            if kind == "track":
                tracks = search.track_search_page(
                    words=words, market=market, now=now, offset=offset, limit=limit
                )
                rows = object_selectors.tracks_object_rows(ids=tracks.ids, market=market, now=now)
                items, total = render.track_list_json(links, *rows), tracks.total
                if tracks.words != words:
                    result["corrected_query"] = " ".join(tracks.words)
            elif kind == "artist":
                artists = search.artist_search_page(words=words, offset=offset, limit=limit)
                items = [render.artist(links, row, row["genres"]) for row in artists.rows]
                total = artists.total
            elif kind == "album":
                albums = search.release_search_page(
                    words=words, market=market, now=now, offset=offset, limit=limit
                )
                releases = selectors.release_list_simplified(market=market, now=now)
                found = releases.filter(pk__in=albums.ids).in_bulk()
                page = [found[pk] for pk in albums.ids if pk in found]
                items = SimplifiedAlbumSerializer(page, many=True, context=context).data
                total = albums.total
            else:
                playlists = search.playlist_search(words=words)
                page = list(playlists[offset : offset + limit])
                total = page_total(
                    playlists, shown=len(page), offset=offset, limit=limit, cap=search.TOTAL_CAP
                )
                items = SimplifiedPlaylistSerializer(page, many=True, context=context).data
                playlists_localise(items, languages_param(request))
            result[f"{kind}s"] = paging(
                url=url,
                items=items,
                total=total,
                limit=limit,
                offset=offset,
                replace={"type": kind},
            )
        return Response(result)


# Markets


class MarketsApi(_CatalogApi):
    @extend_schema(
        operation_id="get_available_markets",
        summary="Get available markets",
        description="Markets where at least one track is playable now.",
        tags=["markets"],
        responses={200: MarketsSerializer},
    )
    def get(self, request):
        return Response({"markets": selectors.markets_available()})
