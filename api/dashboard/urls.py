from django.urls import path

from api.dashboard import views

app_name = "artists_api"

ARTIST = "artists/<int:artist_id>"
TRACK = "tracks/<int:track_id>"
LABEL = "labels/<int:label_id>"

urlpatterns = [
    # Insights
    path(f"{ARTIST}/insights/overview", views.ArtistOverviewApi.as_view(), name="artist-overview"),
    path(f"{ARTIST}/insights/timeline", views.ArtistTimelineApi.as_view(), name="artist-timeline"),
    path(
        f"{ARTIST}/insights/countries", views.ArtistCountriesApi.as_view(), name="artist-countries"
    ),
    path(f"{ARTIST}/insights/sources", views.ArtistSourcesApi.as_view(), name="artist-sources"),
    path(
        f"{ARTIST}/insights/top-tracks",
        views.ArtistTopTracksApi.as_view(),
        name="artist-top-tracks",
    ),
    path(
        f"{ARTIST}/insights/top-playlists",
        views.ArtistTopPlaylistsApi.as_view(),
        name="artist-top-playlists",
    ),
    path(
        f"{ARTIST}/insights/demographics",
        views.ArtistDemographicsApi.as_view(),
        name="artist-demographics",
    ),
    path(f"{TRACK}/insights/overview", views.TrackOverviewApi.as_view(), name="track-overview"),
    path(f"{TRACK}/insights/timeline", views.TrackTimelineApi.as_view(), name="track-timeline"),
    path(f"{TRACK}/insights/countries", views.TrackCountriesApi.as_view(), name="track-countries"),
    path(f"{TRACK}/insights/sources", views.TrackSourcesApi.as_view(), name="track-sources"),
    path(f"{LABEL}/insights/overview", views.LabelOverviewApi.as_view(), name="label-overview"),
    path(f"{LABEL}/insights/timeline", views.LabelTimelineApi.as_view(), name="label-timeline"),
    path(f"{LABEL}/insights/artists", views.LabelRosterApi.as_view(), name="label-artists"),
    path(
        f"{LABEL}/insights/top-tracks", views.LabelTopTracksApi.as_view(), name="label-top-tracks"
    ),
    # Teams
    path(f"{ARTIST}/team", views.TeamApi.as_view(), name="team"),
    path(
        f"{ARTIST}/team/invitations",
        views.TeamInvitationsApi.as_view(),
        name="team-invitations",
    ),
    path(
        f"{ARTIST}/team/invitations/<int:invitation_id>",
        views.TeamInvitationApi.as_view(),
        name="team-invitation",
    ),
    path(f"{ARTIST}/team/<int:user_id>", views.TeamMemberApi.as_view(), name="team-member"),
    path(
        "invitations/<str:token>/accept",
        views.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path("me/teams", views.MyTeamsApi.as_view(), name="my-teams"),
    # Releases
    path(f"{ARTIST}/releases", views.ReleasesApi.as_view(), name="releases"),
    path(
        f"{ARTIST}/releases/<int:release_id>/schedule",
        views.ReleaseScheduleApi.as_view(),
        name="release-schedule",
    ),
    path(
        f"{ARTIST}/releases/<int:release_id>/cover",
        views.ReleaseCoverApi.as_view(),
        name="release-cover",
    ),
    path(
        f"{ARTIST}/releases/<int:release_id>/pitch",
        views.ReleasePitchApi.as_view(),
        name="release-pitch",
    ),
]
