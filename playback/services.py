"""Writes of the playback app: sources and transcoding, stream grants, play events, counts."""

import contextlib
import datetime
import hashlib
import logging
import os
import socket
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Track
from common.errors import NotFound, ValidationFailed
from mediatools.errors import AudioError, ToolError
from mediatools.probe import Probe, probe
from mediatools.transcode import Output, Result, transcode
from playback import integrity, ratelimits, selectors
from playback.errors import (
    Conflict,
    NotPlayable,
    PayloadTooLarge,
    StreamUrlExpired,
    StreamUrlInvalid,
    UnavailableInMarket,
)
from playback.models import (
    DEFAULT_PROFILE,
    RENDITION_PROFILES,
    STREAM_THRESHOLD_MS,
    DailyListenerTrack,
    DailyTrackStreams,
    PlayEvent,
    Rendition,
    StreamGrantDay,
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
    return settings.UPLOAD_MAX_BYTES


def _stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TRANSCODE_STALE_AFTER_SECONDS)


def _max_attempts() -> int:
    return settings.TRANSCODE_MAX_ATTEMPTS


# --- Sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCheck:
    probe: Probe
    duration_seconds: float  # as declared; the transcode's decode sets the real one
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
    """Validate by content: an allowed container and acceptable stream headers.

    Headers only, so a web request never decodes; the full decode with error detection
    is the transcode job's, and the track stays unplayable until it passes.
    """
    try:
        info = probe(path)
    except AudioError as exc:
        raise ValidationFailed(f"Invalid audio file: {exc}") from None
    return SourceCheck(probe=info, duration_seconds=info.duration, sha256=sha256)


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
    """Run the next pass of the job's transcoding; return None when there was nothing to do
    (finished, superseded, or running elsewhere within its deadline).

    The first pass decodes the original with error detection into the default rendition,
    its loudness and waveform: the track becomes playable only if that decode passes. The
    job then goes back to the queue (behind other tracks' first passes) for the second
    pass, the other renditions. Idempotent: renditions already READY for this original
    are skipped, files are written at paths named by the original's hash.

    A corrupt original fails the job for good; anything else (ffmpeg could not start,
    storage or database trouble) releases it and raises TranscodeInterrupted for a retry.
    """
    job = _transcode_job_claim(job_id)
    if job is None:
        return None
    try:
        _transcode(job)
    except AudioError as exc:
        _transcode_job_fail(job, str(exc))
        return job
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ToolError) else f"{type(exc).__name__}: {exc}"
        logger.warning("Transcode job %s interrupted: %s", job.pk, reason)
        if job.attempts >= _max_attempts():
            _transcode_job_fail(job, f"Gave up after {job.attempts} attempts: {reason}")
            return job
        _transcode_job_release(job, reason)
        raise TranscodeInterrupted(reason) from exc
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


@dataclass(frozen=True)
class _Stored:
    rendition_id: int
    name: str
    sha256: str
    size: int


def _transcode(job: TranscodeJob) -> None:
    track = Track.objects.get(pk=job.track_id)
    todo = [
        r
        for r in Rendition.objects.filter(track_id=job.track_id)
        if not (r.state == Rendition.State.READY and r.source_sha256 == job.source_sha256)
    ]
    analysed = TrackAudio.objects.filter(
        track_id=job.track_id, source_sha256=job.source_sha256, analysed_at__isnull=False
    ).exists()
    first_pass = not analysed or any(r.profile == DEFAULT_PROFILE for r in todo)
    batch = [r for r in todo if r.profile == DEFAULT_PROFILE] if first_pass else todo
    if not first_pass and not todo:  # everything was made before (a re-delivered message)
        _transcode_pass_finish(job=job, stored=[], info=None, result=None, more=False)
        return
    with tempfile.TemporaryDirectory(prefix="streamify-transcode-") as tmp:
        workdir = Path(tmp)
        source = _source_local_path(track, workdir)
        info = probe(source)
        outputs = [
            Output(workdir / f"{r.profile}.{r.spec.extension}", r.spec.ffmpeg_options)
            for r in batch
        ]
        result = transcode(
            source,
            info,
            outputs=outputs,
            analyse=first_pass,
            timeout=settings.FFMPEG_TIMEOUT_SECONDS,
        )
        stored = [
            _rendition_store(
                rendition=rendition, local=output.path, source_sha256=job.source_sha256
            )
            for rendition, output in zip(batch, outputs, strict=True)
        ]
    _transcode_pass_finish(
        job=job,
        stored=stored,
        info=info,
        result=result if first_pass else None,
        more=len(batch) < len(todo),
    )


def _rendition_store(*, rendition: Rendition, local: Path, source_sha256: str) -> _Stored:
    name = rendition_path(source_sha256=source_sha256, profile=rendition.profile)
    digest, size = _sha256_file(local)
    # Same path for the same original: a re-run overwrites instead of adding files.
    if default_storage.exists(name):
        default_storage.delete(name)
    with local.open("rb") as handle:
        stored = default_storage.save(name, File(handle))
    local.unlink()
    return _Stored(rendition_id=rendition.pk, name=stored, sha256=digest, size=size)


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


def _rendition_ready(*, stored: _Stored, source_sha256: str) -> None:
    rendition = Rendition.objects.select_for_update().get(pk=stored.rendition_id)
    previous = rendition.file.name
    rendition.file.name = stored.name
    rendition.sha256 = stored.sha256
    rendition.size_bytes = stored.size
    rendition.source_sha256 = source_sha256
    rendition.state = Rendition.State.READY
    rendition.error = ""
    rendition.save()
    if previous and previous != stored.name:
        transaction.on_commit(lambda: default_storage.delete(previous))


@transaction.atomic
def _transcode_pass_finish(
    *,
    job: TranscodeJob,
    stored: list[_Stored],
    info: Probe | None,
    result: Result | None,
    more: bool,
) -> None:
    """Record a pass: the analysis (first pass), its renditions, then the job's next state."""
    now = timezone.now()
    if result is not None and info is not None:
        duration_ms = round((result.decoded_seconds or 0) * 1000)
        loudness = result.loudness
        TrackAudio.objects.update_or_create(
            track_id=job.track_id,
            defaults={
                "source_sha256": job.source_sha256,
                "source_format": info.format_name[:60],
                "source_codec": info.codec[:30],
                "channels": info.channels,
                "sample_rate": info.sample_rate,
                "duration_ms": duration_ms,
                "loudness_lufs": loudness.integrated_lufs if loudness else None,
                "loudness_range_lu": loudness.range_lu if loudness else None,
                "true_peak_dbtp": loudness.true_peak_dbtp if loudness else None,
                "peaks": result.peaks,
                "analysed_at": now,
            },
        )
        catalog_services.track_duration_set(
            track_id=job.track_id, source_sha256=job.source_sha256, duration_ms=duration_ms
        )
    for item in stored:
        _rendition_ready(stored=item, source_sha256=job.source_sha256)
    if more:
        # Progress made: the attempts start afresh for the next pass, queued at the back.
        TranscodeJob.objects.filter(pk=job.pk).update(
            state=TranscodeJob.State.PENDING,
            attempts=0,
            error="",
            queued_at=now,
            deadline_at=None,
        )
        job.state, job.attempts = TranscodeJob.State.PENDING, 0
        _enqueue_transcode(job.pk)
        return
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
    now = timezone.now()
    expires_at = (now + datetime.timedelta(seconds=ttl)).replace(microsecond=0)
    stream_grant_record(user_id=user.pk, track_id=track_id, day=now.astimezone(datetime.UTC).date())
    grant = StreamGrant(user.pk, track_id, rendition.pk, expires_at)
    return StreamUrl(token=stream_token_make(grant), expires_at=expires_at, rendition=rendition)


def stream_grant_record(*, user_id: int, track_id: int, day: datetime.date) -> None:
    """Remember that the listener was given a stream URL for the track on `day` (UTC):
    one INSERT that does nothing when the day is already recorded. Plays need it."""
    StreamGrantDay.objects.bulk_create(
        [StreamGrantDay(user_id=user_id, track_id=track_id, day=day)], ignore_conflicts=True
    )


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
    refused: int = 0


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
    "verdict",
    "reason",
    "address",
)
COUNTED_VERDICTS = (PlayEvent.Verdict.STREAM, PlayEvent.Verdict.PLAY)
# Namespace of the per-listener advisory lock (PostgreSQL) that serialises judging.
_LISTENER_LOCK = 0x504C4159


def _insert_events_returning(events: list[PlayEvent]) -> list[uuid.UUID]:
    """One INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id; return the ids inserted."""
    if not events:
        return []
    meta = PlayEvent._meta
    fields = [meta.get_field(name) for name in _EVENT_FIELDS]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(meta.pk.column)
    # PostgreSQL partitions the table by month (playback/partitions.py): its key is
    # (id, ended_at), which a client's retry repeats exactly.
    key = pk
    if connection.vendor == "postgresql":
        key = f"{pk}, {quote(meta.get_field('ended_at').column)}"
    # Only identifiers from the model's metadata are interpolated; values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(events))} ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"
    )
    params = [
        field.get_db_prep_save(getattr(event, field.attname), connection)
        for event in events
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [meta.pk.to_python(value) for (value,) in cursor.fetchall()]


def play_events_ingest(*, user, events: list[dict], address: str | None = None) -> IngestResult:
    """Judge and store a batch of validated events once each (keyed by the client's UUID).

    The batch first takes its size from the listener's and the address's budgets
    (429 when spent, nothing stored). Each new event is then judged by
    `playback.integrity` and stored with its verdict and reason: refused plays are kept
    (visible in admin and the fraud report) but count nowhere. Durable before return:
    either every event of the batch is stored (or already was), or none is.
    """
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise ValidationFailed(f"events: at most {MAX_EVENTS_PER_BATCH} events per request.")
    if not events:
        return IngestResult(received=0, accepted=0, duplicates=0)
    ratelimits.play_events_budget_take(user_id=user.pk, address=address, count=len(events))
    return _play_events_store(user=user, events=events, address=address or None)


@transaction.atomic
def _play_events_store(*, user, events: list[dict], address: str | None) -> IngestResult:
    track_ids = {event["track_id"] for event in events}
    country = str(user.country)
    rules_on = settings.PLAY_EVENTS_INTEGRITY
    if rules_on:  # the facts of the tracks in one query: durations and market windows
        facts = catalog_selectors.track_durations_and_windows(track_ids=track_ids, market=country)
        durations = {pk: duration for pk, (duration, _) in facts.items()}
        windows = {pk: found for pk, (_, found) in facts.items()}
    else:
        durations = dict(
            Track.objects.filter(pk__in=track_ids).order_by().values_list("pk", "duration_ms")
        )
    for index, event in enumerate(events):
        if event["track_id"] not in durations:
            raise ValidationFailed(f"events[{index}].track_id: unknown track {event['track_id']}.")
    now = timezone.now()
    unique: dict[uuid.UUID, dict] = {}
    for event in events:
        unique.setdefault(event["event_id"], event)
    plays = [
        integrity.Candidate(
            track_id=event["track_id"],
            ms_played=event["ms_played"],
            started_at=event["started_at"],
            ended_at=event["ended_at"],
        )
        for event in unique.values()
    ]
    if rules_on:
        judged = _plays_judge(
            user_id=user.pk, ids=list(unique), plays=plays, durations=durations, windows=windows
        )
    else:
        judged = [
            (
                PlayEvent.Verdict.STREAM
                if play.ms_played >= STREAM_THRESHOLD_MS
                else PlayEvent.Verdict.PLAY,
                "",
            )
            for play in plays
        ]
    rows = [
        PlayEvent(
            id=event_id,
            user_id=user.pk,
            track_id=event["track_id"],
            ms_played=event["ms_played"],
            context_type=event["context_type"],
            context_id=event.get("context_id") or "",
            started_at=event["started_at"],
            ended_at=event["ended_at"],
            country=country,
            received_at=now,
            verdict=verdict,
            reason=reason,
            address=address,
        )
        for (event_id, event), (verdict, reason) in zip(unique.items(), judged, strict=True)
    ]
    inserted = set(_insert_events_returning(rows))
    refused = sum(
        1 for row in rows if row.pk in inserted and row.verdict == PlayEvent.Verdict.REFUSED
    )
    return IngestResult(
        received=len(events),
        accepted=len(inserted),
        duplicates=len(events) - len(inserted),
        refused=refused,
    )


def _plays_judge(
    *,
    user_id: int,
    ids: list[uuid.UUID],
    plays: list[integrity.Candidate],
    durations: dict[int, int],
    windows: dict[int, list],
) -> list[tuple[str, str]]:
    """Look up the rest of the facts `integrity.plays_judge` needs (three queries: the
    listener's lock, grants, counted plays) and apply it.

    Holds the listener's lock until commit, so two concurrent batches of one listener
    cannot both count overlapping plays.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LISTENER_LOCK, user_id % (1 << 31)]
            )
    rules = integrity.Rules(
        now=timezone.now(),
        grant_max_age=datetime.timedelta(days=settings.PLAY_GRANT_MAX_AGE_DAYS),
    )
    track_ids = {play.track_id for play in plays}
    # Bounds clipped to the accepted window, so absurd timestamps never reach a query.
    earliest_start = rules.earliest_end - datetime.timedelta(days=1)
    lo = max(min(play.started_at for play in plays), earliest_start)
    hi = min(max(play.ended_at for play in plays), rules.latest_end)
    grant_days: dict[int, list[datetime.date]] = {}
    counted: list[tuple[datetime.datetime, datetime.datetime]] = []
    if lo <= hi:
        for track_id, day in (
            StreamGrantDay.objects.filter(
                user_id=user_id,
                track_id__in=track_ids,
                day__gte=(lo - rules.grant_max_age).astimezone(datetime.UTC).date(),
                day__lte=(hi + integrity.PLAY_CLOCK_SKEW).astimezone(datetime.UTC).date(),
            )
            .order_by("day")
            .values_list("track_id", "day")
        ):
            grant_days.setdefault(track_id, []).append(day)
        incoming = set(ids)
        counted = [
            (started, ended)
            for pk, started, ended in PlayEvent.objects.filter(
                user_id=user_id,
                verdict__in=COUNTED_VERDICTS,
                ended_at__gt=lo,
                started_at__lt=hi,
            )
            .order_by()
            .values_list("pk", "started_at", "ended_at")
            if pk not in incoming  # a retried event is judged afresh, never against itself
        ]
    return integrity.plays_judge(
        plays=plays,
        rules=rules,
        durations=durations,
        market_windows=windows,
        grant_days=grant_days,
        counted=counted,
    )


# --- Daily counts --------------------------------------------------------------------------


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


@transaction.atomic
def stream_counts_build_day(*, day: datetime.date) -> None:
    """Recompute one UTC day of both daily tables from counted plays (upsert, drop stale
    rows); refused plays count nowhere."""
    start, end = _day_bounds(day)
    events = selectors.plays_counted(start=start, end=end)
    is_stream = selectors.IS_STREAM
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
    """Rebuild the days touched by plays received lately (late offline plays included)."""
    now = now or timezone.now()
    hours = getattr(settings, "STREAM_COUNTS_LOOKBACK_HOURS", 48)
    since = now - datetime.timedelta(hours=hours)
    return stream_counts_build(days=selectors.play_days_touched(since=since, now=now))


def stream_counts_rebuild(*, since: datetime.date | None = None) -> list[datetime.date]:
    """Rebuild every day from `since` (default: the first counted play) to the last or today."""
    first, last = selectors.play_first_day(), selectors.play_last_day()
    today = timezone.now().astimezone(datetime.UTC).date()
    start = since or first or today
    end = max(last or today, today)
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


# --- Now playing ---------------------------------------------------------------------------

NOW_PLAYING_MAX_PLAYERS = 10


def now_playing_set(*, user, track_id: int, player: str, duration_ms: int) -> None:
    """Remember that `player` of the user started the track (not a play: nothing is counted).

    Kept in the cache only, for the track's length plus a minute; best effort.
    """
    key = selectors.now_playing_key(user.pk)
    entries = cache.get(key) or {}
    entries[player[:64]] = {"track_id": track_id, "player": player[:64], "at": timezone.now()}
    newest = sorted(entries.values(), key=lambda entry: entry["at"], reverse=True)
    kept = {entry["player"]: entry for entry in newest[:NOW_PLAYING_MAX_PLAYERS]}
    cache.set(key, kept, timeout=duration_ms // 1000 + 60)


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
