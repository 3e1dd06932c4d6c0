"""The whole nightly run in one process (management command, tests)."""

import datetime
from collections.abc import Callable

from recommendations import als
from recommendations.models import RecommendationRun

from .runs import run_fail, run_pending_chunk_ids, run_start, run_train
from .scoring import run_chunk_score
from .swap import run_finish


def nightly_run_sync(
    *,
    day: datetime.date | None = None,
    kinds: list[str] | None = None,
    force: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> RecommendationRun | None:
    """Run the whole nightly rebuild in this process; None when the day needs nothing."""
    run = run_start(day=day, kinds=kinds, force=force)
    if run is None:
        return None
    try:
        run = run_train(run_id=run.pk)
        if on_stage:
            on_stage("trained")
        if run is None or run.state != RecommendationRun.State.SCORING:
            return run
        for chunk_id in run_pending_chunk_ids(run_id=run.pk):
            run_chunk_score(chunk_id=chunk_id, blas_threads=als.cpu_count())
        if on_stage:
            on_stage("scored")
        return run_finish(run_id=run.pk)
    except Exception as exc:
        run_fail(run_id=run.pk, error=repr(exc))
        raise
