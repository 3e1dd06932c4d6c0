"""The protocol itself through Django's test client: envelope, formats, auth, errors, spec."""

import hashlib
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from tests.api.subsonic import spec

BASE = {"v": "1.16.1", "c": "tests", "f": "json"}


def token_params(world, **extra) -> dict:
    salt = "c0ffee42"
    token = hashlib.md5((world.secret + salt).encode(), usedforsecurity=False).hexdigest()
    return {**BASE, "u": world.listener.email, "t": token, "s": salt, **extra}


def call(client, method: str, params: dict, *, post: bool = False, view: bool = False):
    path = f"/rest/{method}{'.view' if view else ''}"
    response = (client.post if post else client.get)(path, params)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    spec.validate(method, body)
    return body["subsonic-response"]


def ok(client, world, method: str, **params):
    answer = call(client, method, token_params(world, **params))
    assert answer["status"] == "ok", answer
    return answer


def test_envelope_has_every_required_field(client, world):
    answer = ok(client, world, "ping")
    assert answer == {
        "status": "ok",
        "version": "1.16.1",
        "type": "streamify",
        "serverVersion": answer["serverVersion"],
        "openSubsonic": True,
    }


def test_xml_is_the_default(client, world):
    params = token_params(world)
    del params["f"]
    response = client.get("/rest/getAlbum.view", {**params, "id": f"al-{world.release.pk}"})
    assert response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own answer)
    ns = "{http://subsonic.org/restapi}"
    assert root.tag == f"{ns}subsonic-response"
    assert root.get("status") == "ok" and root.get("openSubsonic") == "true"
    album = root.find(f"{ns}album")
    assert album.get("id") == f"al-{world.release.pk}"
    assert [song.get("title") for song in album.findall(f"{ns}song")] == [
        "Song 1",
        "Song 2",
        "Song 3",
    ]


def test_jsonp_wraps_in_the_callback(client, world):
    response = client.get("/rest/ping", token_params(world, f="jsonp", callback="cb"))
    assert response.content.startswith(b'cb({"subsonic-response"')


def test_extensions_need_no_auth(client, db):
    answer = call(client, "getOpenSubsonicExtensions", {"f": "json"})
    names = {extension["name"] for extension in answer["openSubsonicExtensions"]}
    assert {"apiKeyAuthentication", "formPost"} <= names


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 10),  # no u
        ({"u": "listener@example.com", "t": "0" * 32}, 10),  # no salt
        ({"u": "listener@example.com", "t": "0" * 32, "s": "ab"}, 40),
        ({"u": "listener@example.com", "p": "listen-to-this-1"}, 40),  # the account password
        ({"apiKey": "nope"}, 44),
        ({"apiKey": "nope", "u": "listener@example.com"}, 43),
    ],
)
def test_auth_errors_use_the_spec_codes(client, world, params, code):
    answer = call(client, "ping", {**BASE, **params})
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == code


def test_version_checks(client, world):
    assert call(client, "ping", token_params(world, v="2.0.0"))["error"]["code"] == 30
    assert call(client, "ping", token_params(world, v="0.9"))["error"]["code"] == 20
    params = token_params(world)
    del params["v"]
    assert call(client, "ping", params)["error"]["code"] == 10


def test_legacy_password_only_for_app_passwords(client, world):
    hexed = "enc:" + world.secret.encode().hex()
    for password in (world.secret, hexed):
        answer = call(client, "ping", {**BASE, "u": world.listener.email, "p": password})
        assert answer["status"] == "ok"


def test_api_key_and_revocation(client, world):
    app_password, secret = account_services.app_password_create(user=world.listener, name="car")
    assert call(client, "ping", {**BASE, "apiKey": secret})["status"] == "ok"
    info = call(client, "tokenInfo", {**BASE, "apiKey": secret})["tokenInfo"]
    assert info == {"username": world.listener.email}
    app_password.refresh_from_db()
    assert app_password.last_used_at is not None
    account_services.app_password_revoke(user=world.listener, app_password_id=app_password.pk)
    assert call(client, "ping", {**BASE, "apiKey": secret})["error"]["code"] == 44


def test_secret_is_encrypted_at_rest(world):
    stored = world.listener.app_passwords.get()
    assert world.secret not in stored.secret_encrypted
    assert world.secret not in stored.secret_digest


def test_wrong_passwords_are_throttled_like_the_web_login(client, world, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    bad = {**BASE, "u": world.listener.email, "t": "0" * 32, "s": "ab"}
    messages = [call(client, "ping", bad)["error"]["message"] for _ in range(4)]
    assert messages[-1].startswith("Too many failed attempts")
    # Even the right secret is refused without being checked while the budget is spent.
    answer = call(client, "ping", token_params(world))
    assert answer["error"]["code"] == 40


def test_unknown_method_and_bad_input_never_5xx(client, world):
    response = client.get("/rest/noSuchMethod", token_params(world))
    assert response.status_code == 404
    assert response.json()["subsonic-response"]["status"] == "failed"
    for method, params, code in [
        ("getAlbum", {}, 10),
        ("getAlbum", {"id": "al-999999"}, 70),
        ("getAlbum", {"id": "garbage"}, 70),
        ("getAlbumList2", {"type": "sideways"}, 10),
        ("getAlbumList2", {"type": "newest", "size": "many"}, 10),
        ("getSong", {"id": "tr-x"}, 70),
        ("setRating", {"id": "tr-1", "rating": "9"}, 10),
        ("search3", {"query": "a\x00b"}, 10),
        ("createPlaylist", {"name": "mix\x00"}, 10),
    ]:
        answer = call(client, method, token_params(world, **params))
        assert answer["error"]["code"] == code, (method, params, answer)


def test_nul_in_the_user_name_is_an_auth_failure(client, world):
    params = {**token_params(world), "u": "x\x00y"}
    answer = call(client, "ping", params)
    assert answer["status"] == "failed"
    assert answer["error"]["code"] in (10, 40)


def test_form_post_equals_get(client, world):
    params = token_params(world, type="alphabeticalByName")
    got = call(client, "getAlbumList2", params)
    posted = call(client, "getAlbumList2", params, post=True, view=True)
    assert got == posted


def test_unlicensed_and_private_stay_hidden(client, world):
    hidden = f"al-{world.unlicensed_release.pk}"
    assert ok(client, world, "getAlbum", id=f"al-{world.release.pk}")
    assert call(client, "getAlbum", token_params(world, id=hidden))["error"]["code"] == 70
    song = f"tr-{world.unlicensed_track.pk}"
    assert call(client, "getSong", token_params(world, id=song))["error"]["code"] == 70
    albums = ok(client, world, "getAlbumList2", type="alphabeticalByName", size=500)
    assert [a["id"] for a in albums["albumList2"]["album"]] == [f"al-{world.release.pk}"]
    found = ok(client, world, "search3", query="")["searchResult3"]
    assert {a["name"] for a in found["artist"]} == {"Aurora Lines"}
    assert {s["title"] for s in found["song"]} == {"Song 1", "Song 2", "Song 3"}
    private = f"pl-{world.others_private.pk}"
    assert call(client, "getPlaylist", token_params(world, id=private))["error"]["code"] == 70
    theirs = ok(client, world, "getPlaylists", username=world.other_user.email)
    assert [p["name"] for p in theirs["playlists"]["playlist"]] == ["Shared"]
    stream = client.get("/rest/stream", token_params(world, id=song))
    assert stream.json()["subsonic-response"]["error"]["code"] == 70


def _queries(client, method, params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        answer = call(client, method, params)
    return len(captured), answer


@pytest.mark.parametrize(
    ("method", "params", "key"),
    [
        ("getAlbumList2", {"type": "alphabeticalByName", "size": 50}, "albumList2"),
        ("getAlbumList", {"type": "newest", "size": 50}, "albumList"),
        ("search3", {"query": ""}, "searchResult3"),
        ("getRandomSongs", {"size": 50}, "randomSongs"),
        ("getArtists", {}, "artists"),
        ("getStarred2", {}, "starred2"),
    ],
)
def test_lists_cost_a_fixed_number_of_queries(client, world, method, params, key):
    from catalog import library
    from tests.catalog.factories import ReleaseFactory, TrackFactory

    params = token_params(world, **params)
    ok(client, world, "ping")  # records the app password's use (one write a minute)
    library.track_save(user=world.listener, track_ids=[world.tracks[0].pk])
    library.release_save(user=world.listener, release_ids=[world.release.pk])
    library.artist_follow(user=world.listener, artist_ids=[world.artist.pk])
    before, small = _queries(client, method, params)
    for n in range(6):
        release = ReleaseFactory(title=f"More {n}")
        track = TrackFactory(release=release, markets=["SE"])
        library.track_save(user=world.listener, track_ids=[track.pk])
        library.release_save(user=world.listener, release_ids=[release.pk])
    after, large = _queries(client, method, params)
    assert large[key] != small[key]
    assert after == before
    assert after <= 20


def _every_json_call(world) -> list[tuple[str, dict]]:
    song, album, artist = (
        f"tr-{world.tracks[0].pk}",
        f"al-{world.release.pk}",
        f"ar-{world.artist.pk}",
    )
    playlist = f"pl-{world.own_playlist.pk}"
    calls = [
        ("ping", {}),
        ("getLicense", {}),
        ("getMusicFolders", {}),
        ("getIndexes", {}),
        ("getMusicDirectory", {"id": artist}),
        ("getMusicDirectory", {"id": album}),
        ("getArtists", {}),
        ("getArtist", {"id": artist}),
        ("getAlbum", {"id": album}),
        ("getSong", {"id": song}),
        ("getRandomSongs", {"size": 5}),
        ("getGenres", {}),
        ("getSongsByGenre", {"genre": "Rock"}),
        ("search2", {"query": "aurora"}),
        ("search3", {"query": "aurora"}),
        ("search3", {"query": ""}),
        ("getPlaylists", {}),
        ("getPlaylist", {"id": playlist}),
        ("createPlaylist", {"name": "New", "songId": [song]}),
        ("updatePlaylist", {"playlistId": playlist, "name": "Renamed"}),
        ("star", {"id": song, "albumId": album, "artistId": artist}),
        ("getStarred", {}),
        ("getStarred2", {}),
        ("setRating", {"id": song, "rating": 4}),
        ("unstar", {"id": song}),
        ("scrobble", {"id": song, "submission": "false"}),
        ("getNowPlaying", {}),
        ("scrobble", {"id": song}),
        (
            "reportPlayback",
            {"mediaId": song, "mediaType": "song", "positionMs": 0, "state": "starting"},
        ),
        (
            "reportPlayback",
            {
                "mediaId": song,
                "mediaType": "song",
                "positionMs": 900,
                "state": "playing",
                "playbackRate": "1.25",
            },
        ),
        ("getNowPlaying", {}),
        (
            "reportPlayback",
            {
                "mediaId": song,
                "mediaType": "song",
                "positionMs": 1000,
                "state": "stopped",
                "ignoreScrobble": "true",
            },
        ),
        ("getUser", {"username": world.listener.email}),
        ("deletePlaylist", {"id": playlist}),
        ("getPlayQueue", {}),
        ("savePlayQueue", {"id": [song, f"tr-{world.tracks[1].pk}"], "current": song}),
        ("getPlayQueue", {}),
        ("savePlayQueueByIndex", {"id": [song, song], "currentIndex": 1, "position": 5}),
        ("getPlayQueueByIndex", {}),
    ]
    for list_type in (
        "random",
        "newest",
        "frequent",
        "recent",
        "highest",
        "alphabeticalByName",
        "alphabeticalByArtist",
        "starred",
    ):
        calls.append(("getAlbumList", {"type": list_type}))
        calls.append(("getAlbumList2", {"type": list_type}))
    for method in ("getAlbumList", "getAlbumList2"):
        calls.append((method, {"type": "byGenre", "genre": "Rock"}))
        calls.append((method, {"type": "byYear", "fromYear": 2025, "toYear": 2000}))
    return calls


def test_every_answer_matches_the_spec(client, world):
    """Each JSON answer of the methods of issue 16 item 3 validates against the spec's schema."""
    for method, params in _every_json_call(world):
        answer = call(client, method, token_params(world, **params))  # validates
        assert answer["status"] == "ok", (method, params, answer)


def test_failures_match_the_spec(client, world):
    for method in ("getAlbum", "getSong", "getArtist", "getPlaylist", "getMusicDirectory"):
        answer = call(client, method, token_params(world, id="xx-1"))
        assert answer["status"] == "failed" and answer["error"]["code"] == 70


def test_songs_carry_replay_gain_when_measured(client, world):
    from playback.models import TrackAudio

    first, second = world.tracks[0], world.tracks[1]
    assert first.release_id == second.release_id
    TrackAudio.objects.update_or_create(
        track=first, defaults={"loudness_lufs": -9.0, "true_peak_dbtp": -0.3, "duration_ms": 1000}
    )
    TrackAudio.objects.update_or_create(
        track=second, defaults={"loudness_lufs": -9.0, "true_peak_dbtp": -2.0, "duration_ms": 1000}
    )
    song = ok(client, world, "getSong", id=f"tr-{first.pk}")["song"]
    assert song["replayGain"] == {
        "trackGain": -9.0,
        "albumGain": -9.0,
        "trackPeak": pytest.approx(10 ** (-0.3 / 20), abs=1e-6),
        "albumPeak": pytest.approx(10 ** (-0.3 / 20), abs=1e-6),
    }
    others = [t for t in world.tracks if t.pk not in (first.pk, second.pk)]
    if others:  # not measured: present, and empty
        assert ok(client, world, "getSong", id=f"tr-{others[0].pk}")["song"]["replayGain"] == {}
