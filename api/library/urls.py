from django.urls import path

from api.library import views

app_name = "library_api"

urlpatterns = [
    path("me", views.MeApi.as_view(), name="me"),
    path("me/tracks", views.MeTracksApi.as_view(), name="me-tracks"),
    path("me/tracks/contains", views.MeTracksContainsApi.as_view(), name="me-tracks-contains"),
    path("me/albums", views.MeAlbumsApi.as_view(), name="me-albums"),
    path("me/albums/contains", views.MeAlbumsContainsApi.as_view(), name="me-albums-contains"),
    path("me/library", views.MeLibraryApi.as_view(), name="me-library"),
    path("me/library/contains", views.MeLibraryContainsApi.as_view(), name="me-library-contains"),
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
    # The reference's current name for the same list.
    path("playlists/<str:id>/items", views.PlaylistItemsV2Api.as_view(), name="playlist-items-v2"),
    path("playlists/<str:id>/images", views.PlaylistImagesApi.as_view(), name="playlist-images"),
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
