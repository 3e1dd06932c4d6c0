from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("editorial.api.urls")),
    path("", include("catalog.api.library_urls")),
    path("", include("catalog.api.urls")),
    path("", include("playback.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("recommendations.api.urls")),
    path("", include("artists.api.urls")),
]


def cover_image(request, path: str):
    """Cover art from local storage (nginx serves /media/images/ itself in production)."""
    return serve(request, path, document_root=Path(settings.MEDIA_ROOT) / "images")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("media/images/<path:path>", cover_image, name="cover-image"),
    path("", include("web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
