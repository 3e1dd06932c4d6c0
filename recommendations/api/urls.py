from django.urls import path

from recommendations.api import views

app_name = "recommendations_api"

urlpatterns = [
    path("tracks/<str:id>/similar", views.TrackSimilarApi.as_view(), name="track-similar"),
    path(
        "artists/<str:id>/related-artists",
        views.ArtistRelatedArtistsApi.as_view(),
        name="artist-related-artists",
    ),
]
