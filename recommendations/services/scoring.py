"""Scoring of one chunk of listeners into staged tracks."""

import io
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from recommendations import als
from recommendations.models import (
    ModelVersion,
    PersonalisedPlaylist,
    RecommendationRun,
    RunChunk,
    StagedTrack,
)
from recommendations.scoring import RankingParams, ScoringContext, chunk_recommend

from .runs import _run_locked

# Scoring context, one per run and process (the model is read once per worker).

_contexts: dict[int, ScoringContext] = {}


def scoring_context(run: RecommendationRun) -> ScoringContext:
    key = run.pk * 1000 + run.attempts
    if key not in _contexts:
        _contexts.clear()
        version = ModelVersion.objects.only("item_factors", "user_factors", "params").get(
            pk=run.model_version_id
        )
        context = ScoringContext(
            item_arrays=als.unpack(version.item_factors) if version.item_factors else {},
            user_arrays=als.unpack(version.user_factors) if version.user_factors else {},
            now=run.started_at or timezone.now(),
            kinds=run.kinds,
            params=RankingParams.from_settings(),
            seed=int(run.day.toordinal()),
        )
        context.dw_blend(version.params.get("discover_weekly", {}).get("blend", {}))
        _contexts[key] = context
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
