"""Editorial curation: teams per city or region, the playlist workflow, shelves and pitches.

An editorial playlist *is* a `catalog.Playlist` (multi-table inheritance: one catalog row of
kind `editorial` plus one row here), so catalog reads, search and playback see it like any
playlist, while the workflow, markets and translations live in this app. The catalog's
`name`/`description` are the texts in the playlist's `language`; other languages are
`EditorialPlaylistTranslation` rows.
"""

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from catalog.models import Genre, Playlist, Release


def language_choices() -> list[tuple[str, str]]:
    """Every language Django knows, by code (`pt`, `pt-br`, `sv`, ...)."""
    return sorted(
        (code, f"{info['name']} ({code})") for code, info in LANG_INFO.items() if "name" in info
    )


def validate_language(code: str) -> None:
    if code not in LANG_INFO or "name" not in LANG_INFO[code]:
        raise ValidationError(_("Unknown language code: %(code)s."), params={"code": code})


def parse_languages(value: str) -> list[str]:
    """Return the codes of a comma-separated language list, lower-cased, in order, once each."""
    codes = [part.strip().lower().replace("_", "-") for part in (value or "").split(",")]
    return list(dict.fromkeys(code for code in codes if code))


def validate_language_list(value: str) -> None:
    for code in parse_languages(value):
        validate_language(code)


class Team(models.Model):
    """Editors of a city or region; they curate for `markets` in `languages`."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    markets = CountryField(multiple=True, help_text=_("Markets the team curates for."))
    languages = models.CharField(
        max_length=100,
        validators=[validate_language_list],
        help_text=_("Comma-separated language codes, the team's default first, e.g. 'sv, en'."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="editorial_teams"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def language_list(self) -> list[str]:
        return parse_languages(self.languages)

    @property
    def default_language(self) -> str:
        languages = self.language_list
        return languages[0] if languages else settings.LANGUAGE_CODE

    @property
    def market_codes(self) -> list[str]:
        return [country.code for country in self.markets]


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        LEAD = "lead", _("Lead (can publish)")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editorial_memberships"
    )
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.EDITOR)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="uniq_team_membership")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.team}"


class Category(models.Model):
    """A browse category (Spotify's `/browse/categories`); `slug` is its API id."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, help_text=_("The name in the default language."))
    icon = models.ImageField(upload_to="categories/", blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class CategoryTranslation(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8, choices=language_choices)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["category", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "language"], name="uniq_category_translation"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


class EditorialPlaylist(Playlist):
    """The editorial side of a catalog playlist of kind `editorial`.

    Listeners see it only while `state` is PUBLISHED (then the catalog row is public) and only
    in `markets`. Scheduled publishing and unpublishing is done by the periodic task
    `editorial.tasks.editorial_schedule_run`.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="playlists")
    state = models.CharField(max_length=9, choices=State.choices, default=State.DRAFT)
    markets = CountryField(
        multiple=True, blank=True, help_text=_("Markets where listeners see the playlist.")
    )
    language = models.CharField(
        max_length=8,
        choices=language_choices,
        default="en",
        help_text=_("Language of the name and description above; the fallback for listeners."),
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="playlists")
    featured = models.BooleanField(
        default=False, help_text=_("Show on the featured shelf (browse/featured-playlists).")
    )
    priority = models.SmallIntegerField(
        default=0,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text=_("Higher comes first on shelves."),
    )
    publish_at = models.DateTimeField(null=True, blank=True)
    unpublish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "editorial playlist"
        constraints = [
            models.CheckConstraint(
                condition=Q(publish_at__isnull=True)
                | Q(unpublish_at__isnull=True)
                | Q(unpublish_at__gt=F("publish_at")),
                name="editorial_unpublish_after_publish",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "publish_at"], name="editorial_state_publish"),
            models.Index(fields=["state", "unpublish_at"], name="editorial_state_unpublish"),
        ]

    def __str__(self):
        return self.name

    @property
    def market_codes(self) -> list[str]:
        return [country.code for country in self.markets]


class EditorialPlaylistTranslation(models.Model):
    playlist = models.ForeignKey(
        EditorialPlaylist, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=8, choices=language_choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["playlist", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["playlist", "language"], name="uniq_editorial_playlist_translation"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"


class EditorialPlaylistChange(models.Model):
    """One entry of a playlist's history: who did what, with the changed values."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        TRACKS = "tracks", _("Tracks changed")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned to draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived (unpublished)")
        REOPENED = "reopened", _("Reopened")
        PROPOSED = "proposed", _("Change proposed for review")
        APPROVED = "approved", _("Proposed change approved")
        REJECTED = "rejected", _("Proposed change rejected")

    playlist = models.ForeignKey(
        EditorialPlaylist, on_delete=models.CASCADE, related_name="changes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the scheduler acted."),
    )
    action = models.CharField(max_length=9, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, help_text=_("field: [old, new]"))
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["playlist", "-at"], name="editorial_change_at")]

    def __str__(self):
        return f"{self.get_action_display()} by {self.user or 'scheduler'}"


class EditorialPlaylistRevision(models.Model):
    """An editor's change to a live playlist, waiting for a lead: listeners keep seeing the
    playlist as it is until a lead approves; then the proposed values are applied."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    playlist = models.ForeignKey(
        EditorialPlaylist, on_delete=models.CASCADE, related_name="revisions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    fields = models.JSONField(
        default=dict, blank=True, help_text=_("Proposed field values (field: new value).")
    )
    track_ids = models.JSONField(
        null=True, blank=True, help_text=_("Proposed track list in order; empty: unchanged.")
    )
    changes = models.JSONField(default=dict, blank=True, help_text=_("field: [live, proposed]"))
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["playlist", "state"], name="editorial_revision_state")]

    def __str__(self):
        return f"revision {self.pk} of {self.playlist_id} ({self.state})"


class Campaign(models.Model):
    """Playlists grouped for a date range (Pride Month, a city's scene); featured meanwhile."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("Empty for a campaign of every team."),
    )
    markets = CountryField(
        multiple=True, blank=True, help_text=_("Empty: wherever its playlists appear.")
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    playlists = models.ManyToManyField(EditorialPlaylist, blank=True, related_name="campaigns")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="campaign_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="campaign_window")]

    def __str__(self):
        return self.name


class Pitch(models.Model):
    """An artist team's pitch of an upcoming release to the editors."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    class Mood(models.TextChoices):
        CHILL = "chill", _("Chill")
        ENERGETIC = "energetic", _("Energetic")
        HAPPY = "happy", _("Happy")
        MELANCHOLIC = "melancholic", _("Melancholic")
        ROMANTIC = "romantic", _("Romantic")
        DARK = "dark", _("Dark")
        EPIC = "epic", _("Epic")
        PARTY = "party", _("Party")
        FOCUS = "focus", _("Focus")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="pitches")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pitches"
    )
    genre = models.ForeignKey(
        Genre, null=True, blank=True, on_delete=models.SET_NULL, related_name="pitches"
    )
    moods = models.JSONField(default=list, blank=True)
    story = models.TextField(help_text=_("What makes the release special, in 500 characters."))
    markets = CountryField(multiple=True, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.SUBMITTED)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    placed_in = models.ForeignKey(
        EditorialPlaylist,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pitches",
        help_text=_("The playlist the release goes into, when accepted."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "pitches"
        constraints = [
            models.UniqueConstraint(
                fields=["release"],
                condition=Q(status="submitted"),
                name="uniq_open_pitch_per_release",
            )
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="pitch_status_created")]

    def __str__(self):
        return f"Pitch of {self.release}"


class PlaylistDailyStats(models.Model):
    """Per editorial playlist and UTC day: plays from it, listeners, skips and new saves.

    Built from playback's raw play events (context `playlist`/`editorial` with the playlist's
    id) and catalog follows by `playlist_stats_build_day`; rows can always be rebuilt.
    """

    day = models.DateField()
    playlist = models.ForeignKey(
        EditorialPlaylist, on_delete=models.CASCADE, related_name="daily_stats"
    )
    streams = models.PositiveIntegerField(default=0, help_text=_("Plays of 30 s or more."))
    listeners = models.PositiveIntegerField(default=0)
    skips = models.PositiveIntegerField(default=0, help_text=_("Plays shorter than 30 s."))
    saves = models.PositiveIntegerField(default=0, help_text=_("New followers that day."))
    ms_played = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "playlist"]
        verbose_name = "playlist performance (daily)"
        verbose_name_plural = "playlist performance (daily)"
        constraints = [
            models.UniqueConstraint(fields=["day", "playlist"], name="uniq_playlist_daily_stats")
        ]
        indexes = [models.Index(fields=["playlist", "day"], name="playlist_stats_day")]

    def __str__(self):
        return f"{self.day} {self.playlist_id}: {self.streams}"
