"""The artist and label dashboard API: insights, teams, releases and pitches.

Every view first resolves the tenant through `artists.selectors` (404 unknown, 403 not
yours) and only then reads parameters, so another tenant learns nothing from a 400.
Sessions (the web) and OAuth2 bearer tokens (scripts) authenticate; a token needs the
`read` scope to read and `write` to change. Throttled per scope (ScopedRateThrottle).
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import scopes
from api.dashboard.serializers import (
    ArtistDemographicsSerializer,
    ArtistOverviewSerializer,
    ArtistReleasePageSerializer,
    ArtistReleaseSerializer,
    ArtistTimelineSerializer,
    ArtistTopPlaylistsSerializer,
    InsightsCountriesSerializer,
    InsightsSourcesSerializer,
    InsightsTopTracksSerializer,
    InvitationAcceptedSerializer,
    LabelOverviewSerializer,
    LabelRosterSerializer,
    MyTeamsSerializer,
    PitchListSerializer,
    PitchRequestSerializer,
    PitchSerializer,
    ScheduleRequestSerializer,
    TeamInvitationSerializer,
    TeamInviteRequestSerializer,
    TeamMemberSerializer,
    TeamRoleRequestSerializer,
    TeamSerializer,
    TrackOverviewSerializer,
    TrackTimelineSerializer,
)
from api.dashboard.throttling import ResilientScopedRateThrottle
from api.objects import ErrorSerializer
from api.paging import SpotifyPagination
from api.params import LABEL_ID_PATH
from api.scopes import TokenHasScope
from artists import insights, selectors, services
from common.errors import PermissionDenied, ValidationFailed


class DashboardApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = scopes.DASHBOARD
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "artists_insights"


def _validated(serializer_class, data):
    """Validate `data`; errors become the JSON error body via api.exceptions."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _ref(obj, name: str | None = None) -> dict:
    return {"id": str(obj.pk), "name": name if name is not None else obj.name}


ERRORS = {
    code: OpenApiResponse(ErrorSerializer, description=description)
    for code, description in (
        (400, "Invalid parameters, e.g. a bad or too long period."),
        (403, "Not signed in, not on the team, or a token without the scope."),
        (404, "No such artist, track, label or release."),
        (429, "Too many requests for this scope."),
    )
}
ERROR_EXAMPLES = [
    OpenApiExample(
        "Period too long",
        value={
            "error": {
                "status": 400,
                "message": "The period is 800 days long; the limit is 732 days.",
            }
        },
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "Not on the team",
        value={"error": {"status": 403, "message": "You are not on this artist's team."}},
        response_only=True,
        status_codes=["403"],
    ),
]
PERIOD_PARAMETERS = [
    OpenApiParameter(
        "start",
        OpenApiTypes.DATE,
        description="First day (UTC), included. Default: 27 days before `end`.",
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="Last day (UTC), included. Default: today."
    ),
]
LIMIT_PARAMETER = OpenApiParameter(
    "limit", OpenApiTypes.INT, description="How many items, 1 to 50 (default 10)."
)
PERIOD = {"start": "2025-03-01", "end": "2025-03-28", "days": 28}
LISTENERS = {"daily_average": 1843.5, "peak": 2610, "peak_day": "2025-03-14"}
TOP_TRACKS = {
    **PERIOD,
    "items": [
        {
            "track": {"id": "412", "name": "Night Drive", "album": {"id": "57", "name": "Neon"}},
            "streams": 30211,
            "listener_days": 24102,
            "saves": 811,
            "playlist_adds": 240,
        }
    ],
}
COUNTRIES = {
    **PERIOD,
    "countries": [
        {"country": "SE", "streams": 20412, "listener_days": 15020, "share": 0.4521},
        {"country": "NO", "streams": 9310, "listener_days": 7102, "share": 0.2062},
    ],
    "cities": None,
    "cities_note": insights.CITIES_NOTE,
}
SOURCES = {
    **PERIOD,
    "sources": [
        {
            "source": "editorial",
            "label": "Editorial playlists",
            "contexts": ["editorial"],
            "streams": 15200,
            "listener_days": 12011,
            "share": 0.3366,
        },
        {
            "source": "library",
            "label": "Listeners' own library and playlists",
            "contexts": ["collection", "playlist"],
            "streams": 12040,
            "listener_days": 8800,
            "share": 0.2667,
        },
    ],
}


def _insights_schema(
    operation_id, summary, serializer, example, description="", limit=False, label=False
):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description
        or "Served from daily aggregates (UTC days). Listeners are unique per day.",
        parameters=[
            *([LABEL_ID_PATH] if label else []),
            *PERIOD_PARAMETERS,
            *([LIMIT_PARAMETER] if limit else []),
        ],
        responses={200: serializer, **ERRORS},
        examples=[
            OpenApiExample("Example", value=example, response_only=True, status_codes=["200"]),
            *ERROR_EXAMPLES,
        ],
        tags=["artist insights"],
    )


def _period(request) -> insights.Period:
    return insights.period_from_params(
        start=request.query_params.get("start"), end=request.query_params.get("end")
    )


# Artist insights


class ArtistInsightsApi(DashboardApi):
    def artist(self, request, artist_id: int):
        return selectors.artist_insights_access(user=request.user, artist_id=artist_id)


class ArtistOverviewApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_overview",
        "An artist's totals over a period",
        ArtistOverviewSerializer,
        {
            **PERIOD,
            "streams": 45150,
            "listeners": LISTENERS,
            "saves": 1920,
            "followers": {"gained": 310, "total": 18240},
            "playlist_adds": 655,
        },
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        return Response(insights.artist_overview(artist=artist, period=_period(request)))


class ArtistTimelineApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_timeline",
        "An artist's figures day by day",
        ArtistTimelineSerializer,
        {
            **PERIOD,
            "items": [
                {
                    "day": "2025-03-01",
                    "streams": 1520,
                    "listeners": 1210,
                    "saves": 61,
                    "follows": 9,
                    "followers": 17939,
                    "playlist_adds": 20,
                }
            ],
        },
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        return Response(insights.artist_timeline(artist=artist, period=_period(request)))


class ArtistCountriesApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_countries",
        "Where an artist's listeners are",
        InsightsCountriesSerializer,
        COUNTRIES,
        description="Streams by the listener's country. `cities` is null: plays do not "
        "record cities.",
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        return Response(insights.artist_countries(artist=artist, period=_period(request)))


class ArtistSourcesApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_sources",
        "Where an artist's streams come from",
        InsightsSourcesSerializer,
        SOURCES,
        description="Streams by source: editorial and personalised playlists, the "
        "listener's own library and playlists, search, the artist's page and catalogue.",
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        return Response(insights.artist_sources(artist=artist, period=_period(request)))


class ArtistTopTracksApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_top_tracks",
        "An artist's most streamed tracks",
        InsightsTopTracksSerializer,
        TOP_TRACKS,
        limit=True,
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        limit = insights.limit_from_param(request.query_params.get("limit"))
        return Response(
            insights.artist_top_tracks(artist=artist, period=_period(request), limit=limit)
        )


class ArtistTopPlaylistsApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_top_playlists",
        "Playlists an artist is streamed from",
        ArtistTopPlaylistsSerializer,
        {
            **PERIOD,
            "items": [
                {
                    "playlist": {"id": "88", "name": "Nordic Chill", "kind": "editorial"},
                    "streams": 9120,
                    "listener_days": 8011,
                }
            ],
            "other": [
                {"kind": "personalised", "streams": 5012, "listener_days": 4410},
                {"kind": "private", "streams": 1290, "listener_days": 1002},
            ],
        },
        description="Public playlists by name; personalised and private playlists only as totals.",
        limit=True,
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        limit = insights.limit_from_param(request.query_params.get("limit"))
        return Response(
            insights.artist_top_playlists(artist=artist, period=_period(request), limit=limit)
        )


class ArtistDemographicsApi(ArtistInsightsApi):
    @_insights_schema(
        "artist_insights_demographics",
        "Who an artist's listeners are",
        ArtistDemographicsSerializer,
        {
            **PERIOD,
            "age": [
                {"age_group": "18-24", "streams": 18002, "listener_days": 14100, "share": 0.3987},
                {"age_group": "unknown", "streams": 3020, "listener_days": 2511, "share": 0.0669},
            ],
            "gender": None,
            "gender_note": insights.GENDER_NOTE,
        },
        description="Streams by age group (from the birth year listeners gave; `unknown` "
        "otherwise). `gender` is null: it is not collected.",
    )
    def get(self, request, artist_id: int):
        artist = self.artist(request, artist_id)
        return Response(insights.artist_demographics(artist=artist, period=_period(request)))


# Track insights


class TrackInsightsApi(DashboardApi):
    def track(self, request, track_id: int):
        return selectors.track_access(user=request.user, track_id=track_id)


class TrackOverviewApi(TrackInsightsApi):
    @_insights_schema(
        "track_insights_overview",
        "A track's totals over a period",
        TrackOverviewSerializer,
        {**PERIOD, "streams": 30211, "listeners": LISTENERS, "saves": 811, "playlist_adds": 240},
    )
    def get(self, request, track_id: int):
        track = self.track(request, track_id)
        return Response(insights.track_overview(track=track, period=_period(request)))


class TrackTimelineApi(TrackInsightsApi):
    @_insights_schema(
        "track_insights_timeline",
        "A track's figures day by day",
        TrackTimelineSerializer,
        {
            **PERIOD,
            "items": [
                {
                    "day": "2025-03-01",
                    "streams": 980,
                    "listeners": 870,
                    "saves": 22,
                    "playlist_adds": 7,
                }
            ],
        },
    )
    def get(self, request, track_id: int):
        track = self.track(request, track_id)
        return Response(insights.track_timeline(track=track, period=_period(request)))


class TrackCountriesApi(TrackInsightsApi):
    @_insights_schema(
        "track_insights_countries",
        "Where a track's listeners are",
        InsightsCountriesSerializer,
        COUNTRIES,
        description="From playback's daily stream counts; `listener_days` counts a listener "
        "once per day and source. `cities` is null: plays do not record cities.",
    )
    def get(self, request, track_id: int):
        track = self.track(request, track_id)
        return Response(insights.track_countries(track=track, period=_period(request)))


class TrackSourcesApi(TrackInsightsApi):
    @_insights_schema(
        "track_insights_sources",
        "Where a track's streams come from",
        InsightsSourcesSerializer,
        SOURCES,
        description="From playback's daily stream counts, grouped as for artists.",
    )
    def get(self, request, track_id: int):
        track = self.track(request, track_id)
        return Response(insights.track_sources(track=track, period=_period(request)))


# Label insights


class LabelInsightsApi(DashboardApi):
    def label_ids(self, request, label_id: int) -> list[int]:
        party = selectors.label_access(user=request.user, label_id=label_id)
        return selectors.party_label_ids(party=party)


class LabelOverviewApi(LabelInsightsApi):
    @_insights_schema(
        "label_insights_overview",
        "A label's totals over a period",
        LabelOverviewSerializer,
        {
            **PERIOD,
            "streams": 910220,
            "listeners": LISTENERS,
            "saves": 20411,
            "playlist_adds": 8120,
            "roster_size": 42,
        },
        description="Over the tracks of the label's releases. The label id is a licensing "
        "party's, the one of `/labels/{id}/statements`.",
        label=True,
    )
    def get(self, request, label_id: int):
        label_ids = self.label_ids(request, label_id)
        return Response(insights.label_overview(label_ids=label_ids, period=_period(request)))


class LabelTimelineApi(LabelInsightsApi):
    @_insights_schema(
        "label_insights_timeline",
        "A label's figures day by day",
        TrackTimelineSerializer,
        {
            **PERIOD,
            "items": [
                {
                    "day": "2025-03-01",
                    "streams": 31020,
                    "listeners": 22011,
                    "saves": 700,
                    "playlist_adds": 290,
                }
            ],
        },
        label=True,
    )
    def get(self, request, label_id: int):
        label_ids = self.label_ids(request, label_id)
        return Response(insights.label_timeline(label_ids=label_ids, period=_period(request)))


class LabelRosterApi(LabelInsightsApi):
    @_insights_schema(
        "label_insights_artists",
        "A label's artists by streams",
        LabelRosterSerializer,
        {
            **PERIOD,
            "roster_size": 42,
            "items": [
                {
                    "artist": {"id": "7", "name": "Aurora Lights"},
                    "streams": 45150,
                    "listener_days": 36210,
                    "peak_listeners": 2610,
                    "saves": 1920,
                    "follows": 310,
                }
            ],
        },
        description="Artists with a release on the label; each artist's full insights are "
        "at `/artists/{id}/insights/...` for the label's staff.",
        limit=True,
        label=True,
    )
    def get(self, request, label_id: int):
        label_ids = self.label_ids(request, label_id)
        limit = insights.limit_from_param(request.query_params.get("limit"))
        return Response(
            insights.label_roster(label_ids=label_ids, period=_period(request), limit=limit)
        )


class LabelTopTracksApi(LabelInsightsApi):
    @_insights_schema(
        "label_insights_top_tracks",
        "A label's most streamed tracks",
        InsightsTopTracksSerializer,
        TOP_TRACKS,
        limit=True,
        label=True,
    )
    def get(self, request, label_id: int):
        label_ids = self.label_ids(request, label_id)
        limit = insights.limit_from_param(request.query_params.get("limit"))
        return Response(
            insights.label_top_tracks(label_ids=label_ids, period=_period(request), limit=limit)
        )


# Teams

MEMBER_EXAMPLE = {
    "user": {"id": "31", "display_name": "Maja Manager", "email": "maja@example.com"},
    "role": "admin",
    "joined_at": "2025-01-10T09:30:00Z",
}
INVITATION_EXAMPLE = {
    "id": "5",
    "email": "sam@example.com",
    "role": "reader",
    "invited_by": "Maja Manager",
    "created_at": "2025-03-02T12:00:00Z",
    "expires_at": "2025-03-16T12:00:00Z",
}


class TeamApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_team_get",
        summary="An artist's team and open invitations",
        description="Any team member reads the team; only admins see the open invitations.",
        responses={200: TeamSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Team",
                value={
                    "artist": {"id": "7", "name": "Aurora Lights"},
                    "members": [MEMBER_EXAMPLE],
                    "invitations": [INVITATION_EXAMPLE],
                },
                response_only=True,
                status_codes=["200"],
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist teams"],
    )
    def get(self, request, artist_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        if not access.can_read_team:
            raise PermissionDenied("Only the artist's team sees the team.")
        members = selectors.team_member_list(artist=access.artist)
        invitations = (
            selectors.team_invitation_list(artist=access.artist) if access.can_manage_team else []
        )
        return Response(
            {
                "artist": _ref(access.artist),
                "members": TeamMemberSerializer(members, many=True).data,
                "invitations": TeamInvitationSerializer(invitations, many=True).data,
            }
        )


class TeamInvitationsApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_team_invite",
        summary="Invite someone to an artist's team",
        description="Admins only. The token goes by email to the address; it is never "
        "returned. An open invitation to the same address is replaced.",
        request=TeamInviteRequestSerializer,
        responses={201: TeamInvitationSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Invite a reader",
                value={"email": "sam@example.com", "role": "reader"},
                request_only=True,
            ),
            OpenApiExample(
                "Invitation", value=INVITATION_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist teams"],
    )
    def post(self, request, artist_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        services.check_can_manage_team(actor=request.user, artist=access.artist)
        data = _validated(TeamInviteRequestSerializer, request.data)
        invitation, _token = services.team_invitation_create(
            actor=request.user,
            artist=access.artist,
            email=data["email"],
            role=data["role"],
            accept_url=lambda token: request.build_absolute_uri(
                f"/api/v1/invitations/{token}/accept"
            ),
        )
        return Response(TeamInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class TeamInvitationApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_team_invitation_revoke",
        summary="Revoke an open invitation",
        description="Admins only.",
        responses={204: None, **ERRORS},
        examples=ERROR_EXAMPLES,
        tags=["artist teams"],
    )
    def delete(self, request, artist_id: int, invitation_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        services.check_can_manage_team(actor=request.user, artist=access.artist)
        invitation = selectors.team_invitation_get(
            artist=access.artist, invitation_id=invitation_id
        )
        services.team_invitation_revoke(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_team_member_role",
        summary="Change a member's role",
        description="Admins only; the team keeps at least one admin.",
        request=TeamRoleRequestSerializer,
        responses={200: TeamMemberSerializer, **ERRORS},
        examples=[
            OpenApiExample("Make editor", value={"role": "editor"}, request_only=True),
            OpenApiExample(
                "Member",
                value={**MEMBER_EXAMPLE, "role": "editor"},
                response_only=True,
                status_codes=["200"],
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist teams"],
    )
    def patch(self, request, artist_id: int, user_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        services.check_can_manage_team(actor=request.user, artist=access.artist)
        membership = selectors.team_membership_get(artist=access.artist, user_id=user_id)
        data = _validated(TeamRoleRequestSerializer, request.data)
        membership = services.team_member_role_set(
            actor=request.user, membership=membership, role=data["role"]
        )
        return Response(TeamMemberSerializer(membership).data)

    @extend_schema(
        operation_id="artist_team_member_remove",
        summary="Remove a member (or leave the team)",
        description="Admins remove anyone; any member may remove themselves. The team keeps "
        "at least one admin.",
        responses={204: None, **ERRORS},
        examples=ERROR_EXAMPLES,
        tags=["artist teams"],
    )
    def delete(self, request, artist_id: int, user_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        if user_id != request.user.pk:
            services.check_can_manage_team(actor=request.user, artist=access.artist)
        membership = selectors.team_membership_get(artist=access.artist, user_id=user_id)
        services.team_member_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_team_invitation_accept",
        summary="Accept an invitation to an artist's team",
        description="Signed in with the invited email address. Any other account, and an "
        "unknown or revoked token, gets 404.",
        request=None,
        responses={200: InvitationAcceptedSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Joined",
                value={"artist": {"id": "7", "name": "Aurora Lights"}, "role": "reader"},
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Not yours",
                value={"error": {"status": 404, "message": "No such invitation for you."}},
                response_only=True,
                status_codes=["404"],
            ),
        ],
        tags=["artist teams"],
    )
    def post(self, request, token: str):
        membership = services.team_invitation_accept(user=request.user, token=token)
        return Response({"artist": _ref(membership.artist), "role": membership.role})


class MyTeamsApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="me_teams",
        summary="The artist teams and labels of the current user",
        responses={200: MyTeamsSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Teams",
                value={
                    "artists": [{"artist": {"id": "7", "name": "Aurora Lights"}, "role": "admin"}],
                    "labels": [{"id": "3", "name": "Northern Records"}],
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
        tags=["artist teams"],
    )
    def get(self, request):
        memberships = selectors.my_artist_memberships(user=request.user)
        parties = selectors.my_label_parties(user=request.user)
        return Response(
            {
                "artists": [{"artist": _ref(m.artist), "role": m.role} for m in memberships],
                "labels": [_ref(party) for party in parties],
            }
        )


# Releases

PITCH_EXAMPLE = {
    "id": "12",
    "status": "submitted",
    "story": "Recorded live in a lighthouse; the single the fans asked for.",
    "genre": "electronic",
    "moods": ["chill"],
    "markets": ["NO", "SE"],
    "created_at": "2025-03-02T12:00:00Z",
    "answer": "",
}
RELEASE_EXAMPLE = {
    "id": "57",
    "name": "Neon",
    "album_type": "single",
    "release_date": "2025-04-04",
    "status": "scheduled",
    "label": "Northern Records",
    "total_tracks": 2,
    "markets_scheduled": 184,
    "pitch": PITCH_EXAMPLE,
}


class ReleasesApi(DashboardApi, GenericAPIView):
    throttle_scope = "artists_manage"
    pagination_class = SpotifyPagination
    serializer_class = ArtistReleaseSerializer

    @extend_schema(
        operation_id="artist_releases_list",
        summary="An artist's releases with their status and pitch",
        description="Upcoming and unscheduled releases first. `status`: unscheduled, "
        "scheduled (date after today) or released.",
        responses={200: ArtistReleasePageSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Releases",
                value={
                    "href": "https://streamify.example.com/api/v1/artists/7/releases",
                    "items": [RELEASE_EXAMPLE],
                    "limit": 20,
                    "next": None,
                    "offset": 0,
                    "previous": None,
                    "total": 1,
                },
                response_only=True,
                status_codes=["200"],
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist releases"],
    )
    def get(self, request, artist_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        page = self.paginate_queryset(selectors.artist_release_list(artist=access.artist))
        return self.get_paginated_response(ArtistReleaseSerializer(page, many=True).data)


class ReleaseScheduleApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_release_schedule",
        summary="Schedule an upcoming release",
        description="Admins and editors. Sets the release date (after today, at most a "
        "year ahead) and the go-live at local midnight in each market.",
        request=ScheduleRequestSerializer,
        responses={200: ArtistReleaseSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Friday release",
                value={"release_date": "2025-04-04", "markets": ["SE", "NO"]},
                request_only=True,
            ),
            OpenApiExample(
                "Scheduled", value=RELEASE_EXAMPLE, response_only=True, status_codes=["200"]
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist releases"],
    )
    def post(self, request, artist_id: int, release_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        services.check_can_manage_releases(actor=request.user, artist=access.artist)
        release = selectors.artist_release_get(artist=access.artist, release_id=release_id)
        data = _validated(ScheduleRequestSerializer, request.data)
        release = services.release_schedule(
            actor=request.user,
            artist=access.artist,
            release=release,
            release_date=data["release_date"],
            markets=data["markets"],
        )
        return Response(ArtistReleaseSerializer(release).data)


class ReleaseCoverApi(DashboardApi):
    throttle_scope = "artists_manage"
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="artist_release_cover",
        summary="Upload a release's cover art",
        description="Admins and editors of the artist's team. A JPEG, PNG, WebP or GIF "
        "(checked by content, at least 64 px a side, at most COVER_MAX_BYTES); it is served "
        "re-encoded in 640, 300 and 64 px squares in the album's `images`.",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={200: ArtistReleaseSerializer, **ERRORS},
        tags=["artist releases"],
    )
    def put(self, request, artist_id: int, release_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("Send the image as the multipart field `file`.")
        if upload.size > settings.COVER_MAX_BYTES:
            raise ValidationFailed(
                f"The image is larger than {settings.COVER_MAX_BYTES // (1024 * 1024)} MB."
            )
        services.release_cover_upload(
            actor=request.user, artist=access.artist, release_id=release_id, data=upload.read()
        )
        release = selectors.artist_release_get(artist=access.artist, release_id=release_id)
        return Response(ArtistReleaseSerializer(release).data)


class ReleasePitchApi(DashboardApi):
    throttle_scope = "artists_manage"

    @extend_schema(
        operation_id="artist_release_pitches",
        summary="A release's pitches to the editors",
        responses={200: PitchListSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Pitches",
                value={"items": [PITCH_EXAMPLE]},
                response_only=True,
                status_codes=["200"],
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist releases"],
    )
    def get(self, request, artist_id: int, release_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        release = selectors.artist_release_get(artist=access.artist, release_id=release_id)
        return Response({"items": PitchSerializer(release.pitches.all(), many=True).data})

    @extend_schema(
        operation_id="artist_release_pitch",
        summary="Pitch an upcoming release to the editors",
        description="Admins and editors; one open pitch per release; the story has at most "
        "500 characters.",
        request=PitchRequestSerializer,
        responses={201: PitchSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Pitch",
                value={
                    "story": PITCH_EXAMPLE["story"],
                    "genre": "electronic",
                    "moods": ["chill"],
                    "markets": ["SE", "NO"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Pitched", value=PITCH_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            *ERROR_EXAMPLES,
        ],
        tags=["artist releases"],
    )
    def post(self, request, artist_id: int, release_id: int):
        access = selectors.artist_access(user=request.user, artist_id=artist_id)
        services.check_can_manage_releases(actor=request.user, artist=access.artist)
        release = selectors.artist_release_get(artist=access.artist, release_id=release_id)
        data = _validated(PitchRequestSerializer, request.data)
        pitch = services.release_pitch(
            actor=request.user,
            artist=access.artist,
            release=release,
            story=data["story"],
            genre=data.get("genre") or None,
            moods=data["moods"],
            markets=data["markets"],
        )
        return Response(PitchSerializer(pitch).data, status=status.HTTP_201_CREATED)
