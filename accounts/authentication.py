"""Bearer tokens for scripts: django-oauth-toolkit's OAuth2, where a client-credentials
token acts as the user who owns the application (a personal API client)."""

import hashlib

from oauth2_provider.contrib.rest_framework import OAuth2Authentication as _OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator as _OAuth2Validator
from rest_framework.exceptions import AuthenticationFailed


class OAuth2Authentication(_OAuth2Authentication):
    """Only the `Authorization: Bearer` header is read (RFC 9700: no tokens in URLs).

    oauthlib is handed Django's request, not DRF's: reading DRF's `request.POST` would parse
    the body with the view's parsers during authentication, so a bad or unsupported body
    would be refused (400/415) before the permission checks.
    """

    def authenticate(self, request):
        if not request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
            return None
        result = super().authenticate(getattr(request, "_request", request))
        if result is None:
            # A bearer token was sent but is unknown, revoked or expired: a 401, never anonymous.
            raise AuthenticationFailed("The access token is invalid or expired.")
        user, token = result
        if user is None:
            # Client credentials: the token belongs to the application, which acts for its
            # owner; an application without an active owner acts for nobody.
            application = token.application
            owner = application.user if application is not None else None
            if (
                application is None
                or application.authorization_grant_type != application.GRANT_CLIENT_CREDENTIALS
                or owner is None
                or not owner.is_active
            ):
                raise AuthenticationFailed("This access token acts for no user.")
            user = owner
        elif not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return user, token


class OAuth2Validator(_OAuth2Validator):
    def _load_access_token(self, token):
        # The application's owner too: a client-credentials token acts for them.
        token_checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return (
            get_access_token_model()
            .objects.select_related("application__user", "user")
            .filter(token_checksum=token_checksum)
            .first()
        )
