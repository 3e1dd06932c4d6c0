"""A small synthetic world with clustered tastes, written in bulk.

Artists belong to taste clusters; each listener plays tracks of one cluster (and now and
then a popular track of another), so ALS has something to find.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import User
from catalog.models import (
    Artist,
    Release,
    ReleaseArtist,
    Track,
    TrackArtist,
)
from catalog.services import AvailabilityWindow
from playback.models import DailyListenerTrack, DailyTrackStreams
from tests.accounts.factories import UserFactory
from tests.catalog.factories import availability_set


@dataclass
class World:
    clusters: list[list[Artist]]
    tracks_of: dict[int, list[Track]]  # artist id -> tracks
    listeners: list[User]
    cluster_of_listener: dict[int, int]
    played: dict[int, set[int]] = field(default_factory=dict)  # user id -> track ids

    @property
    def artists(self) -> list[Artist]:
        return [a for cluster in self.clusters for a in cluster]

    def tracks(self) -> list[Track]:
        return [t for a in self.artists for t in self.tracks_of[a.pk]]


def artist_with_tracks(
    name: str,
    *,
    tracks: int,
    markets=("SE",),
    release_date: datetime.date | None = None,
    starts_at: datetime.datetime | None = None,
) -> tuple[Artist, list[Track]]:
    artist = Artist.objects.create(name=name)
    release = Release.objects.create(
        title=f"{name} LP", release_date=release_date or datetime.date(2023, 3, 3)
    )
    ReleaseArtist.objects.create(release=release, artist=artist)
    made = Track.objects.bulk_create(
        Track(
            title=f"{name} {n}",
            release=release,
            track_number=n + 1,
            duration_ms=200_000,
            audio_status=Track.AudioStatus.READY,
        )
        for n in range(tracks)
    )
    TrackArtist.objects.bulk_create(TrackArtist(track=t, artist=artist) for t in made)
    make_available(made, markets=markets, starts_at=starts_at)
    return artist, made


def make_available(tracks, *, markets=("SE",), starts_at=None, ends_at=None) -> None:
    """Make `markets` (one window each) the whole availability of `tracks`."""
    starts_at = starts_at or timezone.now() - datetime.timedelta(days=400)
    availability_set(
        [t.pk for t in tracks],
        [AvailabilityWindow(market=m, starts_at=starts_at, ends_at=ends_at) for m in markets],
    )


def build_world(
    *,
    clusters: int = 4,
    artists_per_cluster: int = 5,
    tracks_per_artist: int = 4,
    listeners_per_cluster: int = 8,
    plays_per_listener: int = 10,
    markets=("SE",),
    seed: int = 3,
    today: datetime.date | None = None,
) -> World:
    rng = random.Random(seed)
    today = today or timezone.now().date()
    groups, tracks_of = [], {}
    for c in range(clusters):
        group = []
        for a in range(artists_per_cluster):
            artist, tracks = artist_with_tracks(
                f"C{c}A{a}", tracks=tracks_per_artist, markets=markets
            )
            group.append(artist)
            tracks_of[artist.pk] = tracks
        groups.append(group)
    world = World(clusters=groups, tracks_of=tracks_of, listeners=[], cluster_of_listener={})
    rows, streams = [], {}
    for c in range(clusters):
        pool = [t for a in groups[c] for t in tracks_of[a.pk]]
        for n in range(listeners_per_cluster):
            user = UserFactory(country=markets[n % len(markets)], email=f"c{c}l{n}@example.com")
            world.listeners.append(user)
            world.cluster_of_listener[user.pk] = c
            chosen = rng.sample(pool, plays_per_listener)
            world.played[user.pk] = {t.pk for t in chosen}
            for i, track in enumerate(chosen):
                day = today - datetime.timedelta(days=1 + i % 20)
                plays = rng.randint(1, 6)
                skips = rng.randint(0, 1)
                rows.append(
                    DailyListenerTrack(
                        day=day,
                        user=user,
                        track=track,
                        plays=plays + skips,
                        streams=plays,
                        skips=skips,
                        ms_played=plays * 200_000 + skips * 5_000,
                    )
                )
                key = (day, track.pk, user.country.code)
                streams[key] = streams.get(key, 0) + plays
    DailyListenerTrack.objects.bulk_create(rows)
    DailyTrackStreams.objects.bulk_create(
        DailyTrackStreams(
            day=day, track_id=track_id, country=country, source="album", streams=n, listeners=1
        )
        for (day, track_id, country), n in streams.items()
    )
    return world


def primary_artist_ids(track_ids) -> dict[int, int]:
    return dict(
        TrackArtist.objects.filter(track_id__in=list(track_ids)).values_list(
            "track_id", "artist_id"
        )
    )
