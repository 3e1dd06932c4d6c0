"""Celery tasks of playback: thin, by id, state-guarded in the services they call.

Time limits stay below the broker's visibility timeout (3600 s) and below
TRANSCODE_STALE_AFTER_SECONDS, after which a RUNNING job counts as lost and is re-queued.
"""

from celery import shared_task
from django.conf import settings

from playback import partitions, services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.TranscodeInterrupted,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=4,
    soft_time_limit=1080,
    time_limit=1200,
)
def transcode_track(job_id: int) -> str | None:
    job = services.transcode_job_run(job_id=job_id)
    return job.state if job is not None else None


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def transcode_requeue_stale() -> dict[str, int]:
    return services.transcode_jobs_sweep()


@shared_task(acks_late=True, soft_time_limit=480, time_limit=540)
def stream_counts_refresh() -> int:
    days = services.stream_counts_refresh_recent()
    services.track_popularity_refresh()
    return len(days)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def play_event_partitions_ensure() -> list[str]:
    return partitions.play_event_partitions_ensure(
        months_ahead=settings.PLAY_EVENT_PARTITIONS_AHEAD_MONTHS
    )
