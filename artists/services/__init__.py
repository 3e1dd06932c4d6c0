"""Writes of the artists app: teams and invitations, releases, the insights aggregates.

Every team or release write re-checks the actor's role through `artists.selectors`, so the
API, the admin and scripts get the same rules. `check_*` validate and raise; the others act.

Submodules: teams, releases, aggregates (the daily insights tables). This package
re-exports their public names, so callers keep writing `from artists import services` and
`services.release_schedule(...)`.
"""

from .aggregates import (
    insights_build,
    insights_build_day,
    insights_rebuild,
    insights_refresh_recent,
)
from .releases import (
    SCHEDULE_MAX_AHEAD,
    check_can_manage_releases,
    check_upcoming,
    release_cover_upload,
    release_pitch,
    release_schedule,
)
from .teams import (
    INVITATION_TTL,
    artist_team_member_add,
    check_can_manage_team,
    check_role,
    team_invitation_accept,
    team_invitation_create,
    team_invitation_revoke,
    team_member_remove,
    team_member_role_set,
)

__all__ = [
    "INVITATION_TTL",
    "SCHEDULE_MAX_AHEAD",
    "artist_team_member_add",
    "check_can_manage_releases",
    "check_can_manage_team",
    "check_role",
    "check_upcoming",
    "insights_build",
    "insights_build_day",
    "insights_rebuild",
    "insights_refresh_recent",
    "release_cover_upload",
    "release_pitch",
    "release_schedule",
    "team_invitation_accept",
    "team_invitation_create",
    "team_invitation_revoke",
    "team_member_remove",
    "team_member_role_set",
]
