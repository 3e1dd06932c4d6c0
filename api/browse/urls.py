from django.urls import path

from api.browse import views

app_name = "editorial_api"

urlpatterns = [
    path(
        "browse/featured-playlists",
        views.FeaturedPlaylistsApi.as_view(),
        name="featured-playlists",
    ),
    path("browse/categories", views.CategoryListApi.as_view(), name="categories"),
    path("browse/categories/<str:category_id>", views.CategoryDetailApi.as_view(), name="category"),
    path(
        "browse/categories/<str:category_id>/playlists",
        views.CategoryPlaylistsApi.as_view(),
        name="category-playlists",
    ),
    path("browse/albums", views.CatalogueAlbumsApi.as_view(), name="browse-albums"),
    path("browse/artists", views.CatalogueArtistsApi.as_view(), name="browse-artists"),
    path("browse/genres", views.CatalogueGenresApi.as_view(), name="browse-genres"),
    path(
        "browse/genres/<int:genre_id>",
        views.CatalogueGenreDetailApi.as_view(),
        name="browse-genre",
    ),
    path("browse/new-releases", views.NewReleasesApi.as_view(), name="new-releases"),
]
