"""Uploaded originals: checked by content and size, stored, then queued for transcoding."""

import contextlib
import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from catalog.models import Track
from common.errors import ValidationFailed
from mediatools.errors import AudioError
from mediatools.probe import Probe, probe
from playback import selectors
from playback.errors import Conflict, PayloadTooLarge
from playback.models import TrackAudio, TranscodeJob

from .transcoding import (
    _enqueue_transcode,
    _transcode_job_reset,
    track_audio_status_refresh,
    transcode_job_retry,
)


def upload_max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


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
    else:
        track_audio_status_refresh(track_ids=[track.pk])
    if previous and previous != name:
        transaction.on_commit(lambda: default_storage.delete(previous))
    _enqueue_transcode(job.pk)
    return job
