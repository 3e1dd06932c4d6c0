"""Label staff see only their labels' releases, everywhere in the dashboard."""

import pytest

from artists.services import insights_build_day
from tests.artists.conftest import DAY, client_for
from tests.artists.factories import play
from tests.catalog.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.licensing.factories import LabelMembershipFactory, PartyFactory

API = "/api/v1"
PERIOD = f"start={DAY}&end={DAY}"


@pytest.fixture
def labels(db):
    """An artist on two labels (two releases, one track each), one on the first label only;
    a member of the first label's party."""
    mine, theirs = PartyFactory(), PartyFactory()
    shared, own = ArtistFactory(name="Shared"), ArtistFactory(name="Own")
    ours = ReleaseFactory(artists=[shared], label=mine.labels.get())
    other = ReleaseFactory(artists=[shared], label=theirs.labels.get())
    own_release = ReleaseFactory(artists=[own], label=mine.labels.get())
    tracks = {
        "ours": TrackFactory(release=ours),
        "theirs": TrackFactory(release=other),
        "own": TrackFactory(release=own_release),
    }
    member = LabelMembershipFactory(party=mine).user
    listener = LabelMembershipFactory().user
    for name, count in (("ours", 2), ("theirs", 5), ("own", 1)):
        for hour in range(count):
            play(user=listener, track=tracks[name], day=DAY, hour=hour)
    insights_build_day(day=DAY)
    return {
        "party": mine,
        "shared": shared,
        "own": own,
        "ours": ours,
        "other": other,
        "tracks": tracks,
        "client": client_for(member),
    }


def test_roster_counts_only_the_labels_releases(labels):
    body = (
        labels["client"].get(f"{API}/labels/{labels['party'].pk}/insights/artists?{PERIOD}").json()
    )
    streams = {item["artist"]["name"]: item["streams"] for item in body["items"]}
    assert streams == {"Shared": 2, "Own": 1}


def test_artist_wide_insights_of_a_shared_artist_are_refused(labels):
    client = labels["client"]
    for path in ("overview", "timeline", "countries", "sources", "top-tracks", "demographics"):
        response = client.get(f"{API}/artists/{labels['shared'].pk}/insights/{path}?{PERIOD}")
        assert response.status_code in (403, 404), (path, response.status_code)
        if response.status_code == 403:
            assert "other labels" in response.json()["error"]["message"]
    response = client.get(f"{API}/artists/{labels['own'].pk}/insights/overview?{PERIOD}")
    assert response.status_code == 200
    assert response.json()["streams"] == 1


def test_track_insights_only_of_the_labels_tracks(labels):
    client = labels["client"]
    ours, theirs = labels["tracks"]["ours"], labels["tracks"]["theirs"]
    assert client.get(f"{API}/tracks/{ours.pk}/insights/overview?{PERIOD}").status_code == 200
    assert client.get(f"{API}/tracks/{theirs.pk}/insights/overview?{PERIOD}").status_code == 403


def test_release_list_shows_only_the_labels_releases(labels):
    client = labels["client"]
    body = client.get(f"{API}/artists/{labels['shared'].pk}/releases").json()
    assert [item["id"] for item in body["items"]] == [str(labels["ours"].pk)]
    pitch = client.get(f"{API}/artists/{labels['shared'].pk}/releases/{labels['other'].pk}/pitch")
    assert pitch.status_code == 404


def test_team_members_still_see_everything(labels, db):
    from artists.models import TeamRole
    from tests.artists.factories import team_member

    member = team_member(labels["shared"], TeamRole.READER, email="shared@example.com")
    client = client_for(member)
    response = client.get(f"{API}/artists/{labels['shared'].pk}/insights/overview?{PERIOD}")
    assert response.json()["streams"] == 7
    body = client.get(f"{API}/artists/{labels['shared'].pk}/releases").json()
    assert len(body["items"]) == 2
