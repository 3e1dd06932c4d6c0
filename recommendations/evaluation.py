"""Offline evaluation: hold out each listener's last week, recommend, compare.

The model is trained on plays before the cut-off day; for each listener with plays on
both sides, the held-out set is the tracks first streamed (30 s or more) in the last
`holdout_days`. Recommendations exclude everything played before the cut-off, as
Discover Weekly does. Metrics, at k:

- recall@k: hits / min(k, held-out tracks) (so a perfect list scores 1);
- NDCG@k: binary relevance, discounted by log2(rank + 1), normalised by the ideal list;
- catalogue coverage: distinct recommended tracks / tracks in the catalogue;
- novelty: mean self-information -log2((listeners + 1) / (all listeners + 1)) of the
  recommended tracks, listeners counted on the training data (higher: less mainstream).
"""

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from catalog.models import Track
from playback.models import DailyListenerTrack
from recommendations import als, ranking
from recommendations.data import column_arrays, day_from_number
from recommendations.scoring import RankingParams
from recommendations.services import primary_artists


@dataclass
class Evaluation:
    name: str
    recall: float
    ndcg: float
    coverage: float
    novelty: float
    seconds: float


@dataclass
class EvaluationReport:
    cutoff: str
    listeners: int
    held_out: int
    train_pairs: int
    rows: list[Evaluation]

    def table(self, k: int) -> str:
        header = (
            f"{'model':<22}{f'recall@{k}':>11}{f'NDCG@{k}':>10}{'coverage':>10}"
            f"{'novelty':>9}{'seconds':>9}"
        )
        lines = [header, "-" * len(header)]
        for row in self.rows:
            lines.append(
                f"{row.name:<22}{row.recall:>11.4f}{row.ndcg:>10.4f}{row.coverage:>10.4f}"
                f"{row.novelty:>9.2f}{row.seconds:>9.1f}"
            )
        return "\n".join(lines)


def evaluate(
    *,
    holdout_days: int = 7,
    k: int = 30,
    max_listeners: int = 20_000,
    params: als.AlsParams | None = None,
    ranking_params: RankingParams | None = None,
    seed: int = 0,
) -> EvaluationReport:
    params = params or als.AlsParams()
    ranking_params = ranking_params or RankingParams()
    users, tracks, days, streams, skips = column_arrays(
        DailyListenerTrack.objects.all(),
        "user_id",
        "track_id",
        "day",
        "streams",
        "skips",
        dates=("day",),
    )
    if not len(days):
        raise ValueError("No listening history to evaluate on.")
    cutoff = int(days.max()) - holdout_days + 1
    train = days < cutoff
    interactions = als.interactions_build(
        users=users[train],
        tracks=tracks[train],
        streams=streams[train],
        skips=skips[train],
        params=params,
    )
    held = _held_out(interactions, users[~train], tracks[~train], streams[~train])
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(np.asarray([len(h) > 0 for h in held]))
    if len(rows) > max_listeners:
        rows = np.sort(rng.choice(rows, max_listeners, replace=False))
    catalogue = max(Track.objects.count(), 1)
    listeners = np.diff(interactions.weights.tocsc().indptr)
    self_info = -np.log2((listeners + 1.0) / (len(interactions.user_ids) + 1.0))
    seen = interactions.weights[rows]
    truth = [held[r] for r in rows]
    results = []

    started = time.monotonic()
    popular = np.argsort(-listeners, kind="stable")
    recs = [_first_unseen(popular, seen, i, k) for i in range(len(rows))]
    results.append(_score("popularity", recs, truth, self_info, catalogue, k, started))

    started = time.monotonic()
    user_factors, item_factors = als.train(interactions, params)
    eligible = listeners >= ranking_params.min_listeners
    cand = np.flatnonzero(eligible)
    cand_factors = item_factors[cand]
    cand_of = np.full(len(listeners), -1)
    cand_of[cand] = np.arange(len(cand))
    unit = als.normalised(cand_factors)
    artists = primary_artists(interactions.track_ids)[cand]
    artists = np.where(artists >= 0, artists, -1 - np.arange(len(cand)))
    als_recs, dw_recs = [], []
    dw_started_total = 0.0
    with threadpool_limits(limits=als.cpu_count(), user_api="blas"):
        for start in range(0, len(rows), 512):
            batch = rows[start : start + 512]
            scores = user_factors[batch] @ cand_factors.T
            played = interactions.weights[batch].tocoo()
            c = cand_of[played.col]
            scores[played.row[c >= 0], c[c >= 0]] = -np.inf
            top, top_scores = als.top_k_rows(scores, max(k, ranking_params.candidates))
            als_recs.extend(cand[top[:, :k]])
            t = time.monotonic()
            picks = ranking.diversify(
                top=top,
                scores=top_scores,
                unit_factors=unit,
                artists=artists,
                size=k,
                artist_cap=ranking_params.artist_cap,
                diversity=ranking_params.diversity,
            )
            for i in range(len(batch)):
                chosen = picks[i][picks[i] >= 0]
                dw_recs.append(cand[top[i, chosen]])
            dw_started_total += time.monotonic() - t
    als_seconds = time.monotonic() - started - dw_started_total
    results.append(_score("als", als_recs, truth, self_info, catalogue, k, None, als_seconds))
    dw_seconds = als_seconds + dw_started_total
    results.append(
        _score("als + diversity (DW)", dw_recs, truth, self_info, catalogue, k, None, dw_seconds)
    )
    return EvaluationReport(
        cutoff=day_from_number(cutoff).isoformat(),
        listeners=len(rows),
        held_out=sum(len(t) for t in truth),
        train_pairs=interactions.nnz,
        rows=results,
    )


def _held_out(interactions, users, tracks, streams) -> list[np.ndarray]:
    """Per training listener: model columns first streamed after the cut-off.

    Tracks unseen in training cannot be recommended but still count as missed; they are
    given negative ids that match no recommendation.
    """
    n_users, n_tracks = interactions.weights.shape
    rows = np.searchsorted(interactions.user_ids, users).clip(0, max(n_users - 1, 0))
    cols = np.searchsorted(interactions.track_ids, tracks).clip(0, max(n_tracks - 1, 0))
    known = (interactions.user_ids[rows] == users) & (streams > 0)
    in_model = known & (interactions.track_ids[cols] == tracks)
    fresh = sp.csr_matrix(
        (np.ones(int(in_model.sum()), np.float32), (rows[in_model], cols[in_model])),
        shape=(n_users, n_tracks),
    )
    fresh.sum_duplicates()
    fresh.data[:] = 1.0
    fresh = fresh - fresh.multiply(interactions.weights > 0)
    fresh.eliminate_zeros()
    fresh.sort_indices()
    unknown = known & ~in_model
    keys = np.unique(rows[unknown].astype(np.int64) * 2**32 + tracks[unknown])
    unknown_rows, unknown_ids = keys // 2**32, -1 - (keys % 2**32)
    bounds = np.searchsorted(unknown_rows, np.arange(n_users + 1))
    return [
        np.concatenate(
            [
                fresh.indices[fresh.indptr[r] : fresh.indptr[r + 1]].astype(np.int64),
                unknown_ids[bounds[r] : bounds[r + 1]],
            ]
        )
        for r in range(n_users)
    ]


def _first_unseen(order: np.ndarray, seen: sp.csr_matrix, i: int, k: int) -> np.ndarray:
    played = set(seen.indices[seen.indptr[i] : seen.indptr[i + 1]].tolist())
    out = []
    for col in order[: k + len(played)].tolist():
        if col not in played:
            out.append(col)
            if len(out) == k:
                break
    return np.asarray(out, dtype=np.int64)


def _score(name, recs, truth, self_info, catalogue, k, started=None, seconds=None):
    recall = ndcg = 0.0
    distinct: set[int] = set()
    info, n_info = 0.0, 0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for rec, held in zip(recs, truth, strict=True):
        rec = np.asarray(rec[:k], dtype=np.int64)
        hits = np.isin(rec, held)
        recall += hits.sum() / min(k, len(held))
        ideal = discounts[: min(k, len(held))].sum()
        ndcg += float((discounts[: len(rec)] * hits).sum()) / ideal
        distinct.update(rec.tolist())
        info += float(self_info[rec].sum())
        n_info += len(rec)
    n = max(len(recs), 1)
    if seconds is None:
        seconds = time.monotonic() - started
    return Evaluation(
        name=name,
        recall=recall / n,
        ndcg=ndcg / n,
        coverage=len(distinct) / catalogue,
        novelty=info / n_info if n_info else math.nan,
        seconds=seconds,
    )
