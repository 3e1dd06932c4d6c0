import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import TrackAvailabilityProfile
from licensing.models import Agreement, LabelMembership, Takedown
from tests.catalog.factories import LabelFactory, ReleaseFactory, TrackFactory
from tests.licensing.conftest import playable_markets

pytestmark = pytest.mark.django_db

DEMO_LABELS = (
    "Nightjar Records",
    "Meridian Music Group",
    "Small Hours Recordings",
    "Atlas Sound Entertainment",
    "Fjord Tapes",
    "Sonorous Records",
)


def test_load_demo_licensing_is_idempotent_and_replaces_placeholder_availability():
    tracks = {}
    for name in DEMO_LABELS:
        release = ReleaseFactory(label=LabelFactory(name=name))
        tracks[name] = [TrackFactory(release=release, markets=["SE", "US", "JP"]) for _ in range(2)]

    call_command("load_demo_licensing", stdout=StringIO())
    rows = TrackAvailabilityProfile.objects.count()
    call_command("load_demo_licensing", stdout=StringIO())

    assert Agreement.objects.filter(status="active").count() == 6
    assert Takedown.objects.count() == 1
    assert LabelMembership.objects.count() == 1
    assert TrackAvailabilityProfile.objects.count() == rows
    now = datetime.datetime.now(datetime.UTC)
    assert len(playable_markets(tracks["Meridian Music Group"][0], now)) >= 180
    atlas = playable_markets(tracks["Atlas Sound Entertainment"][0], now)
    assert "SE" in atlas and "US" not in atlas
    assert playable_markets(tracks["Small Hours Recordings"][0], now) >= {"US", "CA", "AU"}
    assert "SE" not in playable_markets(tracks["Fjord Tapes"][0], now)
    assert "SE" in playable_markets(tracks["Sonorous Records"][0], now)
    taken_down = Takedown.objects.get().track
    assert playable_markets(taken_down, now) == set()


def test_rebuild_availability_command():
    out = StringIO()
    call_command("rebuild_availability", "--no-swap", stdout=out)
    assert "Availability of 0 tracks written" in out.getvalue()
