import datetime

import pytest
from django.utils import timezone

from playback import selectors, services
from playback.models import DEFAULT_PROFILE, Rendition, StreamGrantDay, TrackAudio, TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.playback.conftest import uploaded
from tests.playback.factories import RenditionFactory

pytestmark = pytest.mark.django_db


def test_progress_follows_the_transcode(track, flac_path, mp3_path, django_assert_num_queries):
    TrackFactory()  # no audio delivered: not counted
    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    broken = TrackFactory()
    failed = services.track_source_replace(track=broken, file=uploaded(mp3_path))
    TranscodeJob.objects.filter(pk=failed.pk).update(
        state=TranscodeJob.State.FAILED, error="The audio is corrupt"
    )
    with django_assert_num_queries(1):
        progress = selectors.transcode_progress()
    assert (progress.total, progress.ready, progress.failed, progress.pending) == (2, 0, 1, 1)
    assert str(progress) == "0 of 2 tracks ready, 1 failed, 1 pending"

    # First pass: the default rendition, so the track plays before the others exist.
    assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.PENDING
    ready = Rendition.objects.filter(track=track, state=Rendition.State.READY)
    assert list(ready.values_list("profile", flat=True)) == [DEFAULT_PROFILE]
    progress = selectors.transcode_progress()
    assert (progress.ready, progress.complete, progress.pending) == (1, 0, 0)

    assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.READY
    assert ready.count() == 5
    progress = selectors.transcode_progress()
    assert (progress.total, progress.ready, progress.complete) == (2, 1, 1)
    assert str(progress) == "1 of 2 tracks ready, 1 failed"


def test_progress_for_the_console_and_the_player(track, flac_path, client):
    from io import StringIO

    from django.core.management import call_command

    from tests.accounts.factories import UserFactory

    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    out = StringIO()
    call_command("transcode_progress", stdout=out)
    assert out.getvalue().strip() == "Transcoding: 0 of 1 tracks ready, 1 pending"

    assert client.get("/player/progress.json").status_code == 401
    client.force_login(UserFactory())
    services.transcode_job_run(job_id=job.pk)  # the default rendition: it plays now
    body = client.get("/player/progress.json").json()
    assert body == {"total": 1, "ready": 1, "complete": 0, "failed": 0, "pending": 0}

    services.transcode_job_run(job_id=job.pk)
    out = StringIO()
    call_command("transcode_progress", stdout=out)
    assert out.getvalue().strip() == "Transcoding: all 1 tracks ready in every quality"


def test_the_stream_check_is_one_query_with_the_listeners_market(django_assert_num_queries):
    rendition = RenditionFactory(track=TrackFactory(markets=["SE"]))
    listener, elsewhere = UserFactory(country="SE"), UserFactory(country="NO")
    gone = UserFactory(country="SE", is_active=False)

    def check(user):
        return selectors.rendition_for_stream(
            rendition_id=rendition.pk, track_id=rendition.track_id, user_id=user.pk
        )

    with django_assert_num_queries(1):
        found = check(listener)
    assert (found.pk, found.file.name, found.sha256) == (
        rendition.pk,
        rendition.file.name,
        rendition.sha256,
    )
    assert (found.listener_country, found.playable) == ("SE", True)
    assert (check(elsewhere).listener_country, check(elsewhere).playable) == ("NO", False)
    assert check(gone).listener_country is None
    Rendition.objects.filter(pk=rendition.pk).update(state=Rendition.State.FAILED)
    assert check(listener) is None


def test_stream_facts_read_what_issuing_needs_in_one_query(django_assert_num_queries):
    track = TrackFactory(markets=["SE"])
    ready = [RenditionFactory(track=track, profile=p) for p in ("opus_96", "opus_160", "mp3_320")]
    RenditionFactory(track=track, profile="aac_128", state=Rendition.State.FAILED)
    RenditionFactory(track=TrackFactory(release=track.release, markets=["SE"]))
    listener = UserFactory(country="SE")
    today = timezone.now().astimezone(datetime.UTC).date()

    def facts(**overrides):
        arguments = {"track_id": track.pk, "market": "SE", "user_id": listener.pk, "day": today}
        return selectors.stream_facts(**(arguments | overrides))

    with django_assert_num_queries(1):
        found = facts()
    assert (found.playable, found.granted) == (True, False)
    assert sorted((r.pk, r.profile, r.file.name, r.sha256) for r in found.ready) == sorted(
        (r.pk, r.profile, r.file.name, r.sha256) for r in ready
    )
    assert found.loudness == selectors.LOUDNESS_UNKNOWN
    assert facts(market="NO").playable is False
    assert facts(track_id=track.pk + 1000) is None

    services.stream_grant_record(user_id=listener.pk, track_id=track.pk, day=today)
    services.stream_grant_record(user_id=listener.pk, track_id=track.pk, day=today)  # no-op
    assert StreamGrantDay.objects.filter(user=listener, track=track).count() == 1
    assert facts().granted is True
    assert facts(day=today + datetime.timedelta(days=1)).granted is False
    assert facts(user_id=UserFactory(country="SE").pk).granted is False

    Rendition.objects.filter(track=track).update(state=Rendition.State.FAILED)
    assert facts().ready == []


def test_stream_facts_loudness_is_loudness_of():
    track = TrackFactory(markets=["SE"])
    siblings = [TrackFactory(release=track.release) for _ in range(3)]
    TrackAudio.objects.create(track=siblings[0], duration_ms=200_000, loudness_lufs=-11.3)
    listener = UserFactory(country="SE")
    today = timezone.now().astimezone(datetime.UTC).date()

    def loudness():
        facts = selectors.stream_facts(
            track_id=track.pk, market="SE", user_id=listener.pk, day=today
        )
        expected = selectors.loudness_of(track_ids=[track.pk]).get(track.pk)
        return facts.loudness, expected or selectors.LOUDNESS_UNKNOWN

    found, expected = loudness()  # the track itself not analysed: nothing, as loudness_of
    assert found == expected == selectors.LOUDNESS_UNKNOWN
    TrackAudio.objects.create(
        track=track, duration_ms=180_000, loudness_lufs=-7.9, true_peak_dbtp=-0.4
    )
    TrackAudio.objects.create(
        track=siblings[1], duration_ms=0, loudness_lufs=-23.0, true_peak_dbtp=-3.0
    )
    TrackAudio.objects.create(track=siblings[2], duration_ms=90_000)  # not analysed
    found, expected = loudness()
    assert found == expected
    assert found.integrated_lufs == -7.9 and found.album_true_peak_dbtp == -0.4
    assert found.album_integrated_lufs is not None
