"""The scheduler: publishes and unpublishes playlists at their scheduled times."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.errors import ValidationFailed
from editorial.models import EditorialPlaylist, EditorialPlaylistChange

from .checks import check_ready
from .history import _record

State = EditorialPlaylist.State
Action = EditorialPlaylistChange.Action


@dataclass
class ScheduleResult:
    published: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)


@transaction.atomic
def editorial_playlist_schedule_apply(
    *, playlist_id: int, now: datetime.datetime | None = None
) -> str | None:
    """Publish or unpublish one playlist whose time has come; None when nothing is due.

    A scheduled playlist whose unpublish time has also passed is archived without going
    live; one that is no longer ready (tracks removed since) goes back to draft.
    """
    now = now or timezone.now()
    playlist = (
        EditorialPlaylist.objects.select_for_update(of=("self", "playlist_ptr"))
        .select_related("team")
        .filter(pk=playlist_id)
        .first()
    )
    if playlist is None:
        return None
    due_out = playlist.unpublish_at is not None and playlist.unpublish_at <= now
    due_in = playlist.publish_at is not None and playlist.publish_at <= now
    if playlist.state == State.SCHEDULED and due_in and not due_out:
        try:
            check_ready(playlist=playlist)
        except ValidationFailed as exc:
            playlist.state, playlist.public = State.DRAFT, False
            playlist.save()
            changes = {"state": [State.SCHEDULED, State.DRAFT]}
            _record(playlist, None, Action.RETURNED, changes, f"Not published: {exc.message}")
            return State.DRAFT
        playlist.state, playlist.public, playlist.published_at = State.PUBLISHED, True, now
        playlist.save()
        _record(playlist, None, Action.PUBLISHED, {"state": [State.SCHEDULED, State.PUBLISHED]})
        return State.PUBLISHED
    if playlist.state in (State.SCHEDULED, State.PUBLISHED) and due_out:
        before = playlist.state
        playlist.state, playlist.public = State.ARCHIVED, False
        playlist.save()
        _record(playlist, None, Action.ARCHIVED, {"state": [before, State.ARCHIVED]})
        return State.ARCHIVED
    return None


def editorial_schedule_run(*, now: datetime.datetime | None = None) -> ScheduleResult:
    """Apply every due publish and unpublish time; running it again changes nothing."""
    now = now or timezone.now()
    due = EditorialPlaylist.objects.filter(
        Q(state=State.SCHEDULED, publish_at__lte=now)
        | Q(state__in=[State.SCHEDULED, State.PUBLISHED], unpublish_at__lte=now)
    ).order_by("publish_at", "pk")
    result = ScheduleResult()
    for playlist_id in due.values_list("pk", flat=True):
        outcome = editorial_playlist_schedule_apply(playlist_id=playlist_id, now=now)
        if outcome == State.PUBLISHED:
            result.published.append(playlist_id)
        elif outcome == State.ARCHIVED:
            result.archived.append(playlist_id)
        elif outcome == State.DRAFT:
            result.returned.append(playlist_id)
    return result
