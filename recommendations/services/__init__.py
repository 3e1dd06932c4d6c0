"""Writes of recommendations: train a model, run the nightly rebuild, swap the playlists.

The nightly rebuild of a day is one `RecommendationRun`, driven through its states:

    run_start      PENDING/FAILED/lost -> TRAINING   (None when the day is done or running)
    run_train      TRAINING -> SCORING  (trains one ModelVersion, plans the chunks)
    run_chunk_score  one chunk of listeners -> StagedTrack rows; the last chunk moves the
                   run to SWAPPING
    run_finish     SWAPPING -> SUCCEEDED: every due playlist swapped in one transaction

Each step re-reads the run and returns quietly when its state says there is nothing to do,
so a task delivered twice, or a night run twice, changes nothing. Discover Weekly is due
once per ISO week (normally Monday night), Release Radar once from each Friday on; a run
missed on its night is caught up by the next one.

Submodules: training, runs (start, train, plan), scoring (chunks), swap (finish),
pipeline (the synchronous run), availability (same-day fixes of personalised playlists).
This package re-exports their public names, so callers keep writing
`from recommendations import services` and `services.run_start(...)`.
"""

from .availability import personalised_playlists_refresh_availability
from .pipeline import nightly_run_sync
from .runs import (
    ACTIVE_STATES,
    kinds_due,
    run_chunk_fail,
    run_fail,
    run_hour_utc,
    run_pending_chunk_ids,
    run_start,
    run_train,
)
from .scoring import run_chunk_score, scoring_context
from .swap import PLAYLIST_TEXTS, run_finish
from .training import (
    als_params,
    discover_weekly_arrays,
    discover_weekly_fit,
    evaluation_fresh,
    factors_fit,
    model_train,
    model_versions_prune,
    primary_artists,
    training_interactions,
)

__all__ = [
    "ACTIVE_STATES",
    "PLAYLIST_TEXTS",
    "als_params",
    "discover_weekly_arrays",
    "discover_weekly_fit",
    "evaluation_fresh",
    "factors_fit",
    "kinds_due",
    "model_train",
    "model_versions_prune",
    "nightly_run_sync",
    "personalised_playlists_refresh_availability",
    "primary_artists",
    "run_chunk_fail",
    "run_chunk_score",
    "run_fail",
    "run_finish",
    "run_hour_utc",
    "run_pending_chunk_ids",
    "run_start",
    "run_train",
    "scoring_context",
    "training_interactions",
]
