"""Lyrics over /api/v1 (read, and edits by the track's team) and OpenSubsonic."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from artists.models import ArtistTeamMembership, TeamRole
from catalog import services
from catalog.lyrics import parse_lyrics
from catalog.models import TrackLyrics
from tests.accounts.factories import UserFactory
from tests.api.conftest import assert_error
from tests.api.subsonic import spec
from tests.catalog.factories import ArtistFactory, LabelFactory, ReleaseFactory, TrackFactory
from tests.licensing.factories import LabelMembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db

LRC = "[la:en]\n[00:01.00]Demo line one\n[00:03.50]Demo line two\n"


@pytest.fixture
def artist():
    return ArtistFactory(name="Aurora Lines")


@pytest.fixture
def track(artist):
    release = ReleaseFactory(artists=[artist], label=LabelFactory(name="Nightjar"))
    return TrackFactory(release=release, title="Night Drive", markets=["SE"])


@pytest.fixture
def synced(track):
    return services.track_lyrics_set(track=track, lyrics=parse_lyrics(LRC))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def lyrics_url(track_id) -> str:
    return f"/api/v1/tracks/{track_id}/lyrics"


# Reading


def test_synced_lyrics(api_client, track, synced):
    response = api_client.get(lyrics_url(track.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["track_id"] == str(track.pk) and body["synced"] is True
    assert body["lines"] == [
        {"start_ms": 1000, "text": "Demo line one"},
        {"start_ms": 3500, "text": "Demo line two"},
    ]
    assert body["plain"] == "Demo line one\nDemo line two"
    assert body["language"] == "en" and body["source"] == "edited"


def test_plain_lyrics_have_null_times(api_client, track):
    services.track_lyrics_set(track=track, lyrics=parse_lyrics("Just words\nMore words"))
    body = api_client.get(lyrics_url(track.pk)).json()
    assert body["synced"] is False and body["language"] is None
    assert body["lines"] == [
        {"start_ms": None, "text": "Just words"},
        {"start_ms": None, "text": "More words"},
    ]


def test_none_unknown_and_malformed(api_client, track):
    assert (
        "no lyrics" in assert_error(api_client.get(lyrics_url(track.pk)), 404)["error"]["message"]
    )
    assert_error(api_client.get(lyrics_url(99_999_999)), 404)
    assert_error(api_client.get(lyrics_url("abc")), 400)
    assert_error(api_client.get(lyrics_url(track.pk), {"market": "XX"}), 400)


def test_market_rules_follow_playability(api_client, listener, track, synced):
    assert api_client.get(lyrics_url(track.pk), {"market": "SE"}).status_code == 200
    body = assert_error(api_client.get(lyrics_url(track.pk), {"market": "US"}), 404)
    assert "market US" in body["error"]["message"]
    listener.country = "US"
    listener.save()
    assert_error(client_for(listener).get(lyrics_url(track.pk), {"market": "from_token"}), 404)


def test_lyrics_read_is_one_query(api_client, track, synced):
    for market in (None, "SE"):
        query = {"market": market} if market else {}
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(lyrics_url(track.pk), query).status_code == 200
        lyrics_queries = [q for q in queries if "catalog_" in q["sql"]]
        assert len(lyrics_queries) == 1, [q["sql"] for q in lyrics_queries]


# Editing by the artist's team


@pytest.fixture
def team_editor(artist):
    user = UserFactory(role="artist team members")
    ArtistTeamMembership.objects.create(user=user, artist=artist, role=TeamRole.EDITOR)
    return user


def test_team_editor_puts_synced_then_plain_then_deletes(team_editor, track):
    client = client_for(team_editor)
    response = client.put(lyrics_url(track.pk), {"text": LRC}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["synced"] is True
    row = TrackLyrics.objects.get(track=track)
    assert row.updated_by == team_editor and row.source == TrackLyrics.Source.EDITED

    response = client.put(
        lyrics_url(track.pk), {"text": "Plain one\nPlain two", "language": "sv"}, format="json"
    )
    assert response.json()["synced"] is False and response.json()["language"] == "sv"
    assert TrackLyrics.objects.get(track=track).plain == "Plain one\nPlain two"

    assert client.delete(lyrics_url(track.pk)).status_code == 204
    assert not TrackLyrics.objects.filter(track=track).exists()
    assert_error(client.delete(lyrics_url(track.pk)), 404)


def test_label_staff_and_catalogue_staff_may_edit(track):
    label_staff = LabelMembershipFactory(party=PartyFactory(labels=[track.release.label])).user
    staff = UserFactory(is_staff=True, is_superuser=True)
    for user in (label_staff, staff):
        response = client_for(user).put(lyrics_url(track.pk), {"text": "Words"}, format="json")
        assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "[00:01.00]ok\n[00:99.00]bad"}, "Line 2: invalid timestamp"),
        ({"text": "[00:01.00]ok\nuntimed"}, "Line 2 has no timestamp"),
        ({"text": "x" * 40_000}, "too long"),
        ({"text": "words", "language": "klingon!"}, "language"),
        ({"text": ""}, "text"),
        ({}, "text"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(team_editor, track, synced, body, message):
    response = client_for(team_editor).put(lyrics_url(track.pk), body, format="json")
    assert message in str(assert_error(response, 400)["error"]["message"])
    assert TrackLyrics.objects.get(track=track).plain == "Demo line one\nDemo line two"


def test_outsiders_may_not_edit(api_client, artist, track, synced):
    listener = UserFactory()
    other_team = UserFactory(role="artist team members")
    ArtistTeamMembership.objects.create(
        user=other_team, artist=ArtistFactory(), role=TeamRole.ADMIN
    )
    other_label = LabelMembershipFactory(party=PartyFactory(labels=[LabelFactory()])).user
    reader = UserFactory(role="artist team members")
    ArtistTeamMembership.objects.create(user=reader, artist=artist, role=TeamRole.READER)
    for user in (listener, other_team, other_label, reader):
        client = client_for(user)
        for response in (
            client.put(lyrics_url(track.pk), {"text": "Hijacked"}, format="json"),
            client.delete(lyrics_url(track.pk)),
        ):
            assert response.status_code in (403, 404)
            assert_error(response, response.status_code)
    for response in (
        api_client.put(lyrics_url(track.pk), {"text": "Hijacked"}, format="json"),
        api_client.delete(lyrics_url(track.pk)),
    ):
        assert response.status_code in (401, 403)
    assert TrackLyrics.objects.get(track=track).plain == "Demo line one\nDemo line two"


def test_a_token_needs_the_dashboard_write_scope(bearer, team_editor, track):
    read_only = bearer(team_editor, "read")
    assert_error(read_only.put(lyrics_url(track.pk), {"text": "x"}, format="json"), 403)
    writer = bearer(team_editor, "write")
    assert writer.put(lyrics_url(track.pk), {"text": "x"}, format="json").status_code == 200


# OpenSubsonic


@pytest.fixture
def subsonic(db):
    listener = UserFactory(country="SE")
    return spec.auth_params(listener)


def test_subsonic_lyrics_by_song_id(client, subsonic, track, synced):
    answer = spec.ok(client, subsonic, "getLyricsBySongId", id=f"tr-{track.pk}")
    assert answer["lyricsList"]["structuredLyrics"] == [
        {
            "displayArtist": "Aurora Lines",
            "displayTitle": "Night Drive",
            "lang": "en",
            "offset": 0,
            "synced": True,
            "line": [
                {"start": 1000, "value": "Demo line one"},
                {"start": 3500, "value": "Demo line two"},
            ],
        }
    ]
    xml = client.get("/rest/getLyricsBySongId", {**subsonic, "f": "xml", "id": f"tr-{track.pk}"})
    assert b'<line start="1000">Demo line one</line>' in xml.content
    extensions = spec.ok(client, subsonic, "getOpenSubsonicExtensions")["openSubsonicExtensions"]
    assert {"name": "songLyrics", "versions": [1]} in extensions


def test_subsonic_plain_none_and_unlicensed(client, subsonic, artist, track):
    assert spec.ok(client, subsonic, "getLyricsBySongId", id=f"tr-{track.pk}")["lyricsList"] == {
        "structuredLyrics": []
    }
    services.track_lyrics_set(track=track, lyrics=parse_lyrics("Plain words"))
    entry = spec.ok(client, subsonic, "getLyricsBySongId", id=f"tr-{track.pk}")["lyricsList"][
        "structuredLyrics"
    ][0]
    assert entry["synced"] is False and entry["lang"] == "und"
    assert entry["line"] == [{"value": "Plain words"}]

    elsewhere = TrackFactory(release=track.release, markets=["US"])
    services.track_lyrics_set(track=elsewhere, lyrics=parse_lyrics("Hidden"))
    body = client.get("/rest/getLyricsBySongId", {**subsonic, "id": f"tr-{elsewhere.pk}"}).json()
    spec.validate("getLyricsBySongId", body)
    assert body["subsonic-response"]["error"]["code"] == 70


def test_subsonic_classic_get_lyrics(client, subsonic, track, synced):
    found = spec.ok(client, subsonic, "getLyrics", artist="aurora lines", title="night drive")
    assert found["lyrics"] == {
        "artist": "aurora lines",
        "title": "Night Drive",
        "value": "Demo line one\nDemo line two",
    }
    assert spec.ok(client, subsonic, "getLyrics", title="Night Drive")["lyrics"]["value"]
    missing = spec.ok(client, subsonic, "getLyrics", artist="Nobody", title="Night Drive")
    assert missing["lyrics"] == {"value": ""}
    assert spec.ok(client, subsonic, "getLyrics")["lyrics"] == {"value": ""}
