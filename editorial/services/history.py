"""History: snapshots of a playlist and the change entries diffed from them."""

import datetime

from django.db import transaction

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import PlaylistItem
from editorial.models import EditorialPlaylist, EditorialPlaylistChange

Action = EditorialPlaylistChange.Action


def _json_value(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def editorial_playlist_snapshot(*, playlist_id: int) -> dict:
    """The playlist's recorded fields as stored now, to diff after a change."""
    playlist = (
        EditorialPlaylist.objects.select_related("team")
        .prefetch_related("categories", "translations")
        .get(pk=playlist_id)
    )
    return {
        "name": playlist.name,
        "description": playlist.description,
        "language": playlist.language,
        "cover": playlist.cover.name or "",
        "team": playlist.team.name,
        "markets": playlist.market_codes,
        "categories": sorted(category.slug for category in playlist.categories.all()),
        "featured": playlist.featured,
        "priority": playlist.priority,
        "publish_at": _json_value(playlist.publish_at),
        "unpublish_at": _json_value(playlist.unpublish_at),
        "translations": {t.language: [t.title, t.description] for t in playlist.translations.all()},
        "tracks": list(
            PlaylistItem.objects.filter(playlist_id=playlist_id)
            .order_by("position", "id")
            .values_list("track_id", flat=True)
        ),
    }


def _diff(before: dict, after: dict) -> dict:
    return {
        key: [before.get(key), after.get(key)]
        for key in after
        if key != "tracks" and before.get(key) != after.get(key)
    }


def _tracks_diff(before: list[int], after: list[int]) -> dict:
    added = [track_id for track_id in after if track_id not in before]
    removed = [track_id for track_id in before if track_id not in after]
    kept_before = [track_id for track_id in before if track_id in after]
    kept_after = [track_id for track_id in after if track_id in before]
    changes = {}
    if added:
        changes["added"] = added
    if removed:
        changes["removed"] = removed
    if kept_before != kept_after:
        changes["reordered"] = True
    return changes


def _record(
    playlist: EditorialPlaylist,
    user: User | None,
    action: str,
    changes: dict | None = None,
    note: str = "",
) -> EditorialPlaylistChange:
    return EditorialPlaylistChange.objects.create(
        playlist=playlist,
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        changes=changes or {},
        note=note,
    )


def _renumber(playlist_id: int) -> None:
    catalog_services.playlist_items_renumber(playlist_id=playlist_id)


@transaction.atomic
def editorial_playlist_changes_record(
    *, playlist: EditorialPlaylist, user: User, before: dict | None
) -> list[EditorialPlaylistChange]:
    """Record what an edit made elsewhere (the admin's forms) changed, against `before`.

    Also renumbers the items 0..n-1 in their order and bumps the snapshot when the tracks
    changed. `before` is None for a playlist just created.
    """
    _renumber(playlist.pk)
    after = editorial_playlist_snapshot(playlist_id=playlist.pk)
    entries = []
    if before is None:
        entries.append(_record(playlist, user, Action.CREATED, _diff({}, after)))
        before_tracks: list[int] = []
    else:
        changed = _diff(before, after)
        if changed:
            entries.append(_record(playlist, user, Action.EDITED, changed))
        before_tracks = before["tracks"]
    tracks = _tracks_diff(before_tracks, after["tracks"])
    if tracks:
        catalog_services.playlist_snapshot_bump(playlist_ids=[playlist.pk])
        playlist.snapshot += 1
        entries.append(_record(playlist, user, Action.TRACKS, tracks))
    return entries
