"""A real Spotify client library (spotipy) against a live server, for every operation we
share with the Spotify Web API reference; each answer is validated against the reference's
response schema. The token comes from spotipy's own PKCE helper against /o/."""

import base64
import datetime
import io
import urllib.parse

import pytest
import spotipy
from django.test import Client
from oauth2_provider.models import Application
from PIL import Image
from spotipy.cache_handler import MemoryCacheHandler

from api.scopes import SPOTIFY_SCOPES
from tests.accounts.factories import UserFactory
from tests.artists.factories import play
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)
from tests.conformance.reference import errors_of, operations
from tests.editorial.factories import CategoryFactory, PublishedPlaylistFactory, TeamFactory

REDIRECT_URI = "https://client.example/callback"


def pkce_token(live_server, user) -> str:
    """Run spotipy's PKCE flow: authorize as the logged-in user, exchange the code."""
    application = Application.objects.create(
        name="spotipy",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        skip_authorization=True,
        client_secret="",
    )
    auth = spotipy.SpotifyPKCE(
        client_id=application.client_id,
        redirect_uri=REDIRECT_URI,
        scope=sorted(SPOTIFY_SCOPES),
        cache_handler=MemoryCacheHandler(),
        open_browser=False,
    )
    auth.OAUTH_AUTHORIZE_URL = f"{live_server.url}/o/authorize/"
    auth.OAUTH_TOKEN_URL = f"{live_server.url}/o/token/"
    auth.get_pkce_handshake_parameters()
    browser = Client()
    browser.force_login(user)
    url = urllib.parse.urlsplit(auth.get_authorize_url())
    response = browser.get(f"{url.path}?{url.query}")
    assert response.status_code == 302, response.content[:500]
    location = urllib.parse.urlsplit(response["Location"])
    assert location.geturl().startswith(REDIRECT_URI)
    code = urllib.parse.parse_qs(location.query)["code"][0]
    return auth.get_access_token(code=code, check_cache=False)


class Recorder:
    """Calls spotipy, validates each answer against the reference, keeps every failure."""

    def __init__(self, sp: spotipy.Spotify):
        self.sp = sp
        self.failures: list[str] = []
        self.covered: set[tuple[str, str]] = set()

    def __call__(self, path: str, method: str, status: int, call):
        self.covered.add((path, method))
        try:
            data = call(self.sp)
        except spotipy.SpotifyException as error:
            self.failures.append(f"{method.upper()} {path}: {error.http_status} {error.msg[:200]}")
            return None
        if data is not None:
            for problem in errors_of(data, path, method, status):
                self.failures.append(f"{method.upper()} {path}: {problem}")
        return data


def jpeg_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, format="JPEG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def world(transactional_db):
    listener = UserFactory(country="SE", display_name="Lisa")
    rock = GenreFactory(slug="rock", name="Rock")
    artist = ArtistFactory(name="Queen")
    artist.genres.add(rock)
    album = ReleaseFactory(title="Opera", artists=[artist], upc="0077774600125")
    tracks = [
        TrackFactory(release=album, title=f"Song {n}", popularity=10 * n, markets=["SE", "US"])
        for n in range(1, 4)
    ]
    for track in tracks:
        track.genres.add(rock)
        play(user=listener, track=track, day=datetime.date.today())
    other_playlist = PlaylistFactory(public=True, tracks=tracks[:2])
    team = TeamFactory()
    category = CategoryFactory(slug="rock")
    PublishedPlaylistFactory(team=team, tracks=tracks, categories=[category])
    return {
        "listener": listener,
        "artist": artist,
        "album": album,
        "tracks": tracks,
        "other_playlist": other_playlist,
        "category": category,
    }


def test_spotipy_drives_every_shared_operation(live_server, world):
    token = pkce_token(live_server, world["listener"])
    sp = spotipy.Spotify(auth=token, requests_timeout=120, retries=0, status_retries=0)
    sp.prefix = f"{live_server.url}/api/v1/"
    call = Recorder(sp)
    t1, t2, t3 = (str(t.pk) for t in world["tracks"])
    album, artist = str(world["album"].pk), str(world["artist"].pk)
    other = str(world["other_playlist"].pk)
    me = str(world["listener"].pk)

    relinked = call("/tracks/{id}", "get", 200, lambda sp: sp.track(t1, market="SE"))
    # Given a market, a track and its album say whether they play there, not where they do.
    assert relinked["is_playable"] is True and relinked["album"]["is_playable"] is True
    assert "available_markets" not in relinked and "available_markets" not in relinked["album"]
    listed = call("/tracks", "get", 200, lambda sp: sp.tracks([t1, t2]))
    assert [t["available_markets"] for t in listed["tracks"]] == [["SE", "US"]] * 2
    assert "is_playable" not in listed["tracks"][0]["album"]
    in_no = call("/albums/{id}", "get", 200, lambda sp: sp.album(album, market="NO"))
    assert in_no["is_playable"] is False and "available_markets" not in in_no
    assert [t["is_playable"] for t in in_no["tracks"]["items"]] == [False] * 3
    call("/albums/{id}", "get", 200, lambda sp: sp.album(album))
    call("/albums", "get", 200, lambda sp: sp.albums([album]))
    call("/albums/{id}/tracks", "get", 200, lambda sp: sp.album_tracks(album))
    call("/artists/{id}", "get", 200, lambda sp: sp.artist(artist))
    call("/artists", "get", 200, lambda sp: sp.artists([artist]))
    call("/artists/{id}/albums", "get", 200, lambda sp: sp.artist_albums(artist))
    call("/artists/{id}/top-tracks", "get", 200, lambda sp: sp.artist_top_tracks(artist))
    call("/artists/{id}/related-artists", "get", 200, lambda sp: sp.artist_related_artists(artist))
    found = call("/search", "get", 200, lambda sp: sp.search("Song", type="track,album,artist"))
    assert found and found["tracks"]["total"] == 3
    call("/markets", "get", 200, lambda sp: sp.available_markets())
    call(
        "/recommendations/available-genre-seeds",
        "get",
        200,
        lambda sp: sp.recommendation_genre_seeds(),
    )
    recommended = call(
        "/recommendations",
        "get",
        200,
        lambda sp: sp.recommendations(
            seed_genres=["rock"], min_popularity=15, target_popularity=30
        ),
    )
    assert recommended and [t["id"] for t in recommended["tracks"]] == [t3, t2]

    profile = call("/me", "get", 200, lambda sp: sp.current_user())
    assert profile and profile["id"] == me and profile["email"] == world["listener"].email
    call("/users/{user_id}", "get", 200, lambda sp: sp.user(me))
    created = call(
        "/users/{user_id}/playlists", "post", 201, lambda sp: sp.user_playlist_create(me, "Mine")
    )
    mine = created["id"]
    call("/me/playlists", "get", 200, lambda sp: sp.current_user_playlists())
    call("/users/{user_id}/playlists", "get", 200, lambda sp: sp.user_playlists(me))
    call(
        "/playlists/{playlist_id}/items",
        "post",
        201,
        lambda sp: sp.playlist_add_items(mine, [t1, t2]),
    )
    call(
        "/playlists/{playlist_id}/items",
        "put",
        200,
        lambda sp: sp.playlist_reorder_items(mine, 0, 2),
    )
    call("/playlists/{playlist_id}/items", "get", 200, lambda sp: sp.playlist_items(mine))
    call(
        "/playlists/{playlist_id}/items",
        "put",
        200,
        lambda sp: sp.playlist_replace_items(mine, [t3]),
    )
    call(
        "/playlists/{playlist_id}/items",
        "delete",
        200,
        lambda sp: sp.playlist_remove_all_occurrences_of_items(mine, [t3]),
    )
    call(
        "/playlists/{playlist_id}",
        "put",
        200,
        lambda sp: sp.playlist_change_details(mine, name="Renamed"),
    )
    call("/playlists/{playlist_id}", "get", 200, lambda sp: sp.playlist(mine))
    call(
        "/playlists/{playlist_id}/images",
        "put",
        202,
        lambda sp: sp.playlist_upload_cover_image(mine, jpeg_b64()),
    )
    call("/playlists/{playlist_id}/images", "get", 200, lambda sp: sp.playlist_cover_image(mine))
    call("/me/library", "put", 200, lambda sp: sp.current_user_follow_playlist(other))
    call(
        "/playlists/{playlist_id}/followers",
        "delete",
        200,
        lambda sp: sp.current_user_unfollow_playlist(other),
    )

    call("/me/library", "put", 200, lambda sp: sp.current_user_saved_tracks_add([t1]))
    saved = call("/me/tracks", "get", 200, lambda sp: sp.current_user_saved_tracks(market="SE"))
    assert saved and saved["total"] == 1
    contains = call(
        "/me/library/contains",
        "get",
        200,
        lambda sp: sp.current_user_saved_tracks_contains([t1, t2]),
    )
    assert contains == [True, False]
    call("/me/library", "delete", 200, lambda sp: sp.current_user_saved_tracks_delete([t1]))
    call("/me/library", "put", 200, lambda sp: sp.current_user_saved_albums_add([album]))
    call("/me/albums", "get", 200, lambda sp: sp.current_user_saved_albums())
    call(
        "/me/library/contains",
        "get",
        200,
        lambda sp: sp.current_user_saved_albums_contains([album]),
    )
    call("/me/library", "delete", 200, lambda sp: sp.current_user_saved_albums_delete([album]))
    call("/me/library", "put", 200, lambda sp: sp.user_follow_artists([artist]))
    call("/me/following", "get", 200, lambda sp: sp.current_user_followed_artists())
    call("/me/library/contains", "get", 200, lambda sp: sp.current_user_following_artists([artist]))
    call("/me/library", "delete", 200, lambda sp: sp.user_unfollow_artists([artist]))
    top = call(
        "/me/top/tracks", "get", 200, lambda sp: sp.current_user_top_tracks(time_range="short_term")
    )
    assert top and top["total"] == 3
    call("/me/top/artists", "get", 200, lambda sp: sp.current_user_top_artists())
    call("/me/player/recently-played", "get", 200, lambda sp: sp.current_user_recently_played())

    call("/browse/new-releases", "get", 200, lambda sp: sp.new_releases(country="SE"))
    call("/browse/featured-playlists", "get", 200, lambda sp: sp.featured_playlists())
    call("/browse/categories", "get", 200, lambda sp: sp.categories(country="SE"))
    call("/browse/categories/{category_id}", "get", 200, lambda sp: sp.category("rock"))
    call(
        "/browse/categories/{category_id}/playlists",
        "get",
        200,
        lambda sp: sp.category_playlists("rock", country="SE"),
    )

    assert not call.failures, "\n".join(call.failures)
    assert call.covered <= set(operations())
    assert len(call.covered) >= 40
