import datetime
import uuid

from accounts import roles
from artists import services
from artists.models import TeamRole
from catalog.models import Artist
from playback.models import PlayEvent
from tests.accounts.factories import UserFactory


def team_member(artist: Artist, role: str = TeamRole.ADMIN, **user_fields):
    """A user on the artist's team with `role` (through the service, group included)."""
    user = UserFactory(role=roles.ARTIST_TEAM_MEMBERS, **user_fields)
    services.artist_team_member_add(artist=artist, user=user, role=role)
    return user


def play(
    *,
    user,
    track,
    day: datetime.date,
    ms_played: int = 180_000,
    country: str = "SE",
    context_type: str = PlayEvent.Context.ALBUM,
    context_id: str = "",
    hour: int = 12,
) -> PlayEvent:
    ended_at = datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)
    return PlayEvent.objects.create(
        id=uuid.uuid4(),
        user=user,
        track=track,
        ms_played=ms_played,
        context_type=context_type,
        context_id=context_id,
        started_at=ended_at - datetime.timedelta(milliseconds=ms_played),
        ended_at=ended_at,
        country=country,
        verdict=PlayEvent.Verdict.STREAM if ms_played >= 30_000 else PlayEvent.Verdict.PLAY,
    )
