"""Releases managed by an artist's team: covers, schedules, pitches to editorial."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from artists import selectors
from artists.selectors import ArtistAccess
from catalog import services as catalog_services
from catalog.models import Artist, Genre, Release
from common.errors import PermissionDenied, ValidationFailed
from editorial import services as editorial_services
from editorial.models import Pitch
from licensing import services as licensing_services

from ._common import _today

SCHEDULE_MAX_AHEAD = datetime.timedelta(days=366)


def release_cover_upload(*, actor: User, artist: Artist, release_id: int, data: bytes) -> Release:
    """Make `data` (checked by content, see `catalog.services.release_cover_set`) the cover
    of one of the artist's releases; admins and editors of the artist's team only."""
    check_can_manage_releases(actor=actor, artist=artist)
    release = selectors.artist_release_get(artist=artist, release_id=release_id)
    return catalog_services.release_cover_set(release=release, data=data)


def check_can_manage_releases(*, actor: User, artist: Artist) -> ArtistAccess:
    access = selectors.artist_access(user=actor, artist_id=artist.pk)
    if not access.can_manage_releases:
        raise PermissionDenied("Only admins and editors of the artist's team can do this.")
    return access


def check_upcoming(*, release: Release, now: datetime.datetime | None = None) -> None:
    today = _today(now)
    if release.release_date is not None and release.release_date <= today:
        raise ValidationFailed("This release is out already; only upcoming releases change.")


@transaction.atomic
def release_schedule(
    *,
    actor: User,
    artist: Artist,
    release: Release,
    release_date: datetime.date,
    markets: Sequence[str] | None = None,
    now: datetime.datetime | None = None,
) -> Release:
    """Set an upcoming release's date and its go-live at local midnight in each market
    (`markets` default to every market the release is licensed in)."""
    check_can_manage_releases(actor=actor, artist=artist)
    Release.objects.select_for_update().filter(pk=release.pk).first()
    release = selectors.artist_release_get(artist=artist, release_id=release.pk)
    check_upcoming(release=release, now=now)
    today = _today(now)
    if release_date <= today:
        raise ValidationFailed("Schedule the release for a day after today (UTC).")
    if release_date > today + SCHEDULE_MAX_AHEAD:
        raise ValidationFailed(
            f"Schedule the release at most {SCHEDULE_MAX_AHEAD.days} days ahead."
        )
    catalog_services.release_date_set(release_id=release.pk, release_date=release_date)
    release.release_date = release_date
    licensing_services.release_schedule_local(
        release=release,
        day=release_date,
        markets=None if markets is None else [str(m).upper() for m in markets],
    )
    return selectors.artist_release_get(artist=artist, release_id=release.pk)


def release_pitch(
    *,
    actor: User,
    artist: Artist,
    release: Release,
    story: str,
    genre: str | None = None,
    moods: Sequence[str] = (),
    markets: Sequence[str] = (),
    now: datetime.datetime | None = None,
) -> Pitch:
    """Pitch an upcoming release of the artist to the editors (editorial's pitch)."""
    check_can_manage_releases(actor=actor, artist=artist)
    release = selectors.artist_release_get(artist=artist, release_id=release.pk)
    genre_object = None
    if genre:
        genre_object = Genre.objects.filter(Q(slug=genre) | Q(name__iexact=genre)).first()
        if genre_object is None:
            raise ValidationFailed(f"Unknown genre: {genre[:60]!r}.")
    return editorial_services.pitch_create(
        release=release,
        user=actor,
        story=story,
        genre=genre_object,
        moods=moods,
        markets=markets,
        now=now,
    )
