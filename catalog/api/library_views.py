"""The listener's library API: profile, saved tracks, follows and own playlists.

Shaped like the Spotify Web API's `/me/...` and `/playlists/{id}/...` endpoints. Writes go
through `catalog.library`; reads through `catalog.library_selectors`. `PUT /playlists/{id}`
and the writes on `/playlists/{id}/tracks` share their paths with the read API, so their
views extend the read views (one view per path).
"""

from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.services import user_update
from catalog import library, library_selectors, selectors
from catalog.api import views as read_views
from catalog.api.library_serializers import (
    FollowedArtistsSerializer,
    IdsBodySerializer,
    LibraryPlaylistPagingSerializer,
    PlaylistCreateSerializer,
    PlaylistItemsAddSerializer,
    PlaylistItemsRemoveSerializer,
    PlaylistItemsReorderSerializer,
    PlaylistUpdateSerializer,
    PrivateUserSerializer,
    ProfileUpdateSerializer,
    SavedTrackPagingSerializer,
    SavedTrackSerializer,
    SnapshotSerializer,
    parse_ids,
)
from catalog.api.serializers import (
    ArtistSerializer,
    ErrorSerializer,
    PlaylistSerializer,
    SimplifiedPlaylistSerializer,
)
from catalog.api.views import ID_PATH, MARKET, market_param, path_pk
from common.errors import NotFound, ValidationFailed
from common.pagination import SpotifyPagination

MAX_LIBRARY_IDS = 50

ERRORS = {
    400: ErrorSerializer,
    401: OpenApiResponse(ErrorSerializer, description="Not logged in."),
    403: ErrorSerializer,
}
ERRORS_404 = {**ERRORS, 404: ErrorSerializer}
BOOLEANS = OpenApiResponse(
    build_array_type(build_basic_type(OpenApiTypes.BOOL)), description="One flag per id."
)
PAGING = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (default 20)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Default 0."),
]


def ids_parameter(required: bool = True) -> OpenApiParameter:
    return OpenApiParameter(
        "ids",
        OpenApiTypes.STR,
        required=required,
        description=f"Comma-separated ids, at most {MAX_LIBRARY_IDS}.",
    )


TYPE_ARTIST = OpenApiParameter(
    "type", OpenApiTypes.STR, required=True, enum=["artist"], description="Only `artist`."
)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _ids(request, *, from_body: bool = False) -> list[int]:
    """The `ids` of the query string, or of a JSON body `{"ids": [...]}` on writes."""
    raw = request.query_params.get("ids")
    if raw is None and from_body and isinstance(request.data, dict):
        raw = request.data.get("ids")
    ids = parse_ids(raw)
    if not ids:
        raise ValidationFailed("Missing parameter: ids.")
    if len(ids) > MAX_LIBRARY_IDS:
        raise ValidationFailed(f"Too many ids: at most {MAX_LIBRARY_IDS}.")
    return ids


def _artist_type(request) -> None:
    kind = request.query_params.get("type", "")
    if kind != "artist":
        raise ValidationFailed("Invalid type: only `artist` is supported.")


def _check_editable(request, raw_id: str) -> None:
    """Refuse a foreign playlist (404/403) before looking at the body, so no 400 leaks it."""
    library.playlist_get_for_edit(user=request.user, playlist_id=_playlist_pk(raw_id))


def _playlist_pk(raw: str) -> int:
    pk = path_pk(raw)
    if pk is None:
        raise NotFound("Playlist not found.")
    return pk


def _context(request, market: str | None = None) -> dict:
    return {"request": request, "market": market}


class _LibraryApi(APIView):
    permission_classes = [IsAuthenticated]

    def page(self, queryset, serializer_class, *, market: str | None = None) -> dict:
        paginator = SpotifyPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=_context(self.request, market)).data
        return paginator.paging_object(data)


class _WritesNeedLogin:
    # Reads stay as the read API has them; writes need a logged-in listener.

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return super().get_permissions()
        return [IsAuthenticated()]


# Profile


class MeApi(_LibraryApi):
    @extend_schema(
        operation_id="get_current_users_profile",
        summary="Get the current user's profile",
        tags=["users"],
        responses={200: PrivateUserSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(PrivateUserSerializer(request.user).data)

    @extend_schema(
        operation_id="update_current_users_profile",
        summary="Change the current user's country, language or display name",
        tags=["users"],
        request=ProfileUpdateSerializer,
        responses={200: PrivateUserSerializer, **ERRORS},
    )
    def patch(self, request):
        data = _validated(ProfileUpdateSerializer, request.data)
        user = user_update(user=request.user, **data)
        return Response(PrivateUserSerializer(user).data)


# Saved tracks


class MeTracksApi(_LibraryApi):
    @extend_schema(
        operation_id="get_users_saved_tracks",
        summary="Get the user's saved tracks",
        tags=["library"],
        parameters=[MARKET, *PAGING],
        responses={200: SavedTrackPagingSerializer, **ERRORS},
    )
    def get(self, request):
        market = market_param(request)
        saved = library_selectors.saved_tracks(user=request.user, market=market)
        return Response(self.page(saved, SavedTrackSerializer, market=market))

    @extend_schema(
        operation_id="save_tracks_user",
        summary="Save tracks for the current user",
        tags=["library"],
        parameters=[ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={200: None, **ERRORS_404},
    )
    def put(self, request):
        library.track_save(user=request.user, track_ids=_ids(request, from_body=True))
        return Response(status=200)

    @extend_schema(
        operation_id="remove_tracks_user",
        summary="Remove the user's saved tracks",
        tags=["library"],
        parameters=[ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={200: None, **ERRORS},
    )
    def delete(self, request):
        library.track_unsave(user=request.user, track_ids=_ids(request, from_body=True))
        return Response(status=200)


class MeTracksContainsApi(_LibraryApi):
    @extend_schema(
        operation_id="check_users_saved_tracks",
        summary="Check the user's saved tracks",
        tags=["library"],
        parameters=[ids_parameter()],
        responses={200: BOOLEANS, **ERRORS},
    )
    def get(self, request):
        ids = _ids(request)
        return Response(library_selectors.saved_tracks_contains(user=request.user, track_ids=ids))


# Followed artists


class MeFollowingApi(_LibraryApi):
    @extend_schema(
        operation_id="get_followed",
        summary="Get the artists the user follows",
        description="Cursor paging: pass `cursors.after` of a page as `after` for the next.",
        tags=["library"],
        parameters=[
            TYPE_ARTIST,
            OpenApiParameter("after", OpenApiTypes.STR, description="The last artist id seen."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (default 20)."),
        ],
        responses={200: FollowedArtistsSerializer, **ERRORS},
    )
    def get(self, request):
        _artist_type(request)
        limit = SpotifyPagination().get_limit(request)
        raw_after = request.query_params.get("after")
        after = parse_ids(raw_after, label="after")[0] if raw_after else None
        artists = list(
            library_selectors.followed_artists(user=request.user, after=after)[: limit + 1]
        )
        more, artists = len(artists) > limit, artists[:limit]
        last = str(artists[-1].pk) if artists else None
        href = request.build_absolute_uri()
        body = {
            "href": href,
            "items": ArtistSerializer(artists, many=True, context=_context(request)).data,
            "limit": limit,
            "next": replace_query_param(href, "after", last) if more else None,
            "cursors": {"after": last if more else None, "before": None},
            "total": library_selectors.followed_artists_count(user=request.user),
        }
        return Response({"artists": body})

    @extend_schema(
        operation_id="follow_artists_users",
        summary="Follow artists",
        tags=["library"],
        parameters=[TYPE_ARTIST, ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={204: None, **ERRORS_404},
    )
    def put(self, request):
        _artist_type(request)
        library.artist_follow(user=request.user, artist_ids=_ids(request, from_body=True))
        return Response(status=204)

    @extend_schema(
        operation_id="unfollow_artists_users",
        summary="Unfollow artists",
        tags=["library"],
        parameters=[TYPE_ARTIST, ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={204: None, **ERRORS},
    )
    def delete(self, request):
        _artist_type(request)
        library.artist_unfollow(user=request.user, artist_ids=_ids(request, from_body=True))
        return Response(status=204)


class MeFollowingContainsApi(_LibraryApi):
    @extend_schema(
        operation_id="check_current_user_follows",
        summary="Check if the user follows artists",
        tags=["library"],
        parameters=[TYPE_ARTIST, ids_parameter()],
        responses={200: BOOLEANS, **ERRORS},
    )
    def get(self, request):
        _artist_type(request)
        ids = _ids(request)
        return Response(
            library_selectors.followed_artists_contains(user=request.user, artist_ids=ids)
        )


# Playlists


class MePlaylistsApi(_LibraryApi):
    @extend_schema(
        operation_id="get_a_list_of_current_users_playlists",
        summary="Get the user's playlists",
        description="Playlists the user owns or follows.",
        tags=["playlists"],
        parameters=PAGING,
        responses={200: LibraryPlaylistPagingSerializer, **ERRORS},
    )
    def get(self, request):
        playlists = library_selectors.user_playlists(user=request.user)
        return Response(self.page(playlists, SimplifiedPlaylistSerializer))

    @extend_schema(
        operation_id="create_playlist",
        summary="Create a playlist for the current user",
        tags=["playlists"],
        request=PlaylistCreateSerializer,
        responses={201: PlaylistSerializer, **ERRORS},
    )
    def post(self, request):
        data = _validated(PlaylistCreateSerializer, request.data)
        created = library.playlist_create(owner=request.user, **data)
        playlist = selectors.playlist_get(playlist_id=created.pk, user=request.user)
        return Response(PlaylistSerializer(playlist, context=_context(request)).data, status=201)


class PlaylistApi(_WritesNeedLogin, read_views.PlaylistDetailApi):
    @extend_schema(
        operation_id="change_playlist_details",
        summary="Change a playlist's name, description and visibility",
        description="Owner only. Another listener's private playlist is a 404.",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=PlaylistUpdateSerializer,
        responses={200: None, **ERRORS_404},
    )
    def put(self, request, id):
        _check_editable(request, id)
        data = _validated(PlaylistUpdateSerializer, request.data)
        library.playlist_update(user=request.user, playlist_id=_playlist_pk(id), **data)
        return Response(status=200)


class PlaylistItemsApi(_WritesNeedLogin, read_views.PlaylistTracksApi):
    @extend_schema(
        operation_id="add_tracks_to_playlist",
        summary="Add items to a playlist",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=PlaylistItemsAddSerializer,
        responses={201: SnapshotSerializer, **ERRORS_404},
    )
    def post(self, request, id):
        _check_editable(request, id)
        data = _validated(PlaylistItemsAddSerializer, request.data)
        playlist = library.playlist_items_add(
            user=request.user,
            playlist_id=_playlist_pk(id),
            track_ids=data["track_ids"],
            position=data.get("position"),
        )
        return Response({"snapshot_id": str(playlist.snapshot)}, status=201)

    @extend_schema(
        operation_id="reorder_playlists_tracks",
        summary="Reorder a playlist's items",
        description="Moves `range_length` items from `range_start` to before `insert_before` "
        "(an index in the list before the move). A stale `snapshot_id` is a 409.",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=PlaylistItemsReorderSerializer,
        responses={200: SnapshotSerializer, 409: ErrorSerializer, **ERRORS_404},
    )
    def put(self, request, id):
        _check_editable(request, id)
        data = _validated(PlaylistItemsReorderSerializer, request.data)
        playlist = library.playlist_items_reorder(
            user=request.user, playlist_id=_playlist_pk(id), **data
        )
        return Response({"snapshot_id": str(playlist.snapshot)})

    @extend_schema(
        operation_id="remove_tracks_playlist",
        summary="Remove items from a playlist",
        description="Every occurrence of each track, or only those at `positions`.",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=PlaylistItemsRemoveSerializer,
        responses={200: SnapshotSerializer, 409: ErrorSerializer, **ERRORS_404},
    )
    def delete(self, request, id):
        _check_editable(request, id)
        data = _validated(PlaylistItemsRemoveSerializer, request.data)
        playlist = library.playlist_items_remove(
            user=request.user,
            playlist_id=_playlist_pk(id),
            track_ids=data["track_ids"],
            positions=data["positions"],
            snapshot_id=data.get("snapshot_id"),
        )
        return Response({"snapshot_id": str(playlist.snapshot)})


class PlaylistFollowersApi(_LibraryApi):
    @extend_schema(
        operation_id="follow_playlist",
        summary="Follow a playlist",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=None,
        responses={200: None, **ERRORS_404},
    )
    def put(self, request, id):
        library.playlist_follow(user=request.user, playlist_id=_playlist_pk(id))
        return Response(status=200)

    @extend_schema(
        operation_id="unfollow_playlist",
        summary="Unfollow a playlist",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=None,
        responses={200: None, **ERRORS_404},
    )
    def delete(self, request, id):
        library.playlist_unfollow(user=request.user, playlist_id=_playlist_pk(id))
        return Response(status=200)


class PlaylistFollowersContainsApi(_LibraryApi):
    @extend_schema(
        operation_id="check_if_user_follows_playlist",
        summary="Check if users follow a playlist",
        tags=["playlists"],
        parameters=[
            ID_PATH,
            OpenApiParameter(
                "ids",
                OpenApiTypes.STR,
                description="Comma-separated user ids (default: the current user).",
            ),
        ],
        responses={200: BOOLEANS, **ERRORS_404},
    )
    def get(self, request, id):
        playlist = selectors.playlist_get_visible(playlist_id=_playlist_pk(id), user=request.user)
        raw = request.query_params.get("ids")
        user_ids = parse_ids(raw) if raw else [request.user.pk]
        if len(user_ids) > 5:
            raise ValidationFailed("Too many ids: at most 5.")
        return Response(
            library_selectors.playlist_followers_contains(playlist=playlist, user_ids=user_ids)
        )
