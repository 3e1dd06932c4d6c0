"""A lead's decision on a proposed revision: approved (applied) or rejected."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from common.errors import ValidationFailed
from editorial.models import EditorialPlaylist, EditorialPlaylistChange, EditorialPlaylistRevision

from ._common import _lock
from .checks import check_can_publish
from .history import _record
from .playlists import editorial_playlist_tracks_set, editorial_playlist_update

Revision = EditorialPlaylistRevision
Action = EditorialPlaylistChange.Action


def _pending_revision_lock(revision: EditorialPlaylistRevision) -> EditorialPlaylistRevision:
    revision = Revision.objects.select_for_update().select_related("playlist").get(pk=revision.pk)
    if revision.state != Revision.State.PENDING:
        raise ValidationFailed(f"This revision was already {revision.get_state_display().lower()}.")
    return revision


@transaction.atomic
def editorial_playlist_revision_approve(
    *, revision: EditorialPlaylistRevision, user: User, note: str = ""
) -> EditorialPlaylist:
    """A lead applies a pending revision to the live playlist (one transaction)."""
    revision = _pending_revision_lock(revision)
    playlist = _lock(revision.playlist)
    check_can_publish(user=user, team=playlist.team)
    fields = {
        name: datetime.datetime.fromisoformat(value)
        if name in ("publish_at", "unpublish_at") and value
        else value
        for name, value in revision.fields.items()
    }
    if fields:
        playlist = editorial_playlist_update(playlist=playlist, user=user, **fields)
    if revision.track_ids is not None:
        playlist = editorial_playlist_tracks_set(
            playlist=playlist, user=user, track_ids=revision.track_ids
        )
    _revision_decide(revision, user, Revision.State.APPROVED)
    _record(playlist, user, Action.APPROVED, {"revision": revision.pk}, note)
    return playlist


@transaction.atomic
def editorial_playlist_revision_reject(
    *, revision: EditorialPlaylistRevision, user: User, note: str = ""
) -> EditorialPlaylistRevision:
    revision = _pending_revision_lock(revision)
    check_can_publish(user=user, team=revision.playlist.team)
    _revision_decide(revision, user, Revision.State.REJECTED)
    _record(revision.playlist, user, Action.REJECTED, {"revision": revision.pk}, note)
    return revision


def _revision_decide(revision: EditorialPlaylistRevision, user: User, state: str) -> None:
    revision.state = state
    revision.decided_by = user
    revision.decided_at = timezone.now()
    revision.save(update_fields=["state", "decided_by", "decided_at"])
