from django.urls import re_path

from api.subsonic import views

app_name = "subsonic"

urlpatterns = [
    re_path(r"^(?P<method_name>[A-Za-z0-9]+)(?:\.view)?/?$", views.rest, name="method"),
]
