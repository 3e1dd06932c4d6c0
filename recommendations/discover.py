"""Discover Weekly's model: ALS, item neighbours, artist affinity and market charts, blended.

Pure numpy/scipy, no database: the nightly run and the offline evaluation call the same
functions, so what is evaluated is what ships.

A listener's score for a track is a weighted sum of eight signals:

- `als`: the implicit-feedback ALS preference (Hu, Koren and Volinsky);
- `knn`: item-item cosine neighbours of what the listener streamed (ItemKNN);
- `artist`: the listener's share of streams on the track's artist, times the track's
  standing among that artist's tracks (album sessions, fans exploring a catalogue);
- `fresh`: that artist affinity on tracks that went live in the listener's market in
  the last `fresh_days` (new releases from artists they play);
- `popularity`: listeners of the track in the listener's market in the last
  `popular_days` (recency and local charts);
- `artist_als`: ALS on listener x artist weights, spread to the artist's tracks;
- `ease`: EASE item-item weights (Steck 2019) over the `EASE_MAX_TRACKS` most listened
  tracks, applied to what the listener played;
- `choice`: log p(artist | listener) from a low-rank multinomial logit over artists with
  a market popularity term, a listener's own slope on it and their lean towards the
  market's own artists (`ArtistChoice`), plus log of the track's share of its artist's
  listeners in the market, counted per day live. Listening mostly picks an artist, then
  a track of it; the share is pooled over the whole market, so it is sharp even for
  tracks the listener's neighbours never played.

`als`, `knn`, `artist_als`, `ease` and `choice` are standardised per listener. The
weights, the ALS settings, the EASE penalty and the choice model's rank are chosen at
every nightly run on a validation week (`tune`): train on everything before the last 7
days, score the listeners' new tracks of those days, keep the best; then fit again on
everything. The playlist takes the best scores among tracks licensed and live in the
market and never played, at most `artist_cap` per artist; ties break by track position,
and every fit runs with fixed seeds and thread counts, so the same data gives the same
playlists.
"""

import time
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommendations import als

SIGNALS = ("als", "knn", "artist", "fresh", "popularity", "artist_als", "ease", "choice")


@dataclass(frozen=True)
class BlendParams:
    als: float = 1.0
    knn: float = 0.5
    artist: float = 0.3
    fresh: float = 0.3
    popularity: float = 0.3
    artist_als: float = 0.0
    ease: float = 0.0
    choice: float = 0.0
    neighbours: int = 100
    ease_lambda: float = 400.0
    popular_days: int = 7
    fresh_days: int = 14
    choice_rank: int = 8
    choice_regularization: float = 0.1

    @classmethod
    def from_dict(cls, values: dict | None) -> "BlendParams":
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in (values or {}).items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)

    def weights(self) -> np.ndarray:
        return np.asarray([getattr(self, name) for name in SIGNALS], dtype=np.float32)


# The ALS settings tried at every nightly run (factors, regularization, alpha).
ALS_GRID = (
    {"factors": 32, "regularization": 1.0, "alpha": 4.0},
    {"factors": 64, "regularization": 0.05, "alpha": 8.0},
    {"factors": 64, "regularization": 1.0, "alpha": 4.0},
    {"factors": 64, "regularization": 5.0, "alpha": 2.0},
    {"factors": 128, "regularization": 5.0, "alpha": 4.0},
)
WEIGHT_STEPS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
BLEND_MIN_Z = 1.0
# EASE (Steck 2019) runs on the most listened tracks (a dense Gram matrix of that size),
# keeps the `EASE_NEIGHBOURS` largest weights per track, and tries these L2 penalties.
EASE_MAX_TRACKS = 2500
EASE_NEIGHBOURS = 200
EASE_LAMBDAS = (100.0, 400.0, 1600.0)
# Tuning scores its listeners in chunks of rows so that the dense signals of one chunk
# (signals x rows x tracks float32) stay under this many bytes.
TUNING_MEMORY_BUDGET = 256 * 2**20
# Dense factor products run in blocks of exactly this many listener rows (see `_factor_scores`).
FACTOR_BLOCK = 64


@dataclass
class Training:
    """Everything known at the moment playlists are built; rows and columns by position.

    `weights` holds streams + skip_weight * skips per listener and track (every play,
    however short, leaves a non-zero cell: that is "played"); `market_recent` listeners
    per market and track over the last `popular_days`; `live` (T, M) whether the track is
    licensed and live in the market; `fresh` (T, M) live there for at most `fresh_days`;
    `live_days` (T, M) for how many of the days of `weights` the track was live in the
    market (at least 1; None: all of them); `first_age` (U, T) how many days before the
    end of `weights` each listener first played each track (at least 1; None: unknown).
    """

    weights: sp.csr_matrix
    user_market: np.ndarray
    track_artist: np.ndarray
    live: np.ndarray
    fresh: np.ndarray
    market_recent: np.ndarray
    live_days: np.ndarray | None = None
    first_age: sp.csr_matrix | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.weights.shape


def weights_build(
    *, users, tracks, streams, skips, n_users: int, n_tracks: int, skip_weight: float
) -> sp.csr_matrix:
    values = np.maximum(streams + skip_weight * skips, 1e-3).astype(np.float32)
    matrix = sp.csr_matrix((values, (users, tracks)), shape=(n_users, n_tracks), dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def market_recent_build(*, users, tracks, user_market, n_markets: int, n_tracks: int):
    """(M, T) distinct listeners per market and track among the given play rows."""
    pairs = np.unique(users.astype(np.int64) * n_tracks + tracks)
    u, t = pairs // n_tracks, pairs % n_tracks
    m = user_market[u]
    ok = m >= 0
    counts = np.zeros((n_markets, n_tracks), dtype=np.float32)
    np.add.at(counts, (m[ok], t[ok]), 1.0)
    return counts


# Signals


def knn_fit(weights: sp.csr_matrix, neighbours: int, block: int = 1024) -> sp.csr_matrix:
    """Item-item cosine similarity of binary listening, `neighbours` per track (T, T)."""
    binary = weights.copy()
    binary.data[:] = 1.0
    n = binary.shape[1]
    by_item = binary.T.tocsr()
    norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel()).astype(np.float32)
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-9), 0.0).astype(np.float32)
    rows, cols, vals = [], [], []
    keep = min(neighbours, max(n - 1, 0))
    for start in range(0, n, block):
        end = min(start + block, n)
        co = (by_item[start:end] @ binary).toarray().astype(np.float32)
        co *= inv[start:end, None]
        co *= inv[None, :]
        co[np.arange(end - start), np.arange(start, end)] = 0.0
        if keep == 0:
            continue
        top, top_scores = als.top_k_rows(co, keep)
        ok = top_scores > 0
        rows.append(np.repeat(np.arange(start, end), keep)[ok.ravel()])
        cols.append(top.ravel()[ok.ravel()])
        vals.append(top_scores.ravel()[ok.ravel()])
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
        dtype=np.float32,
    )


def ease_listened(weights: sp.csr_matrix, max_tracks: int = EASE_MAX_TRACKS):
    """(tracks, binary listening on them, CSC) for the `max_tracks` most listened tracks.

    Ties in listeners break by position, so the same data always picks the same tracks.
    """
    binary = weights.copy()
    binary.data[:] = 1.0
    listeners = np.asarray(binary.sum(axis=0)).ravel()
    items = np.sort(np.argsort(-listeners, kind="stable")[:max_tracks])
    return items, binary[:, items].tocsc()


def ease_gram(weights: sp.csr_matrix, max_tracks: int = EASE_MAX_TRACKS):
    """(tracks, Gram matrix) of binary listening on the `max_tracks` most listened tracks."""
    items, sub = ease_listened(weights, max_tracks)
    return items, (sub.T @ sub).toarray().astype(np.float64)


def _ease_gram_cached(training: Training, cache: dict):
    key = ("dw-ease-gram", id(training.weights))
    if key not in cache:
        cache[key] = ease_gram(training.weights)
    return cache[key]


def ease_fit(
    weights: sp.csr_matrix,
    lam: float,
    *,
    neighbours: int = EASE_NEIGHBOURS,
    gram: tuple | None = None,
) -> sp.csr_matrix:
    """EASE item-item weights (T, T): B = I - P / diag(P), P = (X'X + lam I)^-1.

    Only the most listened tracks take part; each row keeps its `neighbours` largest
    weights (the rest are small and cost storage in the model). One BLAS thread: the
    inverse, and so the playlists, are the same bit for bit at every run.
    """
    n = weights.shape[1]
    items, gram_matrix = gram if gram is not None else ease_gram(weights)
    if len(items) == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    g = gram_matrix.copy()
    g[np.diag_indices_from(g)] += lam
    with threadpool_limits(limits=1, user_api="blas"):
        p = np.linalg.inv(g)
    b = (-p / np.diag(p)[None, :]).astype(np.float32)
    b[np.diag_indices_from(b)] = 0.0
    keep = min(neighbours, len(items) - 1)
    if keep <= 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    top, top_scores = als.top_k_rows(b, keep)
    ok = (top_scores > 0).ravel()
    return sp.csr_matrix(
        (
            top_scores.ravel()[ok],
            (np.repeat(items, keep)[ok], items[top.ravel()[ok]]),
        ),
        shape=(n, n),
        dtype=np.float32,
    )


def artist_standing(weights: sp.csr_matrix, track_artist: np.ndarray) -> np.ndarray:
    """Per track, its listeners / the most any track of its artist has, in (0, 1]."""
    listeners = np.diff(weights.tocsc().indptr).astype(np.float64)
    best = np.zeros(int(track_artist.max(initial=-1)) + 1)
    np.maximum.at(best, track_artist, listeners)
    return ((1.0 + listeners) / (1.0 + best[track_artist])).astype(np.float32)


@dataclass
class Model:
    """A fitted Discover Weekly: the factors and neighbours, plus the blend to apply."""

    blend: BlendParams
    als_params: als.AlsParams
    user_factors: np.ndarray
    item_factors: np.ndarray
    knn: sp.csr_matrix
    standing: np.ndarray
    popularity: np.ndarray  # (M, T) log listeners lately, scaled to [0, 1] per market
    artist_user_factors: np.ndarray
    artist_factors: np.ndarray
    ease: sp.csr_matrix | None = None  # (T, T) EASE weights; None: not fitted (weight 0)
    choice: "ArtistChoice | None" = None  # None: not fitted (weight 0)
    tuning: dict = field(default_factory=dict)


def fit(
    training: Training,
    *,
    blend: BlendParams,
    als_params: als.AlsParams,
    cache: dict | None = None,
) -> Model:
    """Fit every signal; `cache` (keyed by settings) lets a tuning reuse fits."""
    cache = cache if cache is not None else {}
    key = ("als", id(training.weights), als_params)
    if key not in cache:
        interactions = als.Interactions(
            user_ids=np.arange(training.shape[0]),
            track_ids=np.arange(training.shape[1]),
            weights=training.weights,
        )
        cache[key] = als.train(interactions, als_params)
    user_factors, item_factors = cache[key]
    key = ("knn", id(training.weights), blend.neighbours)
    if key not in cache:
        cache[key] = knn_fit(training.weights, blend.neighbours)
    knn = cache[key]
    key = ("artist-als", id(training.weights))
    if key not in cache:
        cache[key] = artist_als_fit(training, als_params)
    artist_user_factors, artist_factors = cache[key]
    key = ("ease", id(training.weights), blend.ease_lambda)
    if key not in cache:
        gram = _ease_gram_cached(training, cache)
        cache[key] = ease_fit(training.weights, blend.ease_lambda, gram=gram)
    ease = cache[key]
    key = ("choice", id(training.weights), blend.choice_rank, blend.choice_regularization)
    if key not in cache:
        cache[key] = choice_fit(
            training, rank=blend.choice_rank, regularization=blend.choice_regularization
        )
    recent = np.log1p(training.market_recent)
    scale = np.maximum(recent.max(axis=1, keepdims=True), 1e-9)
    return Model(
        choice=cache[key],
        artist_user_factors=artist_user_factors,
        artist_factors=artist_factors,
        ease=ease,
        blend=blend,
        als_params=als_params,
        user_factors=user_factors,
        item_factors=item_factors,
        knn=knn,
        standing=artist_standing(training.weights, training.track_artist),
        popularity=(recent / scale).astype(np.float32),
    )


def artist_als_fit(training: Training, params: als.AlsParams):
    """ALS on listener x artist weights: taste at the artist level, where data is denser."""
    n_tracks = training.shape[1]
    n_artists = int(training.track_artist.max(initial=-1)) + 1
    membership = sp.csr_matrix(
        (np.ones(n_tracks, np.float32), (np.arange(n_tracks), training.track_artist)),
        shape=(n_tracks, n_artists),
    )
    per_artist = sp.csr_matrix(training.weights @ membership)
    interactions = als.Interactions(
        user_ids=np.arange(training.shape[0]), track_ids=np.arange(n_artists), weights=per_artist
    )
    return als.train(interactions, replace(params, factors=32, regularization=1.0, alpha=4.0))


# The artist choice model: a low-rank multinomial logit over artists, times the track's
# share of its artist's listeners in the market.
# The settings tried at every nightly run (the choice signal's own recall@30, artist cap
# kept, on the validation week); the first is the default.
CHOICE_GRID = (
    {"rank": 8, "regularization": 0.1},
    {"rank": 16, "regularization": 0.1},
)
CHOICE_ITERATIONS = 100
CHOICE_LEARNING_RATE = 0.1
CHOICE_BLOCK = 2048  # listener rows per dense (rows x artists) block while fitting
CHOICE_SKIP_WEIGHT = 0.2  # a pick whose first play was never streamed past 30 s
CHOICE_RECENT_DAYS = 14  # artists' popularity drifts: re-level on the last days' picks
CHOICE_RECENT_PRIOR = 20.0  # added to an artist's tracks found lately and to those expected
CHOICE_HOME_LIFT = 2.0  # an artist's home market: its listeners' share there / the market's


@dataclass
class ArtistChoice:
    """Which artist a listener turns to next, and which of its tracks a market plays.

    `log p(artist | listener) = softmax(user_factors[u] @ artist_factors.T
    + (1 + user_slope[u]) * bias[market] + user_local[u] * local[market])`: taste, a
    listener's own leaning towards what is popular in their market and towards its own
    artists. `log_within` (M, T) is log of each track's share of its artist's listeners in
    the market (smoothed with its listeners everywhere), per day live. Their sum scores
    a track for a listener.
    """

    user_factors: np.ndarray  # (U, r)
    artist_factors: np.ndarray  # (A, r)
    bias: np.ndarray  # (M, A) market popularity of each artist, as a logit
    log_within: np.ndarray  # (M, T)
    user_slope: np.ndarray | None = None  # (U,) None: 0 (a model version before them)
    user_local: np.ndarray | None = None  # (U,)
    local: np.ndarray | None = None  # (M, A) 1 where the artist is the market's own


def artist_home(listeners: np.ndarray, market_size: np.ndarray, *, lift: float) -> np.ndarray:
    """(M, A) 1 in the market where an artist's listeners are at least `lift` times more
    frequent than among all listeners (a local scene), else 0; at most one per artist.

    `listeners` (M, A) counts each artist's listeners per market; one listener spread
    over the markets by size smooths artists with few of them towards no home.
    """
    size = market_size / max(float(market_size.sum()), 1.0)
    share = (listeners + size[:, None]) / (listeners.sum(axis=0) + 1.0)
    ratio = share / np.maximum(size[:, None], 1e-12)
    best = ratio.argmax(axis=0)
    columns = np.arange(ratio.shape[1])
    home = np.zeros(ratio.shape, dtype=np.float32)
    home[best, columns] = ratio[best, columns] >= lift
    return home


def choice_picks(training: Training, n_artists: int) -> sp.csr_matrix:
    """(U, A) how many times each listener picked each artist, as far as plays show it.

    A pick is a day on which the listener first played one or more tracks of the artist:
    an album session plays a release in order, one choice and many tracks. A pick whose
    first plays were all skipped counts `CHOICE_SKIP_WEIGHT`. Without `first_age`, the
    distinct tracks played per artist.
    """
    n_users, n_tracks = training.shape
    artists = training.track_artist
    if training.first_age is None:
        binary = training.weights.copy()
        binary.data[:] = 1.0
        membership = sp.csr_matrix(
            (np.ones(n_tracks, np.float32), (np.arange(n_tracks), artists)),
            shape=(n_tracks, n_artists),
        )
        return sp.csr_matrix(binary @ membership, dtype=np.float32)
    first = training.first_age.tocoo()
    streamed = np.asarray(training.weights[first.row, first.col]).ravel() >= 1
    weight = np.where(streamed, 1.0, CHOICE_SKIP_WEIGHT).astype(np.float32)
    days = int(first.data.max(initial=0)) + 1
    keys = (first.row.astype(np.int64) * n_artists + artists[first.col]) * days + first.data.astype(
        np.int64
    )
    # Per (listener, artist, day) the largest weight: streamed if any track was.
    order = np.lexsort((-weight, keys))
    keys, taken = np.unique(keys[order], return_index=True)
    pairs = keys // days
    picks = sp.csr_matrix(
        (weight[order][taken], (pairs // n_artists, pairs % n_artists)),
        shape=(n_users, n_artists),
    )
    picks.sum_duplicates()
    return picks


def choice_fit(
    training: Training,
    *,
    rank: int = CHOICE_GRID[0]["rank"],
    regularization: float = CHOICE_GRID[0]["regularization"],
    iterations: int = CHOICE_ITERATIONS,
    learning_rate: float = CHOICE_LEARNING_RATE,
    seed: int = 0,
    block: int = CHOICE_BLOCK,
) -> ArtistChoice:
    """Fit the artist choice model by full-batch Adam on the multinomial log-likelihood
    of the listeners' picks (`choice_picks`).

    A pick shows only when it lands on a track the listener never had, so the fit
    weighs each artist by the share of its tracks (by `log_within`) the listener has not
    played (at least 5 %); scoring ranks only such tracks anyway. The artists' home
    markets come from where their listeners are (`artist_home`). Then, with
    `training.first_age`, each artist's biases move by the log ratio of the tracks of it
    listeners found in the last `CHOICE_RECENT_DAYS` to what the model expects (plus
    `CHOICE_RECENT_PRIOR` each): popularity drifts.

    One BLAS thread and fixed blocks of listeners: the same data gives the same factors
    bit for bit. Memory: a few (block x artists) dense matrices at a time, the block
    shrunk so that they stay under `TUNING_MEMORY_BUDGET`.
    """
    n_users, n_tracks = training.shape
    artists = training.track_artist
    n_artists = int(artists.max(initial=-1)) + 1
    n_markets = training.live.shape[1]
    block = max(1, min(block, TUNING_MEMORY_BUDGET // (4 * 4 * max(n_artists, 1))))
    binary = training.weights.copy()
    binary.data[:] = 1.0
    counts = choice_picks(training, n_artists)
    markets = training.user_market.clip(0)
    # Within-artist shares per market, smoothed towards the track's listeners everywhere,
    # per day live (a release of last Friday has had a few days to find its listeners).
    listeners = np.zeros((n_markets, n_tracks), dtype=np.float64)
    played = binary.tocoo()
    np.add.at(listeners, (markets[played.row], played.col), 1.0)
    smoothed = listeners + 0.1 + 0.5 * listeners.sum(axis=0)[None, :] / max(n_markets, 1)
    if training.live_days is not None:
        smoothed /= np.maximum(training.live_days.T, 1)
    artist_total = np.zeros((n_markets, n_artists))
    np.add.at(artist_total.T, artists, smoothed.T)
    log_within = np.log(smoothed / artist_total[:, artists]).astype(np.float32)
    by_user = counts.tocoo()
    market_counts = np.zeros((n_markets, n_artists), dtype=np.float64)
    np.add.at(market_counts, (markets[by_user.row], by_user.col), by_user.data)
    bias = np.log((market_counts + 0.5) / (market_counts + 0.5).sum(axis=1, keepdims=True))
    artist_listeners = np.zeros((n_markets, n_artists), dtype=np.float64)
    np.add.at(artist_listeners, (markets[by_user.row], by_user.col), 1.0)
    active = np.diff(training.weights.indptr) > 0
    market_size = np.bincount(markets[active], minlength=n_markets).astype(np.float64)
    home = artist_home(artist_listeners, market_size, lift=CHOICE_HOME_LIFT)
    # log of the share of each artist (by `log_within`) the listener has not played.
    had = sp.csr_matrix(
        (np.exp(log_within[markets[played.row], played.col]), (played.row, artists[played.col])),
        shape=(n_users, n_artists),
    )
    had.sum_duplicates()
    had.data = np.log(np.clip(1 - had.data, 0.05, 1)).astype(np.float32)
    rng = np.random.default_rng(seed)
    user_f = (rng.normal(size=(n_users, rank)) * 0.01).astype(np.float32)
    artist_f = (rng.normal(size=(n_artists, rank)) * 0.01).astype(np.float32)
    bias = bias.astype(np.float32)
    user_slope = np.zeros(n_users, np.float32)
    user_local = np.zeros(n_users, np.float32)
    totals = np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)
    scale = np.float32(n_users / max(float(totals.sum()), 1.0))
    params = [user_f, artist_f, bias, user_slope, user_local]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]

    def probabilities(start: int, end: int) -> np.ndarray:
        m = markets[start:end]
        logits = user_f[start:end] @ artist_f.T
        logits += bias[m] * (1 + user_slope[start:end, None])
        logits += home[m] * user_local[start:end, None]
        logits += had[start:end].toarray()
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        return prob

    with threadpool_limits(limits=1, user_api="blas"):
        for step in range(1, iterations + 1):
            grads = [
                regularization * user_f,
                regularization * artist_f,
                np.zeros_like(bias),
                regularization * user_slope,
                regularization * user_local,
            ]
            for start in range(0, n_users, block):
                end = min(start + block, n_users)
                m = markets[start:end]
                g = probabilities(start, end) * totals[start:end, None]
                g -= counts[start:end].toarray()
                g *= scale
                grads[0][start:end] += g @ artist_f
                grads[1] += g.T @ user_f[start:end]
                grads[3][start:end] += (g * bias[m]).sum(axis=1)
                grads[4][start:end] += (g * home[m]).sum(axis=1)
                g *= 1 + user_slope[start:end, None]
                np.add.at(grads[2], m, g)
            for p, g, m1, m2 in zip(params, grads, first, second, strict=True):
                m1 *= 0.9
                m1 += 0.1 * g
                m2 *= 0.999
                m2 += 0.001 * g * g
                p -= (
                    learning_rate
                    * (m1 / (1 - 0.9**step))
                    / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
                )
        if training.first_age is not None:
            # Tracks found lately per listener and artist.
            recent = training.first_age.copy()
            recent.data = (recent.data <= CHOICE_RECENT_DAYS).astype(np.float32)
            recent.eliminate_zeros()
            membership = sp.csr_matrix(
                (np.ones(n_tracks, np.float32), (np.arange(n_tracks), artists)),
                shape=(n_tracks, n_artists),
            )
            found = sp.csr_matrix(recent @ membership)
            recent_totals = np.asarray(found.sum(axis=1)).ravel()
            observed = np.asarray(found.sum(axis=0)).ravel().astype(np.float64)
            expected = np.zeros(n_artists, dtype=np.float64)
            for start in range(0, n_users, block):
                end = min(start + block, n_users)
                expected += recent_totals[start:end] @ probabilities(start, end)
            drift = np.log((observed + CHOICE_RECENT_PRIOR) / (expected + CHOICE_RECENT_PRIOR))
            bias += drift.astype(np.float32)[None, :]
    return ArtistChoice(
        user_factors=user_f,
        artist_factors=artist_f,
        bias=bias,
        log_within=log_within,
        user_slope=user_slope,
        user_local=user_local,
        local=home,
    )


def choice_log_probability(
    choice: ArtistChoice, factor_rows: np.ndarray, markets: np.ndarray, track_artist: np.ndarray
) -> np.ndarray:
    """(listeners, T) log p(artist | listener) + log share of the track within its artist.

    Listeners outside the model (row -1) get their market's artist popularity.
    """
    known = factor_rows >= 0
    rows = factor_rows.clip(0)
    logits = _factor_scores(choice.user_factors, factor_rows, choice.artist_factors)
    bias = choice.bias[markets.clip(0)]
    if choice.user_slope is not None:
        bias = bias * (1 + np.where(known, choice.user_slope[rows], 0))[:, None]
    logits += bias
    if choice.local is not None and choice.user_local is not None:
        logits += (
            choice.local[markets.clip(0)] * np.where(known, choice.user_local[rows], 0)[:, None]
        )
    logits -= logits.max(axis=1, keepdims=True)
    logits -= np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return logits[:, track_artist] + choice.log_within[markets.clip(0)]


def _standardise(matrix: np.ndarray) -> np.ndarray:
    mean = matrix.mean(axis=1, keepdims=True)
    std = matrix.std(axis=1, keepdims=True)
    return (matrix - mean) / np.maximum(std, 1e-6)


@dataclass
class Listeners:
    """A batch of listeners: their play history (rows x T), model rows (-1: not in the
    model), and market indices (-1: none)."""

    history: sp.csr_matrix
    factor_rows: np.ndarray
    markets: np.ndarray

    @classmethod
    def of(cls, training: Training, rows: np.ndarray) -> "Listeners":
        return cls(
            history=training.weights[rows], factor_rows=rows, markets=training.user_market[rows]
        )


def _factor_scores(factors: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """`factors[rows] @ items.T`, a row of zeros where `rows` is -1 (a listener outside the
    model).

    OpenBLAS rounds each row of a product by the kernel that computes it, which depends on
    the matrix sizes and, on some CPUs (this machine's AMD EPYC), on the row's position in
    the block. So every factor row is computed at one place only: position `row %
    FACTOR_BLOCK` of a zero-padded block of exactly `FACTOR_BLOCK` rows, with the rows that
    share its `row // FACTOR_BLOCK`. A listener's scores are then the same bit for bit
    whoever else is scored with them: chunked and unchunked runs, any sample of listeners.
    """
    out = np.zeros((len(rows), len(items)), dtype=np.result_type(factors, items))
    known = np.flatnonzero(rows >= 0)
    blocks = rows[known] // FACTOR_BLOCK
    order = np.argsort(blocks, kind="stable")
    known, blocks = known[order], blocks[order]
    bounds = np.flatnonzero(np.diff(blocks)) + 1
    padded = np.zeros((FACTOR_BLOCK, factors.shape[1]), dtype=factors.dtype)
    for members in np.split(known, bounds) if len(known) else ():
        positions = rows[members] % FACTOR_BLOCK
        padded[:] = 0
        padded[positions] = factors[rows[members]]
        out[members] = (padded @ items.T)[positions]
    return out


def signals_for(
    model: Model, listeners: Listeners, track_artist: np.ndarray, fresh: np.ndarray
) -> np.ndarray:
    """(signals, listeners, T) standardised signals (see the module docstring)."""
    history = listeners.history
    n, n_tracks = history.shape
    out = np.empty((len(SIGNALS), n, n_tracks), dtype=np.float32)
    out[0] = _standardise(
        _factor_scores(model.user_factors, listeners.factor_rows, model.item_factors)
    )
    log_history = history.copy()
    log_history.data = np.log1p(log_history.data)
    out[1] = _standardise((log_history @ model.knn).toarray())
    n_artists = int(track_artist.max(initial=-1)) + 1
    membership = sp.csr_matrix(
        (np.ones(n_tracks, np.float32), (np.arange(n_tracks), track_artist)),
        shape=(n_tracks, n_artists),
    )
    per_artist = (log_history @ membership).toarray()
    per_artist /= np.maximum(per_artist.max(axis=1, keepdims=True), 1e-9)
    affinity = per_artist[:, track_artist]
    out[2] = affinity * model.standing[None, :]
    markets = listeners.markets.clip(0)
    out[3] = affinity * fresh.T[markets]
    out[4] = model.popularity[markets] * (listeners.markets >= 0)[:, None]
    artist_pref = _factor_scores(
        model.artist_user_factors, listeners.factor_rows, model.artist_factors
    )
    out[5] = _standardise(artist_pref)[:, track_artist]
    if model.ease is not None and model.ease.nnz:
        binary = history.copy()
        binary.data[:] = 1.0
        out[6] = _standardise((binary @ model.ease).toarray())
    else:
        out[6] = 0.0
    if model.choice is not None:
        out[7] = _standardise(
            choice_log_probability(
                model.choice, listeners.factor_rows, listeners.markets, track_artist
            )
        )
    else:
        out[7] = 0.0
    return out


def signals(model: Model, training: Training, rows: np.ndarray) -> np.ndarray:
    return signals_for(model, Listeners.of(training, rows), training.track_artist, training.fresh)


def allowed_for(listeners: Listeners, live: np.ndarray) -> np.ndarray:
    """(listeners, T) live in the listener's market and never played by them."""
    markets = listeners.markets
    mask = np.where(markets[:, None] >= 0, live.T[markets.clip(0)], False)
    played = listeners.history.tocoo()
    mask[played.row, played.col] = False
    return mask


def allowed(training: Training, rows: np.ndarray) -> np.ndarray:
    return allowed_for(Listeners.of(training, rows), training.live)


def capped_top(
    candidates: np.ndarray, scores: np.ndarray, artists: np.ndarray, *, k: int, cap: int
) -> np.ndarray:
    """Per row, the k best `candidates` with at most `cap` per artist; -1 pads.

    Rows are ordered by score, then by candidate (lower first), so ties always break
    the same way. `scores` of -inf are never taken.
    """
    n, c = candidates.shape
    out = np.full((n, k), -1, dtype=np.int64)
    if n == 0 or c == 0:
        return out
    # Sort by candidate, then stably by score: ties keep the lower candidate first.
    by_cand = np.argsort(candidates, axis=1, kind="stable")
    cand = np.take_along_axis(candidates, by_cand, axis=1)
    sc = np.take_along_axis(scores, by_cand, axis=1)
    by_score = np.argsort(-sc, axis=1, kind="stable")
    cand = np.take_along_axis(cand, by_score, axis=1)
    sc = np.take_along_axis(sc, by_score, axis=1)
    art = artists[cand]
    # Occurrence number of each artist along the row (vectorised cumcount).
    keys = np.arange(n)[:, None].astype(np.int64) * (int(artists.max(initial=0)) + 2) + (
        art - int(artists.min(initial=0))
    )
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")
    sorted_keys = flat[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(flat)]))
    occurrence = np.empty(len(flat), dtype=np.int64)
    occurrence[order] = np.arange(len(flat)) - group_start
    ok = (occurrence.reshape(n, c) < cap) & np.isfinite(sc)
    rank = np.cumsum(ok, axis=1) - 1
    take = ok & (rank < k)
    rows_i, cols_i = np.nonzero(take)
    out[rows_i, rank[rows_i, cols_i]] = cand[rows_i, cols_i]
    return out


def recommend_for(
    model: Model,
    listeners: Listeners,
    *,
    track_artist: np.ndarray,
    live: np.ndarray,
    fresh: np.ndarray,
    k: int = 30,
    cap: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores), each (listeners, k): -1 and -inf where nothing is left."""
    weights = model.blend.weights()
    total = np.tensordot(weights, signals_for(model, listeners, track_artist, fresh), axes=1)
    total[~allowed_for(listeners, live)] = -np.inf
    top, top_scores = als.top_k_rows(total, min(4 * k, total.shape[1]))
    picks = capped_top(top, top_scores, track_artist, k=k, cap=cap)
    rows = np.arange(len(picks))[:, None]
    scores = np.where(picks >= 0, total[rows, picks.clip(0)], -np.inf)
    return picks, scores


def recommend(
    model: Model,
    training: Training,
    rows: np.ndarray,
    *,
    k: int = 30,
    cap: int = 2,
    batch: int = 256,
) -> np.ndarray:
    """(len(rows), k) track positions for the listeners at `rows`; -1 where none is left."""
    out = np.full((len(rows), k), -1, dtype=np.int64)
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        out[start : start + len(part)] = recommend_for(
            model,
            Listeners.of(training, part),
            track_artist=training.track_artist,
            live=training.live,
            fresh=training.fresh,
            k=k,
            cap=cap,
        )[0]
    return out


# Tuning on a validation week


def held_out(
    *, users, tracks, streams, before: sp.csr_matrix, rows: np.ndarray | None = None
) -> sp.csr_matrix:
    """Binary (U, T): tracks streamed in these rows that `before` never had."""
    ok = streams > 0
    matrix = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (users[ok], tracks[ok])), shape=before.shape
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix = matrix - matrix.multiply(before > 0)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def recall_at(recs: np.ndarray, truth: sp.csr_matrix, rows: np.ndarray, k: int) -> np.ndarray:
    """Per listener: hits in the first k / min(k, held-out tracks)."""
    n_tracks = truth.shape[1]
    sub = truth[rows].tocoo()
    held_keys = sub.row.astype(np.int64) * n_tracks + sub.col
    recs = recs[:, :k]
    keys = np.arange(len(rows))[:, None].astype(np.int64) * n_tracks + recs
    hits = np.isin(keys, held_keys) & (recs >= 0)
    sizes = np.minimum(np.asarray(truth[rows].getnnz(axis=1)), k)
    return np.where(sizes > 0, hits.sum(axis=1) / np.maximum(sizes, 1), 0.0)


@dataclass
class Validation:
    """The pieces of a tuning: a training before the validation week and its truth."""

    training: Training
    truth: sp.csr_matrix
    rows: np.ndarray


def _row_chunks(rows: np.ndarray, n_tracks: int, memory_budget: int) -> list[np.ndarray]:
    """`rows` in chunks whose dense signals (signals x rows x tracks float32) fit the budget."""
    size = max(1, int(memory_budget) // (len(SIGNALS) * 4 * max(n_tracks, 1)))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _top_allowed(training: Training, chunks: list[np.ndarray], score, k: int):
    """Each listener's k best allowed tracks by `score(rows)`, one chunk of rows at a time."""
    tops, top_scores = [], []
    for part in chunks:
        sig = score(part)
        sig[~allowed(training, part)] = -np.inf
        top, top_score = als.top_k_rows(sig, k)
        tops.append(top)
        top_scores.append(top_score)
    return np.concatenate(tops), np.concatenate(top_scores)


def _als_scores(model: Model, rows: np.ndarray) -> np.ndarray:
    return _standardise(_factor_scores(model.user_factors, rows, model.item_factors))


def _ease_scores(training: Training, ease: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    binary = training.weights[rows]
    binary.data[:] = 1.0
    return _standardise((binary @ ease).toarray())


def _choice_scores(training: Training, choice: ArtistChoice, rows: np.ndarray) -> np.ndarray:
    return choice_log_probability(
        choice, rows, training.user_market[rows], training.track_artist
    ).astype(np.float32)


def _candidates(model: Model, training: Training, rows: np.ndarray, per_signal: int = 200):
    """(candidates, values, ok) of the listeners at `rows`: the sorted union (n, C) of every
    signal's `per_signal` best allowed tracks, the signals there (S, n, C) and whether each
    is allowed and not a repeat (n, C); a repeat's values are -inf.

    Every row has the same C (signals x per_signal, at most), so chunks concatenate.
    """
    stacked = signals(model, training, rows)
    allowed_mask = allowed(training, rows)
    cand_sets = []
    for s in range(len(SIGNALS)):
        sig = np.where(allowed_mask, stacked[s], -np.inf)
        cand_sets.append(als.top_k_rows(sig, per_signal)[0])
    candidates = np.concatenate(cand_sets, axis=1)
    candidates.sort(axis=1)
    dup = np.zeros_like(candidates, dtype=bool)
    dup[:, 1:] = candidates[:, 1:] == candidates[:, :-1]
    values = np.take_along_axis(stacked, candidates[None, :, :], axis=2)
    values[:, dup] = -np.inf
    ok = np.take_along_axis(allowed_mask, candidates, axis=1) & ~dup
    return candidates, values, ok


def tune(
    validation: Validation,
    *,
    k: int = 30,
    cap: int = 2,
    base: BlendParams = BlendParams(),
    als_base: als.AlsParams = als.AlsParams(),  # noqa: B008
    als_grid: tuple[dict, ...] = ALS_GRID,
    ease_lambdas: tuple[float, ...] = EASE_LAMBDAS,
    choice_grid: tuple[dict, ...] = CHOICE_GRID,
    cache: dict | None = None,
    memory_budget: int = TUNING_MEMORY_BUDGET,
) -> tuple[BlendParams, als.AlsParams, dict]:
    """Choose ALS settings, the EASE penalty, the choice model's settings, then blend
    weights, by recall@k (artist cap kept) on the validation listeners.

    Listeners are scored in chunks whose dense signals fit `memory_budget` bytes; only
    each listener's candidates are kept, so the result does not depend on the budget.

    Return the chosen blend, ALS settings and a record of what was tried.
    """
    started = time.monotonic()
    cache = cache if cache is not None else {}
    training, truth, rows = validation.training, validation.truth, validation.rows
    record: dict = {"listeners": len(rows), "als": [], "weights": []}
    if len(rows) == 0:
        record["skipped"] = "no listener with new tracks in the validation week"
        return base, als_base, record
    chunks = _row_chunks(rows, training.shape[1], memory_budget)
    best_als, best_recall = als_base, -1.0
    for values in als_grid:
        params = replace(als_base, **values)
        model = fit(
            training, blend=base,
            als_params=params, cache=cache,
        )  # fmt: skip
        top, top_scores = _top_allowed(training, chunks, partial(_als_scores, model), 300)
        recs = capped_top(top, top_scores, training.track_artist, k=k, cap=cap)
        recall = float(recall_at(recs, truth, rows, k).mean())
        record["als"].append({**values, "recall": round(recall, 5)})
        if recall > best_recall:
            best_als, best_recall = params, recall
    record["ease"] = []
    best_lambda, best_ease = base.ease_lambda, -1.0
    gram = _ease_gram_cached(training, cache)
    for lam in ease_lambdas:
        weights_ease = ease_fit(training.weights, lam, gram=gram)
        cache[("ease", id(training.weights), lam)] = weights_ease
        top, top_scores = _top_allowed(
            training, chunks, partial(_ease_scores, training, weights_ease), 300
        )
        recs = capped_top(top, top_scores, training.track_artist, k=k, cap=cap)
        recall = float(recall_at(recs, truth, rows, k).mean())
        record["ease"].append({"lambda": lam, "recall": round(recall, 5)})
        if recall > best_ease:
            best_lambda, best_ease = lam, recall
    base = replace(base, ease_lambda=best_lambda)
    record["choice"] = []
    best_choice, best_choice_recall = CHOICE_GRID[0], -1.0
    for values in choice_grid:
        trial = replace(
            base, choice_rank=values["rank"], choice_regularization=values["regularization"]
        )
        choice = fit(training, blend=trial, als_params=best_als, cache=cache).choice
        top, top_scores = _top_allowed(
            training, chunks, partial(_choice_scores, training, choice), 4 * k
        )
        recs = capped_top(top, top_scores, training.track_artist, k=k, cap=cap)
        recall = float(recall_at(recs, truth, rows, k).mean())
        record["choice"].append({**values, "recall": round(recall, 5)})
        if recall > best_choice_recall:
            best_choice, best_choice_recall = values, recall
    base = replace(
        base,
        choice_rank=best_choice["rank"],
        choice_regularization=best_choice["regularization"],
    )
    model = fit(training, blend=base, als_params=best_als, cache=cache)
    parts = [_candidates(model, training, part) for part in chunks]
    candidates = np.concatenate([c for c, _, _ in parts])
    values = np.concatenate([v for _, v, _ in parts], axis=1)  # (S, n, C)
    ok_mask = np.concatenate([ok for _, _, ok in parts])
    del parts

    values = np.where(np.isfinite(values), values, 0.0)

    def per_listener(weights: np.ndarray) -> np.ndarray:
        total = np.tensordot(weights, values, axes=1)
        total[~ok_mask] = -np.inf
        top, top_scores = als.top_k_rows(total, min(4 * k, total.shape[1]))
        best = np.take_along_axis(candidates, top, axis=1)
        recs = capped_top(best, top_scores, training.track_artist, k=k, cap=cap)
        return recall_at(recs, truth, rows, k)

    # From the best single signal, coordinate ascent; a step is taken only when its
    # listeners' paired gain is at least `BLEND_MIN_Z` standard errors (a gain within
    # the noise of one week would not carry over to the next).
    best_rows = None
    for s in range(len(SIGNALS)):
        trial = np.zeros(len(SIGNALS), dtype=np.float32)
        trial[s] = 1.0
        trial_rows = per_listener(trial)
        if best_rows is None or trial_rows.mean() > best_rows.mean() + 1e-9:
            weights, best_rows = trial, trial_rows
    for _ in range(2):
        for s in range(len(SIGNALS)):
            for step in WEIGHT_STEPS:
                trial = weights.copy()
                trial[s] = step
                trial_rows = per_listener(trial)
                record["weights"].append(
                    {"signal": SIGNALS[s], "weight": step, "recall": float(trial_rows.mean())}
                )
                gain = trial_rows - best_rows
                error = gain.std() / np.sqrt(max(len(gain), 1))
                if gain.mean() > 1e-9 and gain.mean() > BLEND_MIN_Z * error:
                    weights, best_rows = trial, trial_rows
    best = float(best_rows.mean())
    chosen = replace(base, **{name: float(w) for name, w in zip(SIGNALS, weights, strict=True)})
    record.update(
        chosen={
            **chosen.as_dict(),
            "als_settings": {f: getattr(best_als, f) for f in ALS_GRID[0]},
        },
        als_recall=round(best_recall, 5),
        validation_recall=round(best, 5),
        seconds=round(time.monotonic() - started, 1),
    )
    record["weights"] = [
        {**w, "recall": round(w["recall"], 5)} for w in record["weights"] if w["recall"] >= 0
    ][-10:]
    return chosen, best_als, record
