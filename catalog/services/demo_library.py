"""Bulk load of listeners' libraries (demo data)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from catalog.models import FollowedArtist, SavedRelease, SavedTrack


@dataclass(frozen=True)
class LibraryEntry:
    user_id: int
    object_id: int  # a track, release or artist id
    at: datetime.datetime


@transaction.atomic
def library_bulk_load(
    *,
    saved_tracks: Iterable[LibraryEntry] = (),
    saved_releases: Iterable[LibraryEntry] = (),
    followed_artists: Iterable[LibraryEntry] = (),
) -> int:
    """Add saves and follows in bulk (demo data, migrations); existing ones are kept as
    they are. Returns how many rows were offered."""
    rows = [
        *(SavedTrack(user_id=e.user_id, track_id=e.object_id, added_at=e.at) for e in saved_tracks),
        *(
            SavedRelease(user_id=e.user_id, release_id=e.object_id, added_at=e.at)
            for e in saved_releases
        ),
        *(
            FollowedArtist(user_id=e.user_id, artist_id=e.object_id, followed_at=e.at)
            for e in followed_artists
        ),
    ]
    for model in (SavedTrack, SavedRelease, FollowedArtist):
        model.objects.bulk_create(
            [row for row in rows if type(row) is model], batch_size=1000, ignore_conflicts=True
        )
    return len(rows)
