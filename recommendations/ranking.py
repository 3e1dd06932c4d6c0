"""Turning scores into playlists: diversity, the artist cap, fallbacks. Pure numpy."""

import numpy as np


def diversify(
    *,
    top: np.ndarray,
    scores: np.ndarray,
    unit_factors: np.ndarray,
    artists: np.ndarray,
    size: int,
    artist_cap: int,
    diversity: float,
) -> np.ndarray:
    """Pick up to `size` of each row's candidates greedily (maximal marginal relevance).

    `top` holds candidate indices per listener (best first) and `scores` their scores
    (-inf: not allowed). Each pick maximises `(1 - diversity) * relevance - diversity *
    similarity to the picks so far`, relevance being the score scaled to [0, 1] per
    listener; an artist (`artists[candidate]`) is picked at most `artist_cap` times.
    Return indices into the columns of `top`, -1 where a row ran out.
    """
    rows_n, k = top.shape
    picks = np.full((rows_n, size), -1, dtype=np.int64)
    if rows_n == 0 or k == 0 or size == 0:
        return picks
    valid = np.isfinite(scores)
    safe = np.where(valid, scores, 0.0)
    low = np.where(valid, safe, np.inf).min(axis=1, keepdims=True)
    high = np.where(valid, safe, -np.inf).max(axis=1, keepdims=True)
    span = np.where(np.isfinite(high - low) & (high > low), high - low, 1.0)
    relevance = np.where(valid, (safe - np.where(np.isfinite(low), low, 0.0)) / span, 0.0)
    embedded = np.take(unit_factors, top, axis=0)  # rows x k x factors
    art = artists[top]
    blocked = ~valid
    selected = np.zeros_like(valid)
    closest = np.zeros((rows_n, k), dtype=np.float32)  # similarity to the nearest pick, >= 0
    rows = np.arange(rows_n)
    for step in range(size):
        value = (1.0 - diversity) * relevance - diversity * closest
        value[blocked] = -np.inf
        pick = value.argmax(axis=1)
        ok = np.isfinite(value[rows, pick])
        if not ok.any():
            break
        picks[:, step] = np.where(ok, pick, -1)
        blocked[rows[ok], pick[ok]] = True
        selected[rows[ok], pick[ok]] = True
        similarity = np.matmul(embedded, embedded[rows, pick][:, :, None])[:, :, 0]
        np.maximum(closest, np.where(ok[:, None], similarity, 0.0), out=closest)
        same = art == art[rows, pick][:, None]
        full = ok & ((same & selected).sum(axis=1) >= artist_cap)
        blocked |= same & full[:, None]
    return picks


def fill(
    *,
    chosen: list[int],
    pools: list[np.ndarray],
    size: int,
    played: set[int],
    eligible: np.ndarray,
    artists: np.ndarray,
    artist_cap: int,
) -> list[int]:
    """Append tracks from `pools` (in order) to `chosen` until it holds `size`.

    A track is taken once, only if `eligible`, never `played`, and while its artist has
    fewer than `artist_cap` tracks in the list. Mutates and returns `chosen`.
    """
    taken = set(chosen)
    counts: dict[int, int] = {}
    for position in chosen:
        counts[artists[position]] = counts.get(artists[position], 0) + 1
    for pool in pools:
        for position in pool.tolist():
            if len(chosen) >= size:
                return chosen
            if position in taken or position in played or not eligible[position]:
                continue
            artist = artists[position]
            if counts.get(artist, 0) >= artist_cap:
                continue
            chosen.append(position)
            taken.add(position)
            counts[artist] = counts.get(artist, 0) + 1
    return chosen


def blend(pools: list[np.ndarray], *, seed: int, width: int, keep: int = 5) -> np.ndarray:
    """Interleave the first `width` of each pool; past the first `keep`, lightly shuffled.

    Listeners of one market then get different mixes of the same popular and editorial
    tracks (the same mix on every rerun), each pool's head always leading.
    """
    rng = np.random.default_rng(seed)
    shuffled = []
    for pool in pools:
        head, rest = pool[:keep], pool[keep:width]
        jitter = np.arange(len(rest)) + rng.exponential(width / 8, size=len(rest))
        shuffled.append(np.concatenate([head, rest[np.argsort(jitter, kind="stable")]]))
    longest = max((len(p) for p in shuffled), default=0)
    merged = [p[i] for i in range(longest) for p in shuffled if i < len(p)]
    return np.asarray(list(dict.fromkeys(merged)), dtype=np.int64)
