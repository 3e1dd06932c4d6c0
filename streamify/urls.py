from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import URLPattern, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import urls as oauth2_urls

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

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("o/", include(oauth2_patterns, namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
