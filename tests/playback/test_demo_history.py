"""The demo data never contradicts itself: plays only where and when a track was licensed,
editorial playlists only of tracks licensed in their markets, popularity from the plays."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import FollowedArtist, SavedTrack, Track
from catalog.selectors import track_ids_playable_in, track_windows
from catalog.services import AvailabilityWindow
from editorial.models import EditorialPlaylist
from playback.demo import playable
from playback.models import PlayEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    ReleaseFactory,
    TrackFactory,
    availability_set,
)

pytestmark = pytest.mark.django_db


def _release(title: str, genre, windows: list[AvailabilityWindow], tracks: int = 6):
    artist = ArtistFactory(name=f"{title} Artist")
    release = ReleaseFactory(title=title, artists=[artist])
    release.genres.add(genre)
    made = [TrackFactory(release=release, artists=[artist]) for _ in range(tracks)]
    availability_set([t.pk for t in made], windows)
    return made


@pytest.fixture
def demo_world():
    now = timezone.now()
    ago = lambda days: now - datetime.timedelta(days=days)  # noqa: E731
    rock, ambient = GenreFactory(name="Rock"), GenreFactory(name="Ambient")
    everywhere = _release(
        "Everywhere", rock, [AvailabilityWindow("SE", ago(90)), AvailabilityWindow("US", ago(90))]
    )
    us_lately = _release("US Lately", ambient, [AvailabilityWindow("US", ago(20))])
    se_until = _release("SE Until", ambient, [AvailabilityWindow("SE", ago(90), ago(10))])
    for n in range(12):
        UserFactory(country="SE" if n % 2 else "US")
    UserFactory(email="demo@streamify.test", country="SE")
    return everywhere, us_lately, se_until


def test_demo_history_plays_only_where_and_when_licensed(demo_world):
    everywhere, us_lately, se_until = demo_world
    call_command("load_demo_history", events=3000, days=60, seed=3, stdout=StringIO())

    windows = track_windows()
    events = list(PlayEvent.objects.all())
    assert len(events) > 1000
    unlicensed = [
        e for e in events if not playable(windows.get(e.track_id, []), e.country, e.started_at)
    ]
    assert unlicensed == []

    # Every release was played, in the markets and times it allows.
    def countries(tracks):
        ids = {t.pk for t in tracks}
        return {e.country for e in events if e.track_id in ids}

    assert countries(everywhere) == {"SE", "US"}
    assert countries(us_lately) == {"US"}
    assert countries(se_until) == {"SE"}
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    ended = {t.pk for t in se_until}
    assert all(e.started_at < ten_days_ago for e in events if e.track_id in ended)

    # Popularity comes from the plays: the most streamed track is at 100, unplayed at 0.
    popularity = dict(Track.objects.values_list("id", "popularity"))
    assert max(popularity.values()) == 100
    assert sum(1 for value in popularity.values() if value > 0) >= 10
    # Listeners save and follow what they play a lot, never what they never played.
    saved = list(SavedTrack.objects.all())
    assert saved and FollowedArtist.objects.exists()
    assert all(
        PlayEvent.objects.filter(user=s.user_id, track=s.track_id).count() >= 3 for s in saved
    )
    # The demo listener's own playlists hold only tracks playable in their market.
    demo_playlists = list(
        Track.objects.filter(playlists__owner__email="demo@streamify.test").distinct()
    )
    assert demo_playlists
    assert {t.release_id for t in demo_playlists} == {everywhere[0].release_id}


def test_demo_editorial_playlists_hold_only_tracks_licensed_in_their_markets(demo_world):
    call_command("load_demo_editorial", stdout=StringIO())

    playlists = list(EditorialPlaylist.objects.prefetch_related("items"))
    assert any(p.items.exists() for p in playlists)
    now = timezone.now()
    for playlist in playlists:
        for market in playlist.markets:
            licensed = set(track_ids_playable_in(market=market.code, now=now))
            tracks = {item.track_id for item in playlist.items.all()}
            assert tracks <= licensed, (playlist.name, market.code)
