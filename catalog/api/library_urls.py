from django.urls import path

from catalog.api import library_views as views

app_name = "library_api"

urlpatterns = [
    path("me", views.MeApi.as_view(), name="me"),
    path("me/tracks", views.MeTracksApi.as_view(), name="me-tracks"),
    path("me/tracks/contains", views.MeTracksContainsApi.as_view(), name="me-tracks-contains"),
    path("me/following", views.MeFollowingApi.as_view(), name="me-following"),
    path(
        "me/following/contains",
        views.MeFollowingContainsApi.as_view(),
        name="me-following-contains",
    ),
    path("me/playlists", views.MePlaylistsApi.as_view(), name="me-playlists"),
    # Same paths as the read API's GETs; these views serve both (include this module first).
    path("playlists/<str:id>", views.PlaylistApi.as_view(), name="playlist"),
    path("playlists/<str:id>/tracks", views.PlaylistItemsApi.as_view(), name="playlist-items"),
    path(
        "playlists/<str:id>/followers",
        views.PlaylistFollowersApi.as_view(),
        name="playlist-followers",
    ),
    path(
        "playlists/<str:id>/followers/contains",
        views.PlaylistFollowersContainsApi.as_view(),
        name="playlist-followers-contains",
    ),
]
