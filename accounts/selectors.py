"""Reads of accounts."""

from accounts import throttling
from accounts.models import User
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
