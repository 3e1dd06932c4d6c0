"""Offline evaluation: a temporal split, strong baselines, paired confidence intervals.

The log is split in time: training (everything before the validation week), the
validation week, the test week. Every model chooses its settings on the validation week
(trained on the training part), is trained again on everything before the test week and
recommends 30 tracks to each listener who streamed something new in the test week. As
Discover Weekly does, every model recommends only tracks live and licensed in the
listener's market that they never played; only Discover Weekly keeps its artist cap.
The column `capped` gives each baseline's recall with its own ranking cut to at most 2
tracks per artist (the rules' cost), and the last line Discover Weekly's ratio to the best
baseline under those same rules.

Models: most popular (global, and per market), each over the recent window that did
best; ItemKNN (cosine); EASE (Steck 2019, on the most listened tracks); implicit ALS with
the best of a grid; Discover Weekly as it was before the blend (ALS + MMR re-ranking);
Discover Weekly as shipped (`recommendations.discover`).

Metrics at k, per listener, then averaged:
- recall@k: hits / min(k, held-out tracks);
- NDCG@k: binary relevance, discounted by log2(rank + 1), normalised by the ideal list;
- coverage: distinct recommended tracks / tracks in the catalogue;
- novelty: mean self-information -log2((listeners + 1) / (all listeners + 1)) of the
  recommended tracks, listeners counted on the training data (higher: less mainstream).
Confidence intervals: 95 %, paired bootstrap over listeners (the same resample for every
model), for recall and for Discover Weekly's recall ratio against each model.
"""

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommendations import als, discover, ranking
from recommendations.synthetic import ListeningLog

MIN_TRACKS_PER_K = 10
MIN_LISTENERS = 50
EASE_MAX_TRACKS = discover.EASE_MAX_TRACKS
POPULAR_WINDOWS = (7, 14, 28)
KNN_NEIGHBOURS = (50, 200)
EASE_LAMBDAS = discover.EASE_LAMBDAS
ALS_BASELINE_GRID = (
    *discover.ALS_GRID,
    {"factors": 128, "regularization": 1.0, "alpha": 8.0},
)


class EvaluationRefused(ValueError):
    """The data cannot tell models apart (catalogue too small for k, too few listeners)."""


@dataclass
class Split:
    training: discover.Training
    truth: sp.csr_matrix
    rows: np.ndarray
    cutoff: int


@dataclass
class ModelResult:
    name: str
    params: dict
    recall: np.ndarray  # per listener
    ndcg: np.ndarray
    coverage: float
    novelty: float
    seconds: float
    # Per listener, the same model's list under Discover Weekly's artist cap (a baseline
    # as if it kept the rules); None for Discover Weekly, which always keeps them.
    recall_capped: np.ndarray | None = None


@dataclass
class Report:
    description: str
    k: int
    listeners: int
    held_out: int
    results: list[ModelResult]
    ci: dict = field(default_factory=dict)
    tuning: dict = field(default_factory=dict)

    @property
    def shipped(self) -> ModelResult:
        return self.results[-1]

    def best_baseline(self) -> ModelResult:
        return max(self.results[:-1], key=lambda r: r.recall.mean())

    def table(self) -> str:
        k = self.k
        header = (
            f"{'model':<30}{f'recall@{k}':>9} {'95% CI':<16}{f'NDCG@{k}':>8}{'cover':>7}"
            f"{'novelty':>8}  {'DW / model [95% CI]':<22}{'capped':>7}{'sec':>6}"
        )
        lines = [header, "-" * len(header)]
        for row in self.results:
            low, high = self.ci[row.name]["recall"]
            ratio = self.ci[row.name].get("ratio")
            ratio_text = (
                f"{ratio[0]:.2f}x [{ratio[1]:.2f}, {ratio[2]:.2f}]" if ratio is not None else ""
            )
            capped = f"{row.recall_capped.mean():.4f}" if row.recall_capped is not None else ""
            lines.append(
                f"{row.name:<30}{row.recall.mean():>9.4f} [{low:.4f}, {high:.4f}]"
                f"{row.ndcg.mean():>8.4f}{row.coverage:>7.3f}{row.novelty:>8.2f}  "
                f"{ratio_text:<22}{capped:>7}{row.seconds:>6.1f}"
            )
        best = self.best_baseline()
        ratio = self.ci[best.name]["ratio"]
        lines.append(
            f"Discover Weekly / best baseline ({best.name}): recall@{k} "
            f"{ratio[0]:.3f}x, 95% CI [{ratio[1]:.3f}, {ratio[2]:.3f}]"
        )
        same = self.ci.get(SAME_RULES)
        if same is not None:
            lines.append(
                f"Same rules (each baseline's list capped at 2 per artist, column 'capped'): "
                f"Discover Weekly / best ({same['name']}) {same['ratio'][0]:.3f}x, "
                f"95% CI [{same['ratio'][1]:.3f}, {same['ratio'][2]:.3f}]"
            )
        return "\n".join(lines)


# Splitting


def training_at(
    log: ListeningLog, cutoff: int, *, skip_weight: float = 0.2, blend=None
) -> discover.Training:
    blend = blend or discover.BlendParams()
    before = log.day < cutoff
    weights = discover.weights_build(
        users=log.users[before],
        tracks=log.tracks[before],
        streams=log.streams[before],
        skips=log.skips[before],
        n_users=log.n_users,
        n_tracks=log.n_tracks,
        skip_weight=skip_weight,
    )
    recent = before & (log.day >= cutoff - blend.popular_days) & (log.streams > 0)
    live = log.released(cutoff - 1)
    live_day = log.release_day[log.track_release]
    return discover.Training(
        weights=weights,
        user_market=log.user_market,
        track_artist=log.track_artist,
        live=live,
        fresh=live & (live_day >= cutoff - blend.fresh_days),
        live_days=np.clip(cutoff - live_day, 1, max(cutoff, 1)),
        first_age=first_age_build(
            users=log.users[before],
            tracks=log.tracks[before],
            day=log.day[before],
            cutoff=cutoff,
            shape=weights.shape,
        ),
        market_recent=discover.market_recent_build(
            users=log.users[recent],
            tracks=log.tracks[recent],
            user_market=log.user_market,
            n_markets=len(log.markets),
            n_tracks=log.n_tracks,
        ),
    )


def first_age_build(*, users, tracks, day, cutoff: int, shape) -> sp.csr_matrix:
    """(U, T) days from each listener's first play of each track to `cutoff` (at least 1)."""
    keys = users.astype(np.int64) * shape[1] + tracks
    order = np.lexsort((day, keys))
    keys, first = np.unique(keys[order], return_index=True)
    age = np.maximum(cutoff - day[order][first], 1).astype(np.float32)
    matrix = sp.csr_matrix((age, (keys // shape[1], keys % shape[1])), shape=shape)
    matrix.sort_indices()
    return matrix


def split_at(log: ListeningLog, cutoff: int, *, days: int = 7, max_listeners: int, seed: int):
    training = training_at(log, cutoff)
    window = (log.day >= cutoff) & (log.day < cutoff + days)
    truth = discover.held_out(
        users=log.users[window],
        tracks=log.tracks[window],
        streams=log.streams[window],
        before=training.weights,
    )
    has_history = np.diff(training.weights.indptr) > 0
    rows = np.flatnonzero(has_history & (np.diff(truth.indptr) > 0))
    if len(rows) > max_listeners:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_listeners, replace=False))
    return Split(training=training, truth=truth, rows=rows, cutoff=cutoff)


def check_evaluable(log: ListeningLog, k: int) -> None:
    if log.n_tracks < MIN_TRACKS_PER_K * k:
        raise EvaluationRefused(
            f"The catalogue has {log.n_tracks} tracks; at k={k} at least "
            f"{MIN_TRACKS_PER_K * k} are needed to tell models apart (a list of k would "
            "hold a large part of it). Not reporting."
        )
    if log.days < 21:
        raise EvaluationRefused(
            f"{log.days} days of listening; a training span, a validation week and a test "
            "week need at least 21. Not reporting."
        )


# Scoring helpers


def _top_allowed(split: Split, rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    scores = scores.astype(np.float32, copy=True)
    scores[~discover.allowed(split.training, rows)] = -np.inf
    top, top_scores = als.top_k_rows(scores, k)
    return np.where(np.isfinite(top_scores), top, -1)


def _in_batches(split: Split, k: int, score_rows, batch: int = 512) -> np.ndarray:
    parts = []
    for start in range(0, len(split.rows), batch):
        rows = split.rows[start : start + batch]
        parts.append(_top_allowed(split, rows, score_rows(rows), k))
    return np.concatenate(parts) if parts else np.zeros((0, k), np.int64)


def _recent_listeners(log: ListeningLog, cutoff: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """(global (T,), per market (M, T)) distinct listeners in the `days` before cutoff."""
    window = (log.day < cutoff) & (log.day >= cutoff - days) & (log.streams > 0)
    per_market = discover.market_recent_build(
        users=log.users[window],
        tracks=log.tracks[window],
        user_market=log.user_market,
        n_markets=len(log.markets),
        n_tracks=log.n_tracks,
    )
    return per_market.sum(axis=0), per_market


# Baselines: each is (tune on the validation split -> params, recommend on a split)


def popular_global(log, split, k, days):
    counts, _ = _recent_listeners(log, split.cutoff, days)
    tiebreak = counts + 1e-6 * np.arange(len(counts))[::-1] / len(counts)
    return _in_batches(split, k, lambda rows: np.broadcast_to(tiebreak, (len(rows), len(counts))))


def popular_market(log, split, k, days):
    _, per_market = _recent_listeners(log, split.cutoff, days)
    per_market = per_market + 1e-6 * np.arange(log.n_tracks)[::-1] / log.n_tracks
    return _in_batches(split, k, lambda rows: per_market[split.training.user_market[rows].clip(0)])


def item_knn(log, split, k, neighbours, cache):
    key = ("knn", id(split.training.weights), neighbours)
    if key not in cache:
        cache[key] = discover.knn_fit(split.training.weights, neighbours)
    similarity = cache[key]

    def scores(rows):
        history = split.training.weights[rows].copy()
        history.data = np.log1p(history.data)
        return (history @ similarity).toarray()

    return _in_batches(split, k, scores)


def _ease_gram(split: Split, cache):
    key = ("ease-gram", id(split.training.weights))
    if key not in cache:
        items, sub = discover.ease_listened(split.training.weights, EASE_MAX_TRACKS)
        cache[key] = (items, sub.tocsr(), (sub.T @ sub).toarray().astype(np.float64))
    return cache[key]


def ease(log, split, k, lam, cache):
    items, sub, gram = _ease_gram(split, cache)
    key = ("ease-baseline", id(split.training.weights), lam)
    if key not in cache:
        g = gram.copy()
        g[np.diag_indices_from(g)] += lam
        p = np.linalg.inv(g)
        b = (-p / np.diag(p)[None, :]).astype(np.float32)
        b[np.diag_indices_from(b)] = 0.0
        cache[key] = b
    b = cache[key]
    n = log.n_tracks

    def scores(rows):
        out = np.full((len(rows), n), -np.inf, dtype=np.float32)
        out[:, items] = sub[rows] @ b
        return out

    return _in_batches(split, k, scores)


def _als_factors(split, params: als.AlsParams, cache):
    key = ("als", id(split.training.weights), params)
    if key not in cache:
        interactions = als.Interactions(
            user_ids=np.arange(split.training.shape[0]),
            track_ids=np.arange(split.training.shape[1]),
            weights=split.training.weights,
        )
        cache[key] = als.train(interactions, params)
    return cache[key]


def als_baseline(log, split, k, params, cache):
    users, items = _als_factors(split, params, cache)
    return _in_batches(split, k, lambda rows: users[rows] @ items.T)


def dw_before(log, split, k, params, cache, diversity=0.15, cap=2):
    """Discover Weekly before the blend: shipped ALS settings, MMR re-ranking, artist cap."""
    users, items = _als_factors(split, params, cache)
    unit = als.normalised(items)
    artists = split.training.track_artist
    parts = []
    for start in range(0, len(split.rows), 256):
        rows = split.rows[start : start + 256]
        scores = users[rows] @ items.T
        scores[~discover.allowed(split.training, rows)] = -np.inf
        top, top_scores = als.top_k_rows(scores, 150)
        picks = ranking.diversify(
            top=top,
            scores=top_scores,
            unit_factors=unit,
            artists=artists,
            size=k,
            artist_cap=cap,
            diversity=diversity,
        )
        parts.append(np.where(picks >= 0, np.take_along_axis(top, picks.clip(0), axis=1), -1))
    return np.concatenate(parts) if parts else np.zeros((0, k), np.int64)


# Metrics

SAME_RULES = "same rules"


def capped_list(recs: np.ndarray, split: Split, k: int, cap: int = 2) -> np.ndarray:
    """The first k of each ranked list (-1 padded) keeping at most `cap` per artist."""
    order = np.broadcast_to(-np.arange(recs.shape[1], dtype=np.float32), recs.shape)
    scores = np.where(recs >= 0, order, -np.inf)
    return discover.capped_top(recs.clip(0), scores, split.training.track_artist, k=k, cap=cap)


def per_listener(recs: np.ndarray, split: Split, k: int) -> tuple[np.ndarray, np.ndarray]:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    n_tracks = split.truth.shape[1]
    sub = split.truth[split.rows]
    coo = sub.tocoo()
    held_keys = coo.row.astype(np.int64) * n_tracks + coo.col
    recs = recs[:, :k]
    keys = np.arange(len(split.rows))[:, None].astype(np.int64) * n_tracks + recs
    hits = np.isin(keys, held_keys) & (recs >= 0)
    sizes = np.minimum(np.asarray(sub.getnnz(axis=1)), k)
    recall = hits.sum(axis=1) / np.maximum(sizes, 1)
    ideal = np.cumsum(discounts)[np.maximum(sizes, 1) - 1]
    ndcg = (hits * discounts[None, : hits.shape[1]]).sum(axis=1) / ideal
    return recall, ndcg


def _summary(name, params, recs, split, k, self_info, n_tracks, seconds) -> ModelResult:
    recall, ndcg = per_listener(recs, split, k)
    taken = recs[recs >= 0]
    return ModelResult(
        name=name,
        params=params,
        recall=recall,
        ndcg=ndcg,
        coverage=len(np.unique(taken)) / max(n_tracks, 1),
        novelty=float(self_info[taken].mean()) if len(taken) else math.nan,
        seconds=seconds,
    )


def bootstrap(results: list[ModelResult], *, samples: int = 1000, seed: int = 0) -> dict:
    """95 % intervals of each model's recall and of DW's (the last) recall ratio to it."""
    rng = np.random.default_rng(seed)
    n = len(results[0].recall)
    draws = rng.integers(0, n, size=(samples, n))
    shipped = results[-1].recall
    shipped_means = shipped[draws].mean(axis=1)
    out = {}
    for row in results:
        means = row.recall[draws].mean(axis=1)
        entry = {"recall": tuple(np.percentile(means, [2.5, 97.5]).tolist())}
        if row is not results[-1] and row.recall.mean() > 0:
            ratios = shipped_means / np.maximum(means, 1e-12)
            entry["ratio"] = (
                float(shipped.mean() / row.recall.mean()),
                *np.percentile(ratios, [2.5, 97.5]).tolist(),
            )
        out[row.name] = entry
    capped = [r for r in results[:-1] if r.recall_capped is not None]
    if capped:
        best = max(capped, key=lambda r: r.recall_capped.mean())
        means = best.recall_capped[draws].mean(axis=1)
        ratios = shipped_means / np.maximum(means, 1e-12)
        out[SAME_RULES] = {
            "name": best.name,
            "ratio": (
                float(shipped.mean() / max(best.recall_capped.mean(), 1e-12)),
                *np.percentile(ratios, [2.5, 97.5]).tolist(),
            ),
        }
    return out


# The harness


def evaluate(
    log: ListeningLog,
    *,
    k: int = 30,
    max_listeners: int = 3000,
    seed: int = 0,
    threads: int = 2,
    description: str = "",
) -> Report:
    """Tune every model on the validation week, score them all on the test week."""
    check_evaluable(log, k)
    test_start = log.days - 7
    validation = split_at(log, test_start - 7, max_listeners=max_listeners, seed=seed)
    test = split_at(log, test_start, max_listeners=max_listeners, seed=seed)
    if len(test.rows) < MIN_LISTENERS or len(validation.rows) < MIN_LISTENERS:
        raise EvaluationRefused(
            f"{len(test.rows)} test and {len(validation.rows)} validation listeners streamed "
            f"new tracks; at least {MIN_LISTENERS} each are needed. Not reporting."
        )
    listeners = np.diff(test.training.weights.tocsc().indptr)
    self_info = -np.log2((listeners + 1.0) / (test.training.shape[0] + 1.0))
    base_als = als.AlsParams(threads=threads, iterations=15)
    cache: dict = {}
    results: list[ModelResult] = []
    tuning: dict = {}

    depth = 4 * k  # baselines list this many, for their lists under the artist cap

    def tuned(name, options, run):
        """Pick the option with the best validation recall, then run it on the test week."""
        started = time.monotonic()
        best, best_recall, tried = None, -1.0, []
        for option in options:
            recs = run(validation, option, k)
            recall = float(per_listener(recs, validation, k)[0].mean())
            tried.append((option, round(recall, 5)))
            if recall > best_recall:
                best, best_recall = option, recall
        recs = run(test, best, k)
        tuning[name] = {"chosen": best, "tried": tried}
        params = best if isinstance(best, dict) else {"value": best}
        result = _summary(
            name, params, recs, test, k, self_info, log.n_tracks, time.monotonic() - started
        )
        # A longer list of the same model, cut under the artist cap (apart from the table's
        # time): the k above are exactly the model's own top k, ties included.
        deeper = run(test, best, depth)
        result.recall_capped = per_listener(capped_list(deeper, test, k), test, k)[0]
        results.append(result)

    with threadpool_limits(limits=threads, user_api="blas"):
        tuned(
            "most popular, global",
            POPULAR_WINDOWS,
            lambda split, days, n: popular_global(log, split, n, days),
        )
        tuned(
            "most popular, per market",
            POPULAR_WINDOWS,
            lambda split, days, n: popular_market(log, split, n, days),
        )
        tuned(
            "ItemKNN (cosine)",
            KNN_NEIGHBOURS,
            lambda split, neighbours, n: item_knn(log, split, n, neighbours, cache),
        )
        tuned(
            f"EASE (top {min(EASE_MAX_TRACKS, log.n_tracks)} tracks)",
            EASE_LAMBDAS,
            lambda split, lam, n: ease(log, split, n, lam, cache),
        )
        tuned(
            "implicit ALS, tuned",
            ALS_BASELINE_GRID,
            lambda split, values, n: als_baseline(
                log, split, n, replace(base_als, **values), cache
            ),
        )
        started = time.monotonic()
        shipped_before = replace(base_als, factors=64, regularization=0.05, alpha=8.0)
        recs = dw_before(log, test, k, shipped_before, cache)
        results.append(
            _summary(
                "DW before (ALS + MMR)", {}, recs, test, k, self_info, log.n_tracks,
                time.monotonic() - started,
            )
        )  # fmt: skip
        started = time.monotonic()
        model = nightly_model(
            validation=validation, training=test.training, als_base=base_als, cache=cache
        )
        recs = discover.recommend(model, test.training, test.rows, k=k)
        tuning["Discover Weekly"] = model.tuning
        results.append(
            _summary(
                "Discover Weekly (shipped)", model.tuning.get("chosen", {}), recs, test, k,
                self_info, log.n_tracks, time.monotonic() - started,
            )
        )  # fmt: skip
    report = Report(
        description=description or log.describe(),
        k=k,
        listeners=len(test.rows),
        held_out=int(test.truth[test.rows].nnz),
        results=results,
        tuning=tuning,
    )
    report.ci = bootstrap(results, seed=seed)
    return report


def nightly_model(
    *,
    validation: Split,
    training: discover.Training,
    als_base: als.AlsParams,
    als_grid: tuple[dict, ...] = discover.ALS_GRID,
    cache: dict | None = None,
) -> discover.Model:
    """What a nightly run does: tune on the validation week, fit on everything."""
    blend, als_params, record = discover.tune(
        discover.Validation(
            training=validation.training, truth=validation.truth, rows=validation.rows
        ),
        als_base=als_base,
        als_grid=als_grid,
        cache=cache,
    )
    model = discover.fit(training, blend=blend, als_params=als_params, cache=cache)
    model.tuning = record
    return model


def log_from_database(*, now=None) -> ListeningLog:
    """The listening log of this database as a `ListeningLog` (day 0: its first day).

    Availability is today's (playable now in each listener market); a release goes live
    everywhere on its release date.
    """
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import Track
    from catalog.selectors import track_ids_playable_in
    from playback.models import DailyListenerTrack
    from recommendations.data import column_arrays, day_number
    from recommendations.services import primary_artists

    now = now or timezone.now()
    users, tracks, days, streams, skips = column_arrays(
        DailyListenerTrack.objects.all(), "user_id", "track_id", "day", "streams", "skips",
        dates=("day",),
    )  # fmt: skip
    track_ids, release_ids, release_days = column_arrays(
        Track.objects.all(),
        "id",
        "release_id",
        "release__release_date",
        dates=("release__release_date",),
    )
    order = np.argsort(track_ids)
    track_ids, release_ids, release_days = track_ids[order], release_ids[order], release_days[order]
    people = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", "country"))
    user_ids = np.asarray([p for p, _ in people], dtype=np.int64)
    markets = tuple(sorted({str(c) for _, c in people if c}))
    market_index = {m: i for i, m in enumerate(markets)}
    user_market = np.asarray([market_index.get(str(c), -1) for _, c in people], dtype=np.int64)
    available = np.zeros((len(track_ids), len(markets)), dtype=bool)
    for m, market in enumerate(markets):
        (ids,) = column_arrays(track_ids_playable_in(market=market, now=now), "track_id")
        where = np.searchsorted(track_ids, ids).clip(0, max(len(track_ids) - 1, 0))
        available[where[track_ids[where] == ids], m] = True
    artists = primary_artists(track_ids)
    _, artist_index = np.unique(artists, return_inverse=True)
    today = day_number(now.date())
    first = min(int(days.min()), today) if len(days) else today
    rows = np.searchsorted(user_ids, users).clip(0, max(len(user_ids) - 1, 0))
    cols = np.searchsorted(track_ids, tracks).clip(0, max(len(track_ids) - 1, 0))
    keep = (user_ids[rows] == users) & (track_ids[cols] == tracks) if len(users) else rows >= 0
    release_day = (release_days - first)[:, None].repeat(max(len(markets), 1), axis=1)
    return ListeningLog(
        markets=markets,
        days=today - first + 1,
        user_market=user_market,
        track_artist=artist_index.astype(np.int64),
        track_release=np.arange(len(track_ids)),
        release_day=release_day[:, : len(markets)],
        available=available,
        users=rows[keep],
        tracks=cols[keep],
        day=days[keep] - first,
        streams=streams[keep],
        skips=skips[keep],
        user_ids=user_ids,
        track_ids=track_ids,
    )
