"""A real OpenSubsonic client library (py-opensonic) against a live server: issue 16, item 3."""

import asyncio
import time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone
from libopensonic import Connection
from libopensonic import errors as sonic_errors

from accounts import services as account_services
from catalog import services as catalog_services
from playback.models import PlaybackSession, PlayEvent
from tests.api.subsonic.conftest import DURATION_S, decoded_seconds


def _connect(live_server, **credentials) -> Connection:
    url = urlsplit(live_server.url)
    return Connection(
        f"{url.scheme}://{url.hostname}", port=url.port, app_name="pytest", **credentials
    )


@pytest.fixture
def sonic(live_server, world):
    conn = _connect(live_server, username=world.listener.email, password=world.secret)
    yield conn
    conn.cleanup()


def _body(conn: Connection, response) -> tuple[int, dict, bytes]:
    async def read():
        return await response.read()

    data = asyncio.run_coroutine_threadsafe(read(), conn._loop).result()
    return response.status, dict(response.headers), data


def _raw(conn: Connection, method: str, **query) -> dict:
    async def request():
        response = await conn._async._do_request(method, query)
        return await conn._async._handle_info_res(response)

    return asyncio.run_coroutine_threadsafe(request(), conn._loop).result()


def test_system_and_browsing(sonic, world):
    assert sonic.ping() is True
    assert sonic.get_license()
    names = {ext.name for ext in sonic.get_open_subsonic_extensions()}
    assert {"apiKeyAuthentication", "formPost"} <= names
    # py-opensonic 10.4.1 reads musicFolders as a list, the spec (and we) send
    # {"musicFolder": [...]}: call it through the library's own request path instead.
    folders = _raw(sonic, "getMusicFolders")["musicFolders"]["musicFolder"]
    assert [f["id"] for f in folders] == [1]
    indexes = sonic.get_indexes()
    artists = [a.name for index in indexes.index for a in index.artist]
    assert artists == ["Aurora Lines"]
    artist_id = f"ar-{world.artist.pk}"
    directory = sonic.get_music_directory(artist_id)
    assert [child.title for child in directory.child] == ["Northern Songs"]
    album_dir = sonic.get_music_directory(directory.child[0].id)
    assert [child.title for child in album_dir.child] == ["Song 1", "Song 2", "Song 3"]
    listed = sonic.get_artists()
    assert [a.id for index in listed.index for a in index.artist] == [artist_id]
    artist = sonic.get_artist(artist_id)
    assert artist.name == "Aurora Lines" and [a.name for a in artist.album] == ["Northern Songs"]
    album = sonic.get_album(f"al-{world.release.pk}")
    assert album.song_count == 3 and [s.title for s in album.song] == ["Song 1", "Song 2", "Song 3"]
    song = sonic.get_song(album.song[0].id)
    assert song.album_id == album.id and song.duration == 200
    genres = sonic.get_genres()
    assert [(g.value, g.song_count, g.album_count) for g in genres] == [("Rock", 3, 1)]
    by_genre = sonic.get_songs_by_genre("Rock", count=2, offset=1)
    assert [s.title for s in by_genre] == ["Song 2", "Song 3"]
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.get_album(f"al-{world.unlicensed_release.pk}")


@pytest.mark.parametrize(
    "list_type",
    [
        "random",
        "newest",
        "frequent",
        "recent",
        "highest",
        "alphabeticalByName",
        "alphabeticalByArtist",
        "byGenre",
        "byYear",
        "starred",
    ],
)
def test_album_lists(sonic, world, list_type):
    album_id = f"al-{world.release.pk}"
    sonic.star(album_ids=[album_id])
    sonic.set_rating(album_id, 4)
    sonic.scrobble(f"tr-{world.tracks[0].pk}", submission=True)
    extra = {"genre": "Rock"} if list_type == "byGenre" else {}
    if list_type == "byYear":
        extra = {"from_year": 2020, "to_year": 2025}
    albums2 = sonic.get_album_list2(list_type, size=5, offset=0, **extra)
    assert [a.id for a in albums2] == [album_id]
    albums = sonic.get_album_list(list_type, size=5, offset=0, **extra)
    assert [a.id for a in albums] == [album_id]
    if list_type != "random":  # a random pick has no pages
        assert sonic.get_album_list2(list_type, size=5, offset=1, **extra) == []


def test_random_songs_and_search(sonic, world):
    songs = sonic.get_random_songs(size=10)
    assert sorted(s.title for s in songs) == ["Song 1", "Song 2", "Song 3"]
    found = sonic.search3("aurora")
    assert [a.name for a in found.album] == ["Northern Songs"]
    assert sorted(s.title for s in found.song) == ["Song 1", "Song 2", "Song 3"]
    everything = sonic.search3("", artist_count=10, album_count=10, song_count=2, song_offset=2)
    assert [a.name for a in everything.artist] == ["Aurora Lines"]
    assert [s.title for s in everything.song] == ["Song 3"]
    assert sonic.search3("hidden").song in (None, [])


def test_playlists(sonic, world):
    mine = sonic.get_playlists()
    assert {p.name for p in mine} == {"Mine"}
    playlist = sonic.get_playlist(f"pl-{world.own_playlist.pk}")
    assert [e.title for e in playlist.entry] == ["Song 1", "Song 2"]
    song_ids = [f"tr-{t.pk}" for t in world.tracks]
    assert sonic.create_playlist(name="Road trip", song_ids=song_ids[::-1]) is True
    created = next(p for p in sonic.get_playlists() if p.name == "Road trip")
    assert created.song_count == 3 and created.duration == 600
    assert sonic.update_playlist(
        created.id, name="Road trip 2", song_ids_to_add=[song_ids[0]], song_indices_to_remove=[0]
    )
    updated = sonic.get_playlist(created.id)
    assert updated.name == "Road trip 2"
    assert [e.title for e in updated.entry] == ["Song 2", "Song 1", "Song 1"]
    assert sonic.create_playlist(playlist_id=created.id, song_ids=[song_ids[2]])
    assert [e.title for e in sonic.get_playlist(created.id).entry] == ["Song 3"]
    assert sonic.delete_playlist(created.id)
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.get_playlist(created.id)
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.get_playlist(f"pl-{world.others_private.pk}")
    with pytest.raises(sonic_errors.AuthError):
        sonic.delete_playlist(f"pl-{world.others_public.pk}")
    theirs = sonic.get_playlists(username=world.other_user.email)
    assert [p.name for p in theirs] == ["Shared"]


def test_stars_ratings_and_user(sonic, world):
    song_id, album_id, artist_id = (
        f"tr-{world.tracks[1].pk}",
        f"al-{world.release.pk}",
        f"ar-{world.artist.pk}",
    )
    assert sonic.star(sids=[song_id], album_ids=[album_id], artist_ids=[artist_id])
    starred2 = sonic.get_starred2()
    assert [s.id for s in starred2.song] == [song_id]
    assert [a.id for a in starred2.album] == [album_id]
    assert [a.id for a in starred2.artist] == [artist_id]
    starred = sonic.get_starred()
    assert [s.id for s in starred.song] == [song_id]
    assert sonic.set_rating(song_id, 5)
    assert sonic.get_song(song_id).user_rating == 5
    assert sonic.set_rating(song_id, 0)
    assert sonic.get_song(song_id).user_rating is None
    assert sonic.unstar(sids=[song_id], album_ids=[album_id], artist_ids=[artist_id])
    emptied = sonic.get_starred2()
    assert not emptied.song and not emptied.album and not emptied.artist
    user = sonic.get_user(world.listener.email)
    assert user.username == world.listener.email and user.stream_role is True
    with pytest.raises(sonic_errors.AuthError):
        sonic.get_user(world.other_user.email)


def test_scrobble_now_playing_and_play_events(sonic, world):
    track = world.tracks[2]
    assert sonic.scrobble(f"tr-{track.pk}", submission=False)
    now_playing = sonic.get_now_playing()
    assert [(e.title, e.player_name) for e in now_playing] == [("Song 3", "pytest")]
    assert not PlayEvent.objects.exists()  # "now playing" is not a play
    listened = int(time.time()) - 60
    assert sonic.scrobble(f"tr-{track.pk}", submission=True, listen_time=listened)
    assert sonic.scrobble(f"tr-{track.pk}", submission=True, listen_time=listened)  # a retry
    event = PlayEvent.objects.get()
    assert (event.user, event.track_id, event.ms_played) == (world.listener, track.pk, 200_000)
    assert event.country == "SE"
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.scrobble(f"tr-{world.unlicensed_track.pk}", submission=True)


def test_stream_download_and_cover_art(sonic, world):
    track = world.tracks[0]
    mp3 = track.renditions.get(codec="mp3")
    status, headers, data = _body(sonic, sonic.stream(f"tr-{track.pk}", tformat="mp3"))
    assert status == 200 and headers["Content-Type"] == "audio/mpeg"
    assert data == mp3.file.open("rb").read()
    status, headers, data = _body(
        sonic, sonic.stream(f"tr-{track.pk}", tformat="mp3", byte_range="bytes=10-19")
    )
    assert status == 206 and headers["Content-Range"] == f"bytes 10-19/{mp3.size_bytes}"
    assert len(data) == 10
    opus = track.renditions.get(codec="opus")
    status, headers, data = _body(sonic, sonic.stream(f"tr-{track.pk}", max_bit_rate=192))
    assert headers["Content-Type"] == opus.mime_type and len(data) == opus.size_bytes
    status, headers, data = _body(sonic, sonic.download(f"tr-{track.pk}"))
    assert status == 200 and headers["Content-Disposition"] == "attachment" and data
    assert not PlayEvent.objects.exists()  # streaming alone never counts a play
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.stream(f"tr-{world.unlicensed_track.pk}")
    status, headers, data = _body(sonic, sonic.get_cover_art(f"al-{world.release.pk}", size=16))
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and data[:2] == b"\xff\xd8"
    status, _, full = _body(sonic, sonic.get_cover_art(f"tr-{track.pk}"))
    assert full[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_key_get_requests_and_wrong_password(live_server, world):
    _, key = account_services.app_password_create(user=world.listener, name="desktop")
    conn = _connect(live_server, api_key=key)
    conn.use_get = True
    try:
        assert conn.ping() is True
        assert [a.name for a in conn.get_album_list2("newest")] == ["Northern Songs"]
    finally:
        conn.cleanup()
    wrong = _connect(live_server, username=world.listener.email, password="listen-to-this-1")
    try:
        with pytest.raises(sonic_errors.CredentialError):
            wrong.ping()
    finally:
        wrong.cleanup()


def test_play_queue_is_the_player_queue(sonic, world):
    from playback import player

    ids = [f"tr-{t.pk}" for t in world.tracks]
    assert sonic.save_play_queue(ids, current=ids[1], position=42_000)
    queue = sonic.get_play_queue()
    assert [e.id for e in queue.entry] == ids
    assert queue.current == ids[1] and queue.position >= 42_000
    assert queue.username == world.listener.email and queue.changed_by == "pytest"
    state = player.player_state_get(user=world.listener)
    assert state.track_id == world.tracks[1].pk and state.device.key == "subsonic:pytest"
    assert [i.track_id for i in player.player_queue_list(user=world.listener)] == [
        t.pk for t in world.tracks
    ]
    assert sonic.save_play_queue_by_index(ids=[ids[0], ids[0], ids[2]], current_index=1)
    by_index = sonic.get_play_queue_by_index()
    assert [e.id for e in by_index.entry] == [ids[0], ids[0], ids[2]]
    assert by_index.current_index == 1
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.save_play_queue([f"tr-{world.unlicensed_track.pk}"])


def test_playback_report_makes_one_play(sonic, world):
    """The library's report_playback (playbackReport); the server's clock is moved ahead
    instead of waiting, the client's own (monotonic) timers are left alone."""
    track = world.tracks[1]
    song = f"tr-{track.pk}"
    names = {ext.name for ext in sonic.get_open_subsonic_extensions()}
    assert {"playbackReport", "transcodeOffset"} <= names
    _body(sonic, sonic.stream(song))  # the grant a counted play needs
    with time_machine.travel(timezone.now(), tick=True) as clock:
        assert sonic.report_playback(song, "song", 0, "starting")
        clock.shift(20)
        assert sonic.report_playback(song, "song", 20_000, "playing", playback_rate=1.0)
        entry = sonic.get_now_playing()[0]
        assert (entry.id, entry.state, entry.playback_rate) == (song, "playing", 1.0)
        assert 20_000 <= entry.position_ms < 25_000 and entry.player_name == "pytest"
        clock.shift(20)
        assert sonic.report_playback(song, "song", 40_000, "stopped")
        assert sonic.report_playback(song, "song", 40_000, "stopped")  # a retry
        assert sonic.get_now_playing() == []
        assert sonic.report_playback(song, "song", 0, "starting", ignore_scrobble=True)
        clock.shift(60)
        assert sonic.report_playback(song, "song", 60_000, "stopped")
    event = PlayEvent.objects.get()
    assert (event.track_id, event.verdict) == (track.pk, PlayEvent.Verdict.STREAM)
    assert 40_000 <= event.ms_played < 41_000
    assert not PlaybackSession.objects.exists()
    with pytest.raises(sonic_errors.DataNotFoundError):
        sonic.report_playback(f"tr-{world.unlicensed_track.pk}", "song", 0, "playing")


def test_stream_with_time_offset(sonic, world, audio_song, tmp_path):
    """The library's stream(time_offset=...) (transcodeOffset), decoded as a player would."""
    status, headers, data = _body(
        sonic, sonic.stream(f"tr-{audio_song.pk}", tformat="mp3", time_offset=8)
    )
    assert status == 200 and headers["Content-Type"] == "audio/mpeg"
    assert "Content-Length" not in headers
    assert decoded_seconds(data, "mp3", tmp_path) == pytest.approx(DURATION_S - 8, abs=0.3)
    assert not PlayEvent.objects.exists()


def test_lyrics_through_the_client(sonic, world):
    song = world.tracks[0]
    lyrics = catalog_services.track_lyrics_check(text="[00:01.50]First line\n[00:04.00]Second")
    catalog_services.track_lyrics_set(track=song, lyrics=lyrics)

    assert "songLyrics" in {ext.name for ext in sonic.get_open_subsonic_extensions()}
    [structured] = sonic.get_lyrics_by_song_id(f"tr-{song.pk}")
    assert structured.synced is True
    assert [(line.start, line.value) for line in structured.line] == [
        (1500, "First line"),
        (4000, "Second"),
    ]
    assert structured.display_title == "Song 1"
    classic = sonic.get_lyrics(artist="Aurora Lines", title="Song 1")
    assert classic.value == "First line\nSecond"
    assert sonic.get_lyrics_by_song_id(f"tr-{world.tracks[1].pk}") == []
