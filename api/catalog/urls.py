from django.urls import path

from api.catalog import views

app_name = "catalog_api"

urlpatterns = [
    path("tracks", views.TrackListApi.as_view(), name="track-list"),
    path("tracks/<str:id>", views.TrackDetailApi.as_view(), name="track-detail"),
    path("tracks/<str:id>/lyrics", views.TrackLyricsApi.as_view(), name="track-lyrics"),
    path("albums", views.AlbumListApi.as_view(), name="album-list"),
    path("albums/<str:id>", views.AlbumDetailApi.as_view(), name="album-detail"),
    path("albums/<str:id>/tracks", views.AlbumTracksApi.as_view(), name="album-tracks"),
    path("artists", views.ArtistListApi.as_view(), name="artist-list"),
    path("artists/<str:id>", views.ArtistDetailApi.as_view(), name="artist-detail"),
    path("artists/<str:id>/albums", views.ArtistAlbumsApi.as_view(), name="artist-albums"),
    path(
        "artists/<str:id>/top-tracks",
        views.ArtistTopTracksApi.as_view(),
        name="artist-top-tracks",
    ),
    path("playlists/<str:id>", views.PlaylistDetailApi.as_view(), name="playlist-detail"),
    path("playlists/<str:id>/tracks", views.PlaylistTracksApi.as_view(), name="playlist-tracks"),
    path("search", views.SearchApi.as_view(), name="search"),
    path("markets", views.MarketsApi.as_view(), name="markets"),
]
