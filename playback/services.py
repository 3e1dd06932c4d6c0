"""Writes of the playback app: sources and transcoding, stream grants, play events, counts."""

import contextlib
import datetime
import hashlib
import logging
import os
import socket
import tempfile
import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Track
from common.errors import NotFound, ValidationFailed
from playback import audio, selectors
from playback.errors import (
    Conflict,
    NotPlayable,
    PayloadTooLarge,
    StreamUrlExpired,
    StreamUrlInvalid,
    ToolUnavailable,
    UnavailableInMarket,
)
from playback.models import (
    RENDITION_PROFILES,
    STREAM_THRESHOLD_MS,
    DailyListenerTrack,
    DailyTrackStreams,
    PlayEvent,
    Rendition,
    TrackAudio,
    TranscodeJob,
)
from playback.signing import (
    StreamGrant,
    TokenExpired,
    TokenInvalid,
    stream_token_make,
    stream_token_read,
)

logger = logging.getLogger(__name__)

MAX_EVENTS_PER_BATCH = 500


def upload_max_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", 200 * 1024 * 1024)


def _stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "TRANSCODE_STALE_AFTER_SECONDS", 1500))


def _max_attempts() -> int:
    return getattr(settings, "TRANSCODE_MAX_ATTEMPTS", 5)


# --- Sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCheck:
    probe: audio.Probe
    duration_seconds: float
    sha256: str


@contextlib.contextmanager
def _local_copy(file) -> Iterator[tuple[Path, str]]:
    """Yield a local path of `file` and its SHA-256, streaming it in chunks."""
    digest = hashlib.sha256()
    if hasattr(file, "temporary_file_path"):
        for chunk in file.chunks():
            digest.update(chunk)
        yield Path(file.temporary_file_path()), digest.hexdigest()
        return
    with tempfile.NamedTemporaryFile(prefix="streamify-upload-") as copy:
        if hasattr(file, "seek"):
            file.seek(0)
        for chunk in (
            file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
        ):
            digest.update(chunk)
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name), digest.hexdigest()


def source_check_path(*, path: Path, sha256: str) -> SourceCheck:
    """Validate by content (probe, then a full decode with error detection)."""
    try:
        info = audio.probe(path)
        audio.check_probe(info)
        decoded = audio.decode_check(path, info)
    except audio.AudioError as exc:
        raise ValidationFailed(f"Invalid audio file: {exc}") from None
    except audio.ToolError as exc:
        logger.error("Audio check failed to run: %s", exc)
        raise ToolUnavailable() from None
    return SourceCheck(probe=info, duration_seconds=decoded, sha256=sha256)


def source_check(*, file) -> SourceCheck:
    """The check part of `track_source_replace`, for forms that validate before saving."""
    _check_size(file)
    with _local_copy(file) as (path, sha256):
        return source_check_path(path=path, sha256=sha256)


def _check_size(file) -> None:
    limit = upload_max_bytes()
    if file.size is not None and file.size > limit:
        raise PayloadTooLarge(f"The file is larger than the limit of {limit // (1024 * 1024)} MB.")
    if not file.size:
        raise ValidationFailed("Invalid audio file: the file is empty.")


def track_source_replace(*, track: Track, file, checked: SourceCheck | None = None) -> TranscodeJob:
    """Validate `file`, keep it as the track's original under a UUID name, queue transcoding.

    Nothing is stored when the file is rejected. The previous original is deleted after
    commit; its renditions keep streaming until the new ones are ready.
    """
    _check_size(file)
    with _local_copy(file) as (path, sha256):
        if checked is None or checked.sha256 != sha256:
            checked = source_check_path(path=path, sha256=sha256)
        if track.source_sha256 == sha256:
            job = selectors.transcode_job_latest(track_id=track.pk)
            if job is not None and job.source_sha256 == sha256:
                # The same original again: nothing to store; a failed transcode is retried.
                return transcode_job_retry(job=job)
        owner = Track.objects.filter(source_sha256=sha256).exclude(pk=track.pk).first()
        if owner is not None:
            raise Conflict(f"This audio is already the source of track {owner.pk}.")
        name = f"originals/{uuid.uuid4().hex}.{checked.probe.extension}"
        with path.open("rb") as handle:
            stored = default_storage.save(name, File(handle))
    try:
        return _track_source_set(track_id=track.pk, name=stored, checked=checked)
    except BaseException:
        default_storage.delete(stored)
        raise


@transaction.atomic
def _track_source_set(*, track_id: int, name: str, checked: SourceCheck) -> TranscodeJob:
    track = Track.objects.select_for_update().get(pk=track_id)
    previous = track.source_file.name
    track.source_file.name = name
    track.source_sha256 = checked.sha256
    track.duration_ms = round(checked.duration_seconds * 1000)
    try:
        with transaction.atomic():
            track.save(update_fields=["source_file", "source_sha256", "duration_ms"])
    except IntegrityError:
        raise Conflict("This audio is already the source of another track.") from None
    info = checked.probe
    TrackAudio.objects.update_or_create(
        track=track,
        defaults={
            "source_sha256": checked.sha256,
            "source_format": info.format_name[:60],
            "source_codec": info.codec[:30],
            "channels": info.channels,
            "sample_rate": info.sample_rate,
            "duration_ms": track.duration_ms,
            "loudness_lufs": None,
            "loudness_range_lu": None,
            "true_peak_dbtp": None,
            "peaks": [],
            "analysed_at": None,
        },
    )
    job, created = TranscodeJob.objects.get_or_create(track=track, source_sha256=checked.sha256)
    if not created:
        _transcode_job_reset(job)
    if previous and previous != name:
        transaction.on_commit(lambda: default_storage.delete(previous))
    _enqueue_transcode(job.pk)
    return job


def _enqueue_transcode(job_id: int) -> None:
    from playback.tasks import transcode_track

    # robust: a broker outage must not fail the request; the stale-job sweep re-queues.
    transaction.on_commit(lambda: transcode_track.delay(job_id), robust=True)


def _transcode_job_reset(job: TranscodeJob) -> None:
    job.state = TranscodeJob.State.PENDING
    job.attempts = 0
    job.error = ""
    job.queued_at = timezone.now()
    job.started_at = job.deadline_at = job.finished_at = None
    job.save()
    Rendition.objects.filter(track_id=job.track_id, state=Rendition.State.FAILED).update(
        state=Rendition.State.PENDING, error="", updated_at=timezone.now()
    )


@transaction.atomic
def transcode_job_retry(*, job: TranscodeJob) -> TranscodeJob:
    """Queue a FAILED job again from a clean slate; other states are left alone."""
    job = TranscodeJob.objects.select_for_update().get(pk=job.pk)
    if job.state != TranscodeJob.State.FAILED:
        return job
    current = Track.objects.filter(pk=job.track_id).values_list("source_sha256", flat=True)
    if current.first() != job.source_sha256:
        raise ValidationFailed("The track's source has been replaced since this job.")
    _transcode_job_reset(job)
    _enqueue_transcode(job.pk)
    return job


@transaction.atomic
def transcode_jobs_requeue_stale(*, now: datetime.datetime | None = None) -> int:
    """Re-queue RUNNING jobs past their deadline (worker lost) and PENDING jobs whose
    message was lost; fail those out of attempts. Return how many were re-queued."""
    now = now or timezone.now()
    stale = TranscodeJob.objects.select_for_update(skip_locked=True).filter(
        Q(state=TranscodeJob.State.RUNNING, deadline_at__lt=now)
        | Q(state=TranscodeJob.State.PENDING, queued_at__lt=now - _stale_after())
    )
    requeued = 0
    for job in stale:
        if job.attempts >= _max_attempts():
            _transcode_job_fail(job, f"Gave up after {job.attempts} attempts: {job.error}")
            continue
        if job.state == TranscodeJob.State.RUNNING:
            job.error = "Worker lost before finishing; re-queued."
        job.state = TranscodeJob.State.PENDING
        job.queued_at = now
        job.deadline_at = None
        job.save(update_fields=["state", "queued_at", "deadline_at", "error"])
        _enqueue_transcode(job.pk)
        requeued += 1
    return requeued


@transaction.atomic
def transcode_jobs_create_missing(*, limit: int | None = None) -> int:
    """Queue a job for every track whose original has none (e.g. set by the catalog import)."""
    has_job = TranscodeJob.objects.filter(
        track_id=OuterRef("pk"), source_sha256=OuterRef("source_sha256")
    )
    tracks = (
        Track.objects.exclude(source_sha256=None)
        .exclude(source_file="")
        .filter(~Exists(has_job))
        .order_by("pk")
        .values_list("pk", "source_sha256")
    )
    jobs = TranscodeJob.objects.bulk_create(
        [TranscodeJob(track_id=pk, source_sha256=sha) for pk, sha in tracks[:limit]],
        ignore_conflicts=True,
    )
    created = TranscodeJob.objects.filter(
        source_sha256__in=[job.source_sha256 for job in jobs], state=TranscodeJob.State.PENDING
    ).values_list("pk", flat=True)
    for job_id in created:
        _enqueue_transcode(job_id)
    return len(jobs)


def transcode_jobs_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic duty: jobs for new originals, and lost or stale jobs queued again."""
    return {
        "created": transcode_jobs_create_missing(limit=1000),
        "requeued": transcode_jobs_requeue_stale(now=now),
    }


class TranscodeInterrupted(Exception):
    """A transient failure; the job is PENDING again and the task should retry."""


def transcode_job_run(*, job_id: int) -> TranscodeJob | None:
    """Make every missing rendition of the job's original, its loudness and waveform.

    Idempotent: renditions already READY for this original are skipped and files are
    written at paths named by the original's hash. Return None when there was nothing to
    do (finished, superseded, or running elsewhere within its deadline).
    """
    job = _transcode_job_claim(job_id)
    if job is None:
        return None
    try:
        _transcode(job)
    except audio.AudioError as exc:
        _transcode_job_fail(job, str(exc))
        return job
    except Exception as exc:
        logger.warning("Transcode job %s interrupted: %r", job.pk, exc)
        if job.attempts >= _max_attempts():
            _transcode_job_fail(job, f"{type(exc).__name__}: {exc}")
            return job
        _transcode_job_release(job, f"{type(exc).__name__}: {exc}")
        raise TranscodeInterrupted(str(exc)) from exc
    return job


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_alive(worker: str) -> bool:
    """False only when `worker` ran on this host and its process is gone (a killed pool
    child whose message Celery redelivered); elsewhere the deadline decides."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@transaction.atomic
def _transcode_job_claim(job_id: int) -> TranscodeJob | None:
    job = TranscodeJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state in (TranscodeJob.State.READY, TranscodeJob.State.FAILED):
        return None
    now = timezone.now()
    if (
        job.state == TranscodeJob.State.RUNNING
        and job.deadline_at
        and job.deadline_at > now
        and _worker_alive(job.worker)
    ):
        return None
    current = Track.objects.filter(pk=job.track_id).values_list("source_sha256", flat=True)
    if current.first() != job.source_sha256:
        _transcode_job_fail(job, "Superseded: the track's source was replaced.")
        return None
    if job.attempts >= _max_attempts():
        _transcode_job_fail(job, f"Gave up after {job.attempts} attempts: {job.error}")
        return None
    job.state = TranscodeJob.State.RUNNING
    job.attempts += 1
    job.started_at = now
    job.deadline_at = now + _stale_after()
    job.worker = _worker_id()
    job.save(update_fields=["state", "attempts", "started_at", "deadline_at", "worker"])
    existing = set(
        Rendition.objects.filter(track_id=job.track_id).values_list("profile", flat=True)
    )
    Rendition.objects.bulk_create(
        [
            Rendition(
                track_id=job.track_id,
                profile=profile,
                codec=spec.codec,
                bitrate_kbps=spec.bitrate_kbps,
            )
            for profile, spec in RENDITION_PROFILES.items()
            if profile not in existing
        ],
        ignore_conflicts=True,
    )
    return job


@transaction.atomic
def _transcode_job_fail(job: TranscodeJob, message: str) -> None:
    now = timezone.now()
    TranscodeJob.objects.filter(pk=job.pk).update(
        state=TranscodeJob.State.FAILED, error=message, finished_at=now, deadline_at=None
    )
    job.state, job.error, job.finished_at = TranscodeJob.State.FAILED, message, now
    Rendition.objects.filter(track_id=job.track_id).exclude(state=Rendition.State.READY).update(
        state=Rendition.State.FAILED, error=message, updated_at=now
    )


def _transcode_job_release(job: TranscodeJob, message: str) -> None:
    TranscodeJob.objects.filter(pk=job.pk, state=TranscodeJob.State.RUNNING).update(
        state=TranscodeJob.State.PENDING, error=message, deadline_at=None, queued_at=timezone.now()
    )


def rendition_path(*, source_sha256: str, profile: str) -> str:
    spec = RENDITION_PROFILES[profile]
    return f"renditions/{source_sha256[:2]}/{source_sha256}/{profile}.{spec.extension}"


def _transcode(job: TranscodeJob) -> None:
    # pydub warns on import: audioop is deprecated, and ffmpeg may not be on PATH (we set
    # AudioSegment.converter to the resolved binary below).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    track = Track.objects.get(pk=job.track_id)
    todo = [
        r
        for r in Rendition.objects.filter(track_id=job.track_id)
        if not (r.state == Rendition.State.READY and r.source_sha256 == job.source_sha256)
    ]
    AudioSegment.converter = audio.ffmpeg_binary()
    with tempfile.TemporaryDirectory(prefix="streamify-transcode-") as tmp:
        workdir = Path(tmp)
        source = _source_local_path(track, workdir)
        info = audio.probe(source)
        wav = workdir / "decoded.wav"
        audio.decode_to_wav(source, wav)
        segment = AudioSegment.from_file(wav, format="wav")
        loudness = audio.measure_loudness(wav)
        peaks = audio.waveform_peaks(
            segment.get_array_of_samples(),
            channels=segment.channels,
            full_scale=1 << (8 * segment.sample_width - 1),
        )
        wav.unlink()
        for rendition in todo:
            spec = rendition.spec
            out = workdir / f"{rendition.profile}.{spec.extension}"
            segment.export(
                out,
                format=spec.pydub_format,
                codec=spec.encoder,
                bitrate=f"{spec.bitrate_kbps}k",
                parameters=["-map_metadata", "-1", *spec.parameters],
            ).close()
            name = rendition_path(source_sha256=job.source_sha256, profile=rendition.profile)
            digest, size = _sha256_file(out)
            # Same path for the same original: a re-run overwrites instead of adding files.
            if default_storage.exists(name):
                default_storage.delete(name)
            with out.open("rb") as handle:
                stored = default_storage.save(name, File(handle))
            out.unlink()
            _rendition_ready(
                rendition_id=rendition.pk,
                name=stored,
                sha256=digest,
                size=size,
                source_sha256=job.source_sha256,
            )
    _transcode_job_finish(
        job=job, info=info, duration_ms=len(segment), loudness=loudness, peaks=peaks
    )


def _source_local_path(track: Track, workdir: Path) -> Path:
    try:
        return Path(default_storage.path(track.source_file.name))
    except NotImplementedError:  # remote storage: copy it down first
        local = workdir / "source"
        with default_storage.open(track.source_file.name, "rb") as remote, local.open("wb") as out:
            for chunk in iter(lambda: remote.read(1 << 20), b""):
                out.write(chunk)
        return local


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@transaction.atomic
def _rendition_ready(
    *, rendition_id: int, name: str, sha256: str, size: int, source_sha256: str
) -> None:
    rendition = Rendition.objects.select_for_update().get(pk=rendition_id)
    previous = rendition.file.name
    rendition.file.name = name
    rendition.sha256 = sha256
    rendition.size_bytes = size
    rendition.source_sha256 = source_sha256
    rendition.state = Rendition.State.READY
    rendition.error = ""
    rendition.save()
    if previous and previous != name:
        transaction.on_commit(lambda: default_storage.delete(previous))


@transaction.atomic
def _transcode_job_finish(
    *,
    job: TranscodeJob,
    info: audio.Probe,
    duration_ms: int,
    loudness: audio.Loudness,
    peaks: list[float],
) -> None:
    now = timezone.now()
    TrackAudio.objects.update_or_create(
        track_id=job.track_id,
        defaults={
            "source_sha256": job.source_sha256,
            "source_format": info.format_name[:60],
            "source_codec": info.codec[:30],
            "channels": info.channels,
            "sample_rate": info.sample_rate,
            "duration_ms": duration_ms,
            "loudness_lufs": loudness.integrated_lufs,
            "loudness_range_lu": loudness.range_lu,
            "true_peak_dbtp": loudness.true_peak_dbtp,
            "peaks": peaks,
            "analysed_at": now,
        },
    )
    Track.objects.filter(pk=job.track_id, source_sha256=job.source_sha256).update(
        duration_ms=duration_ms
    )
    TranscodeJob.objects.filter(pk=job.pk).update(
        state=TranscodeJob.State.READY, error="", finished_at=now, deadline_at=None
    )
    job.state, job.finished_at = TranscodeJob.State.READY, now


# --- Streaming -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamUrl:
    token: str
    expires_at: datetime.datetime
    rendition: Rendition


def _market_refusal(country: str) -> UnavailableInMarket:
    return UnavailableInMarket(
        f"The track is not available in your market ({country}) at this time."
    )


def stream_url_issue(*, user, track_id: int, codecs: list[str], quality: str) -> StreamUrl:
    """Sign a short-lived grant for the best ready rendition the user may play now."""
    country = str(user.country)
    playable = selectors.track_playable(track_id=track_id, market=country)
    if playable is None:
        raise NotFound("Track not found.")
    if not playable:
        raise _market_refusal(country)
    rendition = selectors.rendition_choose(track_id=track_id, codecs=codecs, quality=quality)
    if rendition is None:
        raise NotPlayable(f"The track has no ready rendition in {', '.join(codecs)}.")
    ttl = getattr(settings, "STREAM_URL_TTL_SECONDS", 300)
    expires_at = (timezone.now() + datetime.timedelta(seconds=ttl)).replace(microsecond=0)
    grant = StreamGrant(user.pk, track_id, rendition.pk, expires_at)
    return StreamUrl(token=stream_token_make(grant), expires_at=expires_at, rendition=rendition)


def stream_grant_check(*, token: str) -> Rendition:
    """Verify a stream token and re-check the market (one query); return the rendition."""
    try:
        grant = stream_token_read(token)
    except TokenInvalid as exc:
        raise StreamUrlInvalid(str(exc)) from None
    except TokenExpired as exc:
        raise StreamUrlExpired(str(exc)) from None
    rendition = selectors.rendition_for_stream(
        rendition_id=grant.rendition_id, track_id=grant.track_id, user_id=grant.user_id
    )
    if rendition is None:
        raise NotPlayable("The rendition is no longer available; request a new stream URL.")
    if rendition.listener_country is None:
        raise StreamUrlInvalid("The stream URL's listener no longer exists.")
    if not rendition.playable:
        raise _market_refusal(str(rendition.listener_country))
    return rendition


# --- Play events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    received: int
    accepted: int
    duplicates: int


_EVENT_FIELDS = (
    "id",
    "user",
    "track",
    "ms_played",
    "context_type",
    "context_id",
    "started_at",
    "ended_at",
    "country",
    "received_at",
)


def _insert_events_returning(events: list[PlayEvent]) -> int:
    """One INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id; return the rows inserted."""
    if not events:
        return 0
    meta = PlayEvent._meta
    fields = [meta.get_field(name) for name in _EVENT_FIELDS]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(meta.pk.column)
    # Only identifiers from the model's metadata are interpolated; values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(events))} ON CONFLICT ({pk}) DO NOTHING RETURNING {pk}"
    )
    params = [
        field.get_db_prep_save(getattr(event, field.attname), connection)
        for event in events
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


@transaction.atomic
def play_events_ingest(*, user, events: list[dict]) -> IngestResult:
    """Store a batch of validated events once each (keyed by the client's event UUID).

    Either every event of the batch is valid and stored (or already was), or none is.
    """
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise ValidationFailed(f"events: at most {MAX_EVENTS_PER_BATCH} events per request.")
    track_ids = {event["track_id"] for event in events}
    known = set(Track.objects.filter(pk__in=track_ids).values_list("pk", flat=True))
    for index, event in enumerate(events):
        if event["track_id"] not in known:
            raise ValidationFailed(f"events[{index}].track_id: unknown track {event['track_id']}.")
    now = timezone.now()
    country = str(user.country)
    unique: dict[uuid.UUID, PlayEvent] = {}
    for event in events:
        unique.setdefault(
            event["event_id"],
            PlayEvent(
                id=event["event_id"],
                user_id=user.pk,
                track_id=event["track_id"],
                ms_played=event["ms_played"],
                context_type=event["context_type"],
                context_id=event.get("context_id") or "",
                started_at=event["started_at"],
                ended_at=event["ended_at"],
                country=country,
                received_at=now,
            ),
        )
    accepted = _insert_events_returning(list(unique.values()))
    return IngestResult(received=len(events), accepted=accepted, duplicates=len(events) - accepted)


# --- Daily counts --------------------------------------------------------------------------


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


@transaction.atomic
def stream_counts_build_day(*, day: datetime.date) -> None:
    """Recompute one UTC day of both daily tables from raw events (upsert, drop stale rows)."""
    start, end = _day_bounds(day)
    events = PlayEvent.objects.filter(ended_at__gte=start, ended_at__lt=end).order_by()
    is_stream = Q(ms_played__gte=STREAM_THRESHOLD_MS)
    track_rows = [
        DailyTrackStreams(
            day=day,
            track_id=row["track_id"],
            country=row["country"],
            source=row["context_type"],
            streams=row["streams"],
            listeners=row["listeners"],
            ms_played=row["total_ms"] or 0,
        )
        for row in events.values("track_id", "country", "context_type").annotate(
            streams=Count("pk", filter=is_stream),
            listeners=Count("user_id", filter=is_stream, distinct=True),
            total_ms=Sum("ms_played"),
        )
    ]
    listener_rows = [
        DailyListenerTrack(
            day=day,
            user_id=row["user_id"],
            track_id=row["track_id"],
            plays=row["plays"],
            streams=row["streams"],
            skips=row["plays"] - row["streams"],
            ms_played=row["total_ms"] or 0,
        )
        for row in events.values("user_id", "track_id").annotate(
            plays=Count("pk"), streams=Count("pk", filter=is_stream), total_ms=Sum("ms_played")
        )
    ]
    _upsert_day(
        DailyTrackStreams,
        day,
        track_rows,
        key=("track_id", "country", "source"),
        update=("streams", "listeners", "ms_played"),
    )
    _upsert_day(
        DailyListenerTrack,
        day,
        listener_rows,
        key=("user_id", "track_id"),
        update=("plays", "streams", "skips", "ms_played"),
    )


def _upsert_day(model, day, rows, *, key, update) -> None:
    wanted = {tuple(getattr(row, k) for k in key) for row in rows}
    stale = [
        pk
        for pk, *values in model.objects.filter(day=day).values_list("pk", *key)
        if tuple(values) not in wanted
    ]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    if rows:
        model.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["day", *(k.removesuffix("_id") for k in key)],
            update_fields=list(update),
        )


def stream_counts_build(*, days: Iterable[datetime.date]) -> list[datetime.date]:
    built = sorted(set(days))
    for day in built:
        stream_counts_build_day(day=day)
    return built


def stream_counts_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the days touched by events received lately (late offline plays included)."""
    now = now or timezone.now()
    hours = getattr(settings, "STREAM_COUNTS_LOOKBACK_HOURS", 48)
    days = (
        PlayEvent.objects.filter(received_at__gte=now - datetime.timedelta(hours=hours))
        .annotate(day=TruncDate("ended_at", tzinfo=datetime.UTC))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    return stream_counts_build(days=list(days))


def stream_counts_rebuild(*, since: datetime.date | None = None) -> list[datetime.date]:
    """Rebuild every day from `since` (default: the first event) to the last event or today."""
    first = PlayEvent.objects.order_by("ended_at").values_list("ended_at", flat=True).first()
    last = PlayEvent.objects.order_by("-ended_at").values_list("ended_at", flat=True).first()
    today = timezone.now().astimezone(datetime.UTC).date()
    start = since or (first.astimezone(datetime.UTC).date() if first else today)
    end = max(last.astimezone(datetime.UTC).date() if last else today, today)
    # Days without events in the range lose their rows too.
    counted = DailyTrackStreams.objects.filter(day__gte=start).values_list("day", flat=True)
    listened = DailyListenerTrack.objects.filter(day__gte=start).values_list("day", flat=True)
    days = {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}
    return stream_counts_build(days=days | set(counted) | set(listened))


@transaction.atomic
def play_events_bulk_load(*, events: list[PlayEvent], batch_size: int = 5000) -> int:
    """Insert events, skipping ids already stored; return how many were new."""
    before = PlayEvent.objects.count()
    PlayEvent.objects.bulk_create(events, batch_size=batch_size, ignore_conflicts=True)
    return PlayEvent.objects.count() - before


POPULARITY_DAYS = 28


def track_popularity_refresh(*, today: datetime.date | None = None) -> int:
    """Recompute catalogue popularity from the last POPULARITY_DAYS days of streams."""
    today = today or timezone.now().date()
    streams = dict(
        DailyTrackStreams.objects.filter(day__gt=today - datetime.timedelta(days=POPULARITY_DAYS))
        .values("track_id")
        .annotate(total=Sum("streams"))
        .values_list("track_id", "total")
    )
    return catalog_services.popularity_update(track_streams=streams)
