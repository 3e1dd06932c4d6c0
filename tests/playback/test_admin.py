import pytest
from django.urls import reverse

from playback.models import Rendition, TranscodeJob
from tests.catalog.factories import TrackFactory
from tests.playback.conftest import uploaded
from tests.playback.factories import PlayEventFactory, RenditionFactory

pytestmark = pytest.mark.django_db


def inline_management(**extra):
    data = {}
    for prefix in ("renditions", "transcode_jobs"):
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = "0"
    return data | extra


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize(
    "model",
    ["rendition", "transcodejob", "playevent", "dailytrackstreams", "dailylistenertrack",
     "trackaudio", "tracksource"],
)  # fmt: skip
def test_changelists_render(admin_client, model):
    RenditionFactory()
    PlayEventFactory()
    response = admin_client.get(reverse(f"admin:playback_{model}_changelist"))
    assert response.status_code == 200


def test_play_events_are_read_only(admin_client):
    event = PlayEventFactory()
    assert admin_client.get(reverse("admin:playback_playevent_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:playback_playevent_change", args=[event.pk]), {"ms_played": 1}
    )
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.ms_played == 180_000


def test_upload_source_in_admin_queues_transcode(
    admin_client, flac_path, django_capture_on_commit_callbacks
):
    track = TrackFactory()
    url = reverse("admin:playback_tracksource_change", args=[track.pk])
    assert admin_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, inline_management(upload=uploaded(flac_path)))
    assert response.status_code == 302, response.content.decode()[:2000]
    track.refresh_from_db()
    assert track.source_file.name.startswith("originals/")
    assert TranscodeJob.objects.get(track=track).state == TranscodeJob.State.READY
    assert Rendition.objects.filter(track=track, state="ready").count() == 5


def test_bad_upload_in_admin_is_a_form_error(admin_client, tmp_path):
    track = TrackFactory()
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF" + b"\x00" * 100)
    url = reverse("admin:playback_tracksource_change", args=[track.pk])
    response = admin_client.post(url, inline_management(upload=uploaded(path)))
    assert response.status_code == 200
    assert "Invalid audio file" in response.content.decode()
    track.refresh_from_db()
    assert not track.source_file


def test_retry_failed_action(admin_client, django_capture_on_commit_callbacks, flac_path):
    from playback.services import track_source_replace

    track = TrackFactory()
    job = track_source_replace(track=track, file=uploaded(flac_path))
    TranscodeJob.objects.filter(pk=job.pk).update(state="failed", error="boom")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:playback_transcodejob_changelist"),
            {"action": "retry_failed", "_selected_action": [job.pk]},
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == TranscodeJob.State.READY
