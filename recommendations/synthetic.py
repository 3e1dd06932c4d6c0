"""A realistic synthetic listening log for offline evaluation, without planted clusters.

Nothing here sorts listeners or artists into taste groups. Instead (all seeded numpy):

- markets of different sizes, each with a local scene: an artist is international or
  belongs to one market, where locals play it far more than anyone abroad;
- taste is a continuous style vector per artist and per listener (no clusters), mixed
  with popularity: Zipf within each scene, each listener with their own taste for the
  mainstream and for their local scene;
- weekly drift: every artist's popularity takes a random walk from week to week;
- releases go out on Fridays, per market (some markets a week later), and get a boost
  that decays over a few weeks; there is a back catalogue of five years;
- listening comes in sessions: album sessions (a release in order until the listener
  stops), discovery sessions (artists by taste and popularity, a track within the
  artist by its popularity), and heavy re-listening of what the listener already
  streamed; plays far from the listener's taste are often skipped (< 30 s);
- listeners join during the period and churn; activity is heavy-tailed;
- licensing: local releases are often not licensed abroad, a few international ones are
  missing in some markets.

The result is a `ListeningLog`: per (listener, track, day) rows of streams and skips,
plus the catalogue and market facts the recommenders need. Day 0 is a Monday.
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

MARKETS = ("US", "GB", "DE", "SE", "BR", "MX", "FR", "JP")
MARKET_WEIGHTS = np.array([30, 14, 12, 8, 12, 9, 8, 7], dtype=float)
FRIDAY = 4


@dataclass
class ListeningLog:
    """Plays and the catalogue, all indexed by position (listener, track, artist, market)."""

    markets: tuple[str, ...]
    days: int
    user_market: np.ndarray  # (U,) market index
    track_artist: np.ndarray  # (T,) artist index
    track_release: np.ndarray  # (T,) release index
    release_day: np.ndarray  # (R, M) day the release goes live in each market
    available: np.ndarray  # (T, M) licensed in the market
    users: np.ndarray  # play rows: listener, track, day, streams, skips
    tracks: np.ndarray
    day: np.ndarray
    streams: np.ndarray
    skips: np.ndarray
    follow_users: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    follow_artists: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Database ids of the listeners and tracks, when the log comes from a database.
    user_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    track_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n_users(self) -> int:
        return len(self.user_market)

    @property
    def n_tracks(self) -> int:
        return len(self.track_artist)

    @property
    def n_artists(self) -> int:
        return int(self.track_artist.max(initial=-1)) + 1

    def released(self, day: int) -> np.ndarray:
        """(T, M) live on or before `day` and licensed."""
        return (self.release_day[self.track_release] <= day) & self.available

    def describe(self) -> str:
        return (
            f"{self.n_users} listeners x {self.n_tracks} tracks ({self.n_artists} artists, "
            f"{len(self.markets)} markets) x {self.days // 7} weeks: {len(self.users)} "
            f"listener-track-day rows, {int(self.streams.sum())} streams, "
            f"{int(self.skips.sum())} skips"
        )


@dataclass(frozen=True)
class WorldParams:
    listeners: int = 5000
    tracks: int = 20000
    weeks: int = 8
    seed: int = 1
    style_dims: int = 8
    taste_strength: float = 1.6
    international_share: float = 0.35
    sessions_per_week: float = 3.0
    discovery_length: float = 7.0
    new_release_share: float = 0.06  # of releases, out during the period
    drift: float = 0.25  # sd of the weekly log-popularity step
    join_late_share: float = 0.12
    churn_share: float = 0.12


def _zipf_within(groups: np.ndarray, exponent: float, rng) -> np.ndarray:
    """A Zipf weight for each item by a random rank within its group."""
    weights = np.zeros(len(groups))
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        ranks = rng.permutation(len(members)) + 1
        weights[members] = 1.0 / ranks**exponent
    return weights


def _sample_rows(cum: np.ndarray, rows: np.ndarray, rng) -> np.ndarray:
    """Sample one column per entry of `rows` from row-wise normalised cumulative weights."""
    n_rows, n_cols = cum.shape
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    values = rows + rng.random(len(rows)) * (1 - 1e-9)
    return np.minimum(np.searchsorted(flat, values, side="right"), flat.size - 1) - rows * n_cols


def generate(params: WorldParams = WorldParams()) -> ListeningLog:
    rng = np.random.default_rng(params.seed)
    n_markets = len(MARKETS)
    n_users, n_tracks, n_weeks = params.listeners, params.tracks, params.weeks
    n_days = 7 * n_weeks
    d = params.style_dims

    # Artists: a scene (-1 international, else a market), a style, Zipf popularity within
    # their scene, a weekly random walk of popularity.
    n_artists = max(n_tracks // 10, 2)
    scene = np.where(
        rng.random(n_artists) < params.international_share,
        -1,
        rng.choice(n_markets, n_artists, p=np.sqrt(MARKET_WEIGHTS) / np.sqrt(MARKET_WEIGHTS).sum()),
    )
    style = rng.normal(size=(n_artists, d)) / np.sqrt(d)
    base_pop = _zipf_within(scene, 1.0, rng)
    walk = rng.normal(0, params.drift, size=(n_weeks, n_artists)).cumsum(axis=0)
    trend = np.exp(walk - walk.mean(axis=1, keepdims=True))

    # Releases: each artist's tracks cut into albums (6-12) and singles (1-2), contiguous.
    track_artist = np.sort(rng.integers(0, n_artists, n_tracks))
    track_release = np.zeros(n_tracks, dtype=np.int64)
    track_position = np.zeros(n_tracks, dtype=np.int64)
    release_artist: list[int] = []
    starts = np.searchsorted(track_artist, np.arange(n_artists + 1))
    for a in range(n_artists):
        t = starts[a]
        while t < starts[a + 1]:
            size = int(rng.integers(6, 13)) if rng.random() < 0.5 else int(rng.integers(1, 3))
            size = min(size, starts[a + 1] - t)
            track_release[t : t + size] = len(release_artist)
            track_position[t : t + size] = np.arange(size)
            release_artist.append(a)
            t += size
    release_artist_arr = np.asarray(release_artist)
    n_releases = len(release_artist)
    fridays = np.arange(FRIDAY, n_days, 7)
    new = rng.random(n_releases) < params.new_release_share
    base_day = np.where(
        new,
        rng.choice(fridays, n_releases),
        FRIDAY - 7 * rng.integers(1, 5 * 52, n_releases),
    )
    release_day = np.repeat(base_day[:, None], n_markets, axis=1)
    home = scene[release_artist_arr]
    late = (rng.random((n_releases, n_markets)) < 0.15) & (home[:, None] != np.arange(n_markets))
    release_day = release_day + 7 * late
    # Licensing per release and market.
    local_abroad = (home[:, None] >= 0) & (home[:, None] != np.arange(n_markets))
    licensed = np.where(
        local_abroad,
        rng.random((n_releases, n_markets)) < 0.5,
        rng.random((n_releases, n_markets)) < 0.96,
    )
    available = licensed[track_release]
    track_base = rng.lognormal(0, 0.6, n_tracks) / (track_position + 1.0) ** 0.6

    # Listeners.
    user_market = rng.choice(n_markets, n_users, p=MARKET_WEIGHTS / MARKET_WEIGHTS.sum())
    taste = rng.normal(size=(n_users, d))
    mainstream = rng.uniform(0.4, 1.1, n_users)
    locality = rng.beta(2, 2, n_users) * 3.0
    activity = rng.lognormal(np.log(params.sessions_per_week), 0.8, n_users)
    join = np.where(
        rng.random(n_users) < params.join_late_share, rng.integers(1, n_weeks, n_users), 0
    )
    churn_at = np.where(
        rng.random(n_users) < params.churn_share,
        rng.integers(1, n_weeks, n_users),
        n_weeks,
    )
    churn_at = np.maximum(churn_at, join + 1)
    affinity_raw = params.taste_strength * (taste @ style.T)  # (U, A), fixed taste

    rows_u: list[np.ndarray] = []
    rows_t: list[np.ndarray] = []
    rows_d: list[np.ndarray] = []
    rows_skip: list[np.ndarray] = []
    history = sp.csr_matrix((n_users, n_tracks), dtype=np.float32)
    release_len = np.bincount(track_release, minlength=n_releases)
    release_first = np.searchsorted(track_release, np.arange(n_releases))

    for week in range(n_weeks):
        week_end = 7 * week + 6
        live = release_day[track_release] <= week_end  # (T, M)
        age = np.maximum(week_end - release_day[track_release], 0)
        boost = 1.0 + 6.0 * np.exp(-age / 14.0)
        track_w = track_base[:, None] * boost * (live & available)  # (T, M)
        artist_mass = np.zeros((n_artists, n_markets))
        np.add.at(artist_mass, track_artist, track_w)
        base_mass = np.zeros(n_artists)
        np.add.at(base_mass, track_artist, track_base)
        # Popularity of each artist in each market this week.
        reach = np.where(
            scene[:, None] < 0, 1.0, np.where(scene[:, None] == np.arange(n_markets), 1.0, 0.04)
        )
        pop = base_pop[:, None] * trend[week][:, None] * reach
        pop = pop * np.sqrt(artist_mass / np.maximum(base_mass, 1e-9)[:, None])
        log_pop = np.log(np.maximum(pop, 1e-12))  # (A, M)
        active = (join <= week) & (churn_at > week)
        users_now = np.flatnonzero(active)
        # Sessions of the week.
        n_sessions = rng.poisson(activity[users_now])
        s_user = np.repeat(users_now, n_sessions)
        s_day = 7 * week + rng.integers(0, 7, len(s_user))
        has_history = np.diff(history.indptr)[s_user] > 0
        kind = rng.random(len(s_user))
        relisten = has_history & (kind < 0.45)
        album = ~relisten & (kind < 0.65)
        discover = ~relisten & ~album
        # Artist choice per listener: taste + mainstream * popularity + local scene.
        need = np.flatnonzero(album | discover)
        lengths = np.where(discover, 1 + rng.poisson(params.discovery_length, len(s_user)), 1)
        plays_user = np.repeat(s_user[need], lengths[need])
        plays_day = np.repeat(s_day[need], lengths[need])
        plays_album = np.repeat(album[need], lengths[need])
        plays_artist = np.zeros(len(plays_user), dtype=np.int64)
        for start in range(0, len(users_now), 1000):
            batch = users_now[start : start + 1000]
            logits = (
                affinity_raw[batch]
                + mainstream[batch, None] * log_pop[:, user_market[batch]].T
                + locality[batch, None] * (scene[None, :] == user_market[batch, None])
            )
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            cum = np.cumsum(prob, axis=1)
            cum /= cum[:, -1:]
            mine = np.flatnonzero(np.isin(plays_user, batch))
            local_rows = np.searchsorted(batch, plays_user[mine])
            plays_artist[mine] = _sample_rows(cum, local_rows, rng)
        # Tracks within the artist (discovery) or a release of the artist (album).
        market = user_market[plays_user]
        tracks_out = np.full(len(plays_user), -1)
        for m in range(n_markets):
            in_m = np.flatnonzero(market == m)
            if not len(in_m):
                continue
            cum_t = np.cumsum(track_w[:, m])
            lo = starts[plays_artist[in_m]]
            hi = starts[plays_artist[in_m] + 1]
            before = np.where(lo > 0, cum_t[np.maximum(lo - 1, 0)], 0.0)
            total = cum_t[np.maximum(hi - 1, 0)] - before
            ok = total > 0
            target = before + rng.random(len(in_m)) * total
            picked = np.searchsorted(cum_t, target, side="right")
            picked = np.clip(picked, lo, np.maximum(hi - 1, lo))
            tracks_out[in_m[ok]] = picked[ok]
        valid = tracks_out >= 0
        # An album session plays the picked track's release in order from the start.
        album_rows = np.flatnonzero(valid & plays_album)
        disc_rows = np.flatnonzero(valid & ~plays_album)
        au, ad, at = [], [], []
        for i in album_rows.tolist():
            r = track_release[tracks_out[i]]
            n = release_len[r]
            stop = n if n <= 2 else min(n, 1 + rng.geometric(0.12))
            au.append(np.full(stop, plays_user[i]))
            ad.append(np.full(stop, plays_day[i]))
            at.append(release_first[r] + np.arange(stop))
        p_user = np.concatenate([plays_user[disc_rows], *au]) if au else plays_user[disc_rows]
        p_day = np.concatenate([plays_day[disc_rows], *ad]) if ad else plays_day[disc_rows]
        p_track = np.concatenate([tracks_out[disc_rows], *at]) if at else tracks_out[disc_rows]
        p_album = np.r_[np.zeros(len(disc_rows), bool), np.ones(len(p_user) - len(disc_rows), bool)]
        # Re-listening: tracks the listener streamed before, by how often.
        rl = np.flatnonzero(relisten)
        rl_len = 3 + rng.poisson(8, len(rl))
        r_user = np.repeat(s_user[rl], rl_len)
        r_day = np.repeat(s_day[rl], rl_len)
        if len(r_user):
            data = history.data.astype(np.float64) ** 1.2
            cum = np.cumsum(data)
            row_start = np.where(history.indptr[:-1] > 0, cum[history.indptr[:-1] - 1], 0.0)
            row_total = cum[np.maximum(history.indptr[1:] - 1, 0)] - row_start
            target = row_start[r_user] + rng.random(len(r_user)) * row_total[r_user]
            at_ = np.searchsorted(cum, target, side="right")
            at_ = np.clip(at_, history.indptr[r_user], history.indptr[r_user + 1] - 1)
            r_track = history.indices[at_]
        else:
            r_track = np.zeros(0, np.int64)
        all_user = np.r_[p_user, r_user]
        all_day = np.r_[p_day, r_day]
        all_track = np.r_[p_track, r_track]
        # Not yet live in the listener's market on that day (a mid-week Friday): no play.
        live_then = (
            release_day[track_release[all_track], user_market[all_user]] <= all_day
        ) & available[all_track, user_market[all_user]]
        # Skips: far from taste (discovery) more often than album tracks or old favourites.
        aff = affinity_raw[all_user, track_artist[all_track]]
        p_skip = np.r_[
            np.where(p_album, 0.12, np.clip(0.45 - 0.25 * aff[: len(p_user)], 0.05, 0.85)),
            np.full(len(r_user), 0.06),
        ]
        skipped = rng.random(len(all_user)) < p_skip
        keep = live_then
        rows_u.append(all_user[keep])
        rows_t.append(all_track[keep])
        rows_d.append(all_day[keep])
        rows_skip.append(skipped[keep])
        streamed = keep & ~skipped
        week_hist = sp.csr_matrix(
            (np.ones(int(streamed.sum()), np.float32), (all_user[streamed], all_track[streamed])),
            shape=(n_users, n_tracks),
        )
        history = (history + week_hist).tocsr()
        history.sum_duplicates()
        history.sort_indices()

    u = np.concatenate(rows_u).astype(np.int64)
    t = np.concatenate(rows_t).astype(np.int64)
    dd = np.concatenate(rows_d).astype(np.int64)
    s = np.concatenate(rows_skip)
    key = (u * n_tracks + t) * n_days + dd
    uniq, inverse = np.unique(key, return_inverse=True)
    streams = np.bincount(inverse, weights=~s, minlength=len(uniq)).astype(np.int64)
    skips = np.bincount(inverse, weights=s, minlength=len(uniq)).astype(np.int64)
    dd_u = uniq % n_days
    ut = uniq // n_days
    # Follows: some listeners follow a few of the artists they stream most.
    artist_plays = sp.csr_matrix(
        (streams.astype(np.float32), (ut // n_tracks, track_artist[ut % n_tracks])),
        shape=(n_users, n_artists),
    )
    artist_plays.sum_duplicates()
    fu, fa = [], []
    follow_rng = rng.random(n_users)
    for user in np.flatnonzero(follow_rng < 0.4).tolist():
        row = artist_plays[user]
        if row.nnz:
            top = row.indices[np.argsort(-row.data, kind="stable")[: 1 + int(rng.integers(0, 4))]]
            fu.extend([user] * len(top))
            fa.extend(top.tolist())
    return ListeningLog(
        markets=MARKETS,
        days=n_days,
        user_market=user_market,
        track_artist=track_artist,
        track_release=track_release,
        release_day=release_day,
        available=available,
        users=ut // n_tracks,
        tracks=ut % n_tracks,
        day=dd_u,
        streams=streams,
        skips=skips,
        follow_users=np.asarray(fu, dtype=np.int64),
        follow_artists=np.asarray(fa, dtype=np.int64),
    )
