"""Writes of the editorial app: teams, the playlist workflow, history, campaigns, pitches, stats.

The workflow of an editorial playlist, who may do what, is drawn in `workflow.py`.

Submodules: teams, checks, history, playlists, review (proposals to live playlists),
revisions (a lead's decision), workflow, schedule, campaigns, pitches, stats. This package
re-exports their public names, so callers keep writing `from editorial import services`
and `services.editorial_playlist_transition(...)`.
"""

from .campaigns import campaign_create, category_get_or_create
from .checks import (
    check_can_edit,
    check_can_publish,
    check_markets_of_team,
    check_ready,
    check_schedule,
)
from .history import editorial_playlist_changes_record, editorial_playlist_snapshot
from .pitches import PITCH_STORY_MAX, pitch_answer, pitch_create
from .playlists import (
    EDITABLE_FIELDS,
    editorial_playlist_create,
    editorial_playlist_edit,
    editorial_playlist_prepare_new,
    editorial_playlist_tracks_set,
    editorial_playlist_update,
)
from .review import (
    UPDATABLE_FIELDS,
    editorial_playlist_needs_review,
    editorial_playlist_revision_propose,
)
from .revisions import editorial_playlist_revision_approve, editorial_playlist_revision_reject
from .schedule import ScheduleResult, editorial_playlist_schedule_apply, editorial_schedule_run
from .stats import STATS_LOOKBACK_HOURS, playlist_stats_build_day, playlist_stats_refresh_recent
from .teams import (
    EDITOR_PERMISSIONS,
    OWNER_EMAIL,
    OWNER_NAME,
    editorial_owner,
    editorial_team_member_add,
    editors_group_ensure,
    team_create,
    team_member_prepare,
)
from .workflow import (
    TRANSITIONS,
    Transition,
    editorial_playlist_publish,
    editorial_playlist_schedule,
    editorial_playlist_submit,
    editorial_playlist_transition,
    transitions_available,
)

__all__ = [
    "EDITABLE_FIELDS",
    "EDITOR_PERMISSIONS",
    "OWNER_EMAIL",
    "OWNER_NAME",
    "PITCH_STORY_MAX",
    "STATS_LOOKBACK_HOURS",
    "TRANSITIONS",
    "UPDATABLE_FIELDS",
    "ScheduleResult",
    "Transition",
    "campaign_create",
    "category_get_or_create",
    "check_can_edit",
    "check_can_publish",
    "check_markets_of_team",
    "check_ready",
    "check_schedule",
    "editorial_owner",
    "editorial_playlist_changes_record",
    "editorial_playlist_create",
    "editorial_playlist_edit",
    "editorial_playlist_needs_review",
    "editorial_playlist_prepare_new",
    "editorial_playlist_publish",
    "editorial_playlist_revision_approve",
    "editorial_playlist_revision_propose",
    "editorial_playlist_revision_reject",
    "editorial_playlist_schedule",
    "editorial_playlist_schedule_apply",
    "editorial_playlist_snapshot",
    "editorial_playlist_submit",
    "editorial_playlist_tracks_set",
    "editorial_playlist_transition",
    "editorial_playlist_update",
    "editorial_schedule_run",
    "editorial_team_member_add",
    "editors_group_ensure",
    "pitch_answer",
    "pitch_create",
    "playlist_stats_build_day",
    "playlist_stats_refresh_recent",
    "team_create",
    "team_member_prepare",
    "transitions_available",
]
