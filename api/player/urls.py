from django.urls import path

from api.player import views

app_name = "player"

urlpatterns = [
    path("me/player", views.PlaybackStateApi.as_view(), name="state"),
    path("me/player/currently-playing", views.CurrentlyPlayingApi.as_view(), name="currently"),
    path("me/player/devices", views.DevicesApi.as_view(), name="devices"),
    path("me/player/devices/<str:device_id>", views.DeviceRegisterApi.as_view(), name="device"),
    path("me/player/queue", views.QueueApi.as_view(), name="queue"),
    path("me/player/play", views.PlayApi.as_view(), name="play"),
    path("me/player/pause", views.PauseApi.as_view(), name="pause"),
    path("me/player/next", views.NextApi.as_view(), name="next"),
    path("me/player/previous", views.PreviousApi.as_view(), name="previous"),
    path("me/player/seek", views.SeekApi.as_view(), name="seek"),
    path("me/player/repeat", views.RepeatApi.as_view(), name="repeat"),
    path("me/player/shuffle", views.ShuffleApi.as_view(), name="shuffle"),
    path("me/player/volume", views.VolumeApi.as_view(), name="volume"),
]
