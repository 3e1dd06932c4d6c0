"""The nightly run: started once per day, trained, planned in chunks of listeners."""

import datetime
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from recommendations.data import column_arrays
from recommendations.models import (
    PlaylistKind,
    RecommendationRun,
    RunChunk,
    StagedTrack,
    last_friday,
    week_start,
)

from .training import model_train

ACTIVE_STATES = (
    RecommendationRun.State.TRAINING,
    RecommendationRun.State.SCORING,
    RecommendationRun.State.SWAPPING,
)


def kinds_due(*, day: datetime.date) -> list[str]:
    """Playlist kinds not yet built for the edition `day` belongs to."""
    done = RecommendationRun.objects.filter(state=RecommendationRun.State.SUCCEEDED).exclude(
        day=day
    )
    due = []
    if not done.filter(discover_weekly=True, day__gte=week_start(day), day__lte=day).exists():
        due.append(PlaylistKind.DISCOVER_WEEKLY.value)
    if not done.filter(release_radar=True, day__gte=last_friday(day), day__lte=day).exists():
        due.append(PlaylistKind.RELEASE_RADAR.value)
    return due


def run_start(
    *,
    day: datetime.date | None = None,
    kinds: list[str] | None = None,
    force: bool = False,
    chunk_size: int | None = None,
    now: datetime.datetime | None = None,
) -> RecommendationRun | None:
    """Claim the run of `day` (default: today, UTC) and put it in TRAINING.

    Return None, changing nothing, when that day's run succeeded or is still within its
    deadline (unless `force`). A failed or lost run is taken over and starts afresh.
    `kinds` overrides which playlists are due; `chunk_size` the `CHUNK_SIZE` setting.
    """
    now = now or timezone.now()
    day = day or now.astimezone(datetime.UTC).date()
    with transaction.atomic():
        run, created = RecommendationRun.objects.select_for_update().get_or_create(day=day)
        if not created and not force:
            if run.state == RecommendationRun.State.SUCCEEDED:
                return None
            if run.state in ACTIVE_STATES and run.deadline_at and run.deadline_at > now:
                return None
        due = kinds_due(day=day) if kinds is None else kinds
        run.discover_weekly = PlaylistKind.DISCOVER_WEEKLY in due
        run.release_radar = PlaylistKind.RELEASE_RADAR in due
        run.state = RecommendationRun.State.TRAINING
        run.attempts += 1
        run.chunk_size = max(1, int(chunk_size or settings.RECOMMENDATIONS_CHUNK_SIZE))
        run.model_version = None
        run.chunks_total = run.chunks_done = run.listeners = 0
        run.counts, run.durations, run.metrics, run.error = {}, {}, {}, ""
        run.tuning = {}
        run.started_at, run.finished_at = now, None
        run.deadline_at = now + datetime.timedelta(
            seconds=settings.RECOMMENDATIONS_RUN_DEADLINE_SECONDS
        )
        run.save()
        RunChunk.objects.filter(run=run).delete()
        StagedTrack.objects.filter(run=run).delete()
    return run


def _run_locked(run_id: int, *states: str) -> RecommendationRun | None:
    return RecommendationRun.objects.select_for_update().filter(pk=run_id, state__in=states).first()


def run_hour_utc() -> int:
    """The hour (UTC) from which the hourly beat tick starts the night's run."""
    return settings.RECOMMENDATIONS_RUN_HOUR_UTC


def run_chunk_fail(*, chunk_id: int, error: str) -> None:
    run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    if run_id is not None:
        run_fail(run_id=run_id, error=f"chunk {chunk_id} failed: {error}")


def run_fail(*, run_id: int, error: str) -> None:
    RecommendationRun.objects.filter(pk=run_id).exclude(
        state=RecommendationRun.State.SUCCEEDED
    ).update(state=RecommendationRun.State.FAILED, error=error[:4000], finished_at=timezone.now())


def run_train(*, run_id: int) -> RecommendationRun | None:
    """Train the night's model and plan the chunks; None unless the run is TRAINING.

    Training happens outside any transaction (minutes at scale); the state is checked
    again before the result is recorded, so a run taken over meanwhile is left alone.
    """
    run = RecommendationRun.objects.filter(
        pk=run_id, state=RecommendationRun.State.TRAINING
    ).first()
    if run is None:
        return None
    started = time.monotonic()
    try:
        version = model_train(now=run.started_at)
    except Exception as exc:
        run_fail(run_id=run_id, error=f"training failed: {exc!r}")
        raise
    trained = time.monotonic() - started
    plan = _chunks_plan(run.chunk_size) if run.kinds else []
    with transaction.atomic():
        run = _run_locked(run_id, RecommendationRun.State.TRAINING)
        if run is None:
            return None
        run.model_version = version
        run.tuning = version.params.get("tuning", {})
        run.durations = {
            "load": round(version.params.get("stages", {}).get("load", 0.0), 3),
            "train": round(trained, 3),
            "plan": round(time.monotonic() - started - trained, 3),
        }
        RunChunk.objects.bulk_create(
            RunChunk(run=run, index=i, first_user_id=first, last_user_id=last, listeners=n)
            for i, (first, last, n) in enumerate(plan)
        )
        run.chunks_total = len(plan)
        run.listeners = sum(n for _, _, n in plan)
        if plan:
            run.state = RecommendationRun.State.SCORING
        else:
            run.state = RecommendationRun.State.SUCCEEDED
            run.finished_at = timezone.now()
        run.save()
    return run


def _chunks_plan(size: int) -> list[tuple[int, int, int]]:
    """(first id, last id, listeners) of consecutive id ranges of `size` listeners.

    The ranges cover every id, so a listener who joins meanwhile falls into one.
    """
    (ids,) = column_arrays(User.objects.filter(is_active=True), "id")
    ids.sort()
    parts = [ids[start : start + size] for start in range(0, len(ids), size)]
    plan, first = [], 0
    for i, part in enumerate(parts):
        last = int(part[-1]) if i < len(parts) - 1 else 2**62
        plan.append((first, last, len(part)))
        first = last + 1
    return plan


def run_pending_chunk_ids(*, run_id: int) -> list[int]:
    return list(
        RunChunk.objects.filter(run_id=run_id, state=RunChunk.State.PENDING)
        .order_by("index")
        .values_list("pk", flat=True)
    )
