import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Track

STREAM_THRESHOLD_MS = 30_000  # a play counts as a stream from 30 s on


@dataclass(frozen=True)
class RenditionProfile:
    codec: str
    bitrate_kbps: int
    muxer: str  # ffmpeg's -f
    encoder: str
    extension: str
    mime_type: str
    parameters: tuple[str, ...] = ()

    @property
    def ffmpeg_options(self) -> tuple[str, ...]:
        return (
            *("-c:a", self.encoder, "-b:a", f"{self.bitrate_kbps}k"),
            *self.parameters,
            *("-f", self.muxer),
        )


class Rendition(models.Model):
    """One encoding of a track's original; the file lives at a path named by content hash."""

    class Profile(models.TextChoices):
        OPUS_96 = "opus_96", "Opus 96 kbit/s (Ogg)"
        OPUS_160 = "opus_160", "Opus 160 kbit/s (Ogg)"
        AAC_128 = "aac_128", "AAC 128 kbit/s (MP4)"
        AAC_256 = "aac_256", "AAC 256 kbit/s (MP4)"
        MP3_320 = "mp3_320", "MP3 320 kbit/s"

    class Codec(models.TextChoices):
        OPUS = "opus", "Opus"
        AAC = "aac", "AAC"
        MP3 = "mp3", "MP3"

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="renditions")
    profile = models.CharField(max_length=10, choices=Profile.choices)
    codec = models.CharField(max_length=4, choices=Codec.choices)
    bitrate_kbps = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=7, choices=State.choices, default=State.PENDING)
    source_sha256 = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the original the file was made from.")
    )
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text=_("SHA-256 of the file."))
    size_bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["track", "codec", "bitrate_kbps"]
        constraints = [
            models.UniqueConstraint(fields=["track", "profile"], name="uniq_rendition_profile"),
            models.CheckConstraint(
                condition=~Q(state="ready") | (~Q(file="") & ~Q(sha256="")),
                name="rendition_ready_has_file",
            ),
        ]

    def __str__(self):
        return f"{self.track_id} {self.profile} ({self.state})"

    @property
    def spec(self) -> RenditionProfile:
        return RENDITION_PROFILES[self.profile]

    @property
    def mime_type(self) -> str:
        return self.spec.mime_type


RENDITION_PROFILES: dict[str, RenditionProfile] = {
    Rendition.Profile.OPUS_96: RenditionProfile(
        "opus", 96, "ogg", "libopus", "ogg", "audio/ogg; codecs=opus"
    ),
    Rendition.Profile.OPUS_160: RenditionProfile(
        "opus", 160, "ogg", "libopus", "ogg", "audio/ogg; codecs=opus"
    ),
    # ffmpeg's "m4a" is not a muxer; "ipod" is the MP4 muxer for audio.
    Rendition.Profile.AAC_128: RenditionProfile(
        "aac", 128, "ipod", "aac", "m4a", "audio/mp4", ("-movflags", "+faststart")
    ),
    Rendition.Profile.AAC_256: RenditionProfile(
        "aac", 256, "ipod", "aac", "m4a", "audio/mp4", ("-movflags", "+faststart")
    ),
    Rendition.Profile.MP3_320: RenditionProfile(
        "mp3", 320, "mp3", "libmp3lame", "mp3", "audio/mpeg"
    ),
}

# Made first for every track (the web player's normal quality in its preferred codec), so
# a library becomes playable before the other renditions are made.
DEFAULT_PROFILE = Rendition.Profile.OPUS_96


class TranscodeJob(models.Model):
    """Transcoding of one original of a track; the database, not the broker, owns its state.

    A RUNNING job whose `deadline_at` has passed was lost (worker killed) and is re-queued
    by the periodic task `playback.tasks.transcode_requeue_stale`.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="transcode_jobs")
    source_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=7, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=200, blank=True, help_text=_("host:pid of the process running it.")
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "source_sha256"], name="uniq_transcode_job_source"
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline_at"])]

    def __str__(self):
        return f"transcode {self.track_id} ({self.state})"


class TrackAudio(models.Model):
    """What playback knows about a track's current original: probe, loudness, waveform."""

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="audio"
    )
    source_sha256 = models.CharField(max_length=64)
    source_format = models.CharField(max_length=60, blank=True)
    source_codec = models.CharField(max_length=30, blank=True)
    channels = models.PositiveSmallIntegerField(default=0)
    sample_rate = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    loudness_lufs = models.FloatField(
        null=True, blank=True, help_text=_("EBU R128 integrated loudness (LUFS).")
    )
    loudness_range_lu = models.FloatField(null=True, blank=True)
    true_peak_dbtp = models.FloatField(null=True, blank=True)
    peaks = models.JSONField(
        default=list, blank=True, help_text=_("Waveform peaks, 0..1, for the player.")
    )
    analysed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "track audio"

    def __str__(self):
        return f"audio of {self.track_id}"


class TrackSource(Track):
    """The catalog track seen from playback: its original audio, for the admin upload."""

    class Meta:
        proxy = True
        verbose_name = "track source audio"
        verbose_name_plural = "track source audio"


class PlayEvent(models.Model):
    """One play reported by a client; `id` is the client's event UUID (retries are no-ops).

    Every reported play is kept. `verdict` says what it counts as, decided once at
    ingestion by `playback.integrity`: a stream, a play that is no stream (under 30 s, a
    skip), or refused with a `reason` (then it counts nowhere: not in daily counts,
    insights or royalties). `country` is the listener's market at ingestion, so a later
    change of market never re-attributes past plays.
    """

    class Verdict(models.TextChoices):
        STREAM = "stream", _("Stream")
        PLAY = "play", _("Play, not a stream")
        REFUSED = "refused", _("Refused")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        OUT_OF_WINDOW = "out_of_window", _("Ended outside [now - 7 days, now + 2 min]")
        LONGER_THAN_TRACK = "longer_than_track", _("Played longer than the track lasts")
        LONGER_THAN_ELAPSED = "longer_than_elapsed", _("Played longer than the time elapsed")
        OVERLAP = "overlap", _("Overlaps another play of the listener")
        NOT_IN_MARKET = "not_in_market", _("Not playable in the listener's market then")
        NO_GRANT = "no_grant", _("No stream URL was issued to the listener for it")

    class Context(models.TextChoices):
        ALBUM = "album", _("Album")
        PLAYLIST = "playlist", _("Playlist")
        SEARCH = "search", _("Search")
        EDITORIAL = "editorial", _("Editorial")
        PERSONALISED = "personalised", _("Personalised")
        ARTIST = "artist", _("Artist")
        COLLECTION = "collection", _("Collection")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="play_events"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="play_events")
    ms_played = models.PositiveIntegerField()
    context_type = models.CharField(max_length=12, choices=Context.choices)
    context_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(help_text=_("Client timestamp, kept as sent."))
    ended_at = models.DateTimeField(help_text=_("Client timestamp, kept as sent."))
    country = models.CharField(max_length=2, help_text=_("Listener's market when received."))
    received_at = models.DateTimeField(default=timezone.now)
    verdict = models.CharField(
        max_length=7, choices=Verdict.choices, default=Verdict.PLAY, db_default=Verdict.PLAY
    )
    reason = models.CharField(
        max_length=20, choices=Reason.choices, blank=True, default="", db_default=""
    )
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text=_("Client address the play was reported from.")
    )

    class Meta:
        ordering = ["-ended_at"]
        indexes = [
            models.Index(fields=["user", "-ended_at"], name="playevent_user_ended"),
            models.Index(fields=["ended_at"], name="playevent_ended"),
            models.Index(fields=["received_at"], name="playevent_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="playevent_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(verdict="refused", reason__gt="") | Q(reason=""),
                name="playevent_refused_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} played {self.track_id} for {self.ms_played} ms"

    @property
    def is_stream(self) -> bool:
        return self.verdict == self.Verdict.STREAM


class StreamGrantDay(models.Model):
    """A stream URL was issued to `user` for `track` on `day` (UTC): one row a day at most.

    Written by `stream_url_issue` (an INSERT that does nothing when the row exists); a
    play counts only when such a row exists for its listener and track (see
    `playback.integrity`).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "track", "day"], name="uniq_stream_grant_day")
        ]

    def __str__(self):
        return f"{self.user_id} may stream {self.track_id} ({self.day})"


class DailyTrackStreams(models.Model):
    """Streams (plays counted as streams) per track, market and source per UTC day.

    Built from PlayEvent by `stream_counts_build`; rows can always be rebuilt.
    """

    day = models.DateField()
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="daily_streams")
    country = models.CharField(max_length=2)
    source = models.CharField(max_length=12, choices=PlayEvent.Context.choices)
    streams = models.PositiveIntegerField(default=0)
    listeners = models.PositiveIntegerField(default=0)
    ms_played = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "track"]
        verbose_name_plural = "daily track streams"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "track", "country", "source"], name="uniq_daily_track_streams"
            ),
        ]
        indexes = [models.Index(fields=["track", "day"], name="dailystreams_track_day")]

    def __str__(self):
        return f"{self.day} {self.track_id} {self.country} {self.source}: {self.streams}"


class DailyListenerTrack(models.Model):
    """Per listener, track and UTC day: plays, streams, skips and time (recommendations)."""

    day = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_track_plays"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="daily_listeners")
    plays = models.PositiveIntegerField(default=0)
    streams = models.PositiveIntegerField(default=0)
    skips = models.PositiveIntegerField(default=0)
    ms_played = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "user", "track"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "user", "track"], name="uniq_daily_listener_track"
            ),
        ]
        indexes = [models.Index(fields=["user", "day"], name="dailylistener_user_day")]

    def __str__(self):
        return f"{self.day} {self.user_id} {self.track_id}: {self.streams}"


class PlayerDevice(models.Model):
    """A place a listener plays on (a browser tab, a Subsonic client), named by the client."""

    class Type(models.TextChoices):
        COMPUTER = "Computer", "Computer"
        SMARTPHONE = "Smartphone", "Smartphone"
        TABLET = "Tablet", "Tablet"
        SPEAKER = "Speaker", "Speaker"
        UNKNOWN = "Unknown", "Unknown"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="player_devices"
    )
    key = models.CharField(max_length=64, help_text=_("The client's own id for the device."))
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.COMPUTER)
    volume_percent = models.PositiveSmallIntegerField(default=100)
    supports_volume = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "-last_seen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_player_device_key"),
            models.CheckConstraint(
                condition=Q(volume_percent__lte=100), name="player_device_volume_lte_100"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.key}) of {self.user_id}"


class PlayerState(models.Model):
    """A listener's playback: what plays where, from where on, and how (one row per listener).

    The position is `position_ms` at `measured_at`; while playing it advances with the clock.
    `track` is the track of queue item `current_index` (both null for an empty queue).
    """

    class Repeat(models.TextChoices):
        OFF = "off", _("Off")
        TRACK = "track", _("Track")
        CONTEXT = "context", _("Context")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="player_state",
    )
    device = models.ForeignKey(
        PlayerDevice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The active device."),
    )
    track = models.ForeignKey(
        Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_index = models.PositiveIntegerField(null=True, blank=True)
    context_uri = models.CharField(max_length=200, blank=True)
    position_ms = models.PositiveIntegerField(default=0)
    measured_at = models.DateTimeField(default=timezone.now)
    is_playing = models.BooleanField(default=False)
    shuffle = models.BooleanField(default=False)
    repeat = models.CharField(max_length=7, choices=Repeat.choices, default=Repeat.OFF)
    revision = models.PositiveBigIntegerField(
        default=0, help_text=_("Raised by every change, so clients notice them.")
    )
    changed_by = models.CharField(
        max_length=100, blank=True, help_text=_("Name of the device that made the last change.")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(current_index__isnull=True, track__isnull=True)
                | Q(current_index__isnull=False),
                name="player_state_track_has_index",
            ),
        ]

    def __str__(self):
        return f"player of {self.user_id}: {self.track_id} ({self.is_playing})"


class PlayerQueueItem(models.Model):
    """One entry of a listener's queue, in play order.

    `queued` items were added one by one (Add to queue) rather than by playing a context;
    `original_position` is the place in the context before shuffling.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="player_queue"
    )
    position = models.PositiveIntegerField()
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    queued = models.BooleanField(default=False)
    original_position = models.PositiveIntegerField()

    class Meta:
        ordering = ["user", "position"]
        constraints = [
            models.UniqueConstraint(fields=["user", "position"], name="uniq_player_queue_position"),
        ]

    def __str__(self):
        return f"{self.user_id} #{self.position}: {self.track_id}"


class PlaybackSession(models.Model):
    """One song a device of a listener is playing, as its playback reports tell it.

    The OpenSubsonic `playbackReport` extension: the client says starting, playing, paused
    or stopped with its position; the time heard between reports adds up in `listened_ms`
    (media time). When the song ends (stopped, another song, or starting again) the session
    becomes one play event, id `event_id`, through the one ingestion path, and the row goes.
    """

    class State(models.TextChoices):
        STARTING = "starting", _("Starting")
        PLAYING = "playing", _("Playing")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playback_sessions"
    )
    device_key = models.CharField(max_length=64)
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    state = models.CharField(max_length=8, choices=State.choices)
    position_ms = models.PositiveIntegerField(default=0)
    playback_rate = models.FloatField(default=1.0)
    reported_at = models.DateTimeField()
    started_at = models.DateTimeField()
    listened_ms = models.PositiveIntegerField(default=0)
    listened_until = models.DateTimeField(null=True, blank=True)
    ignore_scrobble = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_key"], name="uniq_playback_session_device"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} on {self.device_key}: {self.track_id} ({self.state})"
