"""Real audio files for import tests, made with the ffmpeg the code itself resolves."""

import shutil
import subprocess
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import TXXX
from mutagen.mp4 import MP4FreeForm

from mediatools.ffmpeg import ffmpeg_binary

ENCODERS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "0"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "flac": ["-c:a", "flac"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
}
CLIP_SECONDS = 4

DEFAULT_TAGS = {
    "title": "Test Song",
    "artist": ["Test Artist"],
    "album": "Test Album",
    "date": "2024-05-17",
    "tracknumber": "3/12",
    "discnumber": "1/1",
    "genre": ["Electronic"],
}


@pytest.fixture(scope="session")
def untagged_clips(tmp_path_factory) -> dict[str, Path]:
    """One short untagged clip per format; tests copy and tag them."""
    folder = tmp_path_factory.mktemp("clips")
    clips = {}
    for extension, codec in ENCODERS.items():
        target = folder / f"clip.{extension}"
        subprocess.run(
            [
                ffmpeg_binary(),
                "-nostdin",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={CLIP_SECONDS}",
                "-ac",
                "2",
                *codec,
                "-map_metadata",
                "-1",
                str(target),
            ],
            check=True,
        )
        clips[extension] = target
    return clips


@pytest.fixture
def make_audio(untagged_clips, tmp_path):
    """Return make(name, extension="mp3", folder=None, **tags) -> Path of a tagged clip.

    Tag values override DEFAULT_TAGS; a value of None leaves that tag out. Extra keys:
    `isrc`, `explicit` (bool), `albumartist`.
    """

    def make(name: str, extension: str = "mp3", folder: Path | None = None, **tags) -> Path:
        folder = folder or tmp_path / "audio"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.{extension}"
        shutil.copyfile(untagged_clips[extension], path)
        write_tags(path, {**DEFAULT_TAGS, **tags})
        return path

    return make


def write_tags(path: Path, tags: dict) -> None:
    tags = {key: value for key, value in tags.items() if value is not None}
    isrc = tags.pop("isrc", None)
    explicit = tags.pop("explicit", False)
    extension = path.suffix.lstrip(".")

    easy = mutagen.File(path, easy=True)
    if easy.tags is None:
        easy.add_tags()
    for key, value in tags.items():
        easy[key] = value if isinstance(value, list) else [value]
    if isrc and extension != "m4a":
        easy["isrc"] = [isrc]
    easy.save()

    if extension == "m4a" and (isrc or explicit):
        raw = mutagen.File(path)
        if isrc:
            raw.tags["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(isrc.encode())]
        if explicit:
            raw.tags["rtng"] = [1]
        raw.save()
    elif extension == "mp3" and explicit:
        raw = mutagen.File(path)
        raw.tags.add(TXXX(encoding=3, desc="ITUNESADVISORY", text=["1"]))
        raw.save()
    elif explicit:
        raw = mutagen.File(path)
        raw.tags["ITUNESADVISORY"] = ["1"]
        raw.save()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Point default storage at an empty folder of this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
