"""The taste model: implicit-feedback ALS on confidence-weighted play counts.

A listener-track cell holds `streams + skip_weight * skips` (a skip is a play under
30 s), turned into the confidence `1 + alpha * log(1 + plays)` of Hu, Koren and Volinsky.
Track factors give "similar tracks"; an artist's factor is the listener-weighted mean of
its tracks' normalised factors, and its nearest artists are "fans also like".

Pure numpy/scipy: no database access here.
"""

import io
import os
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class AlsParams:
    factors: int = 64
    iterations: int = 15
    regularization: float = 0.05
    alpha: float = 8.0
    skip_weight: float = 0.2
    seed: int = 7
    threads: int = 0  # implicit's own threads; 0: every core
    related_artists: int = 20
    related_max_artists: int = 50_000  # artists (by listeners) that get related artists
    backend: str = "implicit"  # or "spark": Spark MLlib ALS on `spark_master`
    spark_master: str = "local[2]"
    spark_memory: str = "2g"  # the Spark driver's heap (in local mode: all of Spark's)

    @classmethod
    def from_dict(cls, values: dict | None) -> "AlsParams":
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in (values or {}).items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Interactions:
    """Listener x track weights; rows and columns named by the sorted id arrays."""

    user_ids: np.ndarray
    track_ids: np.ndarray
    weights: sp.csr_matrix

    @property
    def nnz(self) -> int:
        return int(self.weights.nnz)


@dataclass
class Factors:
    user_ids: np.ndarray
    user_factors: np.ndarray
    track_ids: np.ndarray
    track_factors: np.ndarray
    track_listeners: np.ndarray
    artist_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    artist_factors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    artist_listeners: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    related_index: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int32))
    related_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


def interactions_build(
    *, users: np.ndarray, tracks: np.ndarray, streams: np.ndarray, skips: np.ndarray, params
) -> Interactions:
    """Sum rows of (user, track, streams, skips) into one weight per listener and track."""
    weights = streams.astype(np.float32) + np.float32(params.skip_weight) * skips
    user_ids, rows = np.unique(users, return_inverse=True)
    track_ids, cols = np.unique(tracks, return_inverse=True)
    matrix = sp.csr_matrix(
        (weights, (rows, cols)), shape=(len(user_ids), len(track_ids)), dtype=np.float32
    )
    matrix.sum_duplicates()
    return Interactions(user_ids=user_ids, track_ids=track_ids, weights=matrix)


def confidence(weights: sp.csr_matrix, params: AlsParams) -> sp.csr_matrix:
    conf = weights.copy()
    conf.data = (1.0 + params.alpha * np.log1p(conf.data)).astype(np.float32)
    return conf


def cpu_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def train(interactions: Interactions, params: AlsParams) -> tuple[np.ndarray, np.ndarray]:
    """Fit ALS; return (user factors, track factors) as float32 arrays."""
    from implicit.cpu.als import AlternatingLeastSquares

    if interactions.nnz == 0:
        return (
            np.zeros((len(interactions.user_ids), params.factors), np.float32),
            np.zeros((len(interactions.track_ids), params.factors), np.float32),
        )
    if params.backend == "spark":
        from recommendations import spark_als

        return spark_als.train(
            interactions, params, master=params.spark_master, memory=params.spark_memory
        )
    # implicit parallelises itself; BLAS threads on top of it only contend (and it warns).
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            iterations=params.iterations,
            random_state=params.seed,
            num_threads=params.threads or cpu_count(),
            calculate_training_loss=False,
        )
        model.fit(confidence(interactions.weights, params), show_progress=False)
    return (
        np.ascontiguousarray(model.user_factors, dtype=np.float32),
        np.ascontiguousarray(model.item_factors, dtype=np.float32),
    )


def normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-9)).astype(np.float32)


def artist_factors_build(
    *, track_factors: np.ndarray, track_artists: np.ndarray, track_listeners: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (artist ids, normalised artist factors, listeners) from the artists' tracks.

    `track_artists` is the primary artist id of each model track (-1: none).
    """
    known = track_artists >= 0
    artist_ids, cols = np.unique(track_artists[known], return_inverse=True)
    if len(artist_ids) == 0:
        return artist_ids, np.zeros((0, track_factors.shape[1]), np.float32), artist_ids
    weights = np.log1p(track_listeners[known]).astype(np.float32) + 1.0
    rows = np.flatnonzero(known)
    membership = sp.csr_matrix(
        (weights, (cols, rows)), shape=(len(artist_ids), len(track_factors)), dtype=np.float32
    )
    summed = membership @ normalised(track_factors)
    listeners = np.bincount(cols, weights=track_listeners[known], minlength=len(artist_ids))
    return artist_ids, normalised(np.asarray(summed)), listeners.astype(np.int64)


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and scores of each row's k best, best first."""
    k = min(k, scores.shape[1])
    if k <= 0:
        return np.zeros((len(scores), 0), np.int64), np.zeros((len(scores), 0), scores.dtype)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def related_artists_build(
    *, artist_factors: np.ndarray, artist_listeners: np.ndarray, params: AlsParams
) -> tuple[np.ndarray, np.ndarray]:
    """Each artist's nearest artists by cosine (itself excluded); -1 pads missing slots.

    Only the `related_max_artists` artists with most listeners are compared (both sides),
    which bounds the work to that number squared.
    """
    n, k = len(artist_factors), params.related_artists
    index = np.full((n, k), -1, dtype=np.int32)
    scores = np.zeros((n, k), dtype=np.float32)
    if n < 2 or k == 0:
        return index, scores
    pool = np.argsort(-artist_listeners, kind="stable")[: params.related_max_artists]
    pool_factors = artist_factors[pool]
    take = min(k, len(pool) - 1)
    with threadpool_limits(limits=params.threads or cpu_count(), user_api="blas"):
        for start in range(0, len(pool), 2048):
            rows = pool[start : start + 2048]
            sims = artist_factors[rows] @ pool_factors.T
            sims[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
            best, best_scores = top_k_rows(sims, take)
            index[rows, :take] = pool[best]
            scores[rows, :take] = best_scores
    return index, scores


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(data: bytes | memoryview) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as loaded:
        return {name: loaded[name] for name in loaded.files}


def factors_pack(
    factors: Factors, *, items_extra: dict | None = None, users_extra: dict | None = None
) -> tuple[bytes, bytes]:
    """Return (item bytes, user bytes) for the two binary fields of a ModelVersion."""
    items = pack(
        {
            "track_ids": factors.track_ids,
            "track_factors": factors.track_factors,
            "track_listeners": factors.track_listeners,
            "artist_ids": factors.artist_ids,
            "artist_factors": factors.artist_factors,
            "artist_listeners": factors.artist_listeners,
            "related_index": factors.related_index,
            "related_scores": factors.related_scores,
            **(items_extra or {}),
        }
    )
    users = pack(
        {"user_ids": factors.user_ids, "user_factors": factors.user_factors, **(users_extra or {})}
    )
    return items, users
