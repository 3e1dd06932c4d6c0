"""The one ordered URL list of /api/v1 (included by `streamify.urls`).

Order matters where two areas share a path: the library views serve the writes and the
reads of `playlists/{id}` and `playlists/{id}/tracks`, so they come before the catalogue's.
Django tries the patterns one by one (about 3 us each), so the busiest paths come first:
play events and stream bytes (`api.playback`, which shares no path with the others) were
matched after some 50 other patterns, 0.13 to 0.19 ms of every such request.
A path may end with a slash or not (`api.middleware.ApiPathMiddleware` strips it); an
unknown path is a JSON 404.
"""

from django.urls import include, path, re_path

from api import schema  # noqa: F401  (registers the OpenAPI extensions)
from api.views import unknown_route

urlpatterns = [
    path("", include("api.playback.urls")),
    path("", include("api.browse.urls")),
    path("", include("api.library.urls")),
    path("", include("api.catalog.urls")),
    path("", include("api.player.urls")),
    path("", include("api.licensing.urls")),
    path("", include("api.recommendations.urls")),
    path("", include("api.users.urls")),
    path("", include("api.dashboard.urls")),
    re_path(r"^.*$", unknown_route, name="unknown-route"),
]
