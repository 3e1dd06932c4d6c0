"""Originals, renditions and streams on S3-protocol object storage (django-storages)."""

import subprocess
from pathlib import Path

import pytest
import requests
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Track
from mediatools import ffmpeg as audio
from playback import services
from playback.models import RENDITION_PROFILES, Rendition, TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.storage.conftest import bucket_keys

pytestmark = pytest.mark.django_db

MULTIPART_THRESHOLD = 8 * 1024 * 1024  # boto3's default TransferConfig


def make_wav(path: Path, *, seconds: int, frequency: int = 440) -> Path:
    subprocess.run(
        [
            audio.ffmpeg_binary(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={frequency}:sample_rate=44100:duration={seconds}",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def large_wav(tmp_path_factory):
    """About 10.6 MB: above the multipart threshold, so it goes up in parts."""
    path = make_wav(tmp_path_factory.mktemp("s3") / "large.wav", seconds=60)
    assert path.stat().st_size > MULTIPART_THRESHOLD
    return path


@pytest.fixture(scope="module")
def small_wav(tmp_path_factory):
    return make_wav(tmp_path_factory.mktemp("s3") / "small.wav", seconds=3, frequency=660)


def upload(track, path, capture):
    file = SimpleUploadedFile(path.name, path.read_bytes(), "audio/wav")
    with capture(execute=True):  # commit hooks: eager transcode, old-file deletion
        job = services.track_source_replace(track=track, file=file)
    job.refresh_from_db()
    return job


def test_large_original_goes_up_in_parts_and_is_transcoded_through_the_bucket(
    bucket, s3_client, large_wav, django_capture_on_commit_callbacks
):
    track = TrackFactory(markets=["SE"])
    job = upload(track, large_wav, django_capture_on_commit_callbacks)
    assert job.state == TranscodeJob.State.READY, job.error
    track.refresh_from_db()
    head = s3_client.head_object(Bucket=bucket, Key=track.source_file.name)
    assert head["ContentLength"] == large_wav.stat().st_size
    assert head["ETag"].strip('"').endswith("-2"), "a multipart upload's ETag counts its parts"
    renditions = Rendition.objects.filter(track=track, state=Rendition.State.READY)
    assert renditions.count() == len(RENDITION_PROFILES)
    keys = bucket_keys(s3_client, bucket)
    assert {r.file.name for r in renditions} | {track.source_file.name} == keys
    for rendition in renditions:
        assert s3_client.head_object(Bucket=bucket, Key=rendition.file.name)["ContentLength"] == (
            rendition.size_bytes
        )
    with pytest.raises(NotImplementedError):
        default_storage.path(track.source_file.name)  # no local copy anywhere


def test_stream_redirects_to_a_presigned_url_that_serves_ranges(
    bucket, s3_client, small_wav, django_capture_on_commit_callbacks, settings
):
    # nginx fronting the media volume does not apply: the bucket sends the bytes.
    settings.STREAM_SIGNED_MEDIA = True
    settings.STREAM_SIGNED_MEDIA_SECRET = "x" * 40
    track = TrackFactory(markets=["SE"])
    upload(track, small_wav, django_capture_on_commit_callbacks)
    listener = UserFactory(country="SE")
    client = APIClient()
    client.force_authenticate(listener)
    issued = services.stream_url_issue(
        user=listener, track_id=track.pk, codecs=["opus"], quality="high"
    )
    assert issued.media_path is None
    rendition = issued.rendition
    whole = s3_client.get_object(Bucket=bucket, Key=rendition.file.name)["Body"].read()

    response = client.get(reverse("playback:stream", args=[issued.token]))
    assert response.status_code == 302
    location = response["Location"]
    assert bucket in location and "Signature" in location and "Expires" in location

    part = requests.get(location, headers={"Range": "bytes=100-1123"}, timeout=10)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1123/{len(whole)}"
    assert part.content == whole[100:1124]
    assert part.headers["Content-Type"] == rendition.mime_type
    tail = requests.get(location, headers={"Range": "bytes=-500"}, timeout=10)
    assert (tail.status_code, tail.content) == (206, whole[-500:])
    beyond = requests.get(location, headers={"Range": f"bytes={len(whole) + 10}-"}, timeout=10)
    assert beyond.status_code == 416


def test_replacing_and_deleting_remove_the_files_from_the_bucket(
    bucket, s3_client, small_wav, large_wav, django_capture_on_commit_callbacks
):
    track = TrackFactory(markets=["SE"])
    upload(track, small_wav, django_capture_on_commit_callbacks)
    track.refresh_from_db()
    first = bucket_keys(s3_client, bucket)
    old_original = track.source_file.name

    upload(track, large_wav, django_capture_on_commit_callbacks)
    track.refresh_from_db()
    now = bucket_keys(s3_client, bucket)
    assert old_original not in now
    assert not (first & now), "the old original and its renditions are gone"
    assert len(now) == 1 + len(RENDITION_PROFILES)

    with django_capture_on_commit_callbacks(execute=True):
        Track.objects.get(pk=track.pk).delete()
    assert bucket_keys(s3_client, bucket) == set()
