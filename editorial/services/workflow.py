"""The workflow of an editorial playlist: its transitions.

Workflow of an editorial playlist (who may do what):

    draft --submit (editor)--> in_review --schedule (lead)--> scheduled --(task)--> published
      ^                          |  \\--publish (lead)------------------------------> |
      |<-----return (lead)-------+<--return (lead)-- scheduled                        |
      |                                                                               v
      +<------------------reopen (editor)-------------- archived <--archive (lead / task)

Editors act only on their team's playlists; leads of the team publish. Each transition
locks the playlist row and re-checks its state, so the scheduler and a lead acting at the
same moment cannot publish twice. Every change is written to the playlist's history.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from common.errors import ValidationFailed
from editorial import selectors
from editorial.models import EditorialPlaylist, EditorialPlaylistChange, TeamMembership

from ._common import _lock
from .checks import check_can_edit, check_can_publish, check_ready, check_schedule
from .history import _json_value, _record

State = EditorialPlaylist.State
Action = EditorialPlaylistChange.Action


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    action: str
    lead_only: bool


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit", "Submit for review", frozenset({State.DRAFT}), State.IN_REVIEW,
            Action.SUBMITTED, lead_only=False,
        ),
        Transition(
            "return", "Return to draft", frozenset({State.IN_REVIEW, State.SCHEDULED}),
            State.DRAFT, Action.RETURNED, lead_only=True,
        ),
        Transition(
            "schedule", "Schedule", frozenset({State.IN_REVIEW, State.SCHEDULED}),
            State.SCHEDULED, Action.SCHEDULED, lead_only=True,
        ),
        Transition(
            "publish", "Publish now", frozenset({State.IN_REVIEW, State.SCHEDULED}),
            State.PUBLISHED, Action.PUBLISHED, lead_only=True,
        ),
        Transition(
            "archive", "Unpublish and archive", frozenset({State.PUBLISHED, State.SCHEDULED}),
            State.ARCHIVED, Action.ARCHIVED, lead_only=True,
        ),
        Transition(
            "reopen", "Reopen as draft", frozenset({State.ARCHIVED}), State.DRAFT,
            Action.REOPENED, lead_only=False,
        ),
    )
}  # fmt: skip


def transitions_available(*, playlist: EditorialPlaylist, user: User) -> list[Transition]:
    """The transitions the user may try from the playlist's state (for buttons)."""
    role = selectors.team_role(user=user, team_id=playlist.team_id)
    if role is None:
        return []
    return [
        t
        for t in TRANSITIONS.values()
        if playlist.state in t.sources and (role == TeamMembership.Role.LEAD or not t.lead_only)
    ]


def _check_transition(playlist: EditorialPlaylist, transition: Transition) -> None:
    if playlist.state not in transition.sources:
        allowed = " or ".join(sorted(State(source).label.lower() for source in transition.sources))
        raise ValidationFailed(
            f"Cannot {transition.label.lower()} “{playlist.name}”: it is "
            f"{playlist.get_state_display().lower()}, and must be {allowed}."
        )


@transaction.atomic
def editorial_playlist_transition(
    *,
    playlist: EditorialPlaylist,
    user: User,
    transition: str,
    note: str = "",
    publish_at: datetime.datetime | None = None,
    unpublish_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> EditorialPlaylist:
    """Move the playlist along the workflow as `user` (see the module docstring)."""
    step = TRANSITIONS.get(transition)
    if step is None:
        raise ValidationFailed(f"Unknown transition: {transition}.")
    now = now or timezone.now()
    playlist = _lock(playlist)
    check_can_edit(user=user, team=playlist.team)
    if step.lead_only:
        check_can_publish(user=user, team=playlist.team)
    _check_transition(playlist, step)
    changes: dict = {"state": [playlist.state, step.target]}
    if step.name in ("submit", "schedule", "publish"):
        check_ready(playlist=playlist)
    if step.name == "schedule":
        publish_at = publish_at or playlist.publish_at
        unpublish_at = unpublish_at or playlist.unpublish_at
        if publish_at is None or publish_at <= now:
            raise ValidationFailed("Set a publish time in the future to schedule the playlist.")
        check_schedule(publish_at=publish_at, unpublish_at=unpublish_at)
        changes["publish_at"] = [_json_value(playlist.publish_at), _json_value(publish_at)]
        playlist.publish_at, playlist.unpublish_at = publish_at, unpublish_at
    if step.name == "publish":
        if playlist.unpublish_at and playlist.unpublish_at <= now:
            raise ValidationFailed(
                "The unpublish time has passed; clear or move it before publishing."
            )
        playlist.published_at = now
    playlist.state = step.target
    playlist.public = step.target == State.PUBLISHED
    playlist.save()
    _record(playlist, user, step.action, changes, note)
    return playlist


def editorial_playlist_submit(*, playlist: EditorialPlaylist, user: User, note: str = ""):
    return editorial_playlist_transition(
        playlist=playlist, user=user, transition="submit", note=note
    )


def editorial_playlist_publish(*, playlist: EditorialPlaylist, user: User, note: str = ""):
    return editorial_playlist_transition(
        playlist=playlist, user=user, transition="publish", note=note
    )


def editorial_playlist_schedule(
    *,
    playlist: EditorialPlaylist,
    user: User,
    publish_at: datetime.datetime,
    unpublish_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
):
    return editorial_playlist_transition(
        playlist=playlist,
        user=user,
        transition="schedule",
        publish_at=publish_at,
        unpublish_at=unpublish_at,
        now=now,
    )
