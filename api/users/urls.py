from django.urls import path

from api.users import views

app_name = "users_api"

urlpatterns = [
    path("users/<str:id>", views.UserApi.as_view(), name="user"),
    path("users/<str:id>/playlists", views.UserPlaylistsApi.as_view(), name="user-playlists"),
    path("me/top/<str:type>", views.MeTopApi.as_view(), name="me-top"),
]
