"""Operations added for Spotify Web API parity: saved albums, the generic library, top items,
markets, users, playlist items/images, recommendations and uri round-trips."""

import base64
import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from catalog.models import Playlist, SavedRelease
from playback.models import TrackAudio
from tests.api.conftest import assert_error, bearer_client
from tests.artists.factories import play
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)

API = "/api/v1"
pytestmark = pytest.mark.django_db


def jpeg(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="JPEG")
    return out.getvalue()


def test_saved_albums_round_trip(listener_client, django_assert_max_num_queries):
    albums = [ReleaseFactory() for _ in range(3)]
    for album in albums:
        TrackFactory(release=album, markets=["SE"])
    ids = ",".join(str(a.pk) for a in albums)
    assert listener_client.put(f"{API}/me/albums?ids={ids}").status_code == 200
    assert (
        listener_client.put(
            f"{API}/me/albums", {"ids": [str(albums[0].pk)]}, format="json"
        ).status_code
        == 200
    )
    with django_assert_max_num_queries(12):
        page = listener_client.get(f"{API}/me/albums?limit=2&market=SE").json()
    assert page["total"] == 3 and len(page["items"]) == 2
    album = page["items"][0]["album"]
    assert {"album_type", "tracks", "copyrights", "label", "popularity"} <= set(album)
    assert album["tracks"]["items"][0]["is_playable"] is True
    contains = listener_client.get(f"{API}/me/albums/contains?ids={albums[0].pk},999999")
    assert contains.json() == [True, False]
    assert listener_client.delete(f"{API}/me/albums?ids={albums[0].pk}").status_code == 200
    assert SavedRelease.objects.count() == 2
    assert_error(listener_client.put(f"{API}/me/albums?ids=999999"), 404)
    too_many = ",".join(str(i) for i in range(1, 22))
    assert_error(listener_client.put(f"{API}/me/albums?ids={too_many}"), 400)


def test_library_by_uris_saves_follows_and_checks(listener, listener_client):
    track, album, artist = TrackFactory(), ReleaseFactory(), ArtistFactory()
    playlist = PlaylistFactory()
    uris = [
        f"streamify:track:{track.pk}",
        f"streamify:album:{album.pk}",
        f"streamify:artist:{artist.pk}",
        f"streamify:playlist:{playlist.pk}",
    ]
    joined = ",".join(uris)
    assert listener_client.put(f"{API}/me/library?uris={joined}").status_code == 200
    contains = listener_client.get(f"{API}/me/library/contains?uris={joined}")
    assert contains.json() == [True, True, True, True]
    assert listener_client.delete(f"{API}/me/library?uris={uris[0]},{uris[2]}").status_code == 200
    assert listener_client.get(f"{API}/me/library/contains?uris={joined}").json() == [
        False,
        True,
        False,
        True,
    ]
    assert_error(listener_client.put(f"{API}/me/library?uris=spotify:show:1"), 400)
    assert_error(listener_client.put(f"{API}/me/library?uris=streamify:track:x"), 400)
    assert_error(listener_client.put(f"{API}/me/library"), 400)
    # A token needs the scope of each kind it touches.
    follower = bearer_client(listener, "user-follow-modify")
    assert_error(follower.put(f"{API}/me/library?uris={uris[0]}"), 403)
    assert follower.put(f"{API}/me/library?uris={uris[2]}").status_code == 200


def test_top_tracks_and_artists_by_time_range(listener, django_assert_max_num_queries):
    client = bearer_client(listener, "user-top-read")
    loved, liked, old = TrackFactory(), TrackFactory(), TrackFactory()
    today = timezone.now().date()
    for _ in range(3):
        play(user=listener, track=loved, day=today - datetime.timedelta(days=1))
    play(user=listener, track=liked, day=today - datetime.timedelta(days=2))
    play(user=listener, track=liked, day=today, ms_played=5_000)  # a skip, not a stream
    play(user=listener, track=old, day=today - datetime.timedelta(days=100))
    with django_assert_max_num_queries(8):
        short = client.get(f"{API}/me/top/tracks?time_range=short_term").json()
    assert [t["id"] for t in short["items"]] == [str(loved.pk), str(liked.pk)]
    assert short["total"] == 2
    medium = client.get(f"{API}/me/top/tracks").json()
    assert medium["total"] == 3
    artists = client.get(f"{API}/me/top/artists?time_range=short_term&limit=1").json()
    assert artists["items"][0]["id"] == str(loved.artists.first().pk)
    assert artists["next"] is not None
    assert_error(client.get(f"{API}/me/top/tracks?time_range=forever"), 400)
    assert_error(client.get(f"{API}/me/top/albums"), 404)
    assert_error(bearer_client(listener, "user-library-read").get(f"{API}/me/top/tracks"), 403)


def test_markets_lists_where_something_plays(api_client):
    TrackFactory(markets=["SE", "NO"])
    TrackFactory(markets=["SE"])
    assert api_client.get(f"{API}/markets").json() == {"markets": ["NO", "SE"]}


def test_users_profile_and_playlists(api_client, listener, listener_client):
    public = PlaylistFactory(owner=listener, public=True)
    private = PlaylistFactory(owner=listener, public=False)
    profile = api_client.get(f"{API}/users/{listener.pk}").json()
    assert profile["id"] == str(listener.pk)
    assert profile["uri"] == f"streamify:user:{listener.pk}"
    assert profile["href"].endswith(f"/api/v1/users/{listener.pk}")
    assert "email" not in profile and "country" not in profile
    seen = [p["id"] for p in api_client.get(f"{API}/users/{listener.pk}/playlists").json()["items"]]
    assert seen == [str(public.pk)]
    own = listener_client.get(f"{API}/users/{listener.pk}/playlists").json()
    assert {p["id"] for p in own["items"]} == {str(public.pk), str(private.pk)}
    assert_error(api_client.get(f"{API}/users/999999"), 404)


def test_me_fields_follow_the_token_scopes(listener):
    bare = bearer_client(listener, "user-library-read").get(f"{API}/me").json()
    assert "email" not in bare and "country" not in bare
    assert {"href", "images", "followers", "external_urls"} <= set(bare)
    full = bearer_client(listener, "user-read-email user-read-private").get(f"{API}/me").json()
    assert full["email"] == listener.email and full["country"] == "SE"


def test_playlist_items_path_is_the_tracks_path(listener, listener_client):
    track = TrackFactory()
    playlist = PlaylistFactory(owner=listener)
    response = listener_client.post(
        f"{API}/playlists/{playlist.pk}/items",
        {"uris": [f"streamify:track:{track.pk}"]},
        format="json",
    )
    assert response.status_code == 201
    items = listener_client.get(f"{API}/playlists/{playlist.pk}/items").json()
    assert items == listener_client.get(f"{API}/playlists/{playlist.pk}/tracks").json() | {
        "href": items["href"]
    }
    assert items["items"][0]["track"]["uri"] == f"streamify:track:{track.pk}"


def test_editorial_items_show_the_curating_account(listener):
    editor = listener
    curator = PlaylistFactory(kind=Playlist.Kind.EDITORIAL, public=True)
    track = TrackFactory()
    curator.items.create(track=track, position=0, added_by=editor)
    body = APIClient().get(f"{API}/playlists/{curator.pk}/tracks").json()
    assert body["items"][0]["added_by"]["id"] == str(curator.owner_id)


def test_playlist_cover_upload_and_read(listener, listener_client):
    playlist = PlaylistFactory(owner=listener)
    body = base64.b64encode(jpeg())
    url = f"{API}/playlists/{playlist.pk}/images"
    response = listener_client.put(url, body, content_type="image/jpeg")
    assert response.status_code == 202, response.content
    images = listener_client.get(url).json()
    assert len(images) == 1 and images[0]["url"].endswith(".jpg")
    assert_error(listener_client.put(url, b"not base64!", content_type="image/jpeg"), 400)
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    assert_error(
        listener_client.put(url, base64.b64encode(png.getvalue()), content_type="image/jpeg"), 400
    )
    big = base64.b64encode(b"\xff" * (300 * 1024))
    assert_error(listener_client.put(url, big, content_type="image/jpeg"), 413)
    assert_error(listener_client.put(url, body, content_type="image/png"), 415)
    no_ugc = bearer_client(listener, "playlist-modify-public")
    assert_error(no_ugc.put(url, body, content_type="image/jpeg"), 403)
    both = bearer_client(listener, "playlist-modify-public ugc-image-upload")
    assert both.put(url, body, content_type="image/jpeg").status_code == 202


def test_recommendations_by_genre_with_ranges(api_client, django_assert_max_num_queries):
    rock = GenreFactory(slug="rock", name="Rock")
    short, long_, quiet = (
        TrackFactory(duration_ms=120_000, popularity=50, markets=["SE"]),
        TrackFactory(duration_ms=400_000, popularity=90, markets=["SE"]),
        TrackFactory(duration_ms=200_000, popularity=70, markets=["SE"]),
    )
    for track in (short, long_, quiet):
        track.genres.add(rock)
    TrackAudio.objects.create(track=quiet, source_sha256="x" * 64, loudness_lufs=-30.0)
    TrackAudio.objects.create(track=long_, source_sha256="y" * 64, loudness_lufs=-9.0)
    assert api_client.get(f"{API}/recommendations/available-genre-seeds").json() == {
        "genres": ["rock"]
    }
    with django_assert_max_num_queries(14):
        body = api_client.get(f"{API}/recommendations?seed_genres=rock&market=SE").json()
    assert {t["id"] for t in body["tracks"]} == {str(short.pk), str(long_.pk), str(quiet.pk)}
    assert body["seeds"] == [
        {
            "afterFilteringSize": 3,
            "afterRelinkingSize": 3,
            "href": None,
            "id": "rock",
            "initialPoolSize": 3,
            "type": "GENRE",
        }
    ]
    ranged = api_client.get(
        f"{API}/recommendations?seed_genres=rock&max_duration_ms=300000&min_popularity=60"
    ).json()
    assert [t["id"] for t in ranged["tracks"]] == [str(quiet.pk)]
    loud = api_client.get(f"{API}/recommendations?seed_genres=rock&min_loudness=-12").json()
    assert [t["id"] for t in loud["tracks"]] == [str(long_.pk)]
    target = api_client.get(f"{API}/recommendations?seed_genres=rock&target_popularity=48").json()
    assert target["tracks"][0]["id"] == str(short.pk)


def test_recommendations_by_artist_and_track_uris(api_client):
    artist = ArtistFactory()
    mine = [TrackFactory(artists=[artist], popularity=p) for p in (10, 20)]
    body = api_client.get(
        f"{API}/recommendations?seed_artists=streamify:artist:{artist.pk}&seed_tracks={mine[0].pk}"
    ).json()
    assert [t["id"] for t in body["tracks"]] == [str(mine[1].pk)]
    assert body["seeds"][0]["type"] == "TRACK" and body["seeds"][1]["type"] == "ARTIST"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "seed_genres=a,b,c,d,e,f",
        "seed_genres=nope",
        "seed_tracks=999999",
        "seed_artists=18446744073709551616",
        "seed_genres=rock&target_energy=0.5",
        "seed_genres=rock&min_popularity=lots",
        "seed_genres=rock&min_popularity=nan",
        "seed_genres=rock&limit=101",
    ],
)
def test_recommendations_refuse_bad_input(api_client, query):
    GenreFactory(slug="rock", name="Rock").tracks.add(TrackFactory())
    assert_error(api_client.get(f"{API}/recommendations?{query}"), 400)


def test_every_uri_handed_out_is_accepted_back(listener, listener_client):
    """The uri scheme `streamify:<type>:<id>` round-trips into the endpoints taking uris."""
    track = TrackFactory(markets=["SE"])
    artist = track.artists.first()
    playlist = PlaylistFactory(owner=listener)
    track_uri = listener_client.get(f"{API}/tracks/{track.pk}").json()["uri"]
    album_uri = listener_client.get(f"{API}/albums/{track.release_id}").json()["uri"]
    artist_uri = listener_client.get(f"{API}/artists/{artist.pk}").json()["uri"]
    playlist_uri = listener_client.get(f"{API}/playlists/{playlist.pk}").json()["uri"]
    added = listener_client.post(
        f"{API}/playlists/{playlist.pk}/tracks", {"uris": [track_uri]}, format="json"
    )
    assert added.status_code == 201
    removed = listener_client.delete(
        f"{API}/playlists/{playlist.pk}/tracks", {"tracks": [{"uri": track_uri}]}, format="json"
    )
    assert removed.status_code == 200
    uris = ",".join([track_uri, album_uri, artist_uri, playlist_uri])
    assert listener_client.put(f"{API}/me/library?uris={uris}").status_code == 200
    assert listener_client.get(f"{API}/me/library/contains?uris={uris}").json() == [True] * 4
    recommended = listener_client.get(f"{API}/recommendations?seed_tracks={track_uri}")
    assert recommended.status_code == 200
