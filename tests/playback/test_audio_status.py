"""A track whose audio is still being made, failed, or missing says so in the API
(`is_playable: false` with the reason), on the object path and on the list path, and plays
once its first rendition is ready. The status moves with the real transcode services."""

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from catalog.models import Track
from playback import services
from playback.models import TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.playback.conftest import uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    client = APIClient()
    client.force_authenticate(UserFactory(country="SE"))
    return client


def seen(client, track) -> list[tuple]:
    """(is_playable, reason) from the track object, the tracks list and the album's tracks."""
    one = client.get(f"/api/v1/tracks/{track.pk}", {"market": "SE"}).json()
    several = client.get("/api/v1/tracks", {"ids": track.pk, "market": "SE"}).json()["tracks"][0]
    album = client.get(f"/api/v1/albums/{track.release_id}/tracks", {"market": "SE"}).json()
    listed = next(t for t in album["items"] if t["id"] == str(track.pk))
    return [
        (t["is_playable"], t.get("restrictions", {}).get("reason")) for t in (one, several, listed)
    ]


def test_the_reason_follows_the_audio_from_upload_to_ready(client, flac_path):
    track = TrackFactory(markets=["SE"], audio_status=Track.AudioStatus.NONE)
    assert seen(client, track) == [(False, "no_audio")] * 3

    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    track.refresh_from_db()
    assert track.audio_status == "processing"
    assert seen(client, track) == [(False, "processing")] * 3

    while job is not None and job.state != TranscodeJob.State.READY:
        job = services.transcode_job_run(job_id=job.pk)
    track.refresh_from_db()
    assert track.audio_status == "ready"
    assert seen(client, track) == [(True, None)] * 3


def test_a_failed_transcode_says_failed_and_a_retry_brings_it_back(
    client, flac_path, django_capture_on_commit_callbacks
):
    track = TrackFactory(markets=["SE"], audio_status=Track.AudioStatus.NONE)
    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    track.refresh_from_db()
    original = default_storage.path(track.source_file.name)
    good = open(original, "rb").read()  # noqa: SIM115
    with open(original, "r+b") as handle:  # corrupted in storage
        handle.seek(len(good) // 2)
        handle.write(b"\xff" * 4000)
    assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.FAILED
    assert seen(client, track) == [(False, "failed")] * 3

    with open(original, "wb") as handle:
        handle.write(good)
    with django_capture_on_commit_callbacks(execute=True):
        services.transcode_job_retry(job=job)  # eager Celery runs it on commit
    assert seen(client, track) == [(True, None)] * 3


def test_an_unlicensed_track_says_market_whatever_its_audio(client):
    track = TrackFactory(markets=["NO"], audio_status=Track.AudioStatus.PROCESSING)
    assert seen(client, track) == [(False, "market")] * 3


def test_the_catalogue_import_path_marks_its_tracks_processing(client, flac_path):
    """Originals set by the catalogue import get their job from the sweep, and say so."""
    track = TrackFactory(markets=["SE"], audio_status=Track.AudioStatus.NONE)
    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    TranscodeJob.objects.filter(pk=job.pk).delete()
    Track.objects.filter(pk=track.pk).update(audio_status=Track.AudioStatus.NONE)
    assert services.transcode_jobs_create_missing() == 1
    track.refresh_from_db()
    assert track.audio_status == "processing"
