"""Transcode jobs: claimed by one worker, run in passes, retried, swept when stale."""

import datetime
import hashlib
import logging
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Track
from common.errors import ValidationFailed
from mediatools.errors import AudioError, ToolError
from mediatools.probe import Probe, probe
from mediatools.transcode import Output, Result, transcode
from playback import selectors
from playback.models import DEFAULT_PROFILE, RENDITION_PROFILES, Rendition, TrackAudio, TranscodeJob

logger = logging.getLogger(__name__)


def _stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TRANSCODE_STALE_AFTER_SECONDS)


def _max_attempts() -> int:
    return settings.TRANSCODE_MAX_ATTEMPTS


def _enqueue_transcode(job_id: int) -> None:
    from playback.tasks import transcode_track

    # robust: a broker outage must not fail the request; the stale-job sweep re-queues.
    transaction.on_commit(lambda: transcode_track.delay(job_id), robust=True)


def track_audio_status_refresh(*, track_ids) -> None:
    """Bring `Track.audio_status` in line with the tracks' renditions and jobs (the API's
    `is_playable` and its reason read it); called wherever those change."""
    catalog_services.track_audio_status_set(
        statuses=selectors.track_audio_statuses(track_ids=track_ids)
    )


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
    track_audio_status_refresh(track_ids=[job.track_id])


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
    track_audio_status_refresh(track_ids={job.track_id for job in jobs})
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
    track_audio_status_refresh(track_ids=[job.track_id])


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
    if stored:
        track_audio_status_refresh(track_ids=[job.track_id])
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
