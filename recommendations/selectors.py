"""Reads of recommendations: similar tracks and related artists from the current model.

The track and artist factors of the newest READY model are loaded once per process and
kept until a newer version is trained; a lookup is then one indexed query for the current
version's id and an exact cosine scan in memory (milliseconds for 200k tracks).
"""

import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Q
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Track
from recommendations import als
from recommendations.models import ModelVersion

RELATED_ARTISTS_LIMIT = 20


@dataclass
class ItemIndex:
    version_id: int
    track_ids: np.ndarray
    track_unit: np.ndarray
    artist_ids: np.ndarray
    artist_unit: np.ndarray
    related_index: np.ndarray
    related_scores: np.ndarray


_lock = threading.Lock()
_cache: dict[str, ItemIndex] = {}


def model_version_current_id() -> int | None:
    return (
        ModelVersion.objects.filter(state=ModelVersion.State.READY)
        .exclude(item_factors=b"")
        .order_by("-trained_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def item_index() -> ItemIndex | None:
    """The current model's item side, or None before the first training."""
    version_id = model_version_current_id()
    if version_id is None:
        return None
    cached = _cache.get("current")
    if cached is not None and cached.version_id == version_id:
        return cached
    with _lock:
        cached = _cache.get("current")
        if cached is not None and cached.version_id == version_id:
            return cached
        data = ModelVersion.objects.filter(pk=version_id).values_list("item_factors", flat=True)
        arrays = als.unpack(data.first())
        index = ItemIndex(
            version_id=version_id,
            track_ids=arrays["track_ids"],
            track_unit=als.normalised(arrays["track_factors"]),
            artist_ids=arrays["artist_ids"],
            artist_unit=arrays["artist_factors"],
            related_index=arrays["related_index"],
            related_scores=arrays["related_scores"],
        )
        _cache["current"] = index
        return index


def _row_of(ids: np.ndarray, wanted: int) -> int | None:
    row = int(np.searchsorted(ids, wanted))
    return row if row < len(ids) and ids[row] == wanted else None


def similar_track_ids(*, track_id: int, limit: int) -> list[int]:
    """Tracks whose factors are closest to the track's (cosine), best first."""
    index = item_index()
    row = _row_of(index.track_ids, track_id) if index else None
    if row is None or limit <= 0:
        return []
    scores = index.track_unit @ index.track_unit[row]
    scores[row] = -np.inf
    best, best_scores = als.top_k_rows(scores[None, :], limit)
    return [int(index.track_ids[i]) for i, s in zip(best[0], best_scores[0], strict=True) if s > 0]


def related_artist_ids(*, artist_id: int, limit: int = RELATED_ARTISTS_LIMIT) -> list[int]:
    """Artists whose listeners' taste is closest to the artist's ("fans also like")."""
    index = item_index()
    row = _row_of(index.artist_ids, artist_id) if index else None
    if row is None:
        return []
    if index.related_index.size and index.related_index[row, 0] >= 0:
        related = [int(i) for i in index.related_index[row] if i >= 0][:limit]
        return [int(index.artist_ids[i]) for i in related]
    # Outside the precomputed pool (few listeners): scan every artist.
    scores = index.artist_unit @ index.artist_unit[row]
    scores[row] = -np.inf
    best, best_scores = als.top_k_rows(scores[None, :], limit)
    return [int(index.artist_ids[i]) for i, s in zip(best[0], best_scores[0], strict=True) if s > 0]


# /recommendations: seeds -> candidates -> attribute filters -> ordering


@dataclass(frozen=True)
class AttributeRange:
    """`min_`, `max_` and `target_` of one tunable attribute (None: not given)."""

    minimum: float | None = None
    maximum: float | None = None
    target: float | None = None


# Attribute -> (track field, scale of one unit of distance to a target).
TUNABLE_ATTRIBUTES = {
    "duration_ms": ("duration_ms", 600_000.0),
    "loudness": ("audio__loudness_lufs", 60.0),
    "popularity": ("popularity", 100.0),
}
SEED_POOL = 100


@dataclass
class SeedPool:
    type: str
    id: str
    initial_pool_size: int
    after_filtering_size: int = 0


@dataclass
class Recommendations:
    track_ids: list[int]
    seeds: list[SeedPool]


def recommendations_get(
    *,
    seed_track_ids: list[int],
    seed_artist_ids: list[int],
    seed_genres: list[str],
    ranges: dict[str, AttributeRange],
    market: str | None,
    limit: int,
    now=None,
) -> Recommendations:
    """Tracks for the seeds: taste-model neighbours of seed tracks, tracks of seed artists and
    their related artists, popular tracks of seed genres; filtered by `ranges` (and playable in
    `market`), ordered by distance to the targets, else by how early a seed proposed them."""
    now = now or timezone.now()
    pools: list[tuple[SeedPool, list[int]]] = []
    for track_id in seed_track_ids:
        ids = similar_track_ids(track_id=track_id, limit=SEED_POOL)
        pools.append((SeedPool("TRACK", str(track_id), len(ids)), ids))
    for artist_id in seed_artist_ids:
        artists = [artist_id, *related_artist_ids(artist_id=artist_id)]
        ids = catalog_selectors.track_ids_by_artists(artist_ids=artists, limit=SEED_POOL)
        pools.append((SeedPool("ARTIST", str(artist_id), len(ids)), ids))
    for slug in seed_genres:
        ids = catalog_selectors.track_ids_by_genres(slugs=[slug], limit=SEED_POOL)
        pools.append((SeedPool("GENRE", slug, len(ids)), ids))

    # Round-robin over the seeds so each contributes near the top.
    rank: dict[int, int] = {}
    for position in range(SEED_POOL):
        for _, ids in pools:
            if position < len(ids) and ids[position] not in rank:
                rank[ids[position]] = len(rank)
    for track_id in seed_track_ids:
        rank.pop(track_id, None)

    filters = Q(pk__in=list(rank))
    for name, bounds in ranges.items():
        field = TUNABLE_ATTRIBUTES[name][0]
        if bounds.minimum is not None:
            filters &= Q(**{f"{field}__gte": bounds.minimum})
        if bounds.maximum is not None:
            filters &= Q(**{f"{field}__lte": bounds.maximum})
    tracks = Track.objects.filter(filters)
    if market:
        tracks = tracks.filter(catalog_selectors.track_playable_in(market=market, now=now))
    fields = [field for field, _ in TUNABLE_ATTRIBUTES.values()]
    rows = {
        row[0]: dict(zip(TUNABLE_ATTRIBUTES, row[1:], strict=True))
        for row in tracks.values_list("pk", *fields)
    }
    for pool, ids in pools:
        pool.after_filtering_size = sum(1 for i in ids if i in rows)

    targets = {name: r.target for name, r in ranges.items() if r.target is not None}

    def distance(track_id: int) -> float:
        total = 0.0
        for name, target in targets.items():
            value = rows[track_id][name]
            scale = TUNABLE_ATTRIBUTES[name][1]
            total += 1.0 if value is None else min(abs(value - target) / scale, 1.0)
        return total

    ordered = sorted(rows, key=lambda i: (distance(i), rank[i]) if targets else rank[i])
    return Recommendations(track_ids=ordered[:limit], seeds=[pool for pool, _ in pools])
