from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api.token import ThrottledTokenView

api_v1 = [
    path("", include("editorial.api.urls")),
    path("", include("catalog.api.library_urls")),
    path("", include("catalog.api.urls")),
    path("", include("playback.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("recommendations.api.urls")),
    path("", include("artists.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # The token endpoint with a budget of failed client authentications, then the rest.
    path("o/token/", ThrottledTokenView.as_view(), name="oauth-token"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI runs an inline script: its page goes without the CSP (it holds no user data).
    path(
        "api/docs/",
        csp_exempt()(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("", include("web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
