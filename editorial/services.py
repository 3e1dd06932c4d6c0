"""Writes of the editorial app: teams, the playlist workflow, history, campaigns, pitches, stats.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django_countries import countries

from accounts import roles
from accounts import services as accounts_services
from accounts.models import User
from catalog import services as catalog_services
from catalog.models import FollowedPlaylist, Genre, Playlist, PlaylistItem, Release, Track
from catalog.services import PlaylistItemSpec
from common.errors import NotFound, PermissionDenied, ValidationFailed
from editorial import selectors
from editorial.models import (
    Campaign,
    Category,
    CategoryTranslation,
    EditorialPlaylist,
    EditorialPlaylistChange,
    EditorialPlaylistRevision,
    EditorialPlaylistTranslation,
    Pitch,
    PlaylistDailyStats,
    Team,
    TeamMembership,
    parse_languages,
    validate_language,
)
from playback import selectors as playback_selectors
from playback.models import PlayEvent

State = EditorialPlaylist.State
Revision = EditorialPlaylistRevision
Action = EditorialPlaylistChange.Action

OWNER_EMAIL = "editorial@streamify.invalid"
OWNER_NAME = "Streamify"
PITCH_STORY_MAX = 500
STATS_LOOKBACK_HOURS = 48
# Permissions of the "editors" group; the team checks come on top of them. Track lists are
# edited through the playlist's admin page, whose inline checks the playlist's team instead.
EDITOR_PERMISSIONS = (
    ("editorial", "editorialplaylist", ("view", "add", "change")),
    ("editorial", "editorialplaylisttranslation", ("view", "add", "change", "delete")),
    ("editorial", "editorialplaylistchange", ("view",)),
    ("editorial", "editorialplaylistrevision", ("view", "change")),
    ("editorial", "team", ("view",)),
    ("editorial", "category", ("view",)),
    ("editorial", "campaign", ("view", "add", "change")),
    ("editorial", "pitch", ("view", "change")),
    ("editorial", "playlistdailystats", ("view",)),
    ("catalog", "track", ("view",)),
    ("catalog", "release", ("view",)),
    ("catalog", "artist", ("view",)),
)


# Accounts and teams


def editorial_owner() -> User:
    """The account that owns every editorial playlist (shown to listeners as "Streamify")."""
    return accounts_services.user_system_ensure(email=OWNER_EMAIL, display_name=OWNER_NAME)


def editors_group_ensure() -> Group:
    """Give the "editors" group its model permissions (idempotent)."""
    group = Group.objects.get_or_create(name=roles.EDITORS)[0]
    wanted = Q(pk__in=[])
    for app_label, model, actions in EDITOR_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


def _check_markets(markets: Iterable[str]) -> list[str]:
    codes = sorted({str(code).upper() for code in markets})
    unknown = [code for code in codes if code not in countries]
    if unknown:
        raise ValidationFailed(f"Unknown markets: {', '.join(unknown)}.")
    return codes


@transaction.atomic
def team_create(
    *, name: str, markets: Sequence[str], languages: Sequence[str], slug: str = ""
) -> Team:
    languages = parse_languages(",".join(languages))
    if not languages:
        raise ValidationFailed("A team needs at least one language.")
    for language in languages:
        validate_language(language)
    team = Team(
        name=name,
        slug=slug or slugify(name),
        markets=_check_markets(markets),
        languages=", ".join(languages),
    )
    team.full_clean()
    team.save()
    return team


def team_member_prepare(*, user: User) -> None:
    """Let the user into the admin as an editor: staff flag and the "editors" group."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(editors_group_ensure())


@transaction.atomic
def editorial_team_member_add(
    *, team: Team, user: User, role: str = TeamMembership.Role.EDITOR
) -> TeamMembership:
    if role not in TeamMembership.Role.values:
        raise ValidationFailed(f"Unknown role: {role}.")
    membership, _ = TeamMembership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    team_member_prepare(user=user)
    return membership


# Checks (raise; the admin turns them into form errors and messages)


def check_can_edit(*, user: User, team: Team | int | None) -> None:
    team_id = team.pk if isinstance(team, Team) else team
    if not selectors.user_can_edit(user=user, team_id=team_id):
        name = team.name if isinstance(team, Team) else "this"
        raise PermissionDenied(f"Only editors of the {name} team can change its playlists.")


def check_can_publish(*, user: User, team: Team) -> None:
    if not selectors.user_can_publish(user=user, team_id=team.pk):
        raise PermissionDenied(f"Only a lead of the {team.name} team can do this.")


def check_markets_of_team(*, team: Team, markets: Iterable[str]) -> None:
    outside = sorted(set(map(str, markets)) - set(team.market_codes))
    if outside:
        raise ValidationFailed(
            f"Markets outside the {team.name} team's markets ({', '.join(team.market_codes)}): "
            f"{', '.join(outside)}."
        )


def check_schedule(
    *,
    publish_at: datetime.datetime | None,
    unpublish_at: datetime.datetime | None,
) -> None:
    if publish_at and unpublish_at and unpublish_at <= publish_at:
        raise ValidationFailed("The unpublish time must come after the publish time.")


def check_ready(*, playlist: EditorialPlaylist) -> None:
    """Raise unless the playlist can go to listeners: a name, tracks, markets of its team."""
    problems = []
    if not playlist.name.strip():
        problems.append("it has no name")
    if not PlaylistItem.objects.filter(playlist_id=playlist.pk).exists():
        problems.append("it has no tracks")
    if not playlist.market_codes:
        problems.append("it has no markets")
    if problems:
        raise ValidationFailed(f"“{playlist.name}” is not ready: {'; '.join(problems)}.")
    check_markets_of_team(team=playlist.team, markets=playlist.market_codes)


# History


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


# Playlists


def editorial_playlist_prepare_new(*, playlist: EditorialPlaylist, user: User) -> None:
    """Fill what a new editorial playlist gets from the system (before its first save)."""
    check_can_edit(user=user, team=playlist.team)
    playlist.owner = editorial_owner()
    playlist.kind = Playlist.Kind.EDITORIAL
    playlist.public = False
    playlist.collaborative = False
    playlist.state = State.DRAFT
    playlist.created_by = user


@transaction.atomic
def editorial_playlist_create(
    *,
    team: Team,
    user: User,
    name: str,
    description: str = "",
    language: str | None = None,
    markets: Sequence[str] | None = None,
    categories: Sequence[Category] = (),
    tracks: Sequence[Track] = (),
    translations: dict[str, tuple[str, str]] | None = None,
    featured: bool = False,
    priority: int = 0,
) -> EditorialPlaylist:
    """Create a draft of the team; markets default to the team's, language to its first."""
    if not name.strip():
        raise ValidationFailed("A playlist needs a name.")
    markets = _check_markets(team.market_codes if markets is None else markets)
    check_markets_of_team(team=team, markets=markets)
    playlist = EditorialPlaylist(
        team=team,
        name=name.strip(),
        description=description,
        language=language or team.default_language,
        markets=markets,
        featured=featured,
        priority=priority,
    )
    validate_language(playlist.language)
    editorial_playlist_prepare_new(playlist=playlist, user=user)
    playlist.save()
    playlist.categories.set(categories)
    for language_code, (title, text) in (translations or {}).items():
        validate_language(language_code)
        EditorialPlaylistTranslation.objects.create(
            playlist=playlist, language=language_code, title=title, description=text
        )
    now = timezone.now()
    catalog_services.playlist_items_replace(
        playlist_id=playlist.pk,
        items=[PlaylistItemSpec(track.pk, user.pk, now) for track in tracks],
    )
    editorial_playlist_changes_record(playlist=playlist, user=user, before=None)
    return playlist


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


@transaction.atomic
def editorial_playlist_update(
    *, playlist: EditorialPlaylist, user: User, **fields
) -> EditorialPlaylist:
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Cannot update: {', '.join(sorted(unknown))}.")
    playlist = _lock(playlist)
    check_can_edit(user=user, team=playlist.team)
    if editorial_playlist_needs_review(playlist=playlist, user=user):
        playlist.pending_revision = editorial_playlist_revision_propose(
            playlist=playlist, user=user, fields=fields
        )
        return playlist
    before = editorial_playlist_snapshot(playlist_id=playlist.pk)
    if "markets" in fields:
        fields["markets"] = _check_markets(fields["markets"])
        check_markets_of_team(team=playlist.team, markets=fields["markets"])
    if "language" in fields:
        validate_language(fields["language"])
    for name, value in fields.items():
        setattr(playlist, name, value)
    check_schedule(publish_at=playlist.publish_at, unpublish_at=playlist.unpublish_at)
    playlist.save()
    editorial_playlist_changes_record(playlist=playlist, user=user, before=before)
    return playlist


@transaction.atomic
def editorial_playlist_tracks_set(
    *, playlist: EditorialPlaylist, user: User, track_ids: Sequence[int]
) -> EditorialPlaylist:
    """Replace the track list; kept tracks keep when and by whom they were added."""
    playlist = _lock(playlist)
    check_can_edit(user=user, team=playlist.team)
    track_ids = _check_track_ids(track_ids)
    if editorial_playlist_needs_review(playlist=playlist, user=user):
        playlist.pending_revision = editorial_playlist_revision_propose(
            playlist=playlist, user=user, track_ids=track_ids
        )
        return playlist
    before = editorial_playlist_snapshot(playlist_id=playlist.pk)
    existing = {}
    for item in PlaylistItem.objects.filter(playlist=playlist).order_by("position", "id"):
        existing.setdefault(item.track_id, item)
    now = timezone.now()
    catalog_services.playlist_items_replace(
        playlist_id=playlist.pk,
        items=[
            PlaylistItemSpec(track_id, existing[track_id].added_by_id, existing[track_id].added_at)
            if track_id in existing
            else PlaylistItemSpec(track_id, user.pk, now)
            for track_id in track_ids
        ],
    )
    editorial_playlist_changes_record(playlist=playlist, user=user, before=before)
    return playlist


def _check_track_ids(track_ids: Sequence[int]) -> list[int]:
    track_ids = list(dict.fromkeys(track_ids))
    found = set(Track.objects.filter(pk__in=track_ids).values_list("pk", flat=True))
    missing = [track_id for track_id in track_ids if track_id not in found]
    if missing:
        raise NotFound(f"Tracks not found: {', '.join(map(str, missing))}.")
    return track_ids


# Review of changes to live playlists


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


def _lock(playlist: EditorialPlaylist) -> EditorialPlaylist:
    locked = (
        EditorialPlaylist.objects.select_for_update(of=("self", "playlist_ptr"))
        .select_related("team")
        .filter(pk=playlist.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Playlist not found.")
    return locked


# Workflow


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


# Scheduler


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


# Categories and campaigns


@transaction.atomic
def category_get_or_create(
    *, slug: str, name: str, position: int = 0, translations: dict[str, str] | None = None
) -> Category:
    category, _ = Category.objects.get_or_create(
        slug=slug, defaults={"name": name, "position": position}
    )
    for language, text in (translations or {}).items():
        validate_language(language)
        CategoryTranslation.objects.get_or_create(
            category=category, language=language, defaults={"name": text}
        )
    return category


@transaction.atomic
def campaign_create(
    *,
    name: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    user: User,
    team: Team | None = None,
    markets: Sequence[str] = (),
    playlists: Sequence[EditorialPlaylist] = (),
    description: str = "",
    slug: str = "",
) -> Campaign:
    if team is None:
        if not user.is_superuser:
            raise PermissionDenied("Only administrators create campaigns of every team.")
    else:
        check_can_edit(user=user, team=team)
    if ends_at <= starts_at:
        raise ValidationFailed("A campaign must end after it starts.")
    for playlist in playlists:
        if team is not None and playlist.team_id != team.pk:
            raise ValidationFailed(f"“{playlist.name}” belongs to another team.")
    campaign = Campaign.objects.create(
        name=name,
        slug=slug or slugify(name),
        description=description,
        team=team,
        markets=_check_markets(markets),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    campaign.playlists.set(playlists)
    return campaign


# Pitches


@transaction.atomic
def pitch_create(
    *,
    release: Release,
    user: User,
    story: str,
    genre: Genre | None = None,
    moods: Sequence[str] = (),
    markets: Sequence[str] = (),
    now: datetime.datetime | None = None,
) -> Pitch:
    """Pitch an upcoming release to the editors as a member of an artist team.

    The caller (the artists app) checks that the user works for the release's artists.
    """
    now = now or timezone.now()
    if not (user.is_superuser or user.groups.filter(name=roles.ARTIST_TEAM_MEMBERS).exists()):
        raise PermissionDenied("Only artist team members can pitch releases.")
    if release.release_date is not None and release.release_date <= now.date():
        raise ValidationFailed("Only upcoming releases can be pitched; this one is out.")
    story = story.strip()
    if not story:
        raise ValidationFailed("Tell the editors the story of the release.")
    if len(story) > PITCH_STORY_MAX:
        raise ValidationFailed(f"The story is limited to {PITCH_STORY_MAX} characters.")
    moods = list(dict.fromkeys(moods))
    unknown = [mood for mood in moods if mood not in Pitch.Mood.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown moods: {', '.join(unknown)}. Use any of {', '.join(Pitch.Mood.values)}."
        )
    if Pitch.objects.filter(release=release, status=Pitch.Status.SUBMITTED).exists():
        raise ValidationFailed("This release already has a pitch waiting for the editors.")
    return Pitch.objects.create(
        release=release,
        submitted_by=user,
        story=story,
        genre=genre,
        moods=moods,
        markets=_check_markets(markets),
    )


@transaction.atomic
def pitch_answer(
    *,
    pitch: Pitch,
    user: User,
    status: str,
    answer: str,
    placed_in: EditorialPlaylist | None = None,
) -> Pitch:
    if not selectors.user_is_editor(user=user):
        raise PermissionDenied("Only editors answer pitches.")
    pitch = Pitch.objects.select_for_update().get(pk=pitch.pk)
    if pitch.status != Pitch.Status.SUBMITTED:
        raise ValidationFailed(f"This pitch was already {pitch.get_status_display().lower()}.")
    if status not in (Pitch.Status.ACCEPTED, Pitch.Status.DECLINED):
        raise ValidationFailed("Answer a pitch by accepting or declining it.")
    if not answer.strip():
        raise ValidationFailed("Write the artist team a few words with the answer.")
    if placed_in is not None:
        if status != Pitch.Status.ACCEPTED:
            raise ValidationFailed("Only an accepted pitch is placed in a playlist.")
        check_can_edit(user=user, team=placed_in.team)
    pitch.status = status
    pitch.answer = answer.strip()
    pitch.answered_by = user
    pitch.answered_at = timezone.now()
    pitch.placed_in = placed_in
    pitch.save()
    return pitch


# Performance


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


@transaction.atomic
def playlist_stats_build_day(*, day: datetime.date) -> int:
    """Recompute one UTC day of every editorial playlist's stats from raw events and follows.

    Playback's daily counts have no per-playlist breakdown, so this reads the plays playback
    counts (`playback.selectors.plays_counted`, never refused ones) with a playlist context
    (`playlist` or `editorial`) whose context id is the playlist's id.
    """
    start, end = _day_bounds(day)
    editorial_ids = {str(pk) for pk in EditorialPlaylist.objects.values_list("pk", flat=True)}
    is_stream = playback_selectors.IS_STREAM
    rows: dict[int, PlaylistDailyStats] = {}

    def row(playlist_id: int) -> PlaylistDailyStats:
        if playlist_id not in rows:
            rows[playlist_id] = PlaylistDailyStats(day=day, playlist_id=playlist_id)
        return rows[playlist_id]

    plays = (
        playback_selectors.plays_counted(start=start, end=end)
        .filter(context_type__in=[PlayEvent.Context.PLAYLIST, PlayEvent.Context.EDITORIAL])
        .order_by()
        .values("context_id")
        .annotate(
            streams=Count("pk", filter=is_stream),
            skips=Count("pk", filter=~is_stream),
            listeners=Count("user_id", filter=is_stream, distinct=True),
            total_ms=Sum("ms_played"),
        )
    )
    for found in plays:
        if found["context_id"] not in editorial_ids:
            continue
        stats = row(int(found["context_id"]))
        stats.streams = found["streams"]
        stats.skips = found["skips"]
        stats.listeners = found["listeners"]
        stats.ms_played = found["total_ms"] or 0
    saves = (
        FollowedPlaylist.objects.filter(
            followed_at__gte=start,
            followed_at__lt=end,
            playlist_id__in=EditorialPlaylist.objects.values("pk"),
        )
        .order_by()
        .values("playlist_id")
        .annotate(n=Count("pk"))
    )
    for found in saves:
        row(found["playlist_id"]).saves = found["n"]
    PlaylistDailyStats.objects.filter(day=day).exclude(playlist_id__in=list(rows)).delete()
    if rows:
        PlaylistDailyStats.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["day", "playlist"],
            update_fields=["streams", "listeners", "skips", "saves", "ms_played"],
        )
    return len(rows)


def playlist_stats_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the UTC days of the last STATS_LOOKBACK_HOURS, and the days of plays received
    in that time (offline plays arrive late)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=STATS_LOOKBACK_HOURS)
    first, today = since.astimezone(datetime.UTC).date(), now.astimezone(datetime.UTC).date()
    days = {first + datetime.timedelta(days=n) for n in range((today - first).days + 1)}
    days.update(playback_selectors.play_days_touched(since=since, now=now))
    built = sorted(days)
    for day in built:
        playlist_stats_build_day(day=day)
    return built
