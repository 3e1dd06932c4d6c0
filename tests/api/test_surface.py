"""The whole /api/ surface answers like the Spotify Web API: JSON errors, slashes, 401/403."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tests.api.conftest import assert_error, bearer_client
from tests.catalog.factories import PlaylistFactory, ReleaseFactory, TrackFactory

API = "/api/v1"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here", "/api/v1/tracks/1/nothing", "/api/nothing", "/api/v1/me/x/y/"],
)
def test_unknown_routes_answer_a_json_404(api_client, path):
    assert_error(api_client.get(path), 404)


def test_trailing_slash_gives_the_same_answer(api_client, listener_client):
    track = TrackFactory(markets=["SE"])
    for path in (
        f"tracks?ids={track.pk}",
        f"albums/{track.release_id}/tracks",
        f"tracks/{track.pk}",
    ):
        plain, slashed = path.split("?")[0], path.split("?")[0] + "/"
        query = "?" + path.split("?")[1] if "?" in path else ""
        first = api_client.get(f"{API}/{plain}{query}")
        second = api_client.get(f"{API}/{slashed}{query}")
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
    assert listener_client.get(f"{API}/me/").json() == listener_client.get(f"{API}/me").json()


def test_method_not_allowed_is_json_with_allow(api_client):
    track = TrackFactory()
    response = api_client.delete(f"{API}/tracks/{track.pk}")
    assert_error(response, 405)
    assert "GET" in response["Allow"]


def test_unsupported_media_type_and_bad_json(listener_client):
    url = f"{API}/me/playlists"
    assert_error(listener_client.post(url, "name=x", content_type="text/plain"), 415)
    assert_error(listener_client.post(url, "{not json", content_type="application/json"), 400)


def test_deeply_nested_json_is_a_400(listener_client):
    body = "[" * 100_000 + "]" * 100_000
    response = listener_client.post(f"{API}/me/playlists", body, content_type="application/json")
    assert_error(response, 400)


def test_nul_characters_are_a_400(listener_client):
    # From a schema fuzzer: PostgreSQL text columns refuse NUL, which was a 500.
    device = "%00%F2%82%95%8B"
    assert_error(listener_client.put(f"{API}/me/player/shuffle?state=true&device_id={device}"), 400)
    assert_error(listener_client.get(f"{API}/search?q=a%00b&type=track"), 400)
    body = '{"name": "mix\\u0000"}'
    response = listener_client.post(f"{API}/me/playlists", body, content_type="application/json")
    assert_error(response, 400)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_a_413(listener_client):
    body = '{"name": "' + "x" * 2000 + '"}'
    response = listener_client.post(f"{API}/me/playlists", body, content_type="application/json")
    assert_error(response, 413)


@pytest.mark.parametrize(
    "query", ["ids=18446744073709551616", "ids=9223372036854775808", "ids=1,2"]
)
def test_ids_beyond_64_bits_name_nothing(api_client, query):
    response = api_client.get(f"{API}/tracks?{query}")
    assert response.status_code == 200
    assert response.json()["tracks"] == [None] * len(query.split(","))


@pytest.mark.parametrize("raw", ["²", "\u0661", "-1", "1e3", "0x10", "a"])
def test_non_ascii_digit_or_malformed_ids_are_400(api_client, raw):
    assert_error(api_client.get(f"{API}/tracks", {"ids": raw}), 400)
    assert_error(api_client.get(f"{API}/tracks/{raw}"), 400)


def test_id_beyond_64_bits_in_a_path_is_404(api_client):
    assert_error(api_client.get(f"{API}/tracks/18446744073709551616"), 404)


def test_uri_beyond_64_bits_in_a_body_is_a_4xx(listener, listener_client):
    playlist = PlaylistFactory(owner=listener)
    response = listener_client.post(
        f"{API}/playlists/{playlist.pk}/tracks",
        {"uris": [f"streamify:track:{2**63}"]},
        format="json",
    )
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_recently_played_cursor_out_of_range_is_400(listener_client):
    response = listener_client.get(
        f"{API}/me/player/recently-played", {"before": "99999999999999999999"}
    )
    assert_error(response, 400)


def test_options_answers_without_error(listener, listener_client):
    playlist = PlaylistFactory(owner=listener)
    response = listener_client.options(f"{API}/playlists/{playlist.pk}/tracks")
    assert response.status_code == 200
    assert listener_client.options(f"{API}/me/tracks").status_code == 200


def test_missing_token_is_401_with_bearer_challenge(api_client):
    response = api_client.get(f"{API}/me")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_invalid_token_is_401_even_on_public_catalogue(api_client):
    track = TrackFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for path in (f"tracks/{track.pk}", "me", "browse/new-releases"):
        response = api_client.get(f"{API}/{path}")
        assert_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(listener):
    client = bearer_client(listener, "user-library-read")
    AccessToken.objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert_error(client.get(f"{API}/me/tracks"), 401)


def test_missing_scope_is_403_and_granted_scope_passes(listener):
    reader = bearer_client(listener, "user-library-read")
    assert reader.get(f"{API}/me/tracks").status_code == 200
    track = TrackFactory()
    body = assert_error(reader.put(f"{API}/me/tracks?ids={track.pk}"), 403)
    assert "user-library-modify" in body["error"]["message"]
    assert_error(reader.post(f"{API}/me/playlists", {"name": "x"}, format="json"), 403)
    assert_error(reader.patch(f"{API}/me", {"display_name": "x"}, format="json"), 403)


def test_read_token_cannot_replace_a_tracks_audio(listener):
    release = ReleaseFactory()
    track = TrackFactory(release=release)
    client = bearer_client(listener, "read user-library-read")
    response = client.post(f"{API}/tracks/{track.pk}/source", {}, format="multipart")
    assert_error(response, 403)


def test_playlists_carry_items_beside_the_deprecated_tracks(listener, listener_client):
    tracks = TrackFactory.create_batch(3, markets=[str(listener.country)])
    playlist = PlaylistFactory(owner=listener, tracks=tracks)
    full = listener_client.get(f"{API}/playlists/{playlist.pk}?market=from_token").json()
    assert f"/api/v1/playlists/{playlist.pk}/items?" in full["items"]["href"]
    assert full["items"]["items"] == full["tracks"]["items"]
    assert [i["track"]["id"] for i in full["items"]["items"]] == [str(t.pk) for t in tracks]
    mine = listener_client.get(f"{API}/me/playlists").json()["items"][0]
    assert mine["items"]["href"].endswith(f"/api/v1/playlists/{playlist.pk}/items")
    assert mine["items"]["total"] == mine["tracks"]["total"] == 3
    follow = listener_client.get(mine["items"]["href"]).json()
    assert follow["total"] == 3
