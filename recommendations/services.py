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
"""

import datetime
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Track, TrackArtist
from playback.models import DailyListenerTrack
from recommendations import als
from recommendations.data import column_arrays
from recommendations.models import (
    ModelVersion,
    PersonalisedPlaylist,
    PlaylistKind,
    RecommendationRun,
    RunChunk,
    StagedTrack,
    last_friday,
    week_start,
)
from recommendations.scoring import RankingParams, ScoringContext, chunk_recommend

logger = logging.getLogger(__name__)

PLAYLIST_TEXTS = {
    PlaylistKind.DISCOVER_WEEKLY: (
        "Discover Weekly",
        "Your weekly mixtape of fresh music: tracks you have not played yet, picked for "
        "you. Updated every Monday.",
    ),
    PlaylistKind.RELEASE_RADAR: (
        "Release Radar",
        "Catch the latest releases from artists you follow and play, and artists like "
        "them. Updated every Friday.",
    ),
}
ACTIVE_STATES = (
    RecommendationRun.State.TRAINING,
    RecommendationRun.State.SCORING,
    RecommendationRun.State.SWAPPING,
)


def _setting(name: str, default):
    return getattr(settings, f"RECOMMENDATIONS_{name}", default)


def als_params() -> als.AlsParams:
    return als.AlsParams.from_dict(_setting("ALS", {}))


# Training


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


def model_train(*, params: als.AlsParams | None = None) -> ModelVersion:
    """Train ALS on all listening; the new version is READY (or FAILED, and raises)."""
    params = params or als_params()
    version = ModelVersion.objects.create(params=params.as_dict())
    started = time.monotonic()
    try:
        stages = {}
        interactions = training_interactions(params=params)
        stages["load"] = time.monotonic() - started
        factors = factors_fit(interactions, params)
        stages["fit"] = time.monotonic() - started - stages["load"]
        version.item_factors, version.user_factors = als.factors_pack(factors)
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
    version.params = {**params.as_dict(), "stages": stages}
    version.save()
    model_versions_prune()
    return version


def model_versions_prune(*, keep: int | None = None) -> int:
    """Drop the factors of all but the newest `keep` READY versions (their rows stay)."""
    keep = keep if keep is not None else _setting("KEEP_VERSIONS", 4)
    ready = ModelVersion.objects.filter(state=ModelVersion.State.READY).order_by(
        "-trained_at", "-pk"
    )
    old = list(ready.values_list("pk", flat=True)[keep:])
    # User factors are only needed for the night they were trained for.
    ModelVersion.objects.filter(pk__in=list(ready.values_list("pk", flat=True)[1:])).update(
        user_factors=b""
    )
    return ModelVersion.objects.filter(pk__in=old).update(item_factors=b"")


# The nightly run


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
        run.chunk_size = max(1, int(chunk_size or _setting("CHUNK_SIZE", 5000)))
        run.model_version = None
        run.chunks_total = run.chunks_done = run.listeners = 0
        run.counts, run.durations, run.metrics, run.error = {}, {}, {}, ""
        run.started_at, run.finished_at = now, None
        run.deadline_at = now + datetime.timedelta(seconds=_setting("RUN_DEADLINE_SECONDS", 10800))
        run.save()
        RunChunk.objects.filter(run=run).delete()
        StagedTrack.objects.filter(run=run).delete()
    return run


def _run_locked(run_id: int, *states: str) -> RecommendationRun | None:
    return RecommendationRun.objects.select_for_update().filter(pk=run_id, state__in=states).first()


def run_hour_utc() -> int:
    """The hour (UTC) from which the hourly beat tick starts the night's run."""
    return int(_setting("RUN_HOUR_UTC", 2))


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
        version = model_train()
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


# Scoring context, one per run and process (the model is read once per worker).

_contexts: dict[int, ScoringContext] = {}


def scoring_context(run: RecommendationRun) -> ScoringContext:
    key = run.pk * 1000 + run.attempts
    if key not in _contexts:
        _contexts.clear()
        version = ModelVersion.objects.only("item_factors", "user_factors").get(
            pk=run.model_version_id
        )
        _contexts[key] = ScoringContext(
            item_arrays=als.unpack(version.item_factors) if version.item_factors else {},
            user_arrays=als.unpack(version.user_factors) if version.user_factors else {},
            now=run.started_at or timezone.now(),
            kinds=run.kinds,
            params=RankingParams.from_settings(),
            seed=int(run.day.toordinal()),
        )
    return _contexts[key]


def run_chunk_score(*, chunk_id: int, blas_threads: int = 1) -> RecommendationRun | None:
    """Score one chunk and stage its playlists; return the run when it was the last chunk.

    Staged rows of an earlier, interrupted attempt at the chunk are replaced.
    """
    chunk = RunChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if (
        chunk is None
        or chunk.state == RunChunk.State.DONE
        or chunk.run.state != RecommendationRun.State.SCORING
    ):
        return None
    started = time.monotonic()
    ctx = scoring_context(chunk.run)
    result = chunk_recommend(
        ctx,
        first_user_id=chunk.first_user_id,
        last_user_id=chunk.last_user_id,
        blas_threads=blas_threads,
    )
    with transaction.atomic():
        chunk = RunChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.state == RunChunk.State.DONE:
            return None
        run_id = chunk.run_id
        StagedTrack.objects.filter(
            run_id=run_id, user_id__gte=chunk.first_user_id, user_id__lte=chunk.last_user_id
        ).delete()
        _stage(run_id, result)
        chunk.state = RunChunk.State.DONE
        chunk.listeners = result.listeners
        chunk.seconds = time.monotonic() - started
        chunk.finished_at = timezone.now()
        chunk.save()
        run = _run_locked(run_id, RecommendationRun.State.SCORING)
        if run is None:
            return None
        run.chunks_done = RunChunk.objects.filter(run=run, state=RunChunk.State.DONE).count()
        run.counts = _merge_counts(run.counts, result.counts)
        run.durations["score"] = round(run.durations.get("score", 0.0) + chunk.seconds, 3)
        last = run.chunks_done >= run.chunks_total
        if last:
            run.state = RecommendationRun.State.SWAPPING
        run.save()
    return run if last else None


def _merge_counts(total: dict, part: dict) -> dict:
    merged = {**total}
    for key, value in part.items():
        if isinstance(value, dict):
            merged[key] = _merge_counts(merged.get(key, {}), value)
        else:
            merged[key] = merged.get(key, 0) + value
    return merged


def _stage(run_id: int, result) -> None:
    columns = ("run_id", "kind", "user_id", "position", "track_id", "score", "source")
    if not len(result):
        return
    if connection.vendor == "postgresql":
        table = StagedTrack._meta.db_table
        buffer = io.StringIO()
        for row in zip(
            result.kinds,
            result.users,
            result.positions,
            result.track_ids,
            result.scores,
            result.sources,
            strict=True,
        ):
            buffer.write(
                f"{run_id}\t{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]:.6g}\t{row[5]}\n"
            )
        statement = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())
        return
    StagedTrack.objects.bulk_create(
        (
            StagedTrack(
                run_id=run_id,
                kind=kind,
                user_id=user,
                position=position,
                track_id=track,
                score=score,
                source=source,
            )
            for kind, user, position, track, score, source in zip(
                result.kinds,
                result.users,
                result.positions,
                result.track_ids,
                result.scores,
                result.sources,
                strict=True,
            )
        ),
        batch_size=5000,
    )


# The swap


@dataclass
class _Tables:
    personalised: str
    staged: str


def _tables() -> _Tables:
    q = connection.ops.quote_name
    return _Tables(
        personalised=q(PersonalisedPlaylist._meta.db_table),
        staged=q(StagedTrack._meta.db_table),
    )


def run_finish(*, run_id: int) -> RecommendationRun | None:
    """Swap every due playlist of every listener in one transaction; record the metrics.

    Listeners keep last edition's tracks until the commit, then see the new ones; a
    listener whose playlist has no staged tracks (no new releases) gets it emptied.
    """
    started = time.monotonic()
    with transaction.atomic():
        run = _run_locked(run_id, RecommendationRun.State.SWAPPING)
        if run is None:
            return None
        now = timezone.now()
        for kind in run.kinds:
            _swap(run, kind, now)
        run.metrics = _run_metrics(run)
        run.state = RecommendationRun.State.SUCCEEDED
        run.finished_at = timezone.now()
        run.durations["swap"] = round(time.monotonic() - started, 3)
        if run.started_at:
            run.durations["total"] = round((run.finished_at - run.started_at).total_seconds(), 3)
        run.save()
    StagedTrack.objects.filter(run_id=run_id).delete()
    return run


def _swap(run: RecommendationRun, kind: str, now: datetime.datetime) -> None:
    name, description = PLAYLIST_TEXTS[PlaylistKind(kind)]
    staged_users = StagedTrack.objects.filter(run=run, kind=kind).values("user_id")
    missing = list(
        User.objects.filter(pk__in=staged_users)
        .exclude(personalised_playlists__kind=kind)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(missing), 5000):
        owners = missing[start : start + 5000]
        playlists = catalog_services.playlists_personalised_create(
            owner_ids=owners, name=name, description=description, now=now
        )
        PersonalisedPlaylist.objects.bulk_create(
            PersonalisedPlaylist(user_id=owner, kind=kind, playlist_id=playlist.pk)
            for owner, playlist in zip(owners, playlists, strict=True)
        )
    t = _tables()
    # Table names come from model metadata, values are parameters; catalog writes its items.
    catalog_services.playlist_items_swap(
        playlist_ids_sql=f"SELECT playlist_id FROM {t.personalised} WHERE kind = %s",  # noqa: S608
        rows_sql=(
            f"SELECT p.playlist_id, s.track_id, s.position FROM {t.staged} s "  # noqa: S608
            f"JOIN {t.personalised} p ON p.user_id = s.user_id AND p.kind = s.kind "
            f"WHERE s.run_id = %s AND s.kind = %s"
        ),
        params=[kind, run.pk, kind],
        now=now,
    )
    kind_playlists = PersonalisedPlaylist.objects.filter(kind=kind)
    catalog_services.playlist_snapshot_bump(
        playlist_ids=kind_playlists.values("playlist_id"), now=now
    )
    kind_playlists.update(edition=run.day, updated_at=now)


def _run_metrics(run: RecommendationRun) -> dict:
    metrics = {}
    catalogue = Track.objects.count()
    for kind in run.kinds:
        staged = StagedTrack.objects.filter(run=run, kind=kind)
        distinct = staged.values("track_id").distinct().count()
        counts = run.counts.get(kind, {})
        listeners = counts.get("listeners", 0)
        entry = {
            "distinct_tracks": distinct,
            "catalogue_coverage": round(distinct / catalogue, 4) if catalogue else 0.0,
            "tracks_per_listener": round(counts.get("tracks", 0) / listeners, 2)
            if listeners
            else 0.0,
        }
        if counts.get("novelty_n"):
            entry["novelty_bits"] = round(counts["novelty_bits_sum"] / counts["novelty_n"], 3)
        metrics[kind] = entry
    return metrics


# Synchronous pipeline (management command, tests)


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
