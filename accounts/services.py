import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_countries import countries
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from accounts import roles, selectors
from accounts.app_passwords import secret_digest, secret_encrypt, secret_generate
from accounts.models import AppPassword, CountryChange, PendingSignup, Session, User
from common.errors import ApplicationError, NotFound, ValidationFailed


class CountryChangeTooSoon(ApplicationError):
    status = 429
    default_message = "The country was changed recently; try again later."


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


def _signup_links_since() -> datetime.datetime:
    """Sign-up links made before this have expired."""
    return timezone.now() - datetime.timedelta(hours=settings.SIGNUP_CONFIRMATION_HOURS)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def signup_request(
    *,
    email: str,
    password: str,
    country: str,
    language: str,
    display_name: str = "",
    confirm_url: str,
) -> None:
    """Mail the address a link that creates the account, or, when the address already has
    one, a note saying so. The caller answers the same in both cases, so a sign-up never
    tells whether an address is registered. `confirm_url` has a `{token}` placeholder."""
    email = email.strip().lower()
    PendingSignup.objects.filter(created_at__lt=_signup_links_since()).delete()  # expired
    if User.objects.filter(email__iexact=email).exists():
        send_mail(
            "Your Streamify account",
            "Someone (maybe you) tried to sign up to Streamify with this address, which "
            "already has an account. Log in, or reset your password if you forgot it. If it "
            "was not you, you can ignore this message.",
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
        return
    token = secrets.token_urlsafe(32)
    PendingSignup.objects.create(
        email=email,
        password=make_password(password),
        display_name=display_name.strip()[:150],
        country=country,
        language=language,
        token_digest=_digest(token),
    )
    send_mail(
        "Confirm your Streamify account",
        "Open this link to finish signing up to Streamify:\n\n"
        f"{confirm_url.format(token=token)}\n\n"
        f"The link works for {settings.SIGNUP_CONFIRMATION_HOURS} hours. If you did not sign "
        "up, you can ignore this message.",
        settings.DEFAULT_FROM_EMAIL,
        [email],
    )


@transaction.atomic
def signup_confirm(*, token: str) -> User | None:
    """Create the account a sign-up link names; None for an unknown, used or expired link.

    The first confirmed sign-up of an address wins; the address's other pending sign-ups
    are deleted with it."""
    pending = (
        PendingSignup.objects.select_for_update()
        .filter(token_digest=_digest(token), created_at__gte=_signup_links_since())
        .first()
    )
    if pending is None:
        return None
    PendingSignup.objects.filter(email__iexact=pending.email).delete()
    if User.objects.filter(email__iexact=pending.email).exists():
        return None
    user = user_create(
        email=pending.email,
        password=None,
        country=str(pending.country),
        language=pending.language,
        display_name=pending.display_name,
    )
    user.password = pending.password  # already hashed
    user.save(update_fields=["password"])
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
    if country is not None and country.upper() != str(user.country):
        # Never a free write: the logged, paced flow (a user changing their own market).
        user.country = user_country_change(user=user, country=country, changed_by=user).country
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


def check_country(*, country: str) -> str:
    country = country.upper()
    if country not in dict(countries):
        raise ValidationFailed(f"Unknown country: {country}.")
    return country


@transaction.atomic
def user_country_change(
    *, user: User, country: str, changed_by: User | None, address: str | None = None
) -> User:
    """Change the user's country (market), logged in CountryChange.

    A user changing their own country may do so once per COUNTRY_CHANGE_MIN_DAYS (429
    before); staff changing someone's (`changed_by` with the change-user permission) may
    at any time. Past plays keep the market they were made in.
    """
    country = check_country(country=country)
    user = User.objects.select_for_update().get(pk=user.pk)
    if country == str(user.country):
        return user
    by_staff = bool(
        changed_by is not None
        and changed_by.pk != user.pk
        and changed_by.is_active
        and changed_by.has_perm("accounts.change_user")
    )
    if not by_staff:
        since = timezone.now() - datetime.timedelta(days=settings.COUNTRY_CHANGE_MIN_DAYS)
        if CountryChange.objects.filter(user=user, by_staff=False, changed_at__gte=since).exists():
            raise CountryChangeTooSoon(
                "Your country can be changed once every "
                f"{settings.COUNTRY_CHANGE_MIN_DAYS} days; contact support to change it sooner."
            )
    CountryChange.objects.create(
        user=user,
        old_country=str(user.country),
        new_country=country,
        changed_by=changed_by,
        by_staff=by_staff,
        address=address or None,
    )
    user.country = country
    user.save(update_fields=["country"])
    return user


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


def sessions_expired_delete(*, batch: int = 10_000) -> int:
    """Delete the sessions past their expiry (nobody can use them again), a batch of rows
    per statement so no single delete holds a long lock; return how many were deleted."""
    now = timezone.now()
    deleted = 0
    while True:
        keys = list(
            Session.objects.filter(expire_date__lt=now).values_list("pk", flat=True)[:batch]
        )
        if not keys:
            return deleted
        deleted += Session.objects.filter(pk__in=keys, expire_date__lt=now).delete()[0]
