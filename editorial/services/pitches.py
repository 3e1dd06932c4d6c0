"""Pitches of upcoming releases by artists' teams, and the editors' answers."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from catalog.models import Genre, Release
from common.errors import PermissionDenied, ValidationFailed
from editorial import selectors
from editorial.models import EditorialPlaylist, Pitch

from .checks import _check_markets, check_can_edit

PITCH_STORY_MAX = 500


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
