"""Deterministic, realistic listening history for demos and benchmarks.

Listening comes in sessions (an album played in order, a playlist, search...), track
popularity and listener activity follow power laws, about a fifth of plays are skips
(< 30 s), and times follow a daily rhythm. Listeners have tastes (favourite genres, played
several times more often) and markets: a play happens only where and when its track is
licensed (its availability windows), so the history never contradicts licensing. Event
ids are uuid5 of (seed, n), so loading the same history twice stores nothing new.
"""

import bisect
import datetime
import itertools
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from playback.models import STREAM_THRESHOLD_MS, PlayEvent

NAMESPACE = uuid.UUID("6f1d8c1e-3c0a-4f7e-9a51-5d3f0b2a7c11")
# Relative listening by UTC hour: quiet nights, a commute bump, an evening peak.
HOURLY = [2, 1, 1, 1, 1, 2, 4, 7, 8, 6, 5, 5, 6, 6, 6, 6, 7, 9, 10, 10, 9, 8, 6, 4]
CONTEXTS = [
    ("album", 26),
    ("playlist", 30),
    ("personalised", 12),
    ("editorial", 10),
    ("search", 8),
    ("artist", 7),
    ("collection", 5),
    ("other", 2),
]
TASTE_BOOST = 8.0  # a track of a favourite genre is this much likelier to be picked
MAX_ATTEMPTS_PER_EVENT = 20

Window = tuple[str, datetime.datetime, datetime.datetime | None]


@dataclass(frozen=True)
class Catalog:
    users: list[tuple[int, str]]  # (id, country)
    tracks: list[tuple[int, int, int]]  # (id, release id, duration ms)
    primary_artist: dict[int, int]
    playlists: list[int]
    # Availability windows per track; None: every track is playable everywhere, always.
    windows: dict[int, list[Window]] | None = None
    genres: dict[int, tuple[int, ...]] = field(default_factory=dict)
    tastes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # user id -> genre ids
    # Share of all events for given users (the demo listener: a moderate, focused listener
    # leaves enough unplayed tracks for a full Discover Weekly).
    shares: dict[int, float] = field(default_factory=dict)


def playable(windows: list[Window] | None, market: str, at: datetime.datetime) -> bool:
    if windows is None:
        return True
    return any(
        m == market and starts <= at and (ends is None or at < ends) for m, starts, ends in windows
    )


def tastes_for(catalog: Catalog, *, seed: int) -> dict[int, tuple[int, ...]]:
    """One or two favourite genres per listener (given ones kept), picked by seed."""
    rng = random.Random(seed)
    genre_ids = sorted({g for genres in catalog.genres.values() for g in genres})
    tastes = {}
    for user_id, _ in catalog.users:
        if user_id in catalog.tastes:
            tastes[user_id] = catalog.tastes[user_id]
        elif genre_ids:
            tastes[user_id] = tuple(rng.sample(genre_ids, k=min(len(genre_ids), rng.randint(1, 2))))
    return tastes


def generate(
    catalog: Catalog, *, events: int, days: int, seed: int, now: datetime.datetime
) -> list[PlayEvent]:
    rng = random.Random(seed)
    tracks = list(catalog.tracks)
    rng.shuffle(tracks)
    base = {track[0]: 1 / (rank + 1) ** 0.95 for rank, track in enumerate(tracks)}
    user_weights = [rng.paretovariate(1.3) for _ in catalog.users]
    total = sum(user_weights)
    user_weights = [
        total * catalog.shares[user_id] if user_id in catalog.shares else weight
        for (user_id, _), weight in zip(catalog.users, user_weights, strict=True)
    ]
    tastes = tastes_for(catalog, seed=seed)
    by_release: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for track in sorted(catalog.tracks):
        by_release[track[1]].append(track)
    windows = catalog.windows

    pools: dict[tuple[str, tuple[int, ...]], tuple[list, list[float]]] = {}

    def pool(country: str, taste: tuple[int, ...]) -> tuple[list, list[float]]:
        """The tracks ever licensed in `country`, weighted by popularity and taste."""
        key = (country, taste)
        if key not in pools:
            chosen = [
                t
                for t in tracks
                if windows is None or any(m == country for m, _, _ in windows.get(t[0], ()))
            ]
            weights = [
                base[t[0]] * (TASTE_BOOST if set(catalog.genres.get(t[0], ())) & set(taste) else 1)
                for t in chosen
            ]
            pools[key] = (chosen, list(itertools.accumulate(weights)))
        return pools[key]

    contexts, context_weights = zip(*CONTEXTS, strict=True)
    start = now - datetime.timedelta(days=days)
    made: list[PlayEvent] = []
    attempts = 0
    while len(made) < events and attempts < events * MAX_ATTEMPTS_PER_EVENT:
        attempts += 1
        user_id, country = rng.choices(catalog.users, user_weights)[0]
        candidates, cumulative = pool(country, tastes.get(user_id, ()))
        if not candidates:
            continue
        day = rng.randrange(days)
        hour = rng.choices(range(24), HOURLY)[0]
        at = start + datetime.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        context = rng.choices(contexts, context_weights)[0]
        seed_track = candidates[bisect.bisect(cumulative, rng.random() * cumulative[-1]) - 1]
        context_id = ""
        if context == "album":
            session = by_release[seed_track[1]][:]
            context_id = str(seed_track[1])
        else:
            session = [
                candidates[bisect.bisect(cumulative, rng.random() * cumulative[-1]) - 1]
                for _ in range(rng.randint(1, 15))
            ]
            if context == "playlist" and catalog.playlists:
                context_id = str(rng.choice(catalog.playlists))
            elif context == "artist" and seed_track[0] in catalog.primary_artist:
                context_id = str(catalog.primary_artist[seed_track[0]])
        for track_id, _, duration in session:
            if len(made) >= events or at >= now:
                break
            if windows is not None and not playable(windows.get(track_id), country, at):
                continue  # not licensed here at this moment: the player would refuse it
            duration = duration or 180_000
            roll = rng.random()
            if roll < 0.22:
                played = rng.randint(1_000, min(29_000, duration))  # a skip
            elif roll < 0.85:
                played = duration
            else:
                played = rng.randint(min(STREAM_THRESHOLD_MS, duration), duration)
            ended = min(at + datetime.timedelta(milliseconds=played), now)
            made.append(
                PlayEvent(
                    id=uuid.uuid5(NAMESPACE, f"{seed}:{len(made)}"),
                    user_id=user_id,
                    track_id=track_id,
                    ms_played=played,
                    context_type=context,
                    context_id=context_id,
                    started_at=at,
                    ended_at=ended,
                    country=country,
                    received_at=ended + datetime.timedelta(seconds=rng.randint(1, 120)),
                    verdict=PlayEvent.Verdict.STREAM
                    if played >= STREAM_THRESHOLD_MS
                    else PlayEvent.Verdict.PLAY,
                )
            )
            at = ended + datetime.timedelta(milliseconds=rng.randint(0, 3000))
    return made


# Every PlayEvent context type is covered by the generator.
assert {name for name, _ in CONTEXTS} == set(PlayEvent.Context.values)


@dataclass(frozen=True)
class LibraryPick:
    user_id: int
    object_id: int
    at: datetime.datetime


def library_from_events(
    events: list[PlayEvent], *, release_of: dict[int, int], primary_artist: dict[int, int]
) -> tuple[list[LibraryPick], list[LibraryPick], list[LibraryPick]]:
    """What listeners would have saved and followed: tracks streamed 3+ times, releases with
    3+ of their tracks streamed, artists streamed 5+ times; dated at the last such stream."""
    track_streams: dict[tuple[int, int], list[datetime.datetime]] = defaultdict(list)
    for event in events:
        if event.ms_played >= STREAM_THRESHOLD_MS:
            track_streams[(event.user_id, event.track_id)].append(event.ended_at)
    saved_tracks, release_tracks, artist_streams = [], defaultdict(set), defaultdict(list)
    release_last: dict[tuple[int, int], datetime.datetime] = {}
    for (user_id, track_id), moments in sorted(track_streams.items()):
        last = max(moments)
        if len(moments) >= 3:
            saved_tracks.append(LibraryPick(user_id, track_id, last))
        key = (user_id, release_of[track_id])
        release_tracks[key].add(track_id)
        release_last[key] = max(release_last.get(key, last), last)
        if track_id in primary_artist:
            artist_streams[(user_id, primary_artist[track_id])].extend(moments)
    saved_releases = [
        LibraryPick(user_id, release_id, release_last[(user_id, release_id)])
        for (user_id, release_id), ids in sorted(release_tracks.items())
        if len(ids) >= 3
    ]
    followed = [
        LibraryPick(user_id, artist_id, max(moments))
        for (user_id, artist_id), moments in sorted(artist_streams.items())
        if len(moments) >= 5
    ]
    return saved_tracks, saved_releases, followed
