"""Cover art of releases: stored, extracted from audio files, or generated."""

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.images import (
    SIZES,
    CoverImages,
    cover_images,
    embedded_art,
    folder_art,
    generated_cover,
)
from catalog.models import Release
from common.errors import ValidationFailed

logger = logging.getLogger(__name__)


def _cover_store(images: CoverImages) -> str:
    """Store the sizes at content-addressed paths; return the name of the largest."""
    folder = f"images/{images.sha256[:2]}/{images.sha256}"
    for side, data in images.sizes.items():
        name = f"{folder}/{side}.jpg"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
    return f"{folder}/{SIZES[0]}.jpg"


def release_cover_set(*, release: Release, data: bytes) -> Release:
    """Check `data` by content and make it the release's cover, in the three served sizes.

    Raises ValidationFailed (ImageRejected) with the reason; nothing is stored then.
    Files are named by content, so setting the same image twice stores nothing new.
    """
    images = cover_images(data, max_bytes=settings.COVER_MAX_BYTES)
    name = _cover_store(images)
    Release.objects.filter(pk=release.pk).update(cover=name)
    release.cover.name = name
    return release


def release_cover_generate(*, release: Release) -> bool:
    """Give a release without a cover one drawn from its first track's audio waveform.

    Deterministic: the same audio and release give the same image. Returns False when the
    release has a cover already or no audio to draw from.
    """
    if release.cover:
        return False
    track = release.tracks.exclude(source_file="").order_by("disc_number", "track_number").first()
    if track is None:
        return False
    with _storage_local_path(track.source_file.name) as path:
        png = generated_cover(path, seed=f"{release.title}\n{track.source_sha256}")
    release_cover_set(release=release, data=png)
    return True


def release_covers_generate_missing(*, limit: int | None = None) -> int:
    """Draw covers for releases that have none (after imports without art)."""
    releases = Release.objects.filter(cover="", tracks__isnull=False).distinct().order_by("pk")
    done = 0
    for release in releases[:limit]:
        done += release_cover_generate(release=release)
    return done


def _release_cover_from_files(*, release: Release, audio_path: Path) -> bool:
    """Set the cover from art embedded in the file or next to it, if the release has none."""
    if release.cover:
        return False
    art = embedded_art(audio_path)
    if art is None and (found := folder_art(audio_path.parent)) is not None:
        art = found.read_bytes()
    if art is None:
        return False
    try:
        release_cover_set(release=release, data=art)
    except ValidationFailed as exc:
        logger.warning("Ignoring the cover art of %s: %s", audio_path, exc.message)
        return False
    return True


@contextlib.contextmanager
def _storage_local_path(name: str):
    try:
        yield Path(default_storage.path(name))
    except NotImplementedError:  # remote storage: copy it down first
        suffix = Path(name).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix) as local:
            with default_storage.open(name, "rb") as remote:
                shutil.copyfileobj(remote, local)
            local.flush()
            yield Path(local.name)
