import time

import pytest
from django.conf import settings as django_settings

from catalog.models import PlaylistItem
from recommendations import scoring, tasks
from recommendations.models import PersonalisedPlaylist, RecommendationRun
from tests.recommendations.factories import build_world
from tests.recommendations.worker import celery_worker

PIPELINE = [
    tasks.recommendations_train,
    tasks.recommendations_score_chunk,
    tasks.recommendations_finish,
]


def test_task_options():
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in PIPELINE:
        assert task.acks_late and task.reject_on_worker_lost
        assert task.soft_time_limit < task.time_limit < visibility
        assert task.max_retries >= 1


def test_beat_schedule_runs_the_nightly_task():
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "recommendations.tasks.recommendations_nightly" in scheduled


@pytest.mark.django_db
def test_nightly_task_runs_the_pipeline_once_per_day():
    world = build_world(clusters=2, listeners_per_cluster=6)
    run_id = tasks.recommendations_nightly.delay().get()

    run = RecommendationRun.objects.get(pk=run_id)
    assert run.state == RecommendationRun.State.SUCCEEDED
    assert run.chunks_done == run.chunks_total == 2
    assert PersonalisedPlaylist.objects.filter(kind="discover_weekly").count() == 12
    assert tasks.recommendations_nightly.delay().get() is None
    assert tasks.recommendations_rebuild.delay().get() is None
    assert RecommendationRun.objects.count() == 1
    assert len(world.listeners) == 12


@pytest.mark.django_db
def test_nightly_task_waits_for_its_hour(settings):
    settings.RECOMMENDATIONS_RUN_HOUR_UTC = 24
    assert tasks.recommendations_nightly.delay().get() is None
    assert not RecommendationRun.objects.exists()


@pytest.mark.django_db
def test_a_failing_chunk_fails_the_run(monkeypatch):
    build_world(clusters=2, listeners_per_cluster=6)

    def broken(*args, **kwargs):
        raise ValueError("bad data")

    monkeypatch.setattr(scoring, "chunk_recommend", broken)
    monkeypatch.setattr("recommendations.services.scoring.chunk_recommend", broken)
    with pytest.raises(ValueError):
        tasks.recommendations_rebuild.delay(kinds=["discover_weekly"]).get()
    run = RecommendationRun.objects.get()
    assert run.state == RecommendationRun.State.FAILED and "bad data" in run.error
    assert not PersonalisedPlaylist.objects.exists()
    monkeypatch.undo()
    # The next tick takes the failed day over.
    assert tasks.recommendations_rebuild.delay(kinds=["discover_weekly"]).get() == run.pk
    run.refresh_from_db()
    assert run.state == RecommendationRun.State.SUCCEEDED and run.attempts == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_small_nightly_rebuild(tmp_path):
    """A real worker process on Redis and the test database runs the whole pipeline."""
    world = build_world(clusters=4, listeners_per_cluster=5)
    log_path = tmp_path / "worker.log"
    with celery_worker(log_path) as (queue, worker):
        tasks.recommendations_rebuild.apply_async(kwargs={"chunk_size": 6}, queue=queue)
        deadline = time.monotonic() + 120
        run = None
        while time.monotonic() < deadline:
            assert worker.poll() is None, log_path.read_text()
            run = RecommendationRun.objects.first()
            if run is not None and run.state in ("succeeded", "failed"):
                break
            time.sleep(0.3)
        assert run is not None and run.state == "succeeded", (
            run and run.error,
            log_path.read_text(),
        )
    assert run.chunks_done == run.chunks_total == 4  # 20 listeners, 6 per chunk
    assert run.model_version.state == "ready"
    for user in world.listeners:
        playlist = PersonalisedPlaylist.objects.get(user=user, kind="discover_weekly").playlist
        assert PlaylistItem.objects.filter(playlist=playlist).count() == 30
