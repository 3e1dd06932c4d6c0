import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_countries import countries

from accounts import roles, selectors
from accounts.app_passwords import secret_digest, secret_encrypt, secret_generate
from accounts.models import AppPassword, User
from common.errors import NotFound, ValidationFailed


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


APP_PASSWORDS_PER_USER = 50
APP_PASSWORD_TOUCH_EVERY = datetime.timedelta(minutes=1)


@transaction.atomic
def app_password_create(*, user: User, name: str) -> tuple[AppPassword, str]:
    """Create an app password; return it and its secret, shown to the listener only once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("name: give the app a name of at most 100 characters.")
    if selectors.app_passwords_active(user=user).count() >= APP_PASSWORDS_PER_USER:
        raise ValidationFailed(f"At most {APP_PASSWORDS_PER_USER} app passwords; revoke one.")
    secret = secret_generate()
    app_password = AppPassword.objects.create(
        user=user,
        name=name,
        secret_encrypted=secret_encrypt(secret),
        secret_digest=secret_digest(secret),
    )
    return app_password, secret


@transaction.atomic
def app_password_revoke(*, user: User, app_password_id: int) -> None:
    updated = selectors.app_passwords_active(user=user).filter(pk=app_password_id)
    if not updated.update(revoked_at=timezone.now()):
        raise NotFound("App password not found.")


def app_password_touch(*, app_password: AppPassword) -> None:
    """Record a use; at most one write a minute per app password."""
    now = timezone.now()
    last = app_password.last_used_at
    if last is None or now - last >= APP_PASSWORD_TOUCH_EVERY:
        AppPassword.objects.filter(pk=app_password.pk).update(last_used_at=now)
        app_password.last_used_at = now
