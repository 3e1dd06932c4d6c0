"""A corpus of hostile and bad uploads: playlists, scripts, corrupt, truncated, huge, odd.

What the headers can tell is refused at once with a clear 4xx in the API's error shape,
quickly and without decoding, and leaves nothing behind: no stored original, no job, no
queued task, the track unchanged. What only a decode can tell (a damaged or cut stream
behind intact headers) is accepted, fails the transcode job's decode, and never plays.
ffmpeg only ever runs in the job, confined to the stored file.
"""

import random
import struct
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from mediatools import ffmpeg
from playback import services
from playback.models import Rendition, TrackAudio, TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.playback.conftest import stored_files

pytestmark = pytest.mark.django_db
SECONDS_PER_UPLOAD = 5  # no decode in the request: headers only


def _ffmpeg(out: Path, *args: str) -> Path:
    subprocess.run([ffmpeg.ffmpeg_binary(), "-v", "error", "-y", *args, str(out)], check=True)
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


def _id3(payload: bytes) -> bytes:
    """An empty ID3v2.4 tag, then `payload` (as if an MP3 followed)."""
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + payload


def _flac_declaring(flac: bytes, *, total_samples: int) -> bytes:
    """The same FLAC with STREAMINFO's 36-bit total sample count replaced."""
    data = bytearray(flac)
    offset = 8 + 13  # "fLaC", block header, then 13 bytes into STREAMINFO
    data[offset] = (data[offset] & 0xF0) | (total_samples >> 32) & 0x0F
    data[offset + 1 : offset + 5] = (total_samples & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(data)


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
    # Playlists and scripts naming a real local audio file: followed, they would "work".
    secret = _sine(d / "secret.flac", 3, "-c:a", "flac")
    hls = f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\nfile:{secret}\n#EXT-X-ENDLIST\n"
    concat = f"ffconcat version 1.0\nfile '{secret}'\n"
    relative = "ffconcat version 1.0\nfile '../../../etc/hostname'\n"
    rng = random.Random(7)
    five_hours = 5 * 3600 * 44100 * 4
    return {
        "empty": ("empty.flac", b""),
        "random bytes": ("noise.mp3", rng.randbytes(96 * 1024)),
        "text named mp3": ("readme.mp3", b"definitely not audio\n" * 500),
        "html named ogg": ("index.ogg", b"<!doctype html><title>x</title>" * 100),
        "png named ogg": ("cover.ogg", png.read_bytes()),
        "video without audio": ("clip.mkv", video.read_bytes()),
        "hls playlist with a local path": ("list.m3u8", hls.encode()),
        "hls playlist named mp3": ("song.mp3", hls.encode()),
        "hls playlist behind an ID3 tag": ("song.mp3", _id3(hls.encode())),
        "ffconcat with a local path": ("list.ffconcat", concat.encode()),
        "ffconcat with a relative path, named flac": ("song.flac", relative.encode()),
        "truncated ogg": ("cut.ogg", _cut(ogg, 0.5)),
        "wav header only, 5 h declared": ("head.wav", _wav_header(data_bytes=five_hours)),
        "wav 5 h declared, 1 s sent": (
            "long.wav",
            _wav_header(data_bytes=five_hours) + bytes(44100 * 4),
        ),
        "wav 10 min declared, 2 s sent": (
            "cut.wav",
            _wav_header(data_bytes=600 * 44100 * 4) + bytes(2 * 44100 * 4),
        ),
        "flac declaring 9 hours": (
            "long.flac",
            _flac_declaring(flac.read_bytes(), total_samples=9 * 3600 * 44100),
        ),
        "flac declaring 2**36 samples": (
            "huge.flac",
            _flac_declaring(flac.read_bytes(), total_samples=2**36 - 1),
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
        # Intact headers, bad stream: only the decode in the transcode job can tell.
        "truncated flac": ("cut.flac", _cut(flac, 0.6)),
        "truncated mp3": ("cut.mp3", _cut(mp3, 0.5)),
        "flac header only": ("head.flac", _cut(flac, 0.02)),
        "corrupt flac": ("bad.flac", _damage(flac, 1)),
        "corrupt mp3": ("bad.mp3", _damage(mp3, 2)),
        "corrupt ogg": ("bad.ogg", _damage(ogg, 3)),
        "_flac": ("a.flac", flac.read_bytes()),
        "_silence": (
            "silence.flac",
            _ffmpeg(
                d / "silence.flac",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=44100:cl=stereo",
                "-t",
                "3600",
                "-c:a",
                "flac",
            ).read_bytes(),
        ),
    }


NOT_AUDIO = "not a recognised audio format"
BAD = [
    ("empty", "file is empty"),
    ("random bytes", NOT_AUDIO),
    ("text named mp3", NOT_AUDIO),
    ("html named ogg", NOT_AUDIO),
    ("png named ogg", NOT_AUDIO),
    ("video without audio", NOT_AUDIO),
    ("hls playlist with a local path", NOT_AUDIO),
    ("hls playlist named mp3", NOT_AUDIO),
    ("hls playlist behind an ID3 tag", NOT_AUDIO),
    ("ffconcat with a local path", NOT_AUDIO),
    ("ffconcat with a relative path, named flac", NOT_AUDIO),
    ("truncated ogg", "truncated"),
    ("flac header only", NOT_AUDIO),
    ("wav header only, 5 h declared", "longer than 4 hours"),
    ("wav 5 h declared, 1 s sent", "longer than 4 hours"),
    ("wav 10 min declared, 2 s sent", "truncated"),
    ("flac declaring 9 hours", "longer than 4 hours"),
    ("flac declaring 2**36 samples", "longer than 4 hours"),
    ("too short", "shorter than 1 second"),
    ("unsupported codec", "Unsupported audio codec"),
    ("too many channels", "Unsupported channel count"),
    ("sample rate too low", "Unsupported sample rate"),
]
DECODE_FAILS = [
    "truncated flac",
    "truncated mp3",
    "corrupt flac",
    "corrupt mp3",
    "corrupt ogg",
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


class _SpawnRecorder:
    """Record every process media.ffmpeg starts (and let it start)."""

    def __init__(self, monkeypatch):
        self.calls: list[list[str]] = []
        real = ffmpeg.subprocess.Popen

        def recording(args, **kwargs):
            self.calls.append(list(args))
            return real(args, **kwargs)

        monkeypatch.setattr(ffmpeg.subprocess, "Popen", recording)


@pytest.mark.parametrize(("case", "message"), BAD, ids=[case for case, _ in BAD])
def test_bad_upload_is_a_clear_400_and_leaves_nothing(
    corpus, uploader, media_root, monkeypatch, django_capture_on_commit_callbacks, case, message
):
    spawned = _SpawnRecorder(monkeypatch)
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
    assert spawned.calls == []  # nothing decoded in a web request
    _assert_nothing_left(track, callbacks)


def _transcode_all(job_id: int) -> TranscodeJob:
    job = services.transcode_job_run(job_id=job_id)
    while job is not None and job.state == TranscodeJob.State.PENDING:
        job = services.transcode_job_run(job_id=job_id)
    return job


@pytest.mark.parametrize("case", DECODE_FAILS)
def test_damage_behind_intact_headers_fails_the_decode_and_never_plays(
    corpus, uploader, media_root, django_capture_on_commit_callbacks, case
):
    track = TrackFactory(markets=["SE"])
    name, content = corpus[case]
    with django_capture_on_commit_callbacks() as callbacks:
        response, _ = _upload(uploader, track, name, content)
    assert response.status_code == 202, response.content
    assert len(callbacks) == 1
    stored = TrackAudio.objects.get(track=track)
    assert stored.analysed_at is None
    job = _transcode_all(TranscodeJob.objects.get(track=track).pk)
    assert job.state == TranscodeJob.State.FAILED
    assert "corrupt" in job.error or "truncated" in job.error
    assert "/" not in job.error  # no server paths in a message shown to uploaders
    assert not Rendition.objects.filter(track=track, state=Rendition.State.READY).exists()


def test_the_stored_original_is_exactly_the_uploaded_bytes(
    corpus, uploader, media_root, django_capture_on_commit_callbacks
):
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks():
        assert _upload(uploader, track, "take.mp3", flac)[0].status_code == 202
    track.refresh_from_db()
    with default_storage.open(track.source_file.name, "rb") as handle:
        assert handle.read() == flac


def test_an_hour_of_silence_is_accepted_at_once_without_decoding(
    corpus, uploader, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    spawned = _SpawnRecorder(monkeypatch)
    _, silence = corpus["_silence"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response, seconds = _upload(uploader, track, "silence.flac", silence)
    assert response.status_code == 202, response.content
    assert seconds < SECONDS_PER_UPLOAD and spawned.calls == []
    assert len(callbacks) == 1  # the decode is the worker's
    assert TrackAudio.objects.get(track=track).duration_ms == 3_600_000


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
    name, content = corpus["truncated ogg"]
    with django_capture_on_commit_callbacks() as callbacks:
        assert _upload(uploader, track, name, content)[0].status_code == 400
    track.refresh_from_db()
    assert (track.source_file.name, track.source_sha256, stored_files("originals")) == before
    assert not callbacks


def test_ffmpeg_is_confined_to_the_file_and_runs_under_limits(
    corpus, uploader, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    spawned = _SpawnRecorder(monkeypatch)
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks():
        assert _upload(uploader, track, "a.flac", flac)[0].status_code == 202
    assert _transcode_all(TranscodeJob.objects.get(track=track).pk).state == "ready"
    assert len(spawned.calls) == 2  # one decode for each pass
    for args in spawned.calls:
        if Path(args[0]).name == "prlimit":
            assert any(a.startswith("--data=") for a in args)
            assert any(a.startswith("--cpu=") for a in args)
        position = args.index("-i")
        before_input = args[:position]
        assert before_input[before_input.index("-protocol_whitelist") + 1] == "file"
        assert before_input[before_input.index("-f") + 1] == "flac"
        assert args[position + 1].startswith("file:/")
        assert args.count("-i") == 1


def test_ffmpeg_unable_to_start_is_transient_and_retried(
    corpus, uploader, media_root, settings, django_capture_on_commit_callbacks
):
    _, flac = corpus["_flac"]
    track = TrackFactory()
    with django_capture_on_commit_callbacks():
        assert _upload(uploader, track, "a.flac", flac)[0].status_code == 202
    job = TranscodeJob.objects.get(track=track)
    settings.FFMPEG_MAX_DATA_MB = 8  # too little for ffmpeg even to start
    with pytest.raises(services.TranscodeInterrupted):
        services.transcode_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (TranscodeJob.State.PENDING, 1)  # not failed
    assert "could not start" in job.error or "killed" in job.error
    settings.FFMPEG_MAX_DATA_MB = 512
    assert _transcode_all(job.pk).state == TranscodeJob.State.READY
