"""Users' public profiles and playlists, and the listener's top artists and tracks."""

import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from api import scopes
from api.library.serializers import PlaylistCreateSerializer
from api.objects import (
    ArtistSerializer,
    ErrorSerializer,
    PlaylistSerializer,
    PublicUserSerializer,
    SimplifiedPlaylistSerializer,
    TrackSerializer,
    paging,
    paging_serializer,
    playlists_localise,
    serialize_in_order,
)
from api.paging import SpotifyPagination
from api.params import PAGING, choice_param, languages_param, limit_param, offset_param, path_pk
from api.scopes import TokenHasScope
from catalog import library, library_selectors
from catalog import selectors as catalog_selectors
from common.errors import NotFound, PermissionDenied
from playback import selectors as playback_selectors

USER_ID = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="User id.")
TOP_TYPES = ("artists", "tracks")
TIME_RANGES = tuple(playback_selectors.TOP_TIME_RANGE_DAYS)
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


def _user(raw_id: str):
    return accounts_selectors.user_get_public(user_id=path_pk(raw_id))


class UserApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    @extend_schema(
        operation_id="get_users_profile",
        summary="Get a user's profile",
        tags=["users"],
        parameters=[USER_ID],
        responses={200: PublicUserSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request, id):
        return Response(PublicUserSerializer(_user(id), context={"request": request}).data)


class UserPlaylistsApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {"POST": scopes.PLAYLIST_MODIFY}

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), TokenHasScope()]
        return super().get_permissions()

    @extend_schema(
        operation_id="create_playlist_for_user",
        summary="Create a playlist for a user (only the current user)",
        tags=["playlists"],
        parameters=[USER_ID],
        request=PlaylistCreateSerializer,
        responses={201: PlaylistSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def post(self, request, id):
        if _user(id).pk != request.user.pk:
            raise PermissionDenied("Playlists can only be created for the current user.")
        serializer = PlaylistCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = library.user_playlist_create(owner=request.user, **serializer.validated_data)
        playlist = catalog_selectors.playlist_get(playlist_id=created.pk, user=request.user)
        return Response(PlaylistSerializer(playlist, context={"request": request}).data, status=201)

    @extend_schema(
        operation_id="get_list_users_playlists",
        summary="Get a user's playlists",
        description="The user's public playlists (and, for the user themself, private ones).",
        tags=["playlists"],
        parameters=[USER_ID, *PAGING],
        responses={
            200: paging_serializer(
                "SimplifiedPlaylistPaging", SimplifiedPlaylistSerializer(many=True)
            ),
            404: ErrorSerializer,
            **ERRORS,
        },
    )
    def get(self, request, id):
        owner = _user(id)
        playlists = library_selectors.user_playlists_public(owner=owner, viewer=request.user)
        paginator = SpotifyPagination()
        page = paginator.paginate_queryset(playlists, request, view=self)
        data = SimplifiedPlaylistSerializer(page, many=True, context={"request": request}).data
        return Response(paginator.paging_object(playlists_localise(data, languages_param(request))))


class MeTopApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = {"GET": (scopes.USER_TOP_READ,)}

    @extend_schema(
        operation_id="get_users_top_artists_and_tracks",
        summary="Get the user's top artists or tracks",
        description="Most streamed (played 30 s or more) within `time_range`: short_term "
        "(4 weeks), medium_term (6 months, default) or long_term (1 year).",
        tags=["users"],
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(TOP_TYPES)),
            OpenApiParameter("time_range", OpenApiTypes.STR, enum=list(TIME_RANGES)),
            *PAGING,
        ],
        responses={
            200: paging_serializer("TopItemsPaging", ArtistSerializer(many=True)),
            404: ErrorSerializer,
            **ERRORS,
        },
    )
    def get(self, request, type):
        if type not in TOP_TYPES:
            raise NotFound("Unknown type: use artists or tracks.")
        time_range = choice_param(request, "time_range", TIME_RANGES, default="medium_term")
        limit, offset = limit_param(request), offset_param(request, maximum=10_000)
        days = playback_selectors.TOP_TIME_RANGE_DAYS[time_range]
        since = timezone.now() - datetime.timedelta(days=days)
        context = {"request": request}
        if type == "tracks":
            ids, total = playback_selectors.top_track_ids(
                user_id=request.user.pk, since=since, limit=limit, offset=offset
            )
            objects = catalog_selectors.tracks_by_ids(ids=ids)
            items = serialize_in_order(TrackSerializer, objects, context)
        else:
            ids, total = playback_selectors.top_artist_ids(
                user_id=request.user.pk, since=since, limit=limit, offset=offset
            )
            objects = catalog_selectors.artists_by_ids(ids=ids)
            items = serialize_in_order(ArtistSerializer, objects, context)
        items = [item for item in items if item is not None]
        url = request.build_absolute_uri()
        return Response(paging(url=url, items=items, total=total, limit=limit, offset=offset))
