from django.urls import path

from api.playback import views

app_name = "playback"

urlpatterns = [
    path("me/player/stream-url", views.StreamUrlApi.as_view(), name="stream-url"),
    path("me/player/events", views.PlayEventsApi.as_view(), name="events"),
    path("me/player/recently-played", views.RecentlyPlayedApi.as_view(), name="recently-played"),
    path("stream/<str:token>", views.stream, name="stream"),
    path("tracks/<int:track_id>/source", views.TrackSourceUploadApi.as_view(), name="track-source"),
]
