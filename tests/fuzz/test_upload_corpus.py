"""A corpus of bad uploads: corrupt, truncated, huge, mislabelled, odd formats.

Each one gets a clear 4xx in the API's error shape, quickly, and leaves nothing behind:
no stored original, no job, no queued task, the track unchanged.
"""

import random
import struct
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from playback import audio
from playback.models import TrackAudio, TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.playback.conftest import stored_files

pytestmark = pytest.mark.django_db
SECONDS_PER_UPLOAD = 30  # ffmpeg on a busy 2-core machine; these files take well under 1 s


def _ffmpeg(out: Path, *args: str) -> Path:
    subprocess.run([audio.ffmpeg_binary(), "-v", "error", "-y", *args, str(out)], check=True)
    return out


def _sine(out: Path, seconds: float = 3, *codec: str, rate: int = 44100, ch: int = 2) -> Path:
    source = f"sine=frequency=440:sample_rate={rate}:duration={seconds}"
    return _ffmpeg(out, "-f", "lavfi", "-i", source, "-ac", str(ch), *codec)


def _wav_header(*, data_bytes: int, channels: int = 2, rate: int = 44100) -> bytes:
    block = channels * 2
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, 16)
    riff_size = min(4 + 8 + len(fmt) + 8 + data_bytes, 2**32 - 1)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def _cut(path: Path, fraction: float) -> bytes:
    data = path.read_bytes()
    return data[: int(len(data) * fraction)]


def _damage(path: Path, seed: int) -> bytes:
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    middle = len(data) // 2
    data[middle : middle + 2048] = rng.randbytes(2048)
    return bytes(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple[str, bytes]]:
    """name -> (upload file name, content)."""
    d = tmp_path_factory.mktemp("corpus")
    flac = _sine(d / "a.flac", 3, "-c:a", "flac")
    mp3 = _sine(d / "a.mp3", 3, "-c:a", "libmp3lame", "-b:a", "128k")
    ogg = _sine(d / "a.ogg", 3, "-c:a", "libvorbis")
    png = _ffmpeg(
        d / "cover.png", "-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1"
    )
    video = _ffmpeg(
        d / "silent.mkv", "-f", "lavfi", "-i", "testsrc=size=64x64:duration=2", "-c:v", "ffv1"
    )
    rng = random.Random(7)
    five_hours = 5 * 3600 * 44100 * 4
    return {
        "empty": ("empty.flac", b""),
        "random bytes": ("noise.mp3", rng.randbytes(96 * 1024)),
        "text named mp3": ("readme.mp3", b"definitely not audio\n" * 500),
        "html named ogg": ("index.ogg", b"<!doctype html><title>x</title>" * 100),
        "png named ogg": ("cover.ogg", png.read_bytes()),
        "video without audio": ("clip.mkv", video.read_bytes()),
        "truncated flac": ("cut.flac", _cut(flac, 0.6)),
        "truncated mp3": ("cut.mp3", _cut(mp3, 0.5)),
        "truncated ogg": ("cut.ogg", _cut(ogg, 0.5)),
        "flac header only": ("head.flac", _cut(flac, 0.02)),
        "corrupt flac": ("bad.flac", _damage(flac, 1)),
        "corrupt mp3": ("bad.mp3", _damage(mp3, 2)),
        "corrupt ogg": ("bad.ogg", _damage(ogg, 3)),
        "wav header only, 5 h declared": ("head.wav", _wav_header(data_bytes=five_hours)),
        "wav 5 h declared, 1 s sent": (
            "long.wav",
            _wav_header(data_bytes=five_hours) + bytes(44100 * 4),
        ),
        "too short": ("blip.wav", _sine(d / "blip.wav", 0.2).read_bytes()),
        "unsupported codec": (
            "adpcm.wav",
            _sine(d / "adpcm.wav", 2, "-c:a", "adpcm_ms").read_bytes(),
        ),
        "too many channels": (
            "wide.wav",
            _wav_header(data_bytes=44100 * 24, channels=12) + bytes(44100 * 24),
        ),
        "sample rate too low": ("low.wav", _sine(d / "low.wav", 2, rate=4000).read_bytes()),
        # Kept for the mislabelled-but-valid case below.
        "_flac": ("a.flac", flac.read_bytes()),
    }


BAD = [
    ("empty", "file is empty"),
    ("random bytes", "not a recognised audio format"),
    ("text named mp3", "not a recognised audio format"),
    ("html named ogg", "not a recognised audio format"),
    ("png named ogg", "no audio stream"),
    ("video without audio", "no audio stream"),
    ("truncated flac", ""),
    ("truncated mp3", ""),
    ("truncated ogg", ""),
    ("flac header only", ""),
    ("corrupt flac", "corrupt"),
    ("corrupt mp3", "corrupt"),
    ("corrupt ogg", "corrupt"),
    ("wav header only, 5 h declared", "shorter than 1 second"),  # sizes are checked
    ("wav 5 h declared, 1 s sent", "Invalid audio file"),
    ("too short", "shorter than 1 second"),
    ("unsupported codec", "Unsupported audio codec"),
    ("too many channels", "Unsupported channel count"),
    ("sample rate too low", "Unsupported sample rate"),
]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def uploader(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _upload(user, track, name: str, content: bytes, content_type="audio/mpeg"):
    client = APIClient()
    client.force_authenticate(user)
    upload = SimpleUploadedFile(name, content, content_type)
    started = time.monotonic()
    response = client.post(f"/api/v1/tracks/{track.pk}/source", {"file": upload})
    return response, time.monotonic() - started


def _assert_nothing_left(track, callbacks):
    track.refresh_from_db()
    assert not track.source_file and track.source_sha256 is None
    assert not TranscodeJob.objects.exists() and not TrackAudio.objects.exists()
    assert stored_files("originals") == set()
    assert not callbacks  # no transcode queued


@pytest.mark.parametrize("probe", ["ffprobe", "ffmpeg only"])
@pytest.mark.parametrize(("case", "message"), BAD, ids=[case for case, _ in BAD])
def test_bad_upload_is_a_clear_400_and_leaves_nothing(
    corpus,
    uploader,
    media_root,
    monkeypatch,
    django_capture_on_commit_callbacks,
    case,
    message,
    probe,
):
    if probe == "ffmpeg only":  # as with only the imageio-ffmpeg wheel installed
        monkeypatch.setattr(audio, "ffprobe_binary", lambda: None)
    elif audio.ffprobe_binary() is None:
        pytest.skip("ffprobe is not installed")
    track = TrackFactory()
    name, content = corpus[case]
    with django_capture_on_commit_callbacks() as callbacks:
        response, seconds = _upload(uploader, track, name, content)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400
    assert message in error["message"]
    assert "/" not in error["message"].partition(":")[2]  # no server paths leak
    assert seconds < SECONDS_PER_UPLOAD
    _assert_nothing_left(track, callbacks)


def test_huge_upload_is_413_before_the_body_is_read(
    uploader, media_root, settings, django_capture_on_commit_callbacks
):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    track = TrackFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = _upload(uploader, track, "big.flac", bytes(512 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("The file is larger than the limit")
    _assert_nothing_left(track, callbacks)


def test_upload_just_over_the_limit_is_413_after_parsing(
    corpus, uploader, media_root, settings, django_capture_on_commit_callbacks
):
    _, flac = corpus["_flac"]
    settings.UPLOAD_MAX_BYTES = len(flac) - 1  # within the multipart slack: parsed, then refused
    track = TrackFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = _upload(uploader, track, "a.flac", flac)
    assert response.status_code == 413
    _assert_nothing_left(track, callbacks)


def test_mislabelled_but_valid_audio_is_judged_by_content(
    corpus, uploader, media_root, django_capture_on_commit_callbacks
):
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = _upload(uploader, track, "song.mp3", flac, content_type="image/png")
    assert response.status_code == 202, response.content
    assert response.json()["source"]["codec"] == "flac"
    (stored,) = stored_files("originals")
    assert stored.endswith(".flac") and "song" not in stored
    assert len(callbacks) == 1


def test_a_bad_upload_keeps_the_previous_original(
    corpus, uploader, media_root, django_capture_on_commit_callbacks
):
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks():
        assert _upload(uploader, track, "a.flac", flac)[0].status_code == 202
    track.refresh_from_db()
    before = (track.source_file.name, track.source_sha256, stored_files("originals"))
    name, content = corpus["corrupt flac"]
    with django_capture_on_commit_callbacks() as callbacks:
        assert _upload(uploader, track, name, content)[0].status_code == 400
    track.refresh_from_db()
    assert (track.source_file.name, track.source_sha256, stored_files("originals")) == before
    assert not callbacks


def _ffmpeg_calls(monkeypatch) -> list[tuple[list[str], dict]]:
    calls = []
    real_run = audio.subprocess.run

    def recording_run(args, **kwargs):
        calls.append((list(args), kwargs))
        return real_run(args, **kwargs)

    monkeypatch.setattr(audio.subprocess, "run", recording_run)
    return calls


def test_ffmpeg_runs_under_memory_and_cpu_limits(
    corpus, uploader, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    calls = _ffmpeg_calls(monkeypatch)
    _, flac = corpus["_flac"]
    with django_capture_on_commit_callbacks():
        assert _upload(uploader, TrackFactory(), "a.flac", flac)[0].status_code == 202
    assert calls
    for args, kwargs in calls:
        wrapped = Path(args[0]).name == "prlimit" and any(a.startswith("--data=") for a in args)
        assert wrapped or kwargs.get("preexec_fn"), args
        assert kwargs.get("timeout", 1800) <= 300, args  # checks never wait 30 minutes


def test_ffmpeg_out_of_memory_is_a_503_and_leaves_nothing(
    corpus, uploader, media_root, settings, django_capture_on_commit_callbacks
):
    settings.FFMPEG_MAX_DATA_MB = 8  # too little for ffmpeg even to start
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = _upload(uploader, track, "a.flac", flac)
    assert response.status_code == 503, response.content
    _assert_nothing_left(track, callbacks)
