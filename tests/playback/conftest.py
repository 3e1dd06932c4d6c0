import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from mediatools import ffmpeg as audio
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory


def make_audio(path: Path, *, seconds: float = 5, codec_args=("-c:a", "flac")) -> Path:
    """A stereo sine of `seconds` encoded by ffmpeg into `path`."""
    subprocess.run(
        [
            audio.ffmpeg_binary(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            "-ac",
            "2",
            *codec_args,
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def flac_path(audio_dir):
    return make_audio(audio_dir / "sine.flac")


@pytest.fixture(scope="session")
def mp3_path(audio_dir):
    return make_audio(audio_dir / "sine.mp3", codec_args=("-c:a", "libmp3lame", "-b:a", "128k"))


def uploaded(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), "application/octet-stream")


def stored_files(folder: str) -> set[str]:
    found = set()
    if not default_storage.exists(folder):
        return found
    dirs, files = default_storage.listdir(folder)
    found.update(f"{folder}/{name}" for name in files)
    for sub in dirs:
        found |= stored_files(f"{folder}/{sub}")
    return found


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test gets its own storage, so file assertions see only its own files."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def track(db):
    return TrackFactory(markets=["SE"])


@pytest.fixture
def uploader(track):
    """An editor on the team of the track's artist."""
    from accounts import roles
    from artists.models import ArtistTeamMembership, TeamRole

    user = UserFactory(role=roles.ARTIST_TEAM_MEMBERS)
    ArtistTeamMembership.objects.create(
        user=user, artist=track.artists.first(), role=TeamRole.EDITOR
    )
    return user
