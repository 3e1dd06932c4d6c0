import pytest
from rest_framework.test import APIClient

from playback import player
from playback.models import PlayerState
from tests.catalog.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/me/player"


@pytest.fixture
def album():
    release = ReleaseFactory()
    for number, markets in enumerate((["SE"], ["US"], ["SE"], ["SE"]), start=1):
        TrackFactory(release=release, track_number=number, markets=markets, duration_ms=180_000)
    return release


def uri(kind, pk):
    return f"streamify:{kind}:{pk}"


def register(client, device_id="tab-1", name="Web player"):
    response = client.put(f"{BASE}/devices/{device_id}", {"name": name}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_nothing_played_yet_is_204(listener_client):
    assert listener_client.get(BASE).status_code == 204
    assert listener_client.get(f"{BASE}/currently-playing").status_code == 204
    assert listener_client.get(f"{BASE}/devices").json() == {"devices": []}
    assert listener_client.get(f"{BASE}/queue").json() == {
        "currently_playing": None,
        "queue": [],
    }


def test_anonymous_is_refused(api_client):
    response = api_client.get(BASE)
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_play_album_context_then_state_and_queue(listener_client, listener, album):
    device = register(listener_client)
    assert device["id"] == "tab-1" and device["is_active"] is False
    tracks = list(album.tracks.order_by("track_number"))

    response = listener_client.put(
        f"{BASE}/play?device_id=tab-1",
        {
            "context_uri": uri("album", album.pk),
            "offset": {"uri": uri("track", tracks[2].pk)},
            "position_ms": 4_000,
        },
        format="json",
    )
    assert response.status_code == 204, response.content

    body = listener_client.get(BASE).json()
    assert body["is_playing"] is True
    assert body["item"]["id"] == str(tracks[2].pk)
    assert body["item"]["uri"] == uri("track", tracks[2].pk)
    assert body["device"] == {
        "id": "tab-1",
        "is_active": True,
        "is_private_session": False,
        "is_restricted": False,
        "name": "Web player",
        "type": "Computer",
        "volume_percent": 100,
        "supports_volume": True,
    }
    assert body["context"]["uri"] == uri("album", album.pk)
    assert body["context"]["type"] == "album"
    assert 4_000 <= body["progress_ms"] < 6_000
    assert body["repeat_state"] == "off" and body["shuffle_state"] is False
    assert body["currently_playing_type"] == "track"

    queue = listener_client.get(f"{BASE}/queue").json()
    assert queue["currently_playing"]["id"] == str(tracks[2].pk)
    # The track not licensed in SE was left out of the context.
    assert [t["id"] for t in queue["queue"]] == [str(tracks[3].pk)]

    current = listener_client.get(f"{BASE}/currently-playing").json()
    assert "device" not in current and current["item"]["id"] == str(tracks[2].pk)


def test_commands_answer_204_and_change_state(listener_client, listener, album):
    register(listener_client)
    tracks = list(album.tracks.order_by("track_number"))
    playable = [tracks[0], tracks[2], tracks[3]]
    response = listener_client.put(
        f"{BASE}/play?device_id=tab-1",
        {"uris": [uri("track", t.pk) for t in playable], "offset": {"position": 0}},
        format="json",
    )
    assert response.status_code == 204

    assert listener_client.post(f"{BASE}/next").status_code == 204
    assert listener_client.put(f"{BASE}/pause").status_code == 204
    assert listener_client.put(f"{BASE}/seek?position_ms=65000").status_code == 204
    assert listener_client.put(f"{BASE}/repeat?state=context").status_code == 204
    assert listener_client.put(f"{BASE}/shuffle?state=false").status_code == 204
    assert listener_client.put(f"{BASE}/volume?volume_percent=40").status_code == 204

    body = listener_client.get(BASE).json()
    assert body["item"]["id"] == str(playable[1].pk)
    assert body["is_playing"] is False and body["progress_ms"] == 65_000
    assert body["repeat_state"] == "context" and body["device"]["volume_percent"] == 40

    assert listener_client.post(f"{BASE}/previous").status_code == 204
    assert listener_client.get(BASE).json()["item"]["id"] == str(playable[0].pk)

    extra = TrackFactory(markets=["SE"])
    response = listener_client.post(f"{BASE}/queue?uri={uri('track', extra.pk)}")
    assert response.status_code == 204
    queue = listener_client.get(f"{BASE}/queue").json()["queue"]
    assert queue[0]["id"] == str(extra.pk)


def test_second_device_takes_over(listener_client, listener, album):
    register(listener_client, "tab-1", "First tab")
    register(listener_client, "tab-2", "Second tab")
    track = album.tracks.get(track_number=1)
    listener_client.put(
        f"{BASE}/play?device_id=tab-1", {"uris": [uri("track", track.pk)]}, format="json"
    )

    response = listener_client.put(BASE, {"device_ids": ["tab-2"], "play": True}, format="json")
    assert response.status_code == 204
    devices = listener_client.get(f"{BASE}/devices").json()["devices"]
    assert {d["id"]: d["is_active"] for d in devices} == {"tab-1": False, "tab-2": True}
    assert listener_client.get(BASE).json()["device"]["name"] == "Second tab"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("put", "pause", None, 404),  # no active device
        ("put", "play?device_id=nope", {"uris": ["streamify:track:1"]}, 404),
        ("put", "seek", None, 400),
        ("put", "seek?position_ms=-5", None, 400),
        ("put", "seek?position_ms=abc", None, 400),
        ("put", "volume?volume_percent=101", None, 400),
        ("put", "repeat", None, 400),
        ("put", "shuffle?state=maybe", None, 400),
        ("post", "queue", None, 400),
        ("post", "queue?uri=spotify:track:1", None, 400),
        ("post", "queue?uri=streamify:album:1", None, 400),
        ("put", "play", {"uris": ["streamify:track:99999999999999999999"]}, 400),
        ("put", "play", {"uris": "streamify:track:1"}, 400),
        ("put", "play", {"uris": [], "context_uri": "streamify:album:1"}, 400),
        ("put", "", {"device_ids": []}, 400),
        ("put", "", {"device_ids": ["a", "b"]}, 400),
        ("put", "devices/x", {}, 400),
    ],
)
def test_bad_requests_get_json_errors(listener_client, method, path, body, status):
    url = f"{BASE}/{path}" if path else BASE
    response = getattr(listener_client, method)(url, body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["status"] == status


def test_unplayable_and_unknown_tracks_are_refused(listener_client, album):
    register(listener_client)
    unlicensed = album.tracks.get(track_number=2)
    response = listener_client.put(
        f"{BASE}/play?device_id=tab-1", {"uris": [uri("track", unlicensed.pk)]}, format="json"
    )
    assert response.status_code == 451
    assert "market" in response.json()["error"]["message"]
    response = listener_client.put(
        f"{BASE}/play?device_id=tab-1", {"uris": [uri("track", 987654)]}, format="json"
    )
    assert response.status_code == 404
    assert not PlayerState.objects.exclude(track=None).exists()


def test_state_query_count(listener_client, listener, album, django_assert_max_num_queries):
    register(listener_client)
    player.player_play(
        user=listener,
        device_id="tab-1",
        track_ids=list(
            album.tracks.filter(track_number__in=[1, 3, 4]).values_list("pk", flat=True)
        ),
    )
    with django_assert_max_num_queries(8):
        assert listener_client.get(BASE).status_code == 200
    with django_assert_max_num_queries(9):
        assert len(listener_client.get(f"{BASE}/queue").json()["queue"]) == 2


def test_scopes_for_bearer_tokens(listener, album):
    from tests.api.conftest import assert_error, bearer_client

    reader = bearer_client(listener, "user-read-playback-state")
    controller = bearer_client(listener, "user-modify-playback-state")
    now_playing = bearer_client(listener, "user-read-currently-playing")

    assert reader.get(BASE).status_code == 204
    assert now_playing.get(f"{BASE}/currently-playing").status_code == 204
    assert_error(now_playing.get(BASE), 403)
    assert_error(reader.put(f"{BASE}/pause"), 403)
    assert_error(controller.get(f"{BASE}/devices"), 403)
    register(controller)
    track = album.tracks.get(track_number=1)
    response = controller.put(
        f"{BASE}/play?device_id=tab-1", {"uris": [uri("track", track.pk)]}, format="json"
    )
    assert response.status_code == 204
    assert reader.get(BASE).json()["item"]["id"] == str(track.pk)
    assert_error(APIClient().get(BASE), 401)
