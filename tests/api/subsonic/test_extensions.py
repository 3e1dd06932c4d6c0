"""The playbackReport and transcodeOffset extensions through Django's test client."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from mediatools import offset as offset_module
from playback.models import PlaybackSession, PlayerState, PlayEvent, Rendition
from tests.api.subsonic import spec
from tests.api.subsonic.conftest import DURATION_S, PROFILES, decoded_seconds
from tests.api.subsonic.test_protocol import call, ok, token_params

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def song(world):
    return world.tracks[0]


def report(client, world, song, state: str, position_ms: int, **extra):
    params = {"mediaId": f"tr-{song.pk}", "mediaType": "song", "positionMs": position_ms}
    return ok(client, world, "reportPlayback", state=state, **params, **extra)


def stream_once(client, world, song):
    """Stream the song as a client would first: the grant plays are checked against."""
    response = client.get("/rest/stream", token_params(world, id=f"tr-{song.pk}"))
    assert response.status_code == 200 and response["Content-Type"].startswith("audio/")


@pytest.fixture
def clock(world):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


# playbackReport


def test_extensions_are_listed(client, db):
    answer = call(client, "getOpenSubsonicExtensions", {"f": "json"})
    versions = {e["name"]: e["versions"] for e in answer["openSubsonicExtensions"]}
    assert versions["playbackReport"] == [1] and versions["transcodeOffset"] == [1]


def test_a_listened_sequence_is_one_counted_play(client, world, song, clock):
    stream_once(client, world, song)
    t0 = timezone.now()
    report(client, world, song, "starting", 0)
    clock.shift(10 * SECOND)
    report(client, world, song, "playing", 10_000)
    clock.shift(10 * SECOND)
    report(client, world, song, "paused", 20_000)
    clock.shift(40 * SECOND)  # paused: not listening
    report(client, world, song, "playing", 20_000)
    clock.shift(20 * SECOND)
    assert not PlayEvent.objects.exists()  # nothing is a play before the song ends
    report(client, world, song, "stopped", 40_000)
    event = PlayEvent.objects.get()
    assert (event.user, event.track_id, event.ms_played) == (world.listener, song.pk, 40_000)
    assert event.verdict == PlayEvent.Verdict.STREAM and event.reason == ""
    assert (event.started_at, event.ended_at) == (t0, t0 + 80 * SECOND)
    assert event.country == "SE"
    assert not PlaybackSession.objects.exists()
    # A retried stopped (the answer was lost) adds nothing.
    report(client, world, song, "stopped", 40_000)
    assert PlayEvent.objects.count() == 1


def test_a_short_listen_is_a_play_but_no_stream(client, world, song, clock):
    """As a web player's skip: stored and counted as a play, not as a stream (< 30 s)."""
    stream_once(client, world, song)
    report(client, world, song, "starting", 0)
    clock.shift(5 * SECOND)
    report(client, world, song, "stopped", 5_000)
    event = PlayEvent.objects.get()
    assert event.ms_played == 5_000 and event.verdict == PlayEvent.Verdict.PLAY


def test_without_a_stream_the_play_is_refused(client, world, song, clock):
    report(client, world, song, "starting", 0)
    clock.shift(60 * SECOND)
    report(client, world, song, "stopped", 60_000)
    event = PlayEvent.objects.get()
    assert event.verdict == PlayEvent.Verdict.REFUSED
    assert event.reason == PlayEvent.Reason.NO_GRANT


def test_ignore_scrobble_stores_no_play(client, world, song, clock):
    stream_once(client, world, song)
    report(client, world, song, "starting", 0, ignoreScrobble="true")
    clock.shift(60 * SECOND)
    report(client, world, song, "stopped", 60_000)
    assert not PlayEvent.objects.exists()
    assert not PlaybackSession.objects.exists()


def test_a_jump_forward_is_not_listening(client, world, song, clock):
    stream_once(client, world, song)
    report(client, world, song, "starting", 0)
    clock.shift(10 * SECOND)
    report(client, world, song, "playing", 150_000)  # seeked: 10 s heard, not 150
    clock.shift(40 * SECOND)
    report(client, world, song, "stopped", 190_000)
    assert PlayEvent.objects.get().ms_played == 50_000


def test_the_rate_scales_and_the_wall_clock_caps(client, world, song, clock):
    stream_once(client, world, song)
    report(client, world, song, "starting", 0, playbackRate="2.0")
    clock.shift(30 * SECOND)
    report(client, world, song, "stopped", 60_000)
    # 60 s of the song were heard in 30 s: the play lasted 30 s (integrity's elapsed rule).
    event = PlayEvent.objects.get()
    assert event.ms_played == 30_000 and event.verdict == PlayEvent.Verdict.STREAM


def test_another_song_ends_the_previous_one(client, world, song, clock):
    stream_once(client, world, song)
    following = world.tracks[1]
    stream_once(client, world, following)
    report(client, world, song, "starting", 0)
    clock.shift(45 * SECOND)
    report(client, world, following, "starting", 0)  # no stopped for the first song
    event = PlayEvent.objects.get()
    assert (event.track_id, event.ms_played) == (song.pk, 45_000)
    assert event.verdict == PlayEvent.Verdict.STREAM
    clock.shift(35 * SECOND)
    report(client, world, following, "stopped", 35_000)
    second = PlayEvent.objects.exclude(pk=event.pk).get()
    assert (second.track_id, second.ms_played) == (following.pk, 35_000)
    assert second.verdict == PlayEvent.Verdict.STREAM  # after the first: no overlap


def test_devices_keep_their_own_sessions(client, world, song, clock):
    stream_once(client, world, song)
    report(client, world, song, "starting", 0)
    report(client, world, song, "starting", 0, c="car")
    assert PlaybackSession.objects.filter(user=world.listener).count() == 2
    clock.shift(40 * SECOND)
    report(client, world, song, "stopped", 40_000, c="car")
    assert PlayEvent.objects.get().ms_played == 40_000
    assert PlaybackSession.objects.get().device_key == "subsonic:tests"


def test_now_playing_and_the_player_follow_the_reports(client, world, song, clock):
    report(client, world, song, "playing", 10_000, playbackRate="1.5")
    clock.shift(4 * SECOND)
    entry = ok(client, world, "getNowPlaying")["nowPlaying"]["entry"][0]
    assert entry["id"] == f"tr-{song.pk}" and entry["playerName"] == "tests"
    assert (entry["state"], entry["positionMs"], entry["playbackRate"]) == ("playing", 16_000, 1.5)
    state = PlayerState.objects.select_related("device").get(user=world.listener)
    assert state.track_id == song.pk and state.is_playing and state.position_ms == 10_000
    assert state.device.key == "subsonic:tests"
    report(client, world, song, "paused", 17_000)
    clock.shift(60 * SECOND)
    entry = ok(client, world, "getNowPlaying")["nowPlaying"]["entry"][0]
    assert (entry["state"], entry["positionMs"]) == ("paused", 17_000)
    state.refresh_from_db()
    assert not state.is_playing and state.position_ms == 17_000
    report(client, world, song, "stopped", 17_000)
    assert ok(client, world, "getNowPlaying")["nowPlaying"]["entry"] == []


def test_report_in_the_queue_moves_the_current_item(client, world, song):
    ids = [f"tr-{t.pk}" for t in world.tracks]
    ok(client, world, "savePlayQueue", id=ids, current=ids[0])
    report(client, world, world.tracks[2], "starting", 0)
    queue = ok(client, world, "getPlayQueue")["playQueue"]
    assert [e["id"] for e in queue["entry"]] == ids and queue["current"] == ids[2]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"mediaType": "song", "positionMs": 0, "state": "playing"}, 10),  # no mediaId
        ({"mediaId": "SONG", "mediaType": "song", "positionMs": 0, "state": "x"}, 10),
        ({"mediaId": "SONG", "mediaType": "video", "positionMs": 0, "state": "playing"}, 10),
        ({"mediaId": "SONG", "mediaType": "song", "positionMs": -1, "state": "playing"}, 10),
        ({"mediaId": "SONG", "mediaType": "song", "state": "playing"}, 10),
        (
            {
                "mediaId": "SONG",
                "mediaType": "song",
                "positionMs": 0,
                "state": "playing",
                "playbackRate": "0",
            },
            10,
        ),
        (
            {
                "mediaId": "SONG",
                "mediaType": "song",
                "positionMs": 0,
                "state": "playing",
                "playbackRate": "nan",
            },
            10,
        ),
        ({"mediaId": "HIDDEN", "mediaType": "song", "positionMs": 0, "state": "playing"}, 70),
        ({"mediaId": "pd-1", "mediaType": "podcast", "positionMs": 0, "state": "playing"}, 70),
    ],
)
def test_report_errors(client, world, song, params, code):
    ids = {"SONG": f"tr-{song.pk}", "HIDDEN": f"tr-{world.unlicensed_track.pk}"}
    params = {k: ids.get(v, v) if k == "mediaId" else v for k, v in params.items()}
    answer = call(client, "reportPlayback", token_params(world, **params))
    assert answer["status"] == "failed" and answer["error"]["code"] == code, answer
    assert not PlaybackSession.objects.exists()


def test_report_by_form_post(client, world, song):
    params = token_params(
        world, mediaId=f"tr-{song.pk}", mediaType="song", positionMs=0, state="starting"
    )
    assert call(client, "reportPlayback", params, post=True, view=True)["status"] == "ok"
    assert PlaybackSession.objects.get().track_id == song.pk


def test_a_progress_report_costs_a_fixed_number_of_queries(
    client, world, song, django_assert_num_queries
):
    """The report a client sends every few seconds while a song plays. Nine statements:
    the app password; the song's availability (the view's and the player's); the device;
    the player state, locked; the device's last sight; the state; the session, read and
    written. Four more open and close the transaction."""
    report(client, world, song, "starting", 0)
    report(client, world, song, "playing", 1_000)
    with django_assert_num_queries(13):
        report(client, world, song, "playing", 5_000)


# transcodeOffset


def streamed(client, world, song, **params):
    response = client.get("/rest/stream", token_params(world, id=f"tr-{song.pk}", **params))
    try:
        data = b"".join(response.streaming_content) if response.streaming else response.content
    finally:
        response.close()
    return response, data


@pytest.mark.parametrize("codec", ["opus", "aac", "mp3"])
def test_time_offset_starts_the_audio_there(client, world, audio_song, tmp_path, codec):
    profile, demuxer = PROFILES[codec]
    rendition = audio_song.renditions.get(profile=profile)
    response, data = streamed(client, world, audio_song, format=codec, timeOffset=12)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == rendition.mime_type
    assert not response.has_header("Content-Length") and not response.has_header("Content-Range")
    assert decoded_seconds(data, demuxer, tmp_path) == pytest.approx(DURATION_S - 12, abs=0.3)
    full = decoded_seconds(rendition.file.open("rb").read(), demuxer, tmp_path)
    assert full == pytest.approx(DURATION_S, abs=0.3)
    assert not PlayEvent.objects.exists()


def test_no_offset_keeps_the_range_path(client, world, audio_song):
    rendition = audio_song.renditions.get(profile=Rendition.Profile.MP3_320)
    for extra in ({}, {"timeOffset": "0"}):
        response = client.get(
            "/rest/stream",
            token_params(world, id=f"tr-{audio_song.pk}", format="mp3", **extra),
            headers={"Range": "bytes=0-99"},
        )
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes 0-99/{rendition.size_bytes}"
        response.close()


def test_an_offset_ignores_range(client, world, audio_song, tmp_path):
    response = client.get(
        "/rest/stream",
        token_params(world, id=f"tr-{audio_song.pk}", format="mp3", timeOffset=5),
        headers={"Range": "bytes=0-99"},
    )
    data = b"".join(response.streaming_content)
    response.close()
    assert response.status_code == 200
    assert decoded_seconds(data, "mp3", tmp_path) == pytest.approx(DURATION_S - 5, abs=0.3)


def test_a_client_going_away_stops_ffmpeg(client, world, audio_song):
    started = []
    real_popen = offset_module.popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    with mock.patch.object(offset_module, "popen", popen):
        response = client.get(
            "/rest/stream",
            token_params(world, id=f"tr-{audio_song.pk}", format="mp3", timeOffset=1),
        )
        first = next(iter(response.streaming_content))
        assert first and started[0].poll() is None  # still sending
        response.close()  # what the server does when the client disconnects
    assert started[0].poll() is not None


def stream_failure(client, params) -> dict:
    """A stream that fails answers with the protocol's error (the spec's empty response)."""
    response = client.get("/rest/stream", params)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    spec.validate("ping", body)
    return body["subsonic-response"]


@pytest.mark.parametrize(
    ("offset", "code"), [("abc", 10), ("-3", 10), ("1.5", 10), (str(DURATION_S), 10)]
)
def test_invalid_offsets(client, world, audio_song, offset, code):
    answer = stream_failure(
        client, token_params(world, id=f"tr-{audio_song.pk}", timeOffset=offset)
    )
    assert answer["status"] == "failed" and answer["error"]["code"] == code


def test_an_offset_is_authorised_like_any_stream(client, world, audio_song):
    hidden = f"tr-{world.unlicensed_track.pk}"
    answer = stream_failure(client, token_params(world, id=hidden, timeOffset=3))
    assert answer["error"]["code"] == 70
    params = {**token_params(world, id=f"tr-{audio_song.pk}", timeOffset=3), "t": "0" * 32}
    assert stream_failure(client, params)["error"]["code"] == 40
