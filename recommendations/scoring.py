"""Scoring one chunk of listeners into Discover Weekly and Release Radar track lists.

A `ScoringContext` is what every chunk of a run shares: the model's factors, the
catalogue as arrays indexed by track position (the index of a track id in the sorted
`track_ids`), and per market, loaded when a chunk first needs it, the playable tracks,
the fallback pools and the new releases. A worker process keeps one per run.

Discover Weekly: `recommendations.discover` scores the listener against the model's
tracks (the blend of ALS, item neighbours, artist affinity, new releases and market
charts), with tracks not live in the listener's market and tracks they ever played masked
out, at most `artist_cap` per artist; a short list is topped up from the market's popular
and editorial tracks, then from every playable track by popularity.

Release Radar: tracks of releases that went live in the listener's market in the last
`window_days` by artists they follow or play, then by artists related to those, ranked
by affinity; listeners without any history get the market's most popular new releases.
"""

import datetime
import math
import time
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db.models import F, Q, Sum, Window
from django.db.models.functions import RowNumber
from threadpoolctl import threadpool_limits

from accounts.models import User
from catalog.models import (
    FollowedArtist,
    PlaylistItem,
    Release,
    Track,
    TrackArtist,
)
from catalog.selectors import track_playable_in
from editorial.models import EditorialPlaylist
from licensing.models import ReleaseMarketDate
from playback.models import DailyListenerTrack, DailyTrackStreams
from recommendations import als, discover, ranking
from recommendations.data import column_arrays
from recommendations.models import PlaylistKind

DW = PlaylistKind.DISCOVER_WEEKLY.value
RR = PlaylistKind.RELEASE_RADAR.value


@dataclass(frozen=True)
class RankingParams:
    playlist_size: int = 30
    artist_cap: int = 2
    batch: int = 256  # listeners scored per matrix product
    popular_days: int = 28
    pool: int = 300  # popular and editorial tracks per market kept for fallbacks
    window_days: int = 14  # Release Radar: releases live in the market in these last days
    related_fill: int = 10  # at most this many Release Radar tracks from related artists
    tracks_per_release: int = 2
    skip_weight: float = 0.2

    @classmethod
    def from_settings(cls) -> "RankingParams":
        values = settings.RECOMMENDATIONS_RANKING
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in values.items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class NewReleases:
    positions: np.ndarray  # track positions
    artists: np.ndarray  # artist index of each
    tiebreak: np.ndarray  # < 0.01, popularity of the artist


@dataclass
class ChunkResult:
    users: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    listeners: int = 0
    seconds: float = 0.0

    def add(self, kind: str, user_id: int, tracks: list[tuple[int, float, str]]) -> None:
        stats = self.counts.setdefault(kind, {"listeners": 0, "tracks": 0, "empty": 0})
        stats["listeners"] += 1
        stats["tracks"] += len(tracks)
        if not tracks:
            stats["empty"] += 1
        for position, (track_id, score, source) in enumerate(tracks):
            self.users.append(user_id)
            self.kinds.append(kind)
            self.positions.append(position)
            self.track_ids.append(track_id)
            self.scores.append(score)
            self.sources.append(source)
            stats[source] = stats.get(source, 0) + 1

    def add_stat(self, kind: str, name: str, value: float) -> None:
        stats = self.counts.setdefault(kind, {"listeners": 0, "tracks": 0, "empty": 0})
        stats[name] = stats.get(name, 0) + value

    def __len__(self) -> int:
        return len(self.users)


class ScoringContext:
    def __init__(
        self,
        *,
        item_arrays: dict[str, np.ndarray],
        user_arrays: dict[str, np.ndarray],
        now: datetime.datetime,
        kinds: list[str],
        params: RankingParams,
        seed: int = 0,
    ):
        self.now, self.kinds, self.params, self.seed = now, kinds, params, seed
        self.today = now.astimezone(datetime.UTC).date()
        self._eligible: dict[str, np.ndarray] = {}
        self._fallback: dict[str, list[np.ndarray]] = {}
        self._popular: dict[str, list[int]] | None = None
        self._new_releases: dict[str, NewReleases] = {}
        self._load_catalogue()
        self._load_model(item_arrays, user_arrays)

    # Catalogue arrays, by track position

    def _load_catalogue(self) -> None:
        (track_ids, release_ids, popularity) = column_arrays(
            Track.objects.all(), "id", "release_id", "popularity"
        )
        order = np.argsort(track_ids)
        self.track_ids = track_ids[order]
        self.release_of = release_ids[order]
        n = len(self.track_ids)
        credit_tracks, credit_artists, credit_positions = column_arrays(
            TrackArtist.objects.filter(role=TrackArtist.Role.PRIMARY),
            "track_id",
            "artist_id",
            "position",
        )
        first = np.lexsort((credit_positions, credit_tracks))
        credit_tracks, credit_artists = credit_tracks[first], credit_artists[first]
        keep = np.r_[True, credit_tracks[1:] != credit_tracks[:-1]] if len(first) else first
        primary = np.full(n, -1, dtype=np.int64)
        found, where = self.positions_of(credit_tracks[keep])
        primary[where] = credit_artists[keep][found]
        self.artist_ids = np.unique(primary[primary >= 0])
        self.artist_index = np.full(n, -1, dtype=np.int64)
        has = primary >= 0
        self.artist_index[has] = np.searchsorted(self.artist_ids, primary[has])
        # Tracks without a primary artist each count as an artist of their own for the cap.
        self.artist_code = np.where(has, self.artist_index, -1 - np.arange(n))
        # Global popularity (ordering of the last fallback) is set from the model's
        # listener counts in _load_model.
        self.popularity = popularity[order].astype(np.float64) / 100.0

    def positions_of(self, track_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of `track_ids` that exist, their positions)."""
        if len(self.track_ids) == 0:
            return np.zeros(len(track_ids), bool), np.zeros(0, np.int64)
        where = np.searchsorted(self.track_ids, track_ids)
        where = np.minimum(where, len(self.track_ids) - 1)
        found = self.track_ids[where] == track_ids
        return found, where[found]

    # The model

    def _load_model(self, items: dict[str, np.ndarray], users: dict[str, np.ndarray]) -> None:
        n = len(self.track_ids)
        self.user_ids = users.get("user_ids", np.zeros(0, np.int64))
        self.user_factors = users.get("user_factors", np.zeros((0, 0), np.float32))
        track_ids = items.get("track_ids", np.zeros(0, np.int64))
        listeners = items.get("track_listeners", np.zeros(0, np.int64))
        found, where = self.positions_of(track_ids)
        self.listeners = np.zeros(n, dtype=np.int64)
        self.listeners[where] = listeners[found]
        self.model_users = max(len(self.user_ids), 1)
        self.popularity += self.listeners
        self.by_popularity = np.argsort(-self.popularity, kind="stable")
        # Related artists, as a sparse artist-index x artist-index matrix of similarities.
        a = len(self.artist_ids)
        model_artists = items.get("artist_ids", np.zeros(0, np.int64))
        related = items.get("related_index", np.zeros((0, 0), np.int32))
        scores = items.get("related_scores", np.zeros((0, 0), np.float32))
        self.related = sp.csr_matrix((a, a), dtype=np.float32)
        if a and len(model_artists) and related.size:
            src = np.repeat(np.arange(len(model_artists)), related.shape[1])
            dst = related.ravel()
            ok = dst >= 0
            src_ids, dst_ids = model_artists[src[ok]], model_artists[dst[ok]]
            src_i = np.searchsorted(self.artist_ids, src_ids).clip(0, a - 1)
            dst_i = np.searchsorted(self.artist_ids, dst_ids).clip(0, a - 1)
            keep = (self.artist_ids[src_i] == src_ids) & (self.artist_ids[dst_i] == dst_ids)
            values = np.clip(scores.ravel()[ok][keep], 0, 1)
            self.related = sp.csr_matrix(
                (values, (src_i[keep], dst_i[keep])), shape=(a, a), dtype=np.float32
            )
        has_artist = self.artist_index >= 0
        self.track_artist_matrix = sp.csr_matrix(
            (
                np.ones(int(has_artist.sum()), np.float32),
                (np.flatnonzero(has_artist), self.artist_index[has_artist]),
            ),
            shape=(n, a),
        )
        self._load_discover_weekly(items, users)
        artist_plays = np.bincount(
            self.artist_index[has_artist], weights=self.listeners[has_artist], minlength=a
        )
        self.artist_popularity = artist_plays / max(float(artist_plays.max(initial=0)), 1.0)

    def _load_discover_weekly(self, items: dict, users: dict) -> None:
        """The blended Discover Weekly model; its columns are the catalogue at training."""
        self.dw = None
        if "dw_track_ids" not in items:
            return
        track_ids = items["dw_track_ids"]
        n = len(track_ids)
        knn = sp.csr_matrix(
            (items["dw_knn_data"], items["dw_knn_indices"], items["dw_knn_indptr"]), shape=(n, n)
        )
        ease = None
        if "dw_ease_indptr" in items:
            ease = sp.csr_matrix(
                (items["dw_ease_data"], items["dw_ease_indices"], items["dw_ease_indptr"]),
                shape=(n, n),
            )
        choice = None
        if "dw_choice_bias" in items:
            choice = discover.ArtistChoice(
                user_factors=users["dw_choice_user_factors"],
                artist_factors=items["dw_choice_artist_factors"],
                bias=items["dw_choice_bias"],
                log_within=items["dw_choice_log_within"],
                # Model versions before the listener's slope and local scene: without them.
                user_slope=users.get("dw_choice_user_slope"),
                user_local=users.get("dw_choice_user_local"),
                local=items.get("dw_choice_local"),
            )
        self.dw = discover.Model(
            blend=discover.BlendParams(),
            als_params=als.AlsParams(),
            user_factors=users["dw_user_factors"],
            item_factors=items["dw_item_factors"],
            knn=knn,
            standing=items["dw_standing"],
            popularity=items["dw_popularity"],
            artist_user_factors=users["dw_artist_user_factors"],
            artist_factors=items["dw_artist_factors"],
            ease=ease,
            choice=choice,
        )
        self.dw_user_ids = users["dw_user_ids"]
        self.dw_track_artist = items["dw_track_artist"]
        self.dw_fresh = items["dw_fresh"]
        self.dw_markets = [str(m) for m in items["dw_markets"]]
        found, where = self.positions_of(track_ids)
        self.dw_pos = np.full(n, -1, dtype=np.int64)  # catalogue position of each column
        self.dw_pos[found] = where
        self.dw_select = sp.csr_matrix(
            (np.ones(int(found.sum()), np.float32), (where, np.flatnonzero(found))),
            shape=(len(self.track_ids), n),
        )
        self._dw_live: dict[str, np.ndarray] = {}

    def dw_blend(self, blend: dict) -> None:
        if self.dw is not None:
            self.dw.blend = discover.BlendParams.from_dict(blend)

    def dw_live(self) -> np.ndarray:
        """(columns, model markets): playable now in the market (tonight's availability)."""
        key = "all"
        if key not in self._dw_live:
            live = np.zeros((len(self.dw_pos), len(self.dw_markets)), dtype=bool)
            known = self.dw_pos >= 0
            for m, market in enumerate(self.dw_markets):
                live[known, m] = self.eligible(market)[self.dw_pos[known]]
            self._dw_live[key] = live
        return self._dw_live[key]

    # Per market, loaded on first use

    def eligible(self, market: str) -> np.ndarray:
        if market not in self._eligible:
            (track_ids,) = column_arrays(
                Track.objects.filter(track_playable_in(market=market, now=self.now)), "id"
            )
            mask = np.zeros(len(self.track_ids), dtype=bool)
            mask[self.positions_of(track_ids)[1]] = True
            self._eligible[market] = mask
        return self._eligible[market]

    def fallback_pools(self, market: str) -> list[np.ndarray]:
        """[popular in the market, editorial in the market, every track by popularity]."""
        if market not in self._fallback:
            if self._popular is None:
                self._popular = self._load_popular()
            editorial = list(
                PlaylistItem.objects.filter(
                    playlist__in=EditorialPlaylist.objects.filter(
                        state=EditorialPlaylist.State.PUBLISHED,
                        public=True,
                        markets__contains=market,
                    ).values("pk")
                )
                .order_by("-playlist__editorialplaylist__priority", "playlist_id", "position")
                .values_list("track_id", flat=True)[: self.params.pool]
            )
            pools = []
            for ids in (self._popular.get(market, []), editorial):
                pools.append(self.positions_of(np.asarray(ids, dtype=np.int64))[1])
            eligible = self.eligible(market)
            pools.append(self.by_popularity[eligible[self.by_popularity]])
            self._fallback[market] = pools
        return self._fallback[market]

    def _load_popular(self) -> dict[str, list[int]]:
        """The `pool` most streamed tracks of each listeners' market lately: one scan."""
        markets = User.objects.filter(is_active=True).values("country").distinct()
        since = self.today - datetime.timedelta(days=self.params.popular_days)
        ranked = (
            DailyTrackStreams.objects.filter(day__gte=since, country__in=markets)
            .order_by()  # the model's ordering would join the GROUP BY
            .values("country", "track_id")
            .annotate(total=Sum("streams"))
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("country")],
                    order_by=[F("total").desc(), F("track_id").asc()],
                )
            )
            .filter(rank__lte=self.params.pool)
            .values_list("country", "track_id", "rank")
        )
        popular: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for country, track_id, rank in ranked:
            popular[country].append((rank, track_id))
        return {market: [t for _, t in sorted(rows)] for market, rows in popular.items()}

    def new_releases(self, market: str) -> NewReleases:
        if market not in self._new_releases:
            self._new_releases[market] = self._load_new_releases(market)
        return self._new_releases[market]

    def _load_new_releases(self, market: str) -> NewReleases:
        start = self.now - datetime.timedelta(days=self.params.window_days)
        release_ids = set(
            Release.objects.filter(
                release_date__gt=start.date(), release_date__lte=self.today
            ).values_list("pk", flat=True)
        )
        for release_id, live_at in market_release_dates(
            market=market, release_ids=release_ids, start=start, end=self.now
        ):
            if start < live_at <= self.now:
                release_ids.add(release_id)
            else:
                release_ids.discard(release_id)
        rows = list(
            Track.objects.filter(release_id__in=release_ids)
            .order_by("release_id", "disc_number", "track_number", "id")
            .values_list("pk", "release_id")
        )
        per_release: dict[int, int] = defaultdict(int)
        chosen = []
        eligible = self.eligible(market)
        for track_id, release_id in rows:
            found, where = self.positions_of(np.asarray([track_id], dtype=np.int64))
            if not found[0] or not eligible[where[0]] or self.artist_index[where[0]] < 0:
                continue
            if per_release[release_id] >= self.params.tracks_per_release:
                continue
            per_release[release_id] += 1
            chosen.append(where[0])
        positions = np.asarray(chosen, dtype=np.int64)
        artists = self.artist_index[positions]
        tiebreak = 0.009 * self.artist_popularity[artists] + 0.0009 * np.minimum(
            self.popularity[positions], 1.0
        )
        return NewReleases(positions=positions, artists=artists, tiebreak=tiebreak)


def market_release_dates(
    *, market: str, release_ids: set[int], start: datetime.datetime, end: datetime.datetime
) -> list[tuple[int, datetime.datetime]]:
    """Per-market go-live moments from licensing: of `release_ids`, and any in the window."""
    return list(
        ReleaseMarketDate.objects.filter(market=market)
        .filter(Q(release_id__in=release_ids) | Q(live_at__gt=start, live_at__lte=end))
        .values_list("release_id", "live_at")
    )


# Chunks


def chunk_recommend(
    ctx: ScoringContext, *, first_user_id: int, last_user_id: int, blas_threads: int = 1
) -> ChunkResult:
    """Score the active listeners with ids in [first_user_id, last_user_id]."""
    started = time.monotonic()
    result = ChunkResult()
    users = list(
        User.objects.filter(is_active=True, pk__gte=first_user_id, pk__lte=last_user_id)
        .order_by("pk")
        .values_list("pk", "country")
    )
    if not users:
        return result
    user_ids = np.asarray([u for u, _ in users], dtype=np.int64)
    markets = [str(country) for _, country in users]
    history = _chunk_history(ctx, user_ids, first_user_id, last_user_id)
    result.listeners = len(users)
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        if DW in ctx.kinds:
            _discover_weekly(ctx, result, user_ids, markets, history)
        if RR in ctx.kinds:
            followed = _chunk_followed(ctx, user_ids, first_user_id, last_user_id)
            _release_radar(ctx, result, user_ids, markets, history, followed)
    result.seconds = time.monotonic() - started
    return result


def _chunk_history(ctx, user_ids, first, last) -> sp.csr_matrix:
    """Listener x track position weights of everything the chunk's listeners played."""
    users, tracks, streams, skips = column_arrays(
        DailyListenerTrack.objects.filter(user_id__gte=first, user_id__lte=last),
        "user_id",
        "track_id",
        "streams",
        "skips",
    )
    rows = np.searchsorted(user_ids, users).clip(0, max(len(user_ids) - 1, 0))
    keep = user_ids[rows] == users if len(user_ids) else np.zeros(len(users), bool)
    found, where = ctx.positions_of(tracks[keep])
    rows = rows[keep][found]
    weights = (streams[keep][found] + ctx.params.skip_weight * skips[keep][found]).astype(
        np.float32
    )
    # A play always leaves a trace, even a lone skip, so it is excluded as "played".
    weights = np.maximum(weights, 1e-3)
    matrix = sp.csr_matrix(
        (weights, (rows, where)), shape=(len(user_ids), len(ctx.track_ids)), dtype=np.float32
    )
    matrix.sum_duplicates()
    return matrix


def _chunk_followed(ctx, user_ids, first, last) -> sp.csr_matrix:
    users, artists = column_arrays(
        FollowedArtist.objects.filter(user_id__gte=first, user_id__lte=last),
        "user_id",
        "artist_id",
    )
    a = len(ctx.artist_ids)
    shape = (len(user_ids), a)
    if not len(users) or not a:
        return sp.csr_matrix(shape, dtype=np.float32)
    rows = np.searchsorted(user_ids, users).clip(0, len(user_ids) - 1)
    cols = np.searchsorted(ctx.artist_ids, artists).clip(0, a - 1)
    keep = (user_ids[rows] == users) & (ctx.artist_ids[cols] == artists)
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])), shape=shape
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _by_market(markets: list[str]) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = defaultdict(list)
    for row, market in enumerate(markets):
        groups[market].append(row)
    return {market: np.asarray(rows, dtype=np.int64) for market, rows in groups.items()}


def _user_seed(ctx: ScoringContext, user_id: int) -> int:
    """The seed of a listener's fallback mix: the same for the same listener and data."""
    return zlib.crc32(f"{user_id}".encode())


def _discover_weekly(ctx, result, user_ids, markets, history) -> None:
    p = ctx.params
    novelty, novelty_n = 0.0, 0
    picks: dict[int, list[tuple[int, float]]] = {}
    if ctx.dw is not None and len(user_ids):
        market_index = {m: i for i, m in enumerate(ctx.dw_markets)}
        factor_rows = np.searchsorted(ctx.dw_user_ids, user_ids).clip(
            0, max(len(ctx.dw_user_ids) - 1, 0)
        )
        if len(ctx.dw_user_ids):
            factor_rows = np.where(ctx.dw_user_ids[factor_rows] == user_ids, factor_rows, -1)
        else:
            factor_rows = np.full(len(user_ids), -1)
        model_markets = np.asarray([market_index.get(m, -1) for m in markets], dtype=np.int64)
        columns = history @ ctx.dw_select
        live = ctx.dw_live()
        has_history = np.diff(history.indptr) > 0
        # Enough per batch to use BLAS, few enough that (signals x batch x tracks) fits.
        batch = int(max(8, min(p.batch, 2e7 // max(len(ctx.dw_pos), 1))))
        rows_all = np.flatnonzero(has_history)
        for start in range(0, len(rows_all), batch):
            rows = rows_all[start : start + batch]
            chosen, scores = discover.recommend_for(
                ctx.dw,
                discover.Listeners(
                    history=columns[rows],
                    factor_rows=factor_rows[rows],
                    markets=model_markets[rows],
                ),
                track_artist=ctx.dw_track_artist,
                live=live,
                fresh=ctx.dw_fresh,
                k=p.playlist_size,
                cap=p.artist_cap,
            )
            for i, row in enumerate(rows.tolist()):
                ok = chosen[i] >= 0
                picks[row] = [
                    (int(ctx.dw_pos[c]), float(sc))
                    for c, sc in zip(chosen[i][ok].tolist(), scores[i][ok].tolist(), strict=True)
                    if ctx.dw_pos[c] >= 0
                ]
    for market, rows in _by_market(markets).items():
        eligible = ctx.eligible(market)
        pools = ctx.fallback_pools(market)
        for row in rows.tolist():
            user_id = int(user_ids[row])
            scored_picks = picks.get(row, [])
            played = set(history.indices[history.indptr[row] : history.indptr[row + 1]].tolist())
            positions = [position for position, _ in scored_picks]
            model_n = len(positions)
            if model_n < p.playlist_size:
                mix = ranking.blend(
                    pools[:2], seed=_user_seed(ctx, user_id), width=3 * p.playlist_size
                )
                ranking.fill(
                    chosen=positions,
                    pools=[mix, *pools],
                    size=p.playlist_size,
                    played=played,
                    eligible=eligible,
                    artists=ctx.artist_code,
                    artist_cap=p.artist_cap,
                )
            tracks = [(int(ctx.track_ids[pos]), score, "model") for pos, score in scored_picks] + [
                (int(ctx.track_ids[pos]), 0.0, "fallback") for pos in positions[model_n:]
            ]
            result.add(DW, user_id, tracks)
            for pos in positions:
                novelty -= math.log2((ctx.listeners[pos] + 1) / (ctx.model_users + 1))
                novelty_n += 1
    result.add_stat(DW, "novelty_bits_sum", novelty)
    result.add_stat(DW, "novelty_n", novelty_n)


def _release_radar(ctx, result, user_ids, markets, history, followed) -> None:
    p = ctx.params
    plays = history @ ctx.track_artist_matrix  # listener x artist weights
    plays = sp.csr_matrix(plays)
    row_max = np.asarray(plays.max(axis=1).todense()).ravel() if plays.shape[1] else None
    for market, rows in _by_market(markets).items():
        releases = ctx.new_releases(market)
        if len(releases.positions) == 0:
            for row in rows.tolist():
                result.add(RR, int(user_ids[row]), [])
            continue
        cols, track_col = np.unique(releases.artists, return_inverse=True)
        share = plays[rows][:, cols].toarray()
        share /= np.maximum(row_max[rows], 1e-9)[:, None]
        follows = followed[rows][:, cols].toarray()
        seeds = sp.csr_matrix(plays[rows].multiply(1.0 / np.maximum(row_max[rows], 1e-9)[:, None]))
        seeds = seeds + followed[rows]
        related = (seeds @ ctx.related[:, cols]).toarray()
        direct = (share > 0) | (follows > 0)
        artist_score = np.where(direct, 1.0 + share + 0.5 * follows, 0.9 * np.minimum(related, 1.0))
        source = np.where(follows > 0, 1, np.where(share > 0, 2, np.where(related > 0, 3, 0)))
        cold = (np.asarray(history[rows].getnnz(axis=1)) == 0) & (
            np.asarray(followed[rows].getnnz(axis=1)) == 0
        )
        scores = artist_score[:, track_col] + releases.tiebreak[None, :]
        scores[artist_score[:, track_col] <= 0] = -np.inf
        scores[cold] = releases.tiebreak[None, :]
        track_source = source[:, track_col]
        track_source[cold] = 4
        top, top_scores = als.top_k_rows(scores, p.playlist_size)
        names = {1: "followed", 2: "played", 3: "related", 4: "popular"}
        for i, row in enumerate(rows.tolist()):
            tracks, related = [], 0
            for c, s in zip(top[i].tolist(), top_scores[i].tolist(), strict=True):
                source = names.get(int(track_source[i, c]), "related")
                if not np.isfinite(s):
                    continue
                if source == "related":
                    # Related artists only fill the list, and only so far.
                    if related >= p.related_fill:
                        continue
                    related += 1
                tracks.append((int(ctx.track_ids[releases.positions[c]]), float(s), source))
            result.add(RR, int(user_ids[row]), tracks)
