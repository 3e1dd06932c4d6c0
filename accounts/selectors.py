"""Reads of accounts: users, app passwords and the checks of the secrets clients send."""

import hashlib
import hmac

from django.db.models import QuerySet

from accounts import throttling
from accounts.app_passwords import SecretUnreadable, secret_decrypt, secret_digest
from accounts.models import AppPassword, User
from common.errors import NotFound


def user_get_public(*, user_id: int | None) -> User:
    """An active user, for their public profile; 404 when unknown or inactive."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise NotFound("User not found.")
    return user


def request_address(request) -> str:
    """The client's address as the login throttle sees it (trusted proxies honoured)."""
    return throttling.client_address(request)


def app_passwords_active(*, user: User) -> QuerySet[AppPassword]:
    return AppPassword.objects.filter(user=user, revoked_at__isnull=True)


def _active_of_username(username: str) -> QuerySet[AppPassword]:
    return AppPassword.objects.filter(
        user__email__iexact=username.strip(), user__is_active=True, revoked_at__isnull=True
    ).select_related("user")


def _secrets(username: str):
    for app_password in _active_of_username(username):
        try:
            yield app_password, secret_decrypt(app_password.secret_encrypted)
        except SecretUnreadable:
            continue


def app_password_for_token(*, username: str, token: str, salt: str) -> AppPassword | None:
    """The user's active app password whose md5(secret + salt) is `token` (Subsonic auth)."""
    token = token.strip().lower()
    for app_password, secret in _secrets(username):
        expected = hashlib.md5((secret + salt).encode(), usedforsecurity=False).hexdigest()
        if hmac.compare_digest(expected, token):
            return app_password
    return None


def app_password_for_password(*, username: str, password: str) -> AppPassword | None:
    """The user's active app password equal to `password` (legacy `p=`)."""
    for app_password, secret in _secrets(username):
        if hmac.compare_digest(secret.encode(), password.encode()):
            return app_password
    return None


def app_password_for_key(*, api_key: str) -> AppPassword | None:
    """The active app password sent as an API key (the OpenSubsonic `apiKey`)."""
    return (
        AppPassword.objects.filter(
            secret_digest=secret_digest(api_key), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
