"""The OAuth2 token endpoint behind a budget of failed client authentications.

Each request takes a unit from the client id's budget and the address's budget (the login
throttle's, `accounts.throttling`) before the secret is checked; a request that does not
fail client authentication gives it back. A spent budget answers 429 in OAuth's JSON error
form, even for the right secret, until the window has passed.
"""

import base64
import binascii
import json

from django.http import HttpResponse
from oauth2_provider.views import TokenView

from accounts import throttling


def _client_id(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return request.POST.get("client_id", "")


class ThrottledTokenView(TokenView):
    def post(self, request, *args, **kwargs):
        client = "oauth-client:" + _client_id(request)
        address = throttling.client_address(request)
        wait = throttling.login_attempt_reserve(username=client, address=address)
        if wait is not None:
            body = {
                "error": "too_many_requests",
                "error_description": "Too many failed client authentications; retry later.",
            }
            return HttpResponse(
                json.dumps(body),
                status=429,
                content_type="application/json",
                headers={"Retry-After": str(wait), "Cache-Control": "no-store"},
            )
        response = super().post(request, *args, **kwargs)
        if response.status_code != 401:  # the client authenticated (or sent no secret)
            throttling.login_attempt_succeeded(username=client, address=address)
        return response
