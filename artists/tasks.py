"""Celery tasks of the artists app: thin; the services upsert, so reruns are harmless."""

import datetime

from celery import shared_task

from artists import services


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=840, time_limit=900)
def insights_refresh() -> int:
    """Rebuild the recent days of the insights aggregates (every 10 minutes)."""
    return len(services.insights_refresh_recent())


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=840,
    time_limit=900,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def insights_build_day(day: str) -> dict:
    """Rebuild one UTC day (ISO date), e.g. after late plays were loaded."""
    return services.insights_build_day(day=datetime.date.fromisoformat(day))
