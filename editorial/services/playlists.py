"""Editorial playlists: creation and edits (fields, localised texts, track list)."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Playlist, PlaylistItem, Track
from catalog.services import PlaylistItemSpec
from common.errors import PermissionDenied, ValidationFailed
from editorial.models import (
    Category,
    EditorialPlaylist,
    EditorialPlaylistTranslation,
    Team,
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
from .history import editorial_playlist_changes_record, editorial_playlist_snapshot
from .review import (
    UPDATABLE_FIELDS,
    editorial_playlist_needs_review,
    editorial_playlist_revision_propose,
)
from .teams import editorial_owner

State = EditorialPlaylist.State


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
    cover=None,
    publish_at: datetime.datetime | None = None,
    unpublish_at: datetime.datetime | None = None,
) -> EditorialPlaylist:
    """Create a draft of the team; markets default to the team's, language to its first."""
    if not name.strip():
        raise ValidationFailed("A playlist needs a name.")
    markets = _check_markets(team.market_codes if markets is None else markets)
    check_markets_of_team(team=team, markets=markets)
    check_schedule(publish_at=publish_at, unpublish_at=unpublish_at)
    playlist = EditorialPlaylist(
        team=team,
        name=name.strip(),
        description=description,
        language=language or team.default_language,
        markets=markets,
        featured=featured,
        priority=priority,
        cover=cover or "",
        publish_at=publish_at,
        unpublish_at=unpublish_at,
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
    _tracks_replace(playlist, user, track_ids)
    editorial_playlist_changes_record(playlist=playlist, user=user, before=before)
    return playlist


def _tracks_replace(playlist: EditorialPlaylist, user: User, track_ids: list[int]) -> None:
    """Make `track_ids` the track list; kept tracks keep when and by whom they were added."""
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


# Fields an edit of every part at once (the admin's change form) may set, on top of
# UPDATABLE_FIELDS; a live playlist's reviewed revisions carry only UPDATABLE_FIELDS.
EDITABLE_FIELDS = UPDATABLE_FIELDS | {"cover", "team", "categories"}


@transaction.atomic
def editorial_playlist_edit(
    *,
    playlist: EditorialPlaylist,
    user: User,
    fields: dict | None = None,
    translations: dict[str, tuple[str, str]] | None = None,
    track_ids: Sequence[int] | None = None,
) -> EditorialPlaylist:
    """Change fields, localised texts and the track list at once, recorded as one edit.

    `translations` (language -> title, description) and `track_ids` replace the whole set
    when given. The caller has checked that the playlist needs no review
    (`editorial_playlist_needs_review`); a live playlist edited by someone who is not a lead
    goes through `editorial_playlist_revision_propose`.
    """
    fields = dict(fields or {})
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Cannot update: {', '.join(sorted(unknown))}.")
    playlist = _lock(playlist)
    check_can_edit(user=user, team=playlist.team)
    if editorial_playlist_needs_review(playlist=playlist, user=user):
        raise PermissionDenied("A live playlist changes through a lead's review.")
    if track_ids is not None:
        track_ids = _check_track_ids(track_ids)
    team = fields.get("team", playlist.team)
    if team != playlist.team:
        check_can_edit(user=user, team=team)
    if "markets" in fields:
        fields["markets"] = _check_markets(fields["markets"])
    if "markets" in fields or "team" in fields:
        check_markets_of_team(team=team, markets=fields.get("markets", playlist.market_codes))
    if "language" in fields:
        validate_language(fields["language"])
    for language_code in translations or {}:
        validate_language(language_code)
    before = editorial_playlist_snapshot(playlist_id=playlist.pk)
    categories = fields.pop("categories", None)
    if "cover" in fields:
        fields["cover"] = fields["cover"] or ""  # False (cleared) or None: no cover
    for name, value in fields.items():
        setattr(playlist, name, value)
    check_schedule(publish_at=playlist.publish_at, unpublish_at=playlist.unpublish_at)
    playlist.save()
    if categories is not None:
        playlist.categories.set(categories)
    if translations is not None:
        _translations_replace(playlist, translations)
    if track_ids is not None:
        _tracks_replace(playlist, user, track_ids)
    editorial_playlist_changes_record(playlist=playlist, user=user, before=before)
    return playlist


def _translations_replace(
    playlist: EditorialPlaylist, translations: dict[str, tuple[str, str]]
) -> None:
    EditorialPlaylistTranslation.objects.filter(playlist=playlist).exclude(
        language__in=list(translations)
    ).delete()
    for language_code, (title, text) in translations.items():
        EditorialPlaylistTranslation.objects.update_or_create(
            playlist=playlist,
            language=language_code,
            defaults={"title": title, "description": text},
        )
