from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django_countries import countries
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from accounts import roles
from accounts.models import User
from common.errors import ValidationFailed


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    country: str = "US",
    language: str = "en",
    display_name: str = "",
    role: str = roles.LISTENERS,
) -> User:
    user = User.objects.create_user(
        email=email,
        password=password,
        country=country,
        language=language,
        display_name=display_name,
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    display_name: str | None = None,
    country: str | None = None,
    language: str | None = None,
) -> User:
    fields = []
    if display_name is not None:
        user.display_name = display_name.strip()[:150]
        fields.append("display_name")
    if country is not None:
        country = country.upper()
        if country not in dict(countries):
            raise ValidationFailed(f"Unknown country: {country}.")
        user.country = country
        fields.append("country")
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationFailed(f"Unsupported language: {language}.")
        user.language = language
        fields.append("language")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str) -> User:
    """Set a new password and revoke every OAuth credential issued under the old one.

    Other sessions end by themselves: Django keys a session to a hash of the password.
    The caller re-keys its own session (`update_session_auth_hash`) when it should stay.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    oauth_credentials_revoke(user=user)
    return user


@transaction.atomic
def oauth_credentials_revoke(*, user: User) -> int:
    """Delete the user's OAuth access and refresh tokens, ID tokens and grants, and those
    of the applications the user owns (client credentials act as their owner).
    Return how many were deleted."""
    owned = Q(user=user) | Q(application__user=user)
    deleted = 0
    for model in (
        get_refresh_token_model(),
        get_access_token_model(),
        get_id_token_model(),
        get_grant_model(),
    ):
        deleted += model.objects.filter(owned).delete()[1].get(model._meta.label, 0)
    return deleted
