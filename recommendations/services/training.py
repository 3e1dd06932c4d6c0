"""Training: interactions from listening history, ALS factors, model versions."""

import datetime
import time

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.utils import timezone

from catalog.models import TrackArtist
from playback.models import DailyListenerTrack
from recommendations import als, discover
from recommendations.data import column_arrays
from recommendations.models import ModelVersion
from recommendations.synthetic import ListeningLog


def als_params() -> als.AlsParams:
    return als.AlsParams.from_dict(
        {
            **settings.RECOMMENDATIONS_ALS,
            "backend": settings.RECOMMENDATIONS_ALS_BACKEND,
            "spark_master": settings.RECOMMENDATIONS_SPARK_MASTER,
            "spark_memory": settings.RECOMMENDATIONS_SPARK_MEMORY,
        }
    )


def training_interactions(
    *, before: datetime.date | None = None, params: als.AlsParams | None = None
) -> als.Interactions:
    """Every listener's plays (optionally only days before `before`), one read."""
    params = params or als_params()
    rows = DailyListenerTrack.objects.all()
    if before is not None:
        rows = rows.filter(day__lt=before)
    users, tracks, streams, skips = column_arrays(rows, "user_id", "track_id", "streams", "skips")
    return als.interactions_build(
        users=users, tracks=tracks, streams=streams, skips=skips, params=params
    )


def primary_artists(track_ids: np.ndarray) -> np.ndarray:
    """The primary artist id of each track (-1: none), lowest credit position first."""
    credit_tracks, credit_artists, credit_positions = column_arrays(
        TrackArtist.objects.filter(role=TrackArtist.Role.PRIMARY),
        "track_id",
        "artist_id",
        "position",
    )
    result = np.full(len(track_ids), -1, dtype=np.int64)
    if not len(credit_tracks) or not len(track_ids):
        return result
    order = np.lexsort((-credit_positions, credit_tracks))  # last per track = lowest position
    credit_tracks, credit_artists = credit_tracks[order], credit_artists[order]
    where = np.searchsorted(credit_tracks, track_ids, side="right") - 1
    ok = (where >= 0) & (credit_tracks[where.clip(0)] == track_ids)
    result[ok] = credit_artists[where[ok]]
    return result


def factors_fit(interactions: als.Interactions, params: als.AlsParams) -> als.Factors:
    user_factors, track_factors = als.train(interactions, params)
    listeners = np.diff(interactions.weights.tocsc().indptr).astype(np.int64)
    artist_ids, artist_factors, artist_listeners = als.artist_factors_build(
        track_factors=track_factors,
        track_artists=primary_artists(interactions.track_ids),
        track_listeners=listeners,
    )
    related_index, related_scores = als.related_artists_build(
        artist_factors=artist_factors, artist_listeners=artist_listeners, params=params
    )
    return als.Factors(
        user_ids=interactions.user_ids,
        user_factors=user_factors,
        track_ids=interactions.track_ids,
        track_factors=track_factors,
        track_listeners=listeners,
        artist_ids=artist_ids,
        artist_factors=artist_factors,
        artist_listeners=artist_listeners,
        related_index=related_index,
        related_scores=related_scores,
    )


def discover_weekly_fit(
    *, now: datetime.datetime, params: als.AlsParams
) -> tuple[discover.Model, ListeningLog]:
    """Tune Discover Weekly on the last week of listening, then fit it on all of it.

    The same code the offline evaluation runs (`evaluation.nightly_model`); the chosen
    settings and what was tried are in the model's `tuning`.
    """
    from recommendations import evaluation

    log = evaluation.log_from_database(now=now)
    training = evaluation.training_at(log, log.days, skip_weight=params.skip_weight)
    validation = evaluation.split_at(
        log, log.days - 7, max_listeners=settings.RECOMMENDATIONS_TUNING_LISTENERS, seed=0
    )
    model = evaluation.nightly_model(
        validation=validation,
        training=training,
        als_base=params,
        als_grid=tuple(settings.RECOMMENDATIONS_DW_ALS_GRID),
        cache={},
    )
    model.tuning["validation_cutoff_day"] = str(
        (now - datetime.timedelta(days=7)).astimezone(datetime.UTC).date()
    )
    return model, log


def discover_weekly_arrays(model: discover.Model, log) -> tuple[dict, dict]:
    """(item arrays, user arrays) of a fitted Discover Weekly, for the model's npz."""
    knn = model.knn.tocsr()
    ease = (model.ease if model.ease is not None else sp.csr_matrix(model.knn.shape)).tocsr()
    choice_items, choice_users = {}, {}
    if model.choice is not None:
        choice_items = {
            "dw_choice_artist_factors": model.choice.artist_factors,
            "dw_choice_bias": model.choice.bias,
            "dw_choice_log_within": model.choice.log_within,
            "dw_choice_local": model.choice.local,
        }
        choice_users = {
            "dw_choice_user_factors": model.choice.user_factors,
            "dw_choice_user_slope": model.choice.user_slope,
            "dw_choice_user_local": model.choice.user_local,
        }
    return (
        {
            **choice_items,
            "dw_ease_indptr": ease.indptr.astype(np.int64),
            "dw_ease_indices": ease.indices.astype(np.int32),
            "dw_ease_data": ease.data.astype(np.float32),
            "dw_track_ids": log.track_ids,
            "dw_track_artist": log.track_artist,
            "dw_item_factors": model.item_factors,
            "dw_artist_factors": model.artist_factors,
            "dw_knn_indptr": knn.indptr.astype(np.int64),
            "dw_knn_indices": knn.indices.astype(np.int32),
            "dw_knn_data": knn.data.astype(np.float32),
            "dw_standing": model.standing,
            "dw_popularity": model.popularity,
            "dw_fresh": evaluation_fresh(log),
            "dw_markets": np.asarray(log.markets, dtype="U8"),
        },
        {
            "dw_user_ids": log.user_ids,
            "dw_user_factors": model.user_factors,
            "dw_artist_user_factors": model.artist_user_factors,
            **choice_users,
        },
    )


def evaluation_fresh(log) -> np.ndarray:
    from recommendations import evaluation

    return evaluation.training_at(log, log.days).fresh


def model_train(
    *, params: als.AlsParams | None = None, now: datetime.datetime | None = None
) -> ModelVersion:
    """Train ALS and Discover Weekly on all listening; the version is READY (or FAILED)."""
    params = params or als_params()
    now = now or timezone.now()
    version = ModelVersion.objects.create(params=params.as_dict())
    started = time.monotonic()
    try:
        stages = {}
        interactions = training_interactions(params=params)
        stages["load"] = time.monotonic() - started
        factors = factors_fit(interactions, params)
        stages["fit"] = time.monotonic() - started - stages["load"]
        model, log = discover_weekly_fit(now=now, params=params)
        stages["discover_weekly"] = time.monotonic() - started - stages["load"] - stages["fit"]
        dw_items, dw_users = discover_weekly_arrays(model, log)
        version.item_factors, version.user_factors = als.factors_pack(
            factors, items_extra=dw_items, users_extra=dw_users
        )
    except Exception as exc:
        ModelVersion.objects.filter(pk=version.pk).update(
            state=ModelVersion.State.FAILED, error=repr(exc)[:2000]
        )
        raise
    version.state = ModelVersion.State.READY
    version.listeners = len(factors.user_ids)
    version.tracks = len(factors.track_ids)
    version.artists = len(factors.artist_ids)
    version.interactions = interactions.nnz
    version.training_seconds = time.monotonic() - started
    version.trained_at = timezone.now()
    version.params = {
        **params.as_dict(),
        "stages": stages,
        "discover_weekly": {
            "blend": model.blend.as_dict(),
            "als": {
                f: getattr(model.als_params, f) for f in ("factors", "regularization", "alpha")
            },
        },
        "tuning": model.tuning,
    }
    version.save()
    model_versions_prune()
    return version


def model_versions_prune(*, keep: int | None = None) -> int:
    """Drop the factors of all but the newest `keep` READY versions (their rows stay)."""
    keep = keep if keep is not None else settings.RECOMMENDATIONS_KEEP_VERSIONS
    ready = ModelVersion.objects.filter(state=ModelVersion.State.READY).order_by(
        "-trained_at", "-pk"
    )
    old = list(ready.values_list("pk", flat=True)[keep:])
    # User factors are only needed for the night they were trained for.
    ModelVersion.objects.filter(pk__in=list(ready.values_list("pk", flat=True)[1:])).update(
        user_factors=b""
    )
    return ModelVersion.objects.filter(pk__in=old).update(item_factors=b"")
