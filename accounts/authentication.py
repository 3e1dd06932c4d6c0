"""Bearer tokens for scripts: django-oauth-toolkit's OAuth2, where a client-credentials
token acts as the user who owns the application (a personal API client)."""

import hashlib
from functools import cache

from django.contrib.auth import get_user_model
from django.db import router
from oauth2_provider.contrib.rest_framework import OAuth2Authentication as _OAuth2Authentication
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator as _OAuth2Validator
from rest_framework.exceptions import AuthenticationFailed

from common.query_shapes import QueryShape


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


# The rows a bearer token is read with: the token, its application, its user and the
# application's owner (a client-credentials token acts for them), by prefix in the query.
# Built once (the models are known once the apps are loaded), not on every request.
@cache
def _token_parts() -> tuple[tuple[str, type, tuple[str, ...]], ...]:
    user = get_user_model()
    return tuple(
        (prefix, model, tuple(field.attname for field in model._meta.concrete_fields))
        for prefix, model in (
            ("", get_access_token_model()),
            ("application__", get_application_model()),
            ("user__", user),
            ("application__user__", user),
        )
    )


def _token_by_checksum(p):
    return (
        get_access_token_model()
        .objects.filter(token_checksum=p.checksum.str())
        .order_by()
        .values(*(prefix + name for prefix, _, names in _token_parts() for name in names))
    )


# Read on every request with a bearer token: SQL compiled once per process (compiling the
# select_related query cost more than the rest of the request, ~1 ms of CPU). The row is
# read every time, nothing is cached: a revoked or expired token, a changed scope or a
# deactivated owner counts at once.
_TOKEN = QueryShape(_token_by_checksum)


class OAuth2Validator(_OAuth2Validator):
    def _load_access_token(self, token):
        """django-oauth-toolkit's lookup by checksum (the checksum is unique), with the
        application, the user and the application's owner read by the same query."""
        token_model = get_access_token_model()
        token_checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        rows = _TOKEN.rows(model=token_model, checksum=token_checksum)
        if not rows:
            return None
        row = rows[0]
        alias = router.db_for_read(token_model) or "default"
        found = {}
        for prefix, model, names in _token_parts():
            if row[prefix + model._meta.pk.attname] is None:
                found[prefix] = None
            else:
                values = [row[prefix + name] for name in names]
                found[prefix] = model.from_db(alias, list(names), values)
        access_token, application = found[""], found["application__"]
        # As select_related sets them: the related objects are cached on their owners.
        token_model._meta.get_field("application").set_cached_value(access_token, application)
        token_model._meta.get_field("user").set_cached_value(access_token, found["user__"])
        if application is not None:
            owner = found["application__user__"]
            application._meta.get_field("user").set_cached_value(application, owner)
        return access_token
