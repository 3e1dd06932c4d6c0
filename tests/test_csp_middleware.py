"""The Content-Security-Policy middleware (streamify/csp.py): django-csp's headers, with the
settings' policies built once; per-view changes, nonces and exemptions as django-csp has them."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from streamify.csp import CSPMiddleware


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def respond(path="/", *, view=None, settings=None):
    def get_response(request):
        return view(request) if view else HttpResponse("ok")

    request = RequestFactory().get(path)
    middleware = CSPMiddleware(get_response)
    return request, middleware(request)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_a_plain_response_gets_the_settings_policy():
    request, response = respond()
    assert directives(response[HEADER]) == directives(build_policy())
    assert HEADER_REPORT_ONLY not in response
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # asked for after the header was written


def test_a_settings_change_shows_at_once(settings):
    _, before = respond()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"img-src": ["https://cdn.example"]},
        "EXCLUDE_URL_PREFIXES": ["/quiet/"],
    }
    _, after = respond()
    assert directives(before[HEADER]) != directives(after[HEADER])
    assert directives(after[HEADER])["default-src"] == "'none'"
    assert "https://cdn.example" in after[HEADER_REPORT_ONLY]
    _, quiet = respond("/quiet/page")
    assert HEADER_REPORT_ONLY not in quiet and HEADER in quiet


def test_a_view_s_update_and_a_nonce_go_through_django_csp(settings):
    def updated(request):
        response = HttpResponse("ok")
        response._csp_update = {"img-src": ["https://art.example"]}
        return response

    _, response = respond(view=updated)
    assert "https://art.example" in directives(response[HEADER])["img-src"]

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}

    def with_nonce(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    request, response = respond(view=with_nonce)
    assert f"'nonce-{request._csp_nonce}'" in directives(response[HEADER])["script-src"]


def test_exempt_and_already_set_headers_are_left_alone():
    def exempt(request):
        response = HttpResponse("ok")
        response._csp_exempt = True
        return response

    def own(request):
        response = HttpResponse("ok")
        response[HEADER] = "default-src 'none'"
        return response

    assert HEADER not in respond(view=exempt)[1]
    assert respond(view=own)[1][HEADER] == "default-src 'none'"
