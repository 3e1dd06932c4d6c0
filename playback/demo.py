"""Deterministic, realistic listening history for demos and benchmarks.

Listening comes in sessions (an album played in order, a playlist, search...), track
popularity and listener activity follow power laws, about a fifth of plays are skips
(< 30 s), and times follow a daily rhythm. Event ids are uuid5 of (seed, n), so loading
the same history twice stores nothing new.
"""

import datetime
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Catalog:
    users: list[tuple[int, str]]  # (id, country)
    tracks: list[tuple[int, int, int]]  # (id, release id, duration ms)
    primary_artist: dict[int, int]
    playlists: list[int]


def generate(
    catalog: Catalog, *, events: int, days: int, seed: int, now: datetime.datetime
) -> list[PlayEvent]:
    rng = random.Random(seed)
    tracks = list(catalog.tracks)
    rng.shuffle(tracks)
    track_weights = [1 / (rank + 1) ** 0.95 for rank in range(len(tracks))]
    user_weights = [rng.paretovariate(1.3) for _ in catalog.users]
    by_release: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for track in sorted(catalog.tracks):
        by_release[track[1]].append(track)
    contexts, context_weights = zip(*CONTEXTS, strict=True)
    start = now - datetime.timedelta(days=days)
    made: list[PlayEvent] = []
    while len(made) < events:
        user_id, country = rng.choices(catalog.users, user_weights)[0]
        day = rng.randrange(days)
        hour = rng.choices(range(24), HOURLY)[0]
        at = start + datetime.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        context = rng.choices(contexts, context_weights)[0]
        seed_track = rng.choices(tracks, track_weights)[0]
        context_id = ""
        if context == "album":
            session = by_release[seed_track[1]][:]
            context_id = str(seed_track[1])
        else:
            session = rng.choices(tracks, track_weights, k=rng.randint(1, 15))
            if context == "playlist" and catalog.playlists:
                context_id = str(rng.choice(catalog.playlists))
            elif context == "artist" and seed_track[0] in catalog.primary_artist:
                context_id = str(catalog.primary_artist[seed_track[0]])
        for track_id, _, duration in session:
            if len(made) >= events or at >= now:
                break
            duration = duration or 180_000
            roll = rng.random()
            if roll < 0.22:
                played = rng.randint(1_000, 29_000)  # a skip
            elif roll < 0.85:
                played = duration
            else:
                played = rng.randint(30_000, max(duration, 30_000))
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
