"""Checks (raise; the admin turns them into form errors and messages)."""

import datetime
from collections.abc import Iterable, Sequence

from django_countries import countries

from accounts.models import User
from catalog.models import PlaylistItem, Track
from common.errors import NotFound, PermissionDenied, ValidationFailed
from editorial import selectors
from editorial.models import EditorialPlaylist, Team


def _check_markets(markets: Iterable[str]) -> list[str]:
    codes = sorted({str(code).upper() for code in markets})
    unknown = [code for code in codes if code not in countries]
    if unknown:
        raise ValidationFailed(f"Unknown markets: {', '.join(unknown)}.")
    return codes


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


def _check_track_ids(track_ids: Sequence[int]) -> list[int]:
    track_ids = list(dict.fromkeys(track_ids))
    found = set(Track.objects.filter(pk__in=track_ids).values_list("pk", flat=True))
    missing = [track_id for track_id in track_ids if track_id not in found]
    if missing:
        raise NotFound(f"Tracks not found: {', '.join(map(str, missing))}.")
    return track_ids
