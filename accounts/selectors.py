"""Reads of accounts."""

from accounts.models import User
from common.errors import NotFound


def user_get_public(*, user_id: int | None) -> User:
    """An active user, for their public profile; 404 when unknown or inactive."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise NotFound("User not found.")
    return user
