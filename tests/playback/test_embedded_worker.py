"""`make run`'s embedded broker: a real prefork worker on kombu's filesystem transport.

The whole worker (parent and pool) is killed mid-transcode; the message it held is gone
with it, as when a production worker node is lost. The job's state in the database lets
the periodic sweep (beat's `transcode_requeue_stale`) queue it again, and the job
completes once a worker is back.
"""

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from playback import services
from playback.models import Rendition, TranscodeJob
from tests.catalog.factories import TrackFactory
from tests.celery_broker import dispatching_to
from tests.playback.conftest import make_audio, uploaded
from tests.processes import stop


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "streamify", "worker", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed with its pool children
    )  # fmt: skip


def _wait_for(job: TranscodeJob, states: set[str], worker, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return
        assert worker.poll() is None, log.read_text()
        time.sleep(0.1)
    pytest.fail(f"job stayed {job.state}, wanted {states}:\n{log.read_text()}")


@pytest.mark.django_db(transaction=True)
def test_killed_embedded_worker_job_completes_when_a_worker_is_back(media_root, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared PostgreSQL test database")
    broker = tmp_path / "broker"
    for folder in ("queue", "control"):
        (broker / folder).mkdir(parents=True)
    options = {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "control_folder": str(broker / "control"),
        "store_processed": False,
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "streamify.settings.base",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": settings.SECRET_KEY,
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_FOLDER": str(broker),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "REDIS_URL": "",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "worker.log"
    # Long enough to be caught mid-transcode: five renditions of a minute of audio.
    source = make_audio(tmp_path / "long.flac", seconds=60)
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(dispatching_to("filesystem://", broker_transport_options=options))
        first = _start_worker(env, log)
        cleanup.callback(stop, first, timeout=20, group=True)
        track = TrackFactory(markets=["SE"])
        job = services.track_source_replace(track=track, file=uploaded(source))
        _wait_for(job, {TranscodeJob.State.RUNNING}, first, log, 60)
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, not just a pool child
        first.wait(timeout=10)
        job.refresh_from_db()
        assert job.state == TranscodeJob.State.RUNNING  # nobody finished it
        assert not any((broker / "queue").iterdir())  # and its message died with the worker

        second = _start_worker(env, log)
        cleanup.callback(stop, second, timeout=20, group=True)
        # What beat's sweep does once the job is past its deadline.
        swept = services.transcode_jobs_sweep(now=job.deadline_at + datetime.timedelta(seconds=1))
        assert swept["requeued"] == 1
        _wait_for(job, {TranscodeJob.State.READY, TranscodeJob.State.FAILED}, second, log, 180)
        assert job.state == TranscodeJob.State.READY, log.read_text()
        # No exact count: a pass that made progress starts the count afresh, and how many
        # passes the first worker finished before it was killed depends on timing.
        assert 1 <= job.attempts <= django_settings.TRANSCODE_MAX_ATTEMPTS
        ready = Rendition.objects.filter(track=track, state=Rendition.State.READY)
        assert ready.count() == len(Rendition.Profile)
