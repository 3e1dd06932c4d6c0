import base64
import datetime

import pytest
from django.core import mail
from oauth2_provider.models import Application
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts import roles
from artists import services
from artists.models import ArtistTeamMembership, TeamInvitation, TeamRole
from catalog.models import Playlist, TrackArtist
from editorial.models import Pitch
from tests.accounts.factories import UserFactory
from tests.artists.conftest import DAY, client_for
from tests.artists.factories import play, team_member
from tests.catalog.factories import ArtistFactory, PlaylistFactory, ReleaseFactory, TrackFactory
from tests.licensing.factories import LabelMembershipFactory, PartyFactory

API = "/api/v1"
PERIOD = f"start={DAY - datetime.timedelta(days=2)}&end={DAY + datetime.timedelta(days=1)}"
ARTIST_INSIGHTS = (
    "overview",
    "timeline",
    "countries",
    "sources",
    "top-tracks",
    "top-playlists",
    "demographics",
)


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return body


@pytest.fixture
def streamed(artist, track):
    """Plays of the artist's track on DAY, aggregated."""
    anna = UserFactory(birth_year=1990)
    bo = UserFactory()
    public = PlaylistFactory(name="Friday Mix", public=True)
    private = PlaylistFactory(name="Secret Mix", public=False)
    play(user=anna, track=track, day=DAY, context_type="playlist", context_id=str(public.pk))
    play(user=bo, track=track, day=DAY, context_type="playlist", context_id=str(private.pk))
    play(user=bo, track=track, day=DAY, country="NO", context_type="search")
    services.insights_build_day(day=DAY)
    return {"public": public, "private": private}


# Insights


def test_member_reads_every_artist_insight(admin_client, artist, streamed):
    for name in ARTIST_INSIGHTS:
        response = admin_client.get(f"{API}/artists/{artist.pk}/insights/{name}?{PERIOD}")
        assert response.status_code == 200, (name, response.content)
        assert response.json()["days"] == 4


def test_overview_and_timeline_figures(admin_client, artist, streamed):
    overview = admin_client.get(f"{API}/artists/{artist.pk}/insights/overview?{PERIOD}").json()
    timeline = admin_client.get(f"{API}/artists/{artist.pk}/insights/timeline?{PERIOD}").json()

    assert overview["streams"] == 3
    assert overview["listeners"] == {"daily_average": 0.5, "peak": 2, "peak_day": str(DAY)}
    assert overview["followers"] == {"gained": 0, "total": 0}
    assert [day["day"] for day in timeline["items"]] == [
        str(DAY + datetime.timedelta(days=n)) for n in range(-2, 2)
    ]
    assert [day["streams"] for day in timeline["items"]] == [0, 0, 3, 0]


def test_countries_say_there_is_no_city_data(admin_client, artist, streamed):
    body = admin_client.get(f"{API}/artists/{artist.pk}/insights/countries?{PERIOD}").json()

    assert body["countries"] == [
        {"country": "SE", "streams": 2, "listener_days": 2, "share": 0.6667},
        {"country": "NO", "streams": 1, "listener_days": 1, "share": 0.3333},
    ]
    assert body["cities"] is None
    assert "city" in body["cities_note"]


def test_sources_group_play_contexts(admin_client, artist, streamed):
    body = admin_client.get(f"{API}/artists/{artist.pk}/insights/sources?{PERIOD}").json()

    streams = {row["source"]: row["streams"] for row in body["sources"]}
    assert streams == {
        "library": 2,
        "search": 1,
        "editorial": 0,
        "personalised": 0,
        "artist_page": 0,
        "other": 0,
    }


def test_top_playlists_name_public_playlists_only(admin_client, artist, streamed):
    body = admin_client.get(f"{API}/artists/{artist.pk}/insights/top-playlists?{PERIOD}").json()

    assert [item["playlist"]["name"] for item in body["items"]] == ["Friday Mix"]
    assert "Secret Mix" not in str(body)
    assert {row["kind"]: row["streams"] for row in body["other"]} == {
        "personalised": 0,
        "private": 1,
    }


def test_top_tracks_and_demographics(admin_client, artist, track, streamed):
    top = admin_client.get(f"{API}/artists/{artist.pk}/insights/top-tracks?{PERIOD}").json()
    demographics = admin_client.get(
        f"{API}/artists/{artist.pk}/insights/demographics?{PERIOD}"
    ).json()

    assert [(i["track"]["id"], i["streams"]) for i in top["items"]] == [(str(track.pk), 3)]
    ages = {row["age_group"]: row["streams"] for row in demographics["age"]}
    assert ages["35-44"] == 1 and ages["unknown"] == 2
    assert demographics["gender"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13-01", "Invalid start"),
        ("end=yesterday", "Invalid end"),
        ("start=2025-03-10&end=2025-03-01", "after it ends"),
        ("start=2022-01-01&end=2025-01-01", "the limit is 732 days"),
        ("limit=0", "Invalid limit"),
        ("limit=51", "Invalid limit"),
    ],
)
def test_bad_parameters_are_400_with_the_error_body(admin_client, artist, query, message):
    response = admin_client.get(f"{API}/artists/{artist.pk}/insights/top-tracks?{query}")

    assert message in assert_error(response, 400)["error"]["message"]


def test_default_period_is_the_last_28_days(admin_client, artist):
    body = admin_client.get(f"{API}/artists/{artist.pk}/insights/overview").json()

    assert body["days"] == 28
    assert body["end"] == str(datetime.datetime.now(datetime.UTC).date())


def test_outsiders_get_no_insights(api_client, artist, outsider, streamed):
    other_team = client_for(team_member(ArtistFactory(), TeamRole.ADMIN))
    editor = client_for(UserFactory(is_staff=True, role=roles.EDITORS))
    for client in (other_team, editor, client_for(outsider)):
        for name in ARTIST_INSIGHTS:
            response = client.get(f"{API}/artists/{artist.pk}/insights/{name}?start=bad")
            assert_error(response, 403)
    assert_error(api_client.get(f"{API}/artists/{artist.pk}/insights/overview"), 401)
    assert_error(
        client_for(outsider).get(f"{API}/artists/999999/insights/overview"),
        404,
    )


def test_track_insights_for_the_team_of_a_credited_artist(artist, track, streamed, outsider):
    guest = ArtistFactory()
    TrackArtist.objects.create(track=track, artist=guest, role=TrackArtist.Role.FEATURED)
    guest_client = client_for(team_member(guest, TeamRole.READER))
    producer = ArtistFactory()
    TrackArtist.objects.create(track=track, artist=producer, role=TrackArtist.Role.PRODUCER)
    producer_client = client_for(team_member(producer, TeamRole.ADMIN))

    for name in ("overview", "timeline", "countries", "sources"):
        url = f"{API}/tracks/{track.pk}/insights/{name}?{PERIOD}"
        assert guest_client.get(url).status_code == 200
        assert_error(producer_client.get(url), 403)
        assert_error(client_for(outsider).get(url), 403)
    overview = guest_client.get(f"{API}/tracks/{track.pk}/insights/overview?{PERIOD}").json()
    assert overview["streams"] == 3


def test_label_staff_read_roster_insights_but_not_the_team(artist, track, streamed):
    party = PartyFactory(labels=[track.release.label])
    staff = client_for(LabelMembershipFactory(party=party).user)

    assert staff.get(f"{API}/artists/{artist.pk}/insights/overview?{PERIOD}").status_code == 200
    assert staff.get(f"{API}/tracks/{track.pk}/insights/overview?{PERIOD}").status_code == 200
    assert staff.get(f"{API}/artists/{artist.pk}/releases").status_code == 200
    assert_error(staff.get(f"{API}/artists/{artist.pk}/team"), 403)
    assert_error(
        staff.post(f"{API}/artists/{artist.pk}/team/invitations", {"email": "a@b.se"}), 403
    )

    overview = staff.get(f"{API}/labels/{party.pk}/insights/overview?{PERIOD}").json()
    assert overview["streams"] == 3
    assert overview["roster_size"] == 1
    roster = staff.get(f"{API}/labels/{party.pk}/insights/artists?{PERIOD}").json()
    assert [(i["artist"]["id"], i["streams"]) for i in roster["items"]] == [(str(artist.pk), 3)]
    top = staff.get(f"{API}/labels/{party.pk}/insights/top-tracks?{PERIOD}").json()
    assert [i["track"]["id"] for i in top["items"]] == [str(track.pk)]
    timeline = staff.get(f"{API}/labels/{party.pk}/insights/timeline?{PERIOD}").json()
    assert sum(day["streams"] for day in timeline["items"]) == 3


def test_label_insights_are_for_members_only(artist, track, streamed, admin_client):
    party = PartyFactory(labels=[track.release.label])
    other_staff = client_for(LabelMembershipFactory().user)
    editor = client_for(UserFactory(is_staff=True, role=roles.EDITORS))

    for client in (other_staff, editor, admin_client):
        for name in ("overview", "timeline", "artists", "top-tracks"):
            assert_error(client.get(f"{API}/labels/{party.pk}/insights/{name}"), 403)
    assert_error(other_staff.get(f"{API}/labels/999999/insights/overview"), 404)


def test_list_endpoints_keep_their_query_count(
    admin_client, artist, streamed, django_assert_max_num_queries
):
    for n in range(5):
        track = TrackFactory(release=ReleaseFactory(artists=[artist]))
        play(user=UserFactory(), track=track, day=DAY)
        Pitch.objects.create(release=track.release, submitted_by=UserFactory(), story=f"s{n}")
        team_member(artist, TeamRole.READER)
    services.insights_build_day(day=DAY)
    for path, limit in (
        (f"artists/{artist.pk}/insights/top-tracks?{PERIOD}", 8),
        (f"artists/{artist.pk}/insights/top-playlists?{PERIOD}", 8),
        (f"artists/{artist.pk}/insights/timeline?{PERIOD}", 6),
        (f"artists/{artist.pk}/releases", 8),
        (f"artists/{artist.pk}/team", 7),
        ("me/teams", 5),
    ):
        with django_assert_max_num_queries(limit):
            response = admin_client.get(f"{API}/{path}")
        assert response.status_code == 200, path


def test_throttled_per_scope(admin_client, artist, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "artists_insights", "2/min")

    for _ in range(2):
        assert admin_client.get(f"{API}/artists/{artist.pk}/insights/overview").status_code == 200
    assert_error(admin_client.get(f"{API}/artists/{artist.pk}/insights/overview"), 429)
    # Another scope keeps its own budget.
    assert admin_client.get(f"{API}/artists/{artist.pk}/releases").status_code == 200


# Teams


def test_team_lists_members_and_admin_sees_invitations(admin_client, artist, reader_user):
    services.team_invitation_create(
        actor=ArtistTeamMembership.objects.get(role="admin").user,
        artist=artist,
        email="sam@example.com",
        role=TeamRole.READER,
    )
    as_admin = admin_client.get(f"{API}/artists/{artist.pk}/team").json()
    as_reader = client_for(reader_user).get(f"{API}/artists/{artist.pk}/team").json()

    assert {m["user"]["email"] for m in as_admin["members"]} == {
        "admin@example.com",
        "reader@example.com",
    }
    assert [i["email"] for i in as_admin["invitations"]] == ["sam@example.com"]
    assert as_reader["invitations"] == []
    assert "token" not in str(as_admin)


def test_invite_accept_change_role_and_remove_through_the_api(
    admin_client, artist, django_capture_on_commit_callbacks
):
    sam = UserFactory(email="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{API}/artists/{artist.pk}/team/invitations",
            {"email": "sam@example.com", "role": "editor"},
            format="json",
        )
    assert response.status_code == 201, response.content
    token = TeamInvitation.objects.get().token_sha256 and mail.outbox[0].body.split("Token: ")[1]
    token = token.strip()
    assert f"/api/v1/invitations/{token}/accept" in mail.outbox[0].body

    assert_error(admin_client.post(f"{API}/invitations/{token}/accept"), 404)
    accepted = client_for(sam).post(f"{API}/invitations/{token}/accept")
    assert accepted.json() == {
        "artist": {"id": str(artist.pk), "name": artist.name},
        "role": "editor",
    }

    changed = admin_client.patch(
        f"{API}/artists/{artist.pk}/team/{sam.pk}", {"role": "reader"}, format="json"
    )
    assert changed.json()["role"] == "reader"
    assert_error(
        admin_client.patch(f"{API}/artists/{artist.pk}/team/{sam.pk}", {"role": "boss"}), 400
    )
    assert admin_client.delete(f"{API}/artists/{artist.pk}/team/{sam.pk}").status_code == 204
    assert not ArtistTeamMembership.objects.filter(user=sam).exists()


def test_reader_cannot_invite_or_remove(artist, admin_user, reader_user):
    reader = client_for(reader_user)

    assert_error(
        reader.post(
            f"{API}/artists/{artist.pk}/team/invitations", {"email": "x@example.com"}, format="json"
        ),
        403,
    )
    assert_error(reader.delete(f"{API}/artists/{artist.pk}/team/{admin_user.pk}"), 403)
    assert_error(
        reader.patch(f"{API}/artists/{artist.pk}/team/{reader_user.pk}", {"role": "admin"}), 403
    )
    assert reader.delete(f"{API}/artists/{artist.pk}/team/{reader_user.pk}").status_code == 204


def test_revoke_invitation(admin_client, admin_user, artist):
    invitation, _ = services.team_invitation_create(
        actor=admin_user, artist=artist, email="sam@example.com", role=TeamRole.READER
    )
    url = f"{API}/artists/{artist.pk}/team/invitations/{invitation.pk}"

    foreign = client_for(team_member(ArtistFactory(), TeamRole.ADMIN))
    assert_error(foreign.delete(url), 403)
    assert admin_client.delete(url).status_code == 204
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_my_teams(admin_user, artist):
    party = PartyFactory(name="Northern Records")
    LabelMembershipFactory(party=party, user=admin_user)

    body = client_for(admin_user).get(f"{API}/me/teams").json()

    assert body == {
        "artists": [{"artist": {"id": str(artist.pk), "name": artist.name}, "role": "admin"}],
        "labels": [{"id": str(party.pk), "name": "Northern Records"}],
    }


# Releases


def test_releases_list_with_status_and_pitch(admin_client, artist, release):
    upcoming = ReleaseFactory(artists=[artist], release_date=None, title="Neon")
    Pitch.objects.create(release=upcoming, submitted_by=UserFactory(), story="Lighthouse")
    ReleaseFactory(title="Not ours")

    body = admin_client.get(f"{API}/artists/{artist.pk}/releases").json()

    assert body["total"] == 2
    assert [(r["name"], r["status"]) for r in body["items"]] == [
        ("Neon", "unscheduled"),
        (release.title, "released"),
    ]
    assert body["items"][0]["pitch"]["story"] == "Lighthouse"
    assert body["items"][1]["pitch"] is None


def test_schedule_and_pitch_through_the_api(admin_client, artist):
    upcoming = ReleaseFactory(artists=[artist], release_date=None, title="Neon")
    day = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=14)
    base = f"{API}/artists/{artist.pk}/releases/{upcoming.pk}"

    scheduled = admin_client.post(
        f"{base}/schedule", {"release_date": str(day), "markets": ["SE"]}, format="json"
    )
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["release_date"] == str(day)

    pitched = admin_client.post(
        f"{base}/pitch", {"story": "Recorded in a lighthouse.", "moods": ["chill"]}, format="json"
    )
    assert pitched.status_code == 201, pitched.content
    assert pitched.json()["status"] == "submitted"
    assert admin_client.get(f"{base}/pitch").json()["items"][0]["story"] == (
        "Recorded in a lighthouse."
    )
    again = admin_client.post(f"{base}/pitch", {"story": "Again"}, format="json")
    assert "already has a pitch" in assert_error(again, 400)["error"]["message"]
    assert_error(admin_client.post(f"{base}/schedule", {"release_date": "soon"}), 400)


def test_releases_of_other_artists_are_not_found(admin_client, artist, other_artist):
    foreign = ReleaseFactory(artists=[other_artist], release_date=None)
    day = str(datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=14))

    for path in ("schedule", "pitch"):
        response = admin_client.post(
            f"{API}/artists/{artist.pk}/releases/{foreign.pk}/{path}",
            {"release_date": day, "story": "Mine now"},
            format="json",
        )
        assert_error(response, 404)
    assert_error(admin_client.get(f"{API}/artists/{other_artist.pk}/releases"), 403)
    foreign.refresh_from_db()
    assert foreign.release_date is None


# Bearer tokens (OAuth2, client credentials acting as the application's owner)


def _token(client: APIClient, application: Application, secret: str, scope: str) -> str:
    credentials = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


SECRET = "s3cret-for-tests"


def _application(owner, secret=SECRET) -> Application:
    return Application.objects.create(
        name="insights script",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )


def test_script_reads_insights_with_a_bearer_token(admin_user, artist, streamed):
    application = _application(admin_user)
    client = APIClient()
    token = _token(client, application, "s3cret-for-tests", "read")

    response = client.get(
        f"{API}/artists/{artist.pk}/insights/overview?{PERIOD}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert response.json()["streams"] == 3


def test_read_token_cannot_write_and_write_token_can(admin_user, artist):
    application = _application(admin_user)
    client = APIClient()
    url = f"{API}/artists/{artist.pk}/team/invitations"
    read = _token(client, application, "s3cret-for-tests", "read")
    write = _token(client, application, "s3cret-for-tests", "read write")

    denied = client.post(url, {"email": "x@example.com"}, HTTP_AUTHORIZATION=f"Bearer {read}")
    assert_error(denied, 403)
    allowed = client.post(url, {"email": "x@example.com"}, HTTP_AUTHORIZATION=f"Bearer {write}")
    assert allowed.status_code == 201


def test_token_of_an_outsiders_application_gets_nothing(outsider, artist):
    client = APIClient()
    token = _token(client, _application(outsider), "s3cret-for-tests", "read")

    response = client.get(
        f"{API}/artists/{artist.pk}/insights/overview", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert_error(response, 403)
    assert_error(
        client.get(f"{API}/artists/{artist.pk}/insights/overview", HTTP_AUTHORIZATION="Bearer x"),
        401,
    )


def test_password_grant_is_refused(admin_user):
    application = Application.objects.create(
        name="legacy",
        user=admin_user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        client_secret="legacy-secret",
    )
    credentials = base64.b64encode(f"{application.client_id}:legacy-secret".encode()).decode()

    response = APIClient().post(
        "/o/token/",
        {"grant_type": "password", "username": admin_user.email, "password": "listen-to-this-1"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()


def test_editorial_playlist_kind_is_named(admin_client, artist, track):
    editorial = PlaylistFactory(kind=Playlist.Kind.EDITORIAL, name="Nordic Chill")
    personal = PlaylistFactory(kind=Playlist.Kind.PERSONALISED, name="Discover Weekly")
    listener = UserFactory()
    play(
        user=listener, track=track, day=DAY, context_type="editorial", context_id=str(editorial.pk)
    )
    play(
        user=listener,
        track=track,
        day=DAY,
        context_type="personalised",
        context_id=str(personal.pk),
    )
    services.insights_build_day(day=DAY)

    body = admin_client.get(f"{API}/artists/{artist.pk}/insights/top-playlists?{PERIOD}").json()

    assert [(i["playlist"]["name"], i["playlist"]["kind"]) for i in body["items"]] == [
        ("Nordic Chill", "editorial")
    ]
    assert {row["kind"]: row["streams"] for row in body["other"]}["personalised"] == 1


def test_cached_insights_follow_a_rebuild(admin_client, artist, track, streamed):
    url = f"{API}/artists/{artist.pk}/insights/overview?{PERIOD}"
    assert admin_client.get(url).json()["streams"] == 3

    play(user=UserFactory(), track=track, day=DAY)
    assert admin_client.get(url).json()["streams"] == 3  # served from the cache
    services.insights_build_day(day=DAY)

    assert admin_client.get(url).json()["streams"] == 4


def test_client_credentials_without_an_active_owner_act_for_nobody(admin_user, artist):
    orphan = _application(None)
    client = APIClient()
    token = _token(client, orphan, SECRET, "read")
    url = f"{API}/artists/{artist.pk}/insights/overview"

    assert_error(client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}"), 401)

    owned = _application(admin_user)
    token = _token(client, owned, SECRET, "read")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])
    assert_error(client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}"), 401)


def test_dashboard_answers_while_the_cache_is_down(admin_client, artist, streamed, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }

    overview = admin_client.get(f"{API}/artists/{artist.pk}/insights/overview?{PERIOD}")
    assert overview.status_code == 200
    assert overview.json()["streams"] == 3
    assert admin_client.get(f"{API}/artists/{artist.pk}/team").status_code == 200
    services.insights_build_day(day=DAY)  # the rebuild does not need the cache either
