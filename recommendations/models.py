"""Taste models, nightly runs and the personalised playlists they produce.

A `ModelVersion` holds the ALS factors of one training (npz bytes in the database, so
every worker and web process reads the same version). A `RecommendationRun` is one night:
train, score listeners in chunks (`RunChunk`, one Celery task each), stage the playlists
(`StagedTrack`), then swap them into the catalog playlists in one transaction.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Playlist


class PlaylistKind(models.TextChoices):
    DISCOVER_WEEKLY = "discover_weekly", _("Discover Weekly")
    RELEASE_RADAR = "release_radar", _("Release Radar")


class ModelVersion(models.Model):
    """One trained ALS model: factors of listeners, tracks and artists."""

    class State(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    state = models.CharField(max_length=8, choices=State.choices, default=State.TRAINING)
    params = models.JSONField(default=dict, blank=True)
    listeners = models.PositiveIntegerField(default=0)
    tracks = models.PositiveIntegerField(default=0)
    artists = models.PositiveIntegerField(default=0)
    interactions = models.PositiveBigIntegerField(
        default=0, help_text=_("Listener-track pairs trained on.")
    )
    training_seconds = models.FloatField(null=True, blank=True)
    item_factors = models.BinaryField(
        blank=True,
        editable=False,
        help_text=_("npz: track ids, factors and listener counts; artist ids, factors, related."),
    )
    user_factors = models.BinaryField(
        blank=True, editable=False, help_text=_("npz: listener ids and factors.")
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    trained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-trained_at"], name="reco_model_state_trained")]

    def __str__(self):
        return f"model {self.pk} ({self.state})"


class RecommendationRun(models.Model):
    """The nightly rebuild of one day; at most one per day, so re-running a night is a no-op."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        TRAINING = "training", _("Training")
        SCORING = "scoring", _("Scoring")
        SWAPPING = "swapping", _("Swapping")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    day = models.DateField(unique=True)
    state = models.CharField(max_length=9, choices=State.choices, default=State.PENDING)
    discover_weekly = models.BooleanField(
        default=False, help_text=_("This run builds Discover Weekly.")
    )
    release_radar = models.BooleanField(
        default=False, help_text=_("This run builds Release Radar.")
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    chunk_size = models.PositiveIntegerField(
        default=5000, help_text=_("Listeners scored by one chunk task.")
    )
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    counts = models.JSONField(
        default=dict, blank=True, help_text=_("Per playlist kind: listeners, tracks, sources.")
    )
    durations = models.JSONField(
        default=dict, blank=True, help_text=_("Seconds per stage (scoring: summed over chunks).")
    )
    metrics = models.JSONField(
        default=dict, blank=True, help_text=_("Catalogue coverage, novelty, artist diversity.")
    )
    tuning = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Discover Weekly settings chosen on the validation week, and what was tried."),
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(
        null=True, blank=True, help_text=_("A run still going after this was lost; rerun it.")
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(chunks_done__lte=F("chunks_total")),
                name="reco_run_chunks_done_le_total",
            ),
        ]

    def __str__(self):
        return f"recommendations {self.day} ({self.state})"

    @property
    def kinds(self) -> list[str]:
        wanted = {
            PlaylistKind.DISCOVER_WEEKLY.value: self.discover_weekly,
            PlaylistKind.RELEASE_RADAR.value: self.release_radar,
        }
        return [kind for kind, on in wanted.items() if on]

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class RunChunk(models.Model):
    """The listeners with ids in [first_user_id, last_user_id], scored by one task."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    run = models.ForeignKey(RecommendationRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_user_id = models.BigIntegerField()
    last_user_id = models.BigIntegerField()
    state = models.CharField(max_length=7, choices=State.choices, default=State.PENDING)
    listeners = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="uniq_reco_run_chunk"),
        ]

    def __str__(self):
        return f"chunk {self.index} of run {self.run_id} ({self.state})"


class StagedTrack(models.Model):
    """A track of a listener's next playlist, written by a chunk, swapped in at the end.

    Plain ids rather than foreign keys: rows are written with COPY and deleted after the
    swap, which drops tracks deleted in the meantime.
    """

    run = models.ForeignKey(
        RecommendationRun, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=15, choices=PlaylistKind.choices)
    user_id = models.BigIntegerField()
    position = models.PositiveSmallIntegerField()
    track_id = models.BigIntegerField()
    score = models.FloatField(default=0)
    source = models.CharField(max_length=10)

    class Meta:
        ordering = ["run", "kind", "user_id", "position"]
        indexes = [models.Index(fields=["run", "user_id"], name="reco_staged_run_user")]

    def __str__(self):
        return f"{self.kind} {self.user_id} #{self.position}: {self.track_id}"


class PersonalisedPlaylist(models.Model):
    """Which catalog playlist is a listener's Discover Weekly or Release Radar.

    The playlist row stays the same week after week (its id is what clients keep); its
    items are swapped and its snapshot goes up.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personalised_playlists"
    )
    kind = models.CharField(max_length=15, choices=PlaylistKind.choices)
    playlist = models.OneToOneField(
        Playlist, on_delete=models.CASCADE, related_name="personalised_by"
    )
    edition = models.DateField(
        null=True, blank=True, help_text=_("Day of the run that wrote the current tracks.")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="uniq_personalised_playlist"),
        ]
        indexes = [models.Index(fields=["kind", "user"], name="reco_personalised_kind_user")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.user_id}"


def week_start(day: datetime.date) -> datetime.date:
    """Monday of the ISO week of `day`."""
    return day - datetime.timedelta(days=day.weekday())


def last_friday(day: datetime.date) -> datetime.date:
    """The latest Friday on or before `day`."""
    return day - datetime.timedelta(days=(day.weekday() - 4) % 7)
