"""The listener's library API: profile, saved tracks, follows and own playlists.

Shaped like the Spotify Web API's `/me/...` and `/playlists/{id}/...` endpoints. Writes go
through `catalog.library`; reads through `catalog.library_selectors`. `PUT /playlists/{id}`
and the writes on `/playlists/{id}/tracks` share their paths with the read API, so their
views extend the read views (one view per path).
"""

import base64
import binascii

from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.services import user_update
from api import scopes
from api.catalog import views as read_views
from api.library.serializers import (
    FollowedArtistsSerializer,
    IdsBodySerializer,
    LibraryPlaylistPagingSerializer,
    PlaylistCreateSerializer,
    PlaylistItemsAddSerializer,
    PlaylistItemsRemoveSerializer,
    PlaylistItemsReorderSerializer,
    PlaylistItemsReplaceSerializer,
    PlaylistUpdateSerializer,
    ProfileUpdateSerializer,
    SavedAlbumPagingSerializer,
    SavedAlbumSerializer,
    SavedTrackPagingSerializer,
    SnapshotSerializer,
    parse_ids,
)
from api.objects import (
    ArtistSerializer,
    ErrorSerializer,
    ImageSerializer,
    PlaylistSerializer,
    PrivateUserSerializer,
    SimplifiedPlaylistSerializer,
    images_of,
    playlists_localise,
    render,
)
from api.paging import SpotifyPagination
from api.params import (
    ID_PATH,
    MARKET,
    PAGING,
    cursor_param,
    languages_param,
    market_param,
    path_pk,
    uri_id,
)
from api.scopes import TokenHasScope, token_has_scope
from catalog import library, library_selectors, object_selectors, selectors
from common.errors import NotFound, PermissionDenied, ValidationFailed

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


def _ids(request, *, from_body: bool = False, maximum: int = MAX_LIBRARY_IDS) -> list[int]:
    """The `ids` of the query string, or of a JSON body `{"ids": [...]}` on writes."""
    raw = request.query_params.get("ids")
    if raw is None and from_body and isinstance(request.data, dict):
        raw = request.data.get("ids")
    ids = parse_ids(raw)
    if not ids:
        raise ValidationFailed("Missing parameter: ids.")
    if len(ids) > maximum:
        raise ValidationFailed(f"Too many ids: at most {maximum}.")
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
    permission_classes = [IsAuthenticated, TokenHasScope]

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
        return [IsAuthenticated(), TokenHasScope()]


# Profile


class MeApi(_LibraryApi):
    # Reading the profile needs no scope; `email` needs user-read-email, `country` and
    # `product` user-read-private (as in the reference). Changing it needs user-read-private.
    scopes = {"PATCH": (scopes.USER_READ_PRIVATE,)}

    @extend_schema(
        operation_id="get_current_users_profile",
        summary="Get the current user's profile",
        tags=["users"],
        responses={200: PrivateUserSerializer, **ERRORS},
    )
    def get(self, request):
        return Response(PrivateUserSerializer(request.user, context=_context(request)).data)

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
        return Response(PrivateUserSerializer(user, context=_context(request)).data)


# Saved tracks


class MeTracksApi(_LibraryApi):
    scopes = {
        "GET": (scopes.USER_LIBRARY_READ,),
        "PUT": (scopes.USER_LIBRARY_MODIFY,),
        "DELETE": (scopes.USER_LIBRARY_MODIFY,),
    }

    @extend_schema(
        operation_id="get_users_saved_tracks",
        summary="Get the user's saved tracks",
        tags=["library"],
        parameters=[MARKET, *PAGING],
        responses={200: SavedTrackPagingSerializer, **ERRORS},
    )
    def get(self, request):
        market = market_param(request)
        paginator = SpotifyPagination()
        paginator.request = request
        paginator.limit = paginator.get_limit(request)
        paginator.offset = paginator.get_offset(request)
        rows = object_selectors.saved_track_object_rows(
            user=request.user, limit=paginator.limit, offset=paginator.offset, market=market
        )
        paginator.count = rows["total"]
        items = render.saved_track_items(render.Links(request), rows) if rows["items"] else []
        return Response(paginator.paging_object(items))

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
    scopes = {"GET": (scopes.USER_LIBRARY_READ,)}

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
    scopes = {
        "GET": (scopes.USER_FOLLOW_READ,),
        "PUT": (scopes.USER_FOLLOW_MODIFY,),
        "DELETE": (scopes.USER_FOLLOW_MODIFY,),
    }

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
        after = cursor_param(request, "after")
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
            # CursorObject members are strings: an absent cursor is left out, not null.
            "cursors": {"after": last} if more else {},
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
    scopes = {"GET": (scopes.USER_FOLLOW_READ,)}

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
    scopes = {"GET": (scopes.PLAYLIST_READ_PRIVATE,), "POST": scopes.PLAYLIST_MODIFY}

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
        data = self.page(playlists, SimplifiedPlaylistSerializer)
        playlists_localise(data["items"], languages_param(request))
        return Response(data)

    @extend_schema(
        operation_id="create_playlist",
        summary="Create a playlist for the current user",
        tags=["playlists"],
        request=PlaylistCreateSerializer,
        responses={201: PlaylistSerializer, **ERRORS},
    )
    def post(self, request):
        data = _validated(PlaylistCreateSerializer, request.data)
        created = library.user_playlist_create(owner=request.user, **data)
        playlist = selectors.playlist_get(playlist_id=created.pk, user=request.user)
        return Response(PlaylistSerializer(playlist, context=_context(request)).data, status=201)


class PlaylistApi(_WritesNeedLogin, read_views.PlaylistDetailApi):
    scopes = {"PUT": scopes.PLAYLIST_MODIFY}

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
    scopes = {
        "POST": scopes.PLAYLIST_MODIFY,
        "PUT": scopes.PLAYLIST_MODIFY,
        "DELETE": scopes.PLAYLIST_MODIFY,
    }

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
        # The body is `{"uris": [...]}`, or the bare list of uris some clients send.
        body = {"uris": request.data} if isinstance(request.data, list) else request.data
        body = body if isinstance(body, dict) else {}
        if "position" not in body and request.query_params.get("position"):
            body = {**body, "position": request.query_params["position"]}
        data = _validated(PlaylistItemsAddSerializer, body)
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
        description="With `uris`, replaces every item. Otherwise moves `range_length` items "
        "from `range_start` to before `insert_before` "
        "(an index in the list before the move). A stale `snapshot_id` is a 409.",
        tags=["playlists"],
        parameters=[ID_PATH],
        request=PlaylistItemsReorderSerializer,
        responses={200: SnapshotSerializer, 409: ErrorSerializer, **ERRORS_404},
    )
    def put(self, request, id):
        _check_editable(request, id)
        if isinstance(request.data, dict) and "uris" in request.data:
            data = _validated(PlaylistItemsReplaceSerializer, request.data)
            playlist = library.playlist_items_set(
                user=request.user, playlist_id=_playlist_pk(id), track_ids=data["track_ids"]
            )
            return Response({"snapshot_id": str(playlist.snapshot)})
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
    scopes = {"PUT": scopes.PLAYLIST_MODIFY, "DELETE": scopes.PLAYLIST_MODIFY}

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
    scopes = {}

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


@extend_schema_view(
    get=extend_schema(operation_id="get_playlists_items"),
    post=extend_schema(operation_id="add_items_to_playlist"),
    put=extend_schema(operation_id="reorder_or_replace_playlists_items"),
    delete=extend_schema(operation_id="remove_items_playlist"),
)
class PlaylistItemsV2Api(PlaylistItemsApi):
    """`/playlists/{id}/items`, the reference's current path for `/playlists/{id}/tracks`."""


# Saved albums


class MeAlbumsApi(_LibraryApi):
    scopes = {
        "GET": (scopes.USER_LIBRARY_READ,),
        "PUT": (scopes.USER_LIBRARY_MODIFY,),
        "DELETE": (scopes.USER_LIBRARY_MODIFY,),
    }

    @extend_schema(
        operation_id="get_users_saved_albums",
        summary="Get the user's saved albums",
        tags=["library"],
        parameters=[MARKET, *PAGING],
        responses={200: SavedAlbumPagingSerializer, **ERRORS},
    )
    def get(self, request):
        market = market_param(request)
        saved = library_selectors.saved_releases(user=request.user, market=market)
        return Response(self.page(saved, SavedAlbumSerializer, market=market))

    @extend_schema(
        operation_id="save_albums_user",
        summary="Save albums for the current user",
        tags=["library"],
        parameters=[ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={200: None, **ERRORS_404},
    )
    def put(self, request):
        ids = _ids(request, from_body=True, maximum=library.MAX_RELEASE_IDS)
        library.release_save(user=request.user, release_ids=ids)
        return Response(status=200)

    @extend_schema(
        operation_id="remove_albums_user",
        summary="Remove the user's saved albums",
        tags=["library"],
        parameters=[ids_parameter(required=False)],
        request=IdsBodySerializer,
        responses={200: None, **ERRORS},
    )
    def delete(self, request):
        ids = _ids(request, from_body=True, maximum=library.MAX_RELEASE_IDS)
        library.release_unsave(user=request.user, release_ids=ids)
        return Response(status=200)


class MeAlbumsContainsApi(_LibraryApi):
    scopes = {"GET": (scopes.USER_LIBRARY_READ,)}

    @extend_schema(
        operation_id="check_users_saved_albums",
        summary="Check the user's saved albums",
        tags=["library"],
        parameters=[ids_parameter()],
        responses={200: BOOLEANS, **ERRORS},
    )
    def get(self, request):
        ids = _ids(request, maximum=library.MAX_RELEASE_IDS)
        return Response(
            library_selectors.saved_releases_contains(user=request.user, release_ids=ids)
        )


# The generic library (`/me/library`): uris of tracks, albums, artists and playlists

MAX_LIBRARY_URIS = 40
LIBRARY_KINDS = ("track", "album", "artist", "playlist")
URIS = OpenApiParameter(
    "uris",
    OpenApiTypes.STR,
    required=True,
    description=f"Comma-separated uris (`streamify:track:1`), at most {MAX_LIBRARY_URIS}: "
    "tracks and albums are saved, artists and playlists followed.",
)
KIND_SCOPES = {
    "track": (scopes.USER_LIBRARY_MODIFY, scopes.USER_LIBRARY_READ),
    "album": (scopes.USER_LIBRARY_MODIFY, scopes.USER_LIBRARY_READ),
    "artist": (scopes.USER_FOLLOW_MODIFY, scopes.USER_FOLLOW_READ),
    "playlist": (scopes.PLAYLIST_MODIFY_PUBLIC, scopes.PLAYLIST_READ_PRIVATE),
}


def _uris(request, *, reading: bool) -> dict[str, list[int]]:
    """The `uris` parameter grouped by kind; each kind needs its own scope on a token."""
    raw = request.query_params.get("uris", "").strip()
    if not raw:
        raise ValidationFailed("Missing parameter: uris.")
    parts = raw.split(",")
    if len(parts) > MAX_LIBRARY_URIS:
        raise ValidationFailed(f"Too many uris: at most {MAX_LIBRARY_URIS}.")
    grouped: dict[str, list[int]] = {}
    order = []
    for part in parts:
        kind = part.strip().split(":")[1] if part.count(":") == 2 else ""
        if kind not in LIBRARY_KINDS:
            raise ValidationFailed(f"Unsupported uri: {part[:60]!r}.")
        pk = uri_id(part, kind=kind)
        if pk is None:
            raise NotFound(f"Not found: {part[:60]!r}.")
        scope = KIND_SCOPES[kind][1 if reading else 0]
        if not token_has_scope(request, scope):
            raise PermissionDenied(f"Insufficient client scope: needs {scope}.")
        grouped.setdefault(kind, []).append(pk)
        order.append((kind, pk))
    grouped["_order"] = order
    return grouped


class MeLibraryApi(_LibraryApi):
    scopes = {
        "PUT": (scopes.USER_LIBRARY_MODIFY, scopes.USER_FOLLOW_MODIFY, *scopes.PLAYLIST_MODIFY),
        "DELETE": (
            scopes.USER_LIBRARY_MODIFY,
            scopes.USER_FOLLOW_MODIFY,
            *scopes.PLAYLIST_MODIFY,
        ),
    }

    @extend_schema(
        operation_id="save_library_items",
        summary="Save items to the user's library",
        tags=["library"],
        parameters=[URIS],
        request=None,
        responses={200: None, **ERRORS_404},
    )
    def put(self, request):
        grouped = _uris(request, reading=False)
        user = request.user
        if grouped.get("track"):
            library.track_save(user=user, track_ids=grouped["track"])
        if grouped.get("album"):
            library.release_save(user=user, release_ids=grouped["album"])
        if grouped.get("artist"):
            library.artist_follow(user=user, artist_ids=grouped["artist"])
        for playlist_id in grouped.get("playlist", []):
            library.playlist_follow(user=user, playlist_id=playlist_id)
        return Response(status=200)

    @extend_schema(
        operation_id="remove_library_items",
        summary="Remove items from the user's library",
        tags=["library"],
        parameters=[URIS],
        request=None,
        responses={200: None, **ERRORS_404},
    )
    def delete(self, request):
        grouped = _uris(request, reading=False)
        user = request.user
        if grouped.get("track"):
            library.track_unsave(user=user, track_ids=grouped["track"])
        if grouped.get("album"):
            library.release_unsave(user=user, release_ids=grouped["album"])
        if grouped.get("artist"):
            library.artist_unfollow(user=user, artist_ids=grouped["artist"])
        for playlist_id in grouped.get("playlist", []):
            library.playlist_unfollow(user=user, playlist_id=playlist_id)
        return Response(status=200)


class MeLibraryContainsApi(_LibraryApi):
    scopes = {
        "GET": (scopes.USER_LIBRARY_READ, scopes.USER_FOLLOW_READ, scopes.PLAYLIST_READ_PRIVATE)
    }

    @extend_schema(
        operation_id="check_library_contains",
        summary="Check the user's library",
        tags=["library"],
        parameters=[URIS],
        responses={200: BOOLEANS, **ERRORS},
    )
    def get(self, request):
        grouped = _uris(request, reading=True)
        user = request.user
        found: dict[tuple[str, int], bool] = {}
        checks = {
            "track": lambda ids: library_selectors.saved_tracks_contains(user=user, track_ids=ids),
            "album": lambda ids: library_selectors.saved_releases_contains(
                user=user, release_ids=ids
            ),
            "artist": lambda ids: library_selectors.followed_artists_contains(
                user=user, artist_ids=ids
            ),
            "playlist": lambda ids: library_selectors.followed_playlists_contains(
                user=user, playlist_ids=ids
            ),
        }
        for kind, check in checks.items():
            ids = grouped.get(kind)
            if ids:
                found.update(zip(((kind, i) for i in ids), check(ids), strict=True))
        return Response([found[item] for item in grouped["_order"]])


# Playlist cover images


class JPEGBase64Parser(BaseParser):
    """`PUT /playlists/{id}/images`: the body is a base64-encoded JPEG."""

    media_type = "image/jpeg"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = library.PLAYLIST_COVER_MAX_BYTES * 4 // 3 + 8
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise ValidationFailed("The image is larger than 256 KB.", status=413)
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ParseError("The body is not base64.") from None


class PlaylistImagesApi(_LibraryApi):
    parser_classes = [JPEGBase64Parser]
    scopes = {"PUT": (scopes.UGC_IMAGE_UPLOAD,)}

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [TokenHasScope()]
        return super().get_permissions()

    @extend_schema(
        operation_id="get_playlist_cover",
        summary="Get a playlist's cover image",
        tags=["playlists"],
        parameters=[ID_PATH],
        responses={200: ImageSerializer(many=True), 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request, id):
        playlist = selectors.playlist_get(playlist_id=_playlist_pk(id), user=request.user)
        return Response(images_of({"request": request}, playlist.cover))

    @extend_schema(
        operation_id="upload_custom_playlist_cover",
        summary="Upload a playlist's cover image",
        description="The body is a base64-encoded JPEG of at most 256 KB "
        "(`Content-Type: image/jpeg`). Needs ugc-image-upload and playlist-modify-*.",
        tags=["playlists"],
        parameters=[ID_PATH],
        request={"image/jpeg": {"type": "string", "format": "byte"}},
        responses={202: None, 413: ErrorSerializer, 415: ErrorSerializer, **ERRORS_404},
    )
    def put(self, request, id):
        if not any(token_has_scope(request, scope) for scope in scopes.PLAYLIST_MODIFY):
            raise PermissionDenied("Insufficient client scope: needs playlist-modify-public.")
        _check_editable(request, id)
        library.playlist_cover_set(
            user=request.user, playlist_id=_playlist_pk(id), jpeg=request.data
        )
        return Response(status=202)
