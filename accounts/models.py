from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class UserManager(DjangoUserManager):
    """Users log in with their email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        """Emails are stored lower-cased; a login matches them in any case."""
        return self.get(email__iexact=username.strip())

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


def _language_choices():
    return settings.LANGUAGES


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    country = CountryField(default="US", help_text=_("Market the listener streams in."))
    language = models.CharField(max_length=8, choices=_language_choices, default="en")
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email.split("@")[0]


class Session(AbstractBaseSession):
    """Django's database session with the signed-in user's id in a column of its own
    (`SESSION_ENGINE` = `accounts.sessions`, which sets it on every save): a request reads
    its session and its user in one query. Removed with the user."""

    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,  # a session saved as its user is deleted must not fail
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore


class CountryChange(models.Model):
    """A change of a user's country (market): who, from what, to what, when, by whom.

    Written only by `accounts.services.user_country_change`; the log also paces
    self-service changes (see COUNTRY_CHANGE_MIN_DAYS). Plays keep the market they were
    made in, so a change never re-attributes past plays.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="country_changes"
    )
    old_country = models.CharField(max_length=2)
    new_country = models.CharField(max_length=2)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The user themself, or the staff member who changed it."),
    )
    by_staff = models.BooleanField(default=False)
    address = models.GenericIPAddressField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["user", "-changed_at"], name="countrychange_user_at")]

    def __str__(self):
        return f"{self.user_id}: {self.old_country} -> {self.new_country}"


class AppPassword(models.Model):
    """A secret for one client app (OpenSubsonic): its password and its API key at once.

    Token auth sends md5(secret + salt), so the server needs the secret itself: it is kept
    encrypted (`accounts.app_passwords`, keys from settings), never the account password.
    `secret_digest` (SHA-256) finds the secret sent as an API key with one index probe.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_passwords"
    )
    name = models.CharField(max_length=100)
    secret_encrypted = models.TextField(editable=False)
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apppassword_user_active")]

    def __str__(self):
        return f"{self.name} ({self.user_id})"


class PendingSignup(models.Model):
    """A sign-up waiting for its address to be confirmed; the account exists only after.

    Each sign-up mails its own link, so a stranger who signs up with someone else's
    address first holds no account the owner could later confirm into. `token_digest` is
    the SHA-256 of the link's secret; `password` is a hash, as in `User.password`.
    """

    email = models.EmailField(db_index=True)
    password = models.CharField(max_length=128)
    display_name = models.CharField(max_length=150, blank=True)
    country = CountryField()
    language = models.CharField(max_length=8, choices=_language_choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.email} (pending)"
