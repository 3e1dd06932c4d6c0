"""Single-field writes to tracks and releases, and catalogue popularity."""

import datetime
import math
from collections.abc import Mapping

from django.db import transaction

from catalog.models import Artist, Release, Track, TrackArtist


def release_date_set(*, release_id: int, release_date: datetime.date) -> None:
    Release.objects.filter(pk=release_id).update(release_date=release_date)


def track_audio_status_set(*, statuses: Mapping[int, str]) -> None:
    """Record where each track's audio stands (`Track.AudioStatus`), one UPDATE a status."""
    by_status: dict[str, list[int]] = {}
    for track_id, status in statuses.items():
        by_status.setdefault(status, []).append(track_id)
    for status, track_ids in by_status.items():
        Track.objects.filter(pk__in=track_ids).exclude(audio_status=status).update(
            audio_status=status
        )


def track_duration_set(*, track_id: int, source_sha256: str, duration_ms: int) -> None:
    """Record the measured duration if the track still has the original it was measured on."""
    Track.objects.filter(pk=track_id, source_sha256=source_sha256).update(duration_ms=duration_ms)


@transaction.atomic
def popularity_update(*, track_streams: Mapping[int, int]) -> int:
    """Set popularity (0-100, Spotify's scale) from recent stream counts per track.

    A track's popularity is log-scaled against the most streamed track; a release's is
    that of its most popular track, an artist's that of their most popular primary track.
    Tracks not in `track_streams` get 0. Returns how many tracks changed.
    """
    top = max(track_streams.values(), default=0)
    scale = math.log1p(top) or 1.0

    def score(streams: int) -> int:
        return min(100, round(100 * math.log1p(max(streams, 0)) / scale))

    changed = []
    for track in Track.objects.only("id", "popularity", "release_id").order_by("id"):
        value = score(track_streams.get(track.id, 0))
        if value != track.popularity:
            track.popularity = value
            changed.append(track)
    Track.objects.bulk_update(changed, ["popularity"], batch_size=1000)
    best_release: dict[int, int] = {}
    for release_id, value in Track.objects.values_list("release_id", "popularity"):
        best_release[release_id] = max(best_release.get(release_id, 0), value)
    releases = list(Release.objects.only("id", "popularity"))
    for release in releases:
        release.popularity = best_release.get(release.id, 0)
    Release.objects.bulk_update(releases, ["popularity"], batch_size=1000)
    best_artist: dict[int, int] = {}
    for artist_id, value in TrackArtist.objects.filter(role=TrackArtist.Role.PRIMARY).values_list(
        "artist_id", "track__popularity"
    ):
        best_artist[artist_id] = max(best_artist.get(artist_id, 0), value)
    artists = list(Artist.objects.only("id", "popularity"))
    for artist in artists:
        artist.popularity = best_artist.get(artist.id, 0)
    Artist.objects.bulk_update(artists, ["popularity"], batch_size=1000)
    return len(changed)
