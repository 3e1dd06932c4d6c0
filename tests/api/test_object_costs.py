"""The object endpoints (track, album, artist, playlist, saved tracks): a fixed number of
queries however many items they show, the same objects as the documented serializers, and
no stale answer after a licence change, a takedown or a rename."""

import datetime
import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.library.serializers import SavedTrackSerializer
from api.objects import (
    AlbumSerializer,
    ArtistSerializer,
    PlaylistSerializer,
    SimplifiedAlbumSerializer,
    TrackSerializer,
)
from catalog import library_selectors, search, selectors
from catalog.models import (
    FollowedArtist,
    Playlist,
    PlaylistItem,
    SavedTrack,
    Track,
    TrackArtist,
)
from licensing import services as licensing
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    LabelFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
    track_window_add,
)
from tests.licensing.factories import AgreementFactory, PartyFactory

API = "/api/v1"
# Queries per endpoint, whatever the number of tracks, artists or items.
# Performers and release artists are one query (`object_selectors._all_credits`).
# /me/tracks: two page queries, the first with the count (the listener's session aside).
QUERIES = {"track": 2, "album": 4, "artist": 2, "playlist": 3, "me_tracks": 2}


def _serialized(data) -> dict:
    return json.loads(json.dumps(data))


def _context(path: str, market: str | None, user=None) -> dict:
    request = RequestFactory().get(path)
    if user is not None:
        request.user = user
    return {"request": request, "market": market}


def _catalog(n_tracks: int, *, label=None):
    """An album of `n_tracks` by two artists, each track with two performers, a producer
    and windows in SE and NO (every third track NO only, the last one nowhere)."""
    genres = GenreFactory.create_batch(2)
    owners = ArtistFactory.create_batch(2)
    release = ReleaseFactory(
        artists=owners,
        label=label or LabelFactory(),
        upc="123456789012",
        copyright="(C) Label",
        cover=f"images/ab/{'c' * 64}/640.jpg",
    )
    release.genres.set(genres)
    tracks = []
    for n in range(n_tracks):
        markets = [] if n == n_tracks - 1 else ["NO"] if n % 3 == 1 else ["SE", "NO"]
        track = TrackFactory(
            release=release, artists=[owners[n % 2], ArtistFactory()], markets=markets
        )
        TrackArtist.objects.create(
            track=track, artist=ArtistFactory(), role=TrackArtist.Role.PRODUCER, position=9
        )
        tracks.append(track)
    return release, tracks


@pytest.fixture
def small(db):
    return _catalog(2)


@pytest.fixture
def large(db):
    return _catalog(14)


def _playlist(tracks, *, kind=Playlist.Kind.USER):
    owner = UserFactory(display_name="")
    playlist = PlaylistFactory(owner=owner, kind=kind, description="", cover="playlists/x.png")
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track=track, position=n, added_by=owner if n % 2 else None)
        for n, track in enumerate(tracks)
    )
    return playlist


# Same objects as the serializers over the selectors' instances


@pytest.mark.parametrize("market", [None, "SE"])
def test_track_is_the_documented_object(api_client, large, market):
    _, tracks = large
    for track in (tracks[0], tracks[1], tracks[-1]):
        path = f"{API}/tracks/{track.pk}" + (f"?market={market}" if market else "")
        response = api_client.get(path)
        assert response.status_code == 200
        expected = TrackSerializer(
            selectors.track_get(track_id=track.pk, market=market), context=_context(path, market)
        ).data
        assert response.json() == _serialized(expected)


@pytest.mark.parametrize("market", [None, "SE"])
def test_album_is_the_documented_object(api_client, large, market):
    release, _ = large
    path = f"{API}/albums/{release.pk}" + (f"?market={market}" if market else "")
    response = api_client.get(path)
    expected = AlbumSerializer(
        selectors.release_get(release_id=release.pk, market=market),
        context=_context(path, market),
    ).data
    assert response.json() == _serialized(expected)


def test_artist_is_the_documented_object(api_client, large):
    release, _ = large
    artist = release.artists.first()
    artist.genres.set(GenreFactory.create_batch(2))
    artist.image = "artists/portrait.jpg"
    artist.save()
    FollowedArtist.objects.create(user=UserFactory(), artist=artist)
    path = f"{API}/artists/{artist.pk}"
    expected = ArtistSerializer(
        selectors.artist_get(artist_id=artist.pk), context=_context(path, None)
    ).data
    assert api_client.get(path).json() == _serialized(expected)


@pytest.mark.parametrize("kind", [Playlist.Kind.USER, Playlist.Kind.EDITORIAL])
@pytest.mark.parametrize("market", [None, "SE"])
def test_playlist_is_the_documented_object(api_client, large, market, kind):
    _, tracks = large
    playlist = _playlist(tracks, kind=kind)
    path = f"{API}/playlists/{playlist.pk}" + (f"?market={market}" if market else "")
    expected = PlaylistSerializer(
        selectors.playlist_get(playlist_id=playlist.pk, user=None, market=market),
        context=_context(path, market),
    ).data
    assert api_client.get(path).json() == _serialized(expected)


@pytest.mark.parametrize("market", [None, "SE"])
def test_searched_tracks_are_the_documented_objects(api_client, large, market):
    release, tracks = large
    Track.objects.filter(release=release).update(title="Zanzibar nights")
    path = f"{API}/search?q=zanzibar&type=track&limit=50" + (f"&market={market}" if market else "")
    items = api_client.get(path).json()["tracks"]["items"]
    assert len(items) == (len(tracks) if market is None else 9)  # SE: not every third, last
    ids = [int(item["id"]) for item in items]
    expected = [
        TrackSerializer(track, context=_context(path, market)).data
        for track in selectors.tracks_by_ids(ids=ids, market=market)
    ]
    assert items == _serialized(expected)


@pytest.mark.parametrize("query", ["limit=50", "limit=2&offset=1", "limit=2&offset=40"])
def test_searched_artists_are_the_documented_objects(api_client, db, query):
    genres = GenreFactory.create_batch(2)
    for n in range(4):
        artist = ArtistFactory(name=f"Zanzibar {n}", popularity=n % 2, image="")
        if n % 2:
            artist.genres.set(genres)
            artist.image = "artists/portrait.jpg"
            artist.save()
            FollowedArtist.objects.create(user=UserFactory(), artist=artist)
    ArtistFactory(name="Elsewhere")
    path = f"{API}/search?q=zanz&type=artist&{query}"
    body = api_client.get(path).json()["artists"]
    found = list(search.artist_search(words=["zanz"]))
    page = found[body["offset"] : body["offset"] + body["limit"]]
    expected = ArtistSerializer(page, many=True, context=_context(path, None)).data
    assert body["items"] == _serialized(expected)
    assert body["total"] == len(found) == 4


@pytest.mark.postgres
def test_search_for_tracks_and_artists_is_five_queries(api_client, large):
    """The words looked up, the tracks found, their objects (the tracks, then their
    performers and their releases' artists together), the artists."""
    release, _ = large
    Track.objects.filter(release=release).update(title="Zanzibar nights")
    release.artists.update(name="Zanzibar nightfall")
    path = f"{API}/search?q=zanzibar+nig&type=track,artist&market=SE&limit=50"
    api_client.get(path)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        body = api_client.get(path).json()
    assert len(body["tracks"]["items"]) == 9 and len(body["artists"]["items"]) == 2
    assert len(queries.captured_queries) == 5, [q["sql"][:80] for q in queries]


@pytest.mark.parametrize("market", [None, "SE"])
def test_top_tracks_are_the_documented_objects(api_client, large, market):
    release, _ = large
    artist = release.artists.first()
    path = f"{API}/artists/{artist.pk}/top-tracks" + (f"?market={market}" if market else "")
    body = api_client.get(path).json()
    top = selectors.artist_top_tracks(artist=artist, market=market)
    assert body["tracks"] and len(body["tracks"]) == len(top)
    expected = TrackSerializer(top, many=True, context=_context(path, market)).data
    assert body["tracks"] == _serialized(expected)


@pytest.mark.parametrize("query", ["", "?country=SE&limit=1&offset=1", "?offset=50"])
def test_new_releases_are_the_documented_objects(api_client, db, query):
    for n in range(3):
        release, _ = _catalog(2)
        release.release_date = timezone.now().date() - datetime.timedelta(days=n)
        release.save()
    ReleaseFactory(release_date=timezone.now().date() + datetime.timedelta(days=9))  # not yet
    body = api_client.get(f"{API}/browse/new-releases{query}").json()["albums"]
    market = "SE" if "country" in query else None
    everything = list(library_selectors.new_releases(market=market))
    page = everything[body["offset"] : body["offset"] + body["limit"]]
    expected = SimplifiedAlbumSerializer(page, many=True, context=_context("/", market)).data
    assert body["items"] == _serialized(expected)
    assert body["total"] == len(everything) == 3


def test_new_releases_are_the_newest_hundred_playable_ones(api_client, db, monkeypatch):
    """Spotify's list holds the newest 100; here the cap is 4, with unplayable albums
    between the playable ones (skipped before the cap, not after it)."""
    from catalog import object_selectors

    monkeypatch.setattr(object_selectors, "NEW_RELEASES_MAX", 4)
    today = timezone.now().date()
    playable = []
    for n in range(6):
        release = ReleaseFactory(release_date=today - datetime.timedelta(days=2 * n))
        TrackFactory(release=release, markets=["SE"])
        elsewhere = ReleaseFactory(release_date=today - datetime.timedelta(days=2 * n + 1))
        TrackFactory(release=elsewhere, markets=["US"])
        playable.append(release.pk)
    first = api_client.get(f"{API}/browse/new-releases?country=SE&limit=3").json()["albums"]
    assert [item["id"] for item in first["items"]] == [str(pk) for pk in playable[:3]]
    assert first["total"] == 4
    rest = api_client.get(f"{API}/browse/new-releases?country=SE&limit=3&offset=3").json()
    assert [item["id"] for item in rest["albums"]["items"]] == [str(playable[3])]
    assert rest["albums"]["next"] is None
    past = api_client.get(f"{API}/browse/new-releases?country=SE&offset=10").json()["albums"]
    assert past["items"] == [] and past["total"] == 4


def test_private_playlist_is_its_owners_alone(api_client, small):
    _, tracks = small
    playlist = _playlist(tracks)
    Playlist.objects.filter(pk=playlist.pk).update(public=False)
    assert api_client.get(f"{API}/playlists/{playlist.pk}").status_code == 404
    api_client.force_login(UserFactory())
    assert api_client.get(f"{API}/playlists/{playlist.pk}").status_code == 404
    api_client.force_login(playlist.owner)
    assert api_client.get(f"{API}/playlists/{playlist.pk}").status_code == 200


@pytest.mark.parametrize("query", ["", "?market=SE&limit=5&offset=3", "?limit=50&offset=40"])
def test_saved_tracks_are_the_documented_objects(listener_client, listener, large, query):
    _, tracks = large
    now = timezone.now()
    SavedTrack.objects.bulk_create(
        SavedTrack(user=listener, track=t, added_at=now - datetime.timedelta(minutes=n))
        for n, t in enumerate(tracks)
    )
    response = listener_client.get(f"{API}/me/tracks{query}")
    body = response.json()
    market = "SE" if "market" in query else None
    limit, offset = body["limit"], body["offset"]
    saved = list(library_selectors.saved_tracks(user=listener, market=market))
    page = saved[offset : offset + limit]
    expected = SavedTrackSerializer(
        page, many=True, context=_context(f"{API}/me/tracks{query}", market, listener)
    ).data
    assert body["items"] == _serialized(expected)
    assert body["total"] == len(tracks)
    assert (body["next"] is None) == (offset + limit >= len(tracks))


def test_saved_tracks_total_with_none_saved_and_past_the_end(
    listener_client, listener, small, django_assert_num_queries
):
    _queries(listener_client, f"{API}/me/tracks", django_assert_num_queries, 2)
    assert listener_client.get(f"{API}/me/tracks").json()["total"] == 0
    _, tracks = small
    SavedTrack.objects.bulk_create(SavedTrack(user=listener, track=t) for t in tracks)
    past = listener_client.get(f"{API}/me/tracks?offset=2").json()
    assert (past["total"], past["items"], past["next"]) == (2, [], None)
    assert listener_client.get(f"{API}/me/tracks?offset=1").json()["total"] == 2


def test_unknown_and_impossible_ids_are_404(api_client, db):
    for kind in ("tracks", "albums", "artists", "playlists"):
        assert api_client.get(f"{API}/{kind}/999999").status_code == 404
        assert api_client.get(f"{API}/{kind}/99999999999999999999").status_code == 404


# A fixed number of queries


def _queries(client, path, django_assert_num_queries, expected):
    client.get(path)  # the session and the user, cached by the client's first request
    with django_assert_num_queries(expected):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("size", ["small", "large"])
def test_queries_are_fixed(api_client, request, size, django_assert_num_queries):
    release, tracks = request.getfixturevalue(size)
    playlist = _playlist(tracks)
    artist = release.artists.first()
    paths = {
        "track": f"{API}/tracks/{tracks[0].pk}?market=SE",
        "album": f"{API}/albums/{release.pk}?market=SE",
        "artist": f"{API}/artists/{artist.pk}",
        "playlist": f"{API}/playlists/{playlist.pk}?market=SE",
    }
    for name, path in paths.items():
        _queries(api_client, path, django_assert_num_queries, QUERIES[name])


@pytest.mark.parametrize("size", ["small", "large"])
def test_saved_tracks_queries_are_fixed(
    listener_client, listener, request, size, django_assert_num_queries
):
    _, tracks = request.getfixturevalue(size)
    SavedTrack.objects.bulk_create(SavedTrack(user=listener, track=t) for t in tracks)
    _queries(
        listener_client,
        f"{API}/me/tracks?limit=50&market=SE",
        django_assert_num_queries,
        QUERIES["me_tracks"],
    )


# Nothing stale


def test_rename_shows_at_once(api_client, listener_client, listener, small):
    release, tracks = small
    playlist = _playlist(tracks)
    SavedTrack.objects.create(user=listener, track=tracks[0])
    pages = {
        "playlist": lambda: api_client.get(f"{API}/playlists/{playlist.pk}").json()["items"],
        "saved": lambda: listener_client.get(f"{API}/me/tracks?market=SE").json(),
    }
    for page in pages.values():  # the track objects' JSON is kept for reuse from here on
        page()
    api_client.get(f"{API}/tracks/{tracks[0].pk}")
    tracks[0].title = "Renamed"
    tracks[0].save()
    release.title = "Renamed album"
    release.save()
    artist = release.artists.first()
    artist.name = "Renamed artist"
    artist.save()
    data = api_client.get(f"{API}/tracks/{tracks[0].pk}").json()
    assert data["name"] == "Renamed"
    assert data["album"]["name"] == "Renamed album"
    assert "Renamed artist" in [a["name"] for a in data["album"]["artists"]]
    album = api_client.get(f"{API}/albums/{release.pk}").json()
    assert album["name"] == "Renamed album"
    assert api_client.get(f"{API}/artists/{artist.pk}").json()["name"] == "Renamed artist"
    for page in pages.values():
        shown = page()["items"][0]["track"]
        assert shown["name"] == "Renamed"
        assert shown["album"]["name"] == "Renamed album"
        assert "Renamed artist" in [a["name"] for a in shown["album"]["artists"]]


def test_licence_change_and_takedown_show_at_once(api_client, listener_client, listener, db):
    party = PartyFactory()
    release, tracks = _catalog(2, label=party.labels.first())
    track = tracks[0]
    playlist = _playlist([track])
    SavedTrack.objects.create(user=listener, track=track)
    paths = {
        "track": f"{API}/tracks/{track.pk}?market=US",
        "album": f"{API}/albums/{release.pk}?market=US",
        "playlist": f"{API}/playlists/{playlist.pk}?market=US",
    }
    # Without a market, the same objects list their markets instead.
    listed = {
        "track": f"{API}/tracks/{track.pk}",
        "album": f"{API}/albums/{release.pk}",
        "playlist": f"{API}/playlists/{playlist.pk}",
    }

    def playable() -> dict:
        data = {name: api_client.get(path).json() for name, path in paths.items()}
        saved = listener_client.get(f"{API}/me/tracks?market=US").json()["items"][0]
        in_playlist = data["playlist"]["tracks"]["items"][0]["track"]
        return {
            "track": data["track"]["is_playable"],
            "album": data["album"]["tracks"]["items"][0]["is_playable"],
            "playlist": in_playlist["is_playable"],
            "saved": saved["track"]["is_playable"],
            "albums": [
                data["track"]["album"]["is_playable"],
                data["album"]["is_playable"],
                in_playlist["album"]["is_playable"],
                saved["track"]["album"]["is_playable"],
            ],
        }

    def markets() -> dict:
        data = {name: api_client.get(path).json() for name, path in listed.items()}
        saved = listener_client.get(f"{API}/me/tracks").json()["items"][0]
        in_playlist = data["playlist"]["tracks"]["items"][0]["track"]
        tracks = [
            data["track"],
            data["album"]["tracks"]["items"][0],
            in_playlist,
            saved["track"],
        ]
        albums = [data["track"]["album"], data["album"], in_playlist["album"]]
        albums.append(saved["track"]["album"])
        shown = {tuple(t["available_markets"]) for t in tracks}
        shown_albums = {tuple(a["available_markets"]) for a in albums}
        assert len(shown) == len(shown_albums) == 1, (shown, shown_albums)
        return {"track": list(shown.pop()), "album": list(shown_albums.pop())}

    before = playable()
    assert before == dict.fromkeys(paths, False) | {"saved": False, "albums": [False] * 4}
    assert markets() == {"track": ["NO", "SE"], "album": ["NO", "SE"]}

    agreement = AgreementFactory(party=party, territories="US SE")
    after = playable()
    assert after == dict.fromkeys(paths, True) | {"saved": True, "albums": [True] * 4}
    assert markets() == {"track": ["SE", "US"], "album": ["SE", "US"]}

    licensing.takedown_create(release=release, reason="legal")
    gone = playable()
    assert gone == dict.fromkeys(paths, False) | {"saved": False, "albums": [False] * 4}
    assert markets() == {"track": [], "album": []}

    licensing.agreement_status_set(agreement=agreement, status=agreement.Status.SUSPENDED)
    assert markets() == {"track": [], "album": []}


def test_window_opening_later_is_not_playable_yet(api_client, small):
    _, tracks = small
    track = tracks[-1]
    track_window_add(track, "US", timezone.now() + datetime.timedelta(days=1))
    data = api_client.get(f"{API}/tracks/{track.pk}?market=US").json()
    assert data["is_playable"] is False
    assert data["restrictions"] == {"reason": "market"}
    assert data["album"]["is_playable"] is False
    assert api_client.get(f"{API}/tracks/{track.pk}").json()["available_markets"] == []
