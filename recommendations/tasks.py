"""Celery tasks of the nightly rebuild: thin, by id, state-guarded in the services.

recommendations_nightly (beat, hourly; starts the day's run from RUN_HOUR_UTC on) or
recommendations_rebuild (on demand) -> recommendations_train -> a group of
recommendations_score_chunk -> the last chunk queues recommendations_finish.
The result backend is off, so chunks count themselves done in the database instead of a
chord. Each task queues the next on the queue it came from (a dedicated worker pool for
recommendations just listens there). Time limits stay below the broker's visibility
timeout (3600 s).
"""

from celery import group, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from recommendations import services

TRANSIENT = (OperationalError, InterfaceError)


def _queue(task) -> dict:
    """apply_async options that keep the pipeline on the queue `task` was taken from."""
    info = task.request.delivery_info or {}
    queue = info.get("routing_key")
    return {"queue": queue} if queue and not task.request.is_eager else {}


@shared_task(bind=True, acks_late=True, soft_time_limit=60, time_limit=90)
def recommendations_nightly(self) -> int | None:
    """Start today's run once the configured hour (UTC) has come; else do nothing."""
    if timezone.now().hour < services.run_hour_utc():
        return None
    run = services.run_start()
    if run is None:
        return None
    recommendations_train.apply_async((run.pk,), **_queue(self))
    return run.pk


@shared_task(bind=True, acks_late=True, soft_time_limit=60, time_limit=90)
def recommendations_rebuild(
    self, kinds: list[str] | None = None, force: bool = False, chunk_size: int | None = None
) -> int | None:
    """Start today's run now (whatever the hour); `force` rebuilds a finished day."""
    run = services.run_start(kinds=kinds, force=force, chunk_size=chunk_size)
    if run is None:
        return None
    recommendations_train.apply_async((run.pk,), **_queue(self))
    return run.pk


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=3,
    soft_time_limit=2700,
    time_limit=3000,
)
def recommendations_train(self, run_id: int) -> int:
    run = services.run_train(run_id=run_id)
    if run is None or run.state != run.State.SCORING:
        return 0
    chunk_ids = services.run_pending_chunk_ids(run_id=run.pk)
    group(recommendations_score_chunk.si(chunk_id) for chunk_id in chunk_ids).apply_async(
        **_queue(self)
    )
    return len(chunk_ids)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    max_retries=5,
    soft_time_limit=1500,
    time_limit=1800,
)
def recommendations_score_chunk(self, chunk_id: int) -> bool:
    try:
        run = services.run_chunk_score(chunk_id=chunk_id)
    except TRANSIENT:
        raise
    except Exception as exc:
        services.run_chunk_fail(chunk_id=chunk_id, error=repr(exc))
        raise
    if run is not None:
        recommendations_finish.apply_async((run.pk,), **_queue(self))
    return run is not None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=3,
    soft_time_limit=2700,
    time_limit=3000,
)
def recommendations_finish(run_id: int) -> str | None:
    try:
        run = services.run_finish(run_id=run_id)
    except TRANSIENT:
        raise
    except Exception as exc:
        services.run_fail(run_id=run_id, error=f"swap failed: {exc!r}")
        raise
    return run.state if run is not None else None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def personalised_playlists_refresh_availability() -> dict:
    """Beat, every few minutes: withdrawn tracks leave personalised playlists the same day."""
    return services.personalised_playlists_refresh_availability()
