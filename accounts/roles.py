"""The groups a user can belong to; created by a data migration."""

LISTENERS = "listeners"
EDITORS = "editors"
ARTIST_TEAM_MEMBERS = "artist team members"
LABEL_STAFF = "label staff"

ALL_ROLES = (LISTENERS, EDITORS, ARTIST_TEAM_MEMBERS, LABEL_STAFF)
