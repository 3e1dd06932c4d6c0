"""Celery tasks of editorial: thin; the services they call re-check state under a row lock."""

from celery import shared_task

from editorial import services


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=50, time_limit=60)
def editorial_schedule_run() -> dict:
    """Publish and unpublish the playlists whose scheduled time has come (every minute)."""
    result = services.editorial_schedule_run()
    return {
        "published": result.published,
        "archived": result.archived,
        "returned": result.returned,
    }


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=480, time_limit=540)
def playlist_stats_refresh() -> int:
    """Rebuild the recent days of the per-playlist performance table."""
    return len(services.playlist_stats_refresh_recent())
