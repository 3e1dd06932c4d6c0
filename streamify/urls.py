from pathlib import Path

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import URLPattern, include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import urls as oauth2_urls

from accounts.oauth_token import ThrottledTokenView

OAUTH2_FLOWS = {"authorize", "token", "revoke-token", "introspect"}


def _staff_only(pattern: URLPattern) -> URLPattern:
    callback = staff_member_required(pattern.callback)
    return URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)


# /o/: the authorization-code (PKCE) and client-credentials flows for everybody; registering
# and managing OAuth applications for staff only. No dynamic registration, device flow or OIDC.
oauth2_patterns = (
    [p for p in oauth2_urls.base_urlpatterns if p.name in OAUTH2_FLOWS]
    + oauth2_urls.metadata_urlpatterns
    + [_staff_only(p) for p in oauth2_urls.management_urlpatterns],
    "oauth2_provider",
)


def cover_image(request, path: str):
    """Cover art from local storage (nginx serves /media/images/ itself in production)."""
    return serve(request, path, document_root=Path(settings.MEDIA_ROOT) / "images")


handler403 = "web.views.permission_denied"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("rest/", include("api.subsonic.urls")),
    # The token endpoint with a budget of failed client authentications, then the rest.
    path("o/token/", ThrottledTokenView.as_view(), name="oauth-token"),
    path("o/", include(oauth2_patterns, namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI runs an inline script: its page goes without the CSP (it holds no user data).
    path(
        "api/docs/",
        csp_exempt()(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("media/images/<path:path>", cover_image, name="cover-image"),
    path("", include("web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
