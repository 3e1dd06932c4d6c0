"""Catalog availability computed from rights, written through the catalog's writer."""

import datetime
from collections.abc import Collection

from django.db import connection, transaction

from catalog.availability import (
    AvailabilityWriteResult,
    track_availability_rebuild_swap,
    track_availability_write,
)
from catalog.models import Release, Track
from licensing import selectors

# Agreements changing the rights of more tracks than this refresh availability in a task.
SYNC_REFRESH_MAX_TRACKS = 5_000


def availability_refresh(
    *, label_ids: Collection[int] = (), release_ids: Collection[int] = ()
) -> AvailabilityWriteResult:
    """Recompute and write the availability of the releases of `label_ids` and `release_ids`.

    Idempotent (rows already right stay). Set-based; one transaction per chunk of tracks,
    savepoints inside the caller's transaction.
    """
    scope = selectors.release_scope(label_ids=label_ids, release_ids=release_ids)
    plan = selectors.availability_plan(scope=scope)
    scoped = list(Release.objects.filter(scope).values_list("id", flat=True))
    return track_availability_write(plan=plan, release_ids=scoped)


def availability_rebuild(
    *, swap: bool | None = None, chunk_tracks: int | None = None
) -> AvailabilityWriteResult:
    """Recompute the availability of every track from the rights and replace all of it.

    Tracks no active agreement covers end up with no availability. On PostgreSQL (outside a
    transaction) the new rows go into a new table swapped in at the end; elsewhere the rows
    are diffed chunk by chunk.
    """
    plan = selectors.availability_plan()
    if swap is None:
        swap = connection.vendor == "postgresql" and not connection.in_atomic_block
    options = {"chunk_tracks": chunk_tracks} if chunk_tracks else {}
    if swap:
        return track_availability_rebuild_swap(plan=plan, **options)
    return track_availability_write(plan=plan, **options)


def availability_refresh_recent(*, since: datetime.datetime) -> AvailabilityWriteResult:
    """Give tracks created since `since` their availability (catalog imports add tracks)."""
    release_ids = set(
        Track.objects.filter(created_at__gte=since).values_list("release_id", flat=True)
    )
    return availability_refresh(release_ids=release_ids)


def _availability_refresh_soon(*, label_ids: set[int], release_ids: set[int]) -> None:
    if not label_ids and not release_ids:
        return
    tracks = Track.objects.filter(
        release__in=Release.objects.filter(
            selectors.release_scope(label_ids=label_ids, release_ids=release_ids)
        )
    ).count()
    if tracks <= SYNC_REFRESH_MAX_TRACKS:
        availability_refresh(label_ids=label_ids, release_ids=release_ids)
        return
    from licensing import tasks  # tasks call services; a late import avoids the cycle

    labels, releases = sorted(label_ids), sorted(release_ids)
    transaction.on_commit(
        lambda: tasks.availability_refresh.delay(label_ids=labels, release_ids=releases)
    )
