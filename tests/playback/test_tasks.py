import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from mediatools.errors import ToolError
from playback import tasks
from playback.models import DailyTrackStreams, PlayEvent, Rendition, TranscodeJob
from playback.services import track_source_replace
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory, track_window_add
from tests.celery_broker import dispatching_to
from tests.playback.conftest import stored_files, uploaded
from tests.playback.factories import PlayEventFactory
from tests.processes import stop


def test_transcode_task_options():
    task = tasks.transcode_track
    assert task.acks_late and task.reject_on_worker_lost
    assert task.max_retries >= 1 and task.retry_backoff
    assert task.soft_time_limit < task.time_limit
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert task.time_limit < django_settings.TRANSCODE_STALE_AFTER_SECONDS < visibility


def test_beat_schedule_has_playback_tasks():
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "playback.tasks.transcode_requeue_stale",
        "playback.tasks.stream_counts_refresh",
    } <= scheduled


@pytest.mark.django_db
def test_transcode_task_is_idempotent(track, flac_path):
    job = track_source_replace(track=track, file=uploaded(flac_path))
    # First pass (default rendition), then the job queues itself for the others.
    assert tasks.transcode_track.delay(job.pk).get() == TranscodeJob.State.PENDING
    assert tasks.transcode_track.delay(job.pk).get() == TranscodeJob.State.READY
    files, rows = stored_files("renditions"), Rendition.objects.count()
    assert tasks.transcode_track.delay(job.pk).get() is None
    assert (stored_files("renditions"), Rendition.objects.count()) == (files, rows)


@pytest.mark.django_db
def test_transcode_task_retries_transient_errors_then_fails(
    track, flac_path, monkeypatch, settings
):
    settings.TRANSCODE_MAX_ATTEMPTS = 3
    job = track_source_replace(track=track, file=uploaded(flac_path))
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        raise ToolError("ffmpeg was killed")

    monkeypatch.setattr("playback.services.transcoding.transcode", flaky)
    for attempt in (1, 2):
        with pytest.raises(Retry):  # the job went back to PENDING; Celery retries later
            tasks.transcode_track.apply(args=[job.pk])
        job.refresh_from_db()
        assert (job.state, job.attempts) == (TranscodeJob.State.PENDING, attempt)
    assert tasks.transcode_track.apply(args=[job.pk]).get() == TranscodeJob.State.FAILED
    job.refresh_from_db()
    assert len(calls) == 3
    assert job.state == TranscodeJob.State.FAILED and "killed" in job.error
    track.refresh_from_db()
    assert track.source_file  # the original is kept for a later retry


@pytest.mark.django_db
def test_requeue_task_picks_up_job_of_killed_worker(
    track, flac_path, django_capture_on_commit_callbacks
):
    job = track_source_replace(track=track, file=uploaded(flac_path))
    # The worker claimed the job and died: RUNNING, deadline passed, message gone.
    TranscodeJob.objects.filter(pk=job.pk).update(
        state=TranscodeJob.State.RUNNING,
        attempts=1,
        deadline_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.transcode_requeue_stale.delay().get() == {"created": 0, "requeued": 1}
    job.refresh_from_db()
    assert job.state == TranscodeJob.State.READY
    assert Rendition.objects.filter(state=Rendition.State.READY).count() == 5


@pytest.mark.django_db
def test_sweep_queues_originals_set_by_the_catalog_import(
    flac_path, media_root, django_capture_on_commit_callbacks
):
    from django.core.files import File

    track = TrackFactory(source_sha256="f" * 64)  # as the catalog import leaves it
    with flac_path.open("rb") as handle:
        track.source_file.save("imported.flac", File(handle))
    TrackFactory()  # no source: nothing to do
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.transcode_requeue_stale.delay().get() == {"created": 1, "requeued": 0}
    job = TranscodeJob.objects.get()
    assert (job.track_id, job.state) == (track.pk, TranscodeJob.State.READY)
    assert track.audio.loudness_lufs is not None and track.audio.source_codec == "flac"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("queue_transcodes")
    assert TranscodeJob.objects.count() == 1


@pytest.mark.django_db
def test_stream_counts_refresh_task(track):
    PlayEventFactory(track=track, ms_played=45_000)
    assert tasks.stream_counts_refresh.delay().get() == 1
    assert DailyTrackStreams.objects.get().streams == 1


@pytest.mark.django_db
def test_load_demo_history_is_idempotent_and_builds_counts(capsys):
    for country in ("SE", "US", "BR"):
        UserFactory(country=country)
    licensed_since = timezone.now() - datetime.timedelta(days=30)
    for _ in range(12):
        track = TrackFactory()
        for country in ("SE", "US", "BR"):  # demo plays happen only where a track is licensed
            track_window_add(track, country, licensed_since)
    call_command("load_demo_history", events=3000, days=10)
    assert PlayEvent.objects.count() == 3000
    streams = list(DailyTrackStreams.objects.values_list("streams", flat=True))
    assert sum(streams) == PlayEvent.objects.filter(ms_played__gte=30_000).count()
    skips = PlayEvent.objects.filter(ms_played__lt=30_000).count()
    assert 0.1 < skips / 3000 < 0.35
    assert set(PlayEvent.objects.values_list("context_type", flat=True)) == set(
        PlayEvent.Context.values
    )
    call_command("load_demo_history", events=3000, days=10)
    assert PlayEvent.objects.count() == 3000
    assert "0 new play events" in capsys.readouterr().out
    call_command("rebuild_stream_counts", since=str(timezone.now().date()))
    assert sorted(DailyTrackStreams.objects.values_list("streams", flat=True)) == sorted(streams)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


FLAKY_FFMPEG = """#!/bin/sh
# ffmpeg that fails to start on its first run, as under memory pressure.
runs=$(cat "{counter}" 2>/dev/null || echo 0)
echo $((runs + 1)) > "{counter}"
if [ "$runs" -lt 1 ]; then
  echo "ffmpeg: error while loading shared libraries: libfake.so" >&2
  exit 127
fi
exec "{real}" "$@"
"""


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "flaky", [False, True], ids=["steady ffmpeg", "ffmpeg fails to start once"]
)
def test_real_worker_transcodes_an_upload(flac_path, media_root, tmp_path, settings, flaky):
    """A real `celery worker` process on Redis and the test database transcodes an upload;
    a tool that could not start is retried with backoff by the worker, not given up."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared PostgreSQL test database")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "streamify.settings.base",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": settings.SECRET_KEY,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    counter = tmp_path / "ffmpeg-runs"
    if flaky:
        from mediatools.ffmpeg import ffmpeg_binary

        wrapper = tmp_path / "ffmpeg"
        wrapper.write_text(FLAKY_FFMPEG.format(counter=counter, real=ffmpeg_binary()))
        wrapper.chmod(0o755)
        env["FFMPEG_BINARY"] = str(wrapper)
    with dispatching_to(redis_url) as app:
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "streamify", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
            cwd=Path(django_settings.BASE_DIR),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            with app.connection_for_write() as conn:
                app.control.purge(connection=conn)  # nothing left over from another run
            track = TrackFactory(markets=["SE"])
            uploader = UserFactory(is_staff=True, is_superuser=True)
            from rest_framework.test import APIClient

            client = APIClient()
            client.force_authenticate(uploader)
            response = client.post(
                f"/api/v1/tracks/{track.pk}/source",
                {"file": uploaded(flac_path)},
                format="multipart",
            )
            assert response.status_code == 202, response.content
            deadline = time.monotonic() + 240  # a retry waits up to 30 s (backoff with jitter)
            job = TranscodeJob.objects.get(track=track)
            while job.state not in ("ready", "failed") and time.monotonic() < deadline:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                time.sleep(0.2)
                job.refresh_from_db()
            assert job.state == TranscodeJob.State.READY, (tmp_path / "worker.log").read_text()
            assert job.attempts == 1  # of the last pass; a pass that made progress resets them
            if flaky:
                assert int(counter.read_text()) == 3  # failed start, first pass, second pass
            ready = Rendition.objects.filter(track=track, state=Rendition.State.READY)
            assert ready.count() == 5
            for rendition in ready:
                assert (media_root / rendition.file.name).stat().st_size == rendition.size_bytes
        finally:
            stop(worker)
            log.close()
