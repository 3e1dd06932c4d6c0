"""Review of changes to live playlists: who needs it, and proposed revisions."""

from collections.abc import Sequence

from django.db import transaction

from accounts.models import User
from common.errors import ValidationFailed
from editorial import selectors
from editorial.models import (
    EditorialPlaylist,
    EditorialPlaylistChange,
    EditorialPlaylistRevision,
    validate_language,
)

from ._common import _lock
from .checks import (
    _check_markets,
    _check_track_ids,
    check_can_edit,
    check_markets_of_team,
    check_schedule,
)
from .history import _json_value, _record, _tracks_diff, editorial_playlist_snapshot

State = EditorialPlaylist.State
Revision = EditorialPlaylistRevision
Action = EditorialPlaylistChange.Action


UPDATABLE_FIELDS = {
    "name",
    "description",
    "language",
    "markets",
    "featured",
    "priority",
    "publish_at",
    "unpublish_at",
}


def editorial_playlist_needs_review(*, playlist: EditorialPlaylist, user: User) -> bool:
    """An editor who is not a lead of the team changes a published playlist only through
    a revision a lead approves."""
    return playlist.state == State.PUBLISHED and not selectors.user_can_publish(
        user=user, team_id=playlist.team_id
    )


def _check_fields(*, playlist: EditorialPlaylist, fields: dict) -> dict:
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Cannot update: {', '.join(sorted(unknown))}.")
    fields = dict(fields)
    if "markets" in fields:
        fields["markets"] = _check_markets(fields["markets"])
        check_markets_of_team(team=playlist.team, markets=fields["markets"])
    if "language" in fields:
        validate_language(fields["language"])
    check_schedule(
        publish_at=fields.get("publish_at", playlist.publish_at),
        unpublish_at=fields.get("unpublish_at", playlist.unpublish_at),
    )
    return fields


@transaction.atomic
def editorial_playlist_revision_propose(
    *,
    playlist: EditorialPlaylist,
    user: User,
    fields: dict | None = None,
    track_ids: Sequence[int] | None = None,
    note: str = "",
) -> EditorialPlaylistRevision | None:
    """Keep a change to a live playlist for a lead's review; the playlist is not touched.

    Return None when the proposal changes nothing.
    """
    playlist = _lock(playlist)
    check_can_edit(user=user, team=playlist.team)
    fields = _check_fields(playlist=playlist, fields=fields or {})
    if track_ids is not None:
        track_ids = _check_track_ids(track_ids)
    before = editorial_playlist_snapshot(playlist_id=playlist.pk)
    proposed = {name: _json_value(value) for name, value in fields.items()}
    changes = {
        name: [before.get(name), value]
        for name, value in proposed.items()
        if before.get(name) != value
    }
    if track_ids is not None and track_ids != before["tracks"]:
        changes["tracks"] = _tracks_diff(before["tracks"], track_ids)
    else:
        track_ids = None
    if not changes:
        return None
    revision = Revision.objects.create(
        playlist=playlist,
        author=user,
        fields={name: proposed[name] for name in changes if name != "tracks"},
        track_ids=track_ids,
        changes=changes,
        note=note,
    )
    _record(playlist, user, Action.PROPOSED, {"revision": revision.pk, **changes}, note)
    return revision
