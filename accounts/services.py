from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django_countries import countries

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
def user_system_ensure(*, email: str, display_name: str) -> User:
    """The account a service acts as (e.g. the owner of editorial playlists); no password."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, display_name=display_name)
    return user
