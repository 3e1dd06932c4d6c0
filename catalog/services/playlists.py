"""Playlists of every kind: creation by the catalogue, items, snapshots, swaps."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Playlist, PlaylistItem, Track


@transaction.atomic
def playlist_create_with_tracks(
    *,
    owner,
    name: str,
    description: str = "",
    public: bool = True,
    kind: str = Playlist.Kind.USER,
    tracks: Sequence[Track] = (),
) -> Playlist:
    """Create a playlist of any kind with its tracks, unchecked (loaders; listeners' own
    playlists go through `catalog.library.user_playlist_create`)."""
    playlist = Playlist.objects.create(
        owner=owner, name=name, description=description, public=public, kind=kind
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track=track, position=i, added_by=owner)
        for i, track in enumerate(tracks)
    )
    return playlist


# Writes other apps ask catalog for (an app writes only its own tables)


@dataclass(frozen=True)
class PlaylistItemSpec:
    """One item of a playlist's new track list: who added it and when."""

    track_id: int
    added_by_id: int | None
    added_at: datetime.datetime


@transaction.atomic
def playlist_items_replace(*, playlist_id: int, items: Sequence[PlaylistItemSpec]) -> None:
    """Replace a playlist's items with `items`, positioned 0..n-1 in their order."""
    PlaylistItem.objects.filter(playlist_id=playlist_id).delete()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist_id=playlist_id,
            track_id=item.track_id,
            position=position,
            added_by_id=item.added_by_id,
            added_at=item.added_at,
        )
        for position, item in enumerate(items)
    )


@transaction.atomic
def playlist_items_renumber(*, playlist_id: int) -> None:
    """Make a playlist's positions 0..n-1 in their current order (after admin edits)."""
    items = list(PlaylistItem.objects.filter(playlist_id=playlist_id).order_by("position", "id"))
    moved = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            moved.append(item)
    if moved:
        PlaylistItem.objects.bulk_update(moved, ["position"])


def playlist_snapshot_bump(*, playlist_ids, now: datetime.datetime | None = None) -> int:
    """Bump the snapshot of the playlists (ids or a `values("…")` queryset); return how many."""
    return Playlist.objects.filter(pk__in=playlist_ids).update(
        snapshot=F("snapshot") + 1, updated_at=now or timezone.now()
    )


def playlists_personalised_create(
    *, owner_ids: Sequence[int], name: str, description: str, now: datetime.datetime
) -> list[Playlist]:
    """Create one private personalised playlist per owner (in `owner_ids` order)."""
    return Playlist.objects.bulk_create(
        Playlist(
            owner_id=owner,
            kind=Playlist.Kind.PERSONALISED,
            name=name,
            description=description,
            public=False,
            created_at=now,
        )
        for owner in owner_ids
    )


def playlist_items_swap(
    *, playlist_ids_sql: str, rows_sql: str, params: Sequence, now: datetime.datetime
) -> None:
    """Replace the items of many playlists in one statement pair (run inside the caller's
    transaction, so listeners see the old items until it commits).

    `playlist_ids_sql` selects the playlists to empty (one `playlist_id` column);
    `rows_sql` selects the new items as `playlist_id, track_id, position` columns; both may
    only read the caller's own tables, and `params` fill `rows_sql`'s placeholders after
    `playlist_ids_sql`'s. Rows naming a deleted track are dropped.
    """
    q = connection.ops.quote_name
    item, track = q(PlaylistItem._meta.db_table), q(Track._meta.db_table)
    # Table names come from model metadata and the caller's own SQL; values are parameters.
    delete = f"DELETE FROM {item} WHERE playlist_id IN ({playlist_ids_sql})"  # noqa: S608
    insert = (
        f"INSERT INTO {item} (playlist_id, track_id, position, added_at, added_by_id) "  # noqa: S608
        f"SELECT r.playlist_id, r.track_id, r.position, %s, NULL FROM ({rows_sql}) r "
        f"JOIN {track} t ON t.id = r.track_id"
    )
    placeholders = playlist_ids_sql.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(delete, list(params[:placeholders]))
        cursor.execute(insert, [now, *params[placeholders:]])
