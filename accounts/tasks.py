"""Celery tasks of accounts: thin, calling the services."""

from celery import shared_task

from accounts import services


@shared_task(acks_late=True, soft_time_limit=1500, time_limit=1800)
def sessions_expired_delete() -> int:
    """Daily: Django leaves expired session rows in place until something deletes them."""
    return services.sessions_expired_delete()
