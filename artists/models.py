"""Artist teams, their invitations, and the daily aggregates the dashboard reads.

The aggregates are rebuilt from playback's play events and catalog's library rows by
`artists.services.insights_build_day` (upsert per UTC day), so every row can be recomputed;
the API never reads raw events. Listeners are unique per day: a listener counts once per
day and row, so sums over several days are listener-days, not unique listeners.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Artist, Label, Playlist, Track
from playback.models import PlayEvent


class TeamRole(models.TextChoices):
    ADMIN = "admin", _("Admin (manages the team)")
    EDITOR = "editor", _("Editor (releases and pitches)")
    READER = "reader", _("Reader (insights only)")


class ArtistTeamMembership(models.Model):
    """A user working for an artist (manager, the artist, their label rep...)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="team_memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="artist_memberships"
    )
    role = models.CharField(max_length=6, choices=TeamRole.choices, default=TeamRole.READER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["artist", "user"]
        constraints = [
            models.UniqueConstraint(fields=["artist", "user"], name="uniq_artist_team_member")
        ]
        indexes = [models.Index(fields=["user", "artist"], name="artistteam_user_artist")]

    def __str__(self):
        return f"{self.user} ({self.role}) for {self.artist}"


class TeamInvitation(models.Model):
    """An invitation by email; only the SHA-256 of the emailed token is stored."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="team_invitations")
    email = models.EmailField()
    role = models.CharField(max_length=6, choices=TeamRole.choices, default=TeamRole.READER)
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="uniq_open_team_invitation",
            )
        ]

    def __str__(self):
        return f"{self.email} invited to {self.artist}"


class ArtistDailyStats(models.Model):
    """Per artist and UTC day: streams, unique listeners, and the library events of the day."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0, help_text=_("Saves of the artist's tracks."))
    follows = models.PositiveIntegerField(default=0, help_text=_("New followers."))
    followers = models.PositiveIntegerField(
        default=0, help_text=_("Followers at the end of the day (of those still following).")
    )
    playlist_adds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["artist", "day"]
        verbose_name_plural = "artist daily stats"
        constraints = [
            models.UniqueConstraint(fields=["artist", "day"], name="uniq_artist_daily_stats")
        ]

    def __str__(self):
        return f"{self.day} {self.artist_id}: {self.streams}"


class ArtistDailyCountry(models.Model):
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    country = models.CharField(max_length=2)
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["artist", "day", "country"]
        verbose_name_plural = "artist daily countries"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "day", "country"], name="uniq_artist_daily_country"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.artist_id} {self.country}: {self.streams}"


class ArtistDailySource(models.Model):
    """Streams by the context the listener played from (playback's context types)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    source = models.CharField(max_length=12, choices=PlayEvent.Context.choices)
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["artist", "day", "source"]
        verbose_name_plural = "artist daily sources"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "day", "source"], name="uniq_artist_daily_source"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.artist_id} {self.source}: {self.streams}"


class ArtistDailyAudience(models.Model):
    """Streams by the listener's age group on that day (from `User.birth_year`)."""

    class AgeGroup(models.TextChoices):
        UNDER_18 = "0-17", "0-17"
        AGE_18_24 = "18-24", "18-24"
        AGE_25_34 = "25-34", "25-34"
        AGE_35_44 = "35-44", "35-44"
        AGE_45_54 = "45-54", "45-54"
        AGE_55_64 = "55-64", "55-64"
        AGE_65_PLUS = "65+", "65+"
        UNKNOWN = "unknown", _("Unknown")

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    age_group = models.CharField(max_length=7, choices=AgeGroup.choices)
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["artist", "day", "age_group"]
        verbose_name_plural = "artist daily audience"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "day", "age_group"], name="uniq_artist_daily_audience"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.artist_id} {self.age_group}: {self.streams}"


class ArtistDailyPlaylist(models.Model):
    """Streams of the artist's tracks played from one playlist (its context id)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="+")
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["artist", "day", "playlist"]
        verbose_name_plural = "artist daily playlists"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "day", "playlist"], name="uniq_artist_daily_playlist"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.artist_id} playlist {self.playlist_id}: {self.streams}"


class TrackDailyStats(models.Model):
    """Per track and UTC day (countries and sources of a track: playback's daily streams)."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="insights_daily")
    day = models.DateField()
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    playlist_adds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["track", "day"]
        verbose_name_plural = "track daily stats"
        constraints = [
            models.UniqueConstraint(fields=["track", "day"], name="uniq_track_daily_stats")
        ]

    def __str__(self):
        return f"{self.day} {self.track_id}: {self.streams}"


class LabelDailyStats(models.Model):
    """Per catalog label and UTC day, over the tracks of its releases."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    playlist_adds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["label", "day"]
        verbose_name_plural = "label daily stats"
        constraints = [
            models.UniqueConstraint(fields=["label", "day"], name="uniq_label_daily_stats")
        ]

    def __str__(self):
        return f"{self.day} {self.label_id}: {self.streams}"
