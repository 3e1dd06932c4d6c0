from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Genre(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Label(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Artist(models.Model):
    name = models.CharField(max_length=200, db_index=True)
    sort_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    image = models.ImageField(upload_to="artists/", blank=True)
    genres = models.ManyToManyField(Genre, blank=True, related_name="artists")
    popularity = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Release(models.Model):
    class Type(models.TextChoices):
        ALBUM = "album", _("Album")
        SINGLE = "single", _("Single")
        EP = "ep", _("EP")
        COMPILATION = "compilation", _("Compilation")

    title = models.CharField(max_length=300, db_index=True)
    release_type = models.CharField(max_length=12, choices=Type.choices, default=Type.ALBUM)
    release_date = models.DateField(null=True, blank=True)
    label = models.ForeignKey(
        Label, null=True, blank=True, on_delete=models.PROTECT, related_name="releases"
    )
    artists = models.ManyToManyField(Artist, through="ReleaseArtist", related_name="releases")
    genres = models.ManyToManyField(Genre, blank=True, related_name="releases")
    cover = models.ImageField(upload_to="covers/", blank=True)
    upc = models.CharField(max_length=14, blank=True)
    copyright = models.CharField(max_length=300, blank=True)
    popularity = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-release_date", "title", "id"]
        # Also the walk of new releases, newest first (release_date DESC, id DESC).
        indexes = [
            models.Index(fields=["release_date", "id"], name="release_date_id"),
            # The newest additions first (OpenSubsonic's album list "newest").
            models.Index(fields=["created_at", "id"], name="release_created_id"),
        ]

    def __str__(self):
        return self.title


class ReleaseArtist(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="credits")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="release_credits")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "artist"], name="uniq_release_artist")
        ]

    def __str__(self):
        return f"{self.artist} on {self.release}"


class Track(models.Model):
    class AudioStatus(models.TextChoices):
        """Where the track's audio stands; kept by playback as its transcodes move."""

        NONE = "none", _("No audio")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    title = models.CharField(max_length=300, db_index=True)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tracks")
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    genres = models.ManyToManyField(Genre, blank=True, related_name="tracks")
    isrc = models.CharField(max_length=12, null=True, blank=True, unique=True)
    disc_number = models.PositiveSmallIntegerField(default=1)
    track_number = models.PositiveSmallIntegerField(default=1)
    duration_ms = models.PositiveIntegerField(default=0)
    explicit = models.BooleanField(default=False)
    popularity = models.PositiveSmallIntegerField(default=0)
    source_file = models.FileField(
        upload_to="originals/",
        blank=True,
        help_text=_("The original audio as delivered; renditions are made from it."),
    )
    source_sha256 = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    audio_status = models.CharField(
        max_length=10,
        choices=AudioStatus.choices,
        default=AudioStatus.NONE,
        db_default=AudioStatus.NONE,
        editable=False,
        help_text=_("Ready once a rendition plays; the API says why a track does not play."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["release", "disc_number", "track_number", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(disc_number__gte=1), name="track_disc_number_gte_1"),
            models.CheckConstraint(
                condition=Q(track_number__gte=1), name="track_track_number_gte_1"
            ),
        ]

    def __str__(self):
        return self.title


class TrackArtist(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary artist")
        FEATURED = "featured", _("Featured artist")
        REMIXER = "remixer", _("Remixer")
        PRODUCER = "producer", _("Producer")
        COMPOSER = "composer", _("Composer")

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="credits")
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="track_credits")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "artist", "role"], name="uniq_track_artist_role"
            )
        ]

    def __str__(self):
        return f"{self.artist} ({self.role}) on {self.track}"


class TrackLyrics(models.Model):
    """A track's lyrics: synced (`lines` with `start_ms`) or plain (`lines` without).

    `plain` is the text of the lines, kept for clients that show text only. Written by
    `catalog.services.track_lyrics_set` (import, the artist's team, admin).
    """

    class Source(models.TextChoices):
        TAG = "tag", _("Audio file tag")
        SIDECAR = "sidecar", _("Sidecar .lrc file")
        EDITED = "edited", _("Edited")

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="lyrics"
    )
    synced = models.BooleanField(default=False)
    lines = models.JSONField(
        default=list, blank=True, help_text=_('[{"start_ms": 1234, "text": "..."}, ...]')
    )
    plain = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True, help_text=_("ISO 639 code, optional."))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.EDITED)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "track lyrics"

    def __str__(self):
        return f"lyrics of track {self.track_id}"


class AvailabilityProfile(models.Model):
    """A distinct set of market windows, stored once and shared by every track that has it.

    `digest` is the SHA-256 of the sorted windows (`catalog.services.availability_digest`).
    Written only by catalog services on behalf of licensing; read by search and stream
    authorisation through `TrackAvailabilityProfile`.
    """

    digest = models.CharField(max_length=64, unique=True, editable=False)

    def __str__(self):
        return f"availability profile {self.pk}"


class AvailabilityProfileWindow(models.Model):
    """Tracks of `profile` are playable in `market` from `starts_at` until `ends_at`
    (open when null)."""

    profile = models.ForeignKey(
        AvailabilityProfile, on_delete=models.CASCADE, related_name="windows"
    )
    market = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2 country code."))
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["profile", "market", "starts_at"]
        indexes = [models.Index(fields=["market", "profile", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="profile_window_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["profile", "market", "starts_at"], name="uniq_profile_window"
            ),
        ]

    def __str__(self):
        return f"{self.market} from {self.starts_at:%Y-%m-%d %H:%M}"


class TrackAvailabilityProfile(models.Model):
    """The availability of a track: its profile's windows. No row: playable nowhere."""

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="availability_profile"
    )
    profile = models.ForeignKey(
        AvailabilityProfile, on_delete=models.PROTECT, related_name="tracks"
    )

    class Meta:
        verbose_name_plural = "track availability profiles"

    def __str__(self):
        return f"{self.track_id} -> {self.profile_id}"


class Playlist(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("User")
        EDITORIAL = "editorial", _("Editorial")
        PERSONALISED = "personalised", _("Personalised")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlists"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.USER)
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    collaborative = models.BooleanField(default=False)
    cover = models.ImageField(upload_to="playlists/", blank=True)
    tracks = models.ManyToManyField(Track, through="PlaylistItem", related_name="playlists")
    snapshot = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["kind", "public"])]

    def __str__(self):
        return self.name


class PlaylistItem(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="playlist_items")
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["playlist", "position", "id"]
        indexes = [models.Index(fields=["playlist", "position"])]

    def __str__(self):
        return f"{self.position}: {self.track_id}"


class SavedTrack(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_tracks"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="saves")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="uniq_saved_track")]

    def __str__(self):
        return f"{self.user_id} saved {self.track_id}"


class SavedRelease(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_releases"
    )
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="saves")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "release"], name="uniq_saved_release")
        ]

    def __str__(self):
        return f"{self.user_id} saved {self.release_id}"


class FollowedArtist(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_artists"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="follows")
    followed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-followed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "artist"], name="uniq_followed_artist")
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.artist_id}"


class FollowedPlaylist(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_playlists"
    )
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="follows")
    followed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-followed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "playlist"], name="uniq_followed_playlist")
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.playlist_id}"


class Rating(models.Model):
    """A listener's 1-5 star rating of a track or a release (OpenSubsonic `setRating`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    rating = models.PositiveSmallIntegerField()
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="rating_between_1_and_5"
            ),
            models.CheckConstraint(
                condition=Q(track__isnull=True, release__isnull=False)
                | Q(track__isnull=False, release__isnull=True),
                name="rating_of_track_or_release",
            ),
            models.UniqueConstraint(
                fields=["user", "track"], condition=Q(track__isnull=False), name="uniq_rating_track"
            ),
            models.UniqueConstraint(
                fields=["user", "release"],
                condition=Q(release__isnull=False),
                name="uniq_rating_release",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} rated {self.track_id or self.release_id}: {self.rating}"
