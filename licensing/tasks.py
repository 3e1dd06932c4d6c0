"""Celery tasks of licensing: thin, idempotent, arguments are ids and ISO dates.

Time limits stay below the broker's visibility timeout (3600 s).
"""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from licensing import services

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 4,
}


@shared_task(
    acks_late=True, reject_on_worker_lost=True, soft_time_limit=1500, time_limit=1620, **_RETRY
)
def availability_refresh(label_ids: list[int], release_ids: list[int]) -> int:
    return services.availability_refresh(label_ids=label_ids, release_ids=release_ids).created


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3000, time_limit=3300)
def availability_rebuild() -> int:
    return services.availability_rebuild().created


@shared_task(acks_late=True, soft_time_limit=480, time_limit=540, **_RETRY)
def availability_refresh_recent(hours: int = 2) -> int:
    since = timezone.now() - datetime.timedelta(hours=hours)
    return services.availability_refresh_recent(since=since).created


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3000, time_limit=3300)
def royalty_statements_issue_month(month: str | None = None) -> int:
    """Issue the statements of `month` (YYYY-MM-DD), by default of the month before today."""
    if month is None:
        day = timezone.now().date().replace(day=1) - datetime.timedelta(days=1)
    else:
        day = datetime.date.fromisoformat(month)
    return len(services.royalty_statements_issue_month(month=day))
