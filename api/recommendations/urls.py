from django.urls import path

from api.recommendations import views

app_name = "recommendations_api"

urlpatterns = [
    path("recommendations", views.RecommendationsApi.as_view(), name="recommendations"),
    path(
        "recommendations/available-genre-seeds",
        views.GenreSeedsApi.as_view(),
        name="available-genre-seeds",
    ),
    path("tracks/<str:id>/similar", views.TrackSimilarApi.as_view(), name="track-similar"),
    path(
        "artists/<str:id>/related-artists",
        views.ArtistRelatedArtistsApi.as_view(),
        name="artist-related-artists",
    ),
]
