"""The listener's library API: /me, saved tracks, follows, playlists, browse shelves."""

import datetime

import pytest
from rest_framework.test import APIClient

from catalog import library, library_selectors
from catalog.models import FollowedArtist, FollowedPlaylist, Playlist, PlaylistItem, SavedTrack
from common.errors import PermissionDenied, ValidationFailed
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)

API = "/api/v1"


@pytest.fixture
def other(db):
    return UserFactory(country="US")


@pytest.fixture
def other_client(other):
    client = APIClient()
    client.force_authenticate(other)
    return client


def uri(track):
    return f"streamify:track:{track.pk}"


def item_ids(playlist):
    return list(
        PlaylistItem.objects.filter(playlist=playlist)
        .order_by("position")
        .values_list("track_id", flat=True)
    )


def assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["status"] == status
    assert body["error"]["message"]


# Profile


def test_me_returns_the_private_profile(listener_client, listener):
    body = listener_client.get(f"{API}/me").json()
    assert body["id"] == str(listener.pk)
    assert body["email"] == listener.email
    assert body["country"] == "SE"
    assert body["product"] == "free"
    assert body["type"] == "user"
    assert body["language"] == "en"
    assert body["uri"] == f"streamify:user:{listener.pk}"


def test_me_needs_login(api_client):
    assert_error(api_client.get(f"{API}/me"), 401)
    assert_error(api_client.get(f"{API}/me/tracks"), 401)


def test_patch_me_changes_country_language_and_name(listener_client, listener):
    response = listener_client.patch(
        f"{API}/me", {"country": "es", "language": "sv", "display_name": " Ana "}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["country"] == "ES"
    listener.refresh_from_db()
    assert (str(listener.country), listener.language, listener.display_name) == ("ES", "sv", "Ana")


@pytest.mark.parametrize("payload", [{"country": "XX"}, {"language": "de"}, {"country": "SWE"}])
def test_patch_me_rejects_unknown_values(listener_client, payload):
    assert_error(listener_client.patch(f"{API}/me", payload, format="json"), 400)


# Saved tracks


def test_save_list_check_and_remove_tracks(listener_client, listener):
    playable = TrackFactory(markets=["SE"])
    elsewhere = TrackFactory(markets=["US"])
    response = listener_client.put(f"{API}/me/tracks?ids={playable.pk},{elsewhere.pk}")
    assert response.status_code == 200
    # Saving again is harmless.
    assert (
        listener_client.put(
            f"{API}/me/tracks", {"ids": [str(playable.pk)]}, format="json"
        ).status_code
        == 200
    )
    assert SavedTrack.objects.filter(user=listener).count() == 2

    page = listener_client.get(f"{API}/me/tracks?market=from_token").json()
    assert page["total"] == 2
    by_id = {item["track"]["id"]: item for item in page["items"]}
    assert by_id[str(playable.pk)]["track"]["is_playable"] is True
    assert by_id[str(elsewhere.pk)]["track"]["is_playable"] is False
    assert by_id[str(elsewhere.pk)]["track"]["restrictions"] == {"reason": "market"}
    assert all(item["added_at"] for item in page["items"])

    other = TrackFactory()
    flags = listener_client.get(f"{API}/me/tracks/contains?ids={playable.pk},{other.pk}").json()
    assert flags == [True, False]

    assert listener_client.delete(f"{API}/me/tracks?ids={playable.pk}").status_code == 200
    assert listener_client.get(f"{API}/me/tracks/contains?ids={playable.pk}").json() == [False]


def test_save_rejects_unknown_and_malformed_ids(listener_client):
    assert_error(listener_client.put(f"{API}/me/tracks?ids=999999"), 404)
    assert_error(listener_client.put(f"{API}/me/tracks?ids=abc"), 400)
    assert_error(listener_client.put(f"{API}/me/tracks"), 400)
    too_many = ",".join(str(i) for i in range(1, 52))
    assert_error(listener_client.get(f"{API}/me/tracks/contains?ids={too_many}"), 400)


def test_one_listeners_library_is_not_anothers(listener_client, other_client, listener):
    track = TrackFactory(markets=["SE"])
    listener_client.put(f"{API}/me/tracks?ids={track.pk}")
    assert other_client.get(f"{API}/me/tracks").json()["total"] == 0
    assert other_client.get(f"{API}/me/tracks/contains?ids={track.pk}").json() == [False]
    # Removing from one's own library never touches another's.
    other_client.delete(f"{API}/me/tracks?ids={track.pk}")
    assert SavedTrack.objects.filter(user=listener, track=track).exists()


def test_saved_tracks_page_costs_fixed_queries(
    listener_client, listener, django_assert_max_num_queries
):
    for _ in range(12):
        SavedTrack.objects.create(user=listener, track=TrackFactory(markets=["SE", "US"]))
    with django_assert_max_num_queries(8):
        page = listener_client.get(f"{API}/me/tracks?market=SE&limit=50").json()
    assert len(page["items"]) == 12


# Followed artists


def test_follow_list_check_and_unfollow_artists(listener_client):
    artists = [ArtistFactory() for _ in range(3)]
    ids = ",".join(str(a.pk) for a in artists)
    assert listener_client.put(f"{API}/me/following?type=artist&ids={ids}").status_code == 204
    body = listener_client.get(f"{API}/me/following?type=artist&limit=2").json()["artists"]
    assert body["total"] == 3
    assert [a["id"] for a in body["items"]] == [str(artists[0].pk), str(artists[1].pk)]
    assert body["cursors"]["after"] == str(artists[1].pk)
    rest = listener_client.get(body["next"]).json()["artists"]
    assert [a["id"] for a in rest["items"]] == [str(artists[2].pk)]
    assert rest["next"] is None

    flags = listener_client.get(
        f"{API}/me/following/contains?type=artist&ids={artists[0].pk},{ArtistFactory().pk}"
    ).json()
    assert flags == [True, False]
    listener_client.delete(f"{API}/me/following?type=artist&ids={artists[0].pk}")
    assert listener_client.get(f"{API}/me/following?type=artist").json()["artists"]["total"] == 2


def test_following_needs_type_artist(listener_client):
    artist = ArtistFactory()
    assert_error(listener_client.put(f"{API}/me/following?type=user&ids={artist.pk}"), 400)
    assert_error(listener_client.get(f"{API}/me/following"), 400)


def test_followed_artists_page_costs_fixed_queries(
    listener_client, listener, django_assert_max_num_queries
):
    for _ in range(10):
        FollowedArtist.objects.create(user=listener, artist=ArtistFactory())
    with django_assert_max_num_queries(4):
        body = listener_client.get(f"{API}/me/following?type=artist&limit=50").json()
    assert len(body["artists"]["items"]) == 10


# Playlists


def test_create_playlist_and_list_own_and_followed(listener_client, listener, other):
    response = listener_client.post(
        f"{API}/me/playlists",
        {"name": "Road trip", "description": "Loud", "public": False},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Road trip"
    assert created["public"] is False
    assert created["owner"]["id"] == str(listener.pk)
    assert created["tracks"]["total"] == 0

    followed = PlaylistFactory(owner=other, public=True)
    FollowedPlaylist.objects.create(user=listener, playlist=followed)
    PlaylistFactory(owner=other, public=True)  # neither owned nor followed
    names = [p["name"] for p in listener_client.get(f"{API}/me/playlists").json()["items"]]
    assert sorted(names) == sorted(["Road trip", followed.name])


def test_create_playlist_needs_a_name(listener_client):
    assert_error(listener_client.post(f"{API}/me/playlists", {"name": "  "}, format="json"), 400)
    assert_error(listener_client.post(f"{API}/me/playlists", {}, format="json"), 400)


def test_my_playlists_page_costs_fixed_queries(
    listener_client, listener, django_assert_max_num_queries
):
    for _ in range(8):
        PlaylistFactory(owner=listener, tracks=[TrackFactory()])
    with django_assert_max_num_queries(3):
        page = listener_client.get(f"{API}/me/playlists?limit=50").json()
    assert page["total"] == 8
    assert all(p["tracks"]["total"] == 1 for p in page["items"])


def test_owner_changes_playlist_details(listener_client, listener):
    playlist = PlaylistFactory(owner=listener)
    response = listener_client.put(
        f"{API}/playlists/{playlist.pk}",
        {"name": "Renamed", "description": "New words", "public": False},
        format="json",
    )
    assert response.status_code == 200
    playlist.refresh_from_db()
    assert (playlist.name, playlist.description, playlist.public) == ("Renamed", "New words", False)
    # GET on the same path is still the read API's playlist object.
    assert listener_client.get(f"{API}/playlists/{playlist.pk}").json()["name"] == "Renamed"


def test_another_listener_cannot_edit_or_see_a_private_playlist(
    listener_client, other_client, listener
):
    private = PlaylistFactory(owner=listener, public=False, tracks=[TrackFactory()])
    public = PlaylistFactory(owner=listener, public=True, tracks=[TrackFactory()])
    track = TrackFactory()

    assert_error(other_client.get(f"{API}/playlists/{private.pk}"), 404)
    assert_error(other_client.get(f"{API}/playlists/{private.pk}/tracks"), 404)
    assert_error(
        other_client.put(f"{API}/playlists/{private.pk}", {"name": "x"}, format="json"), 404
    )
    assert_error(
        other_client.post(
            f"{API}/playlists/{private.pk}/tracks", {"uris": [uri(track)]}, format="json"
        ),
        404,
    )
    assert_error(other_client.put(f"{API}/playlists/{private.pk}/followers"), 404)

    assert other_client.get(f"{API}/playlists/{public.pk}").status_code == 200
    assert_error(
        other_client.put(f"{API}/playlists/{public.pk}", {"name": "x"}, format="json"), 403
    )
    assert_error(
        other_client.post(
            f"{API}/playlists/{public.pk}/tracks", {"uris": [uri(track)]}, format="json"
        ),
        403,
    )
    assert_error(
        other_client.put(
            f"{API}/playlists/{public.pk}/tracks",
            {"range_start": 0, "insert_before": 1},
            format="json",
        ),
        403,
    )
    assert_error(
        other_client.delete(f"{API}/playlists/{public.pk}/tracks", {"ids": ["1"]}, format="json"),
        403,
    )
    public.refresh_from_db()
    assert public.name != "x"
    assert len(item_ids(public)) == 1


def test_anonymous_cannot_write_playlists(api_client, listener):
    playlist = PlaylistFactory(owner=listener)
    assert api_client.get(f"{API}/playlists/{playlist.pk}").status_code == 200
    assert_error(
        api_client.put(f"{API}/playlists/{playlist.pk}", {"name": "x"}, format="json"), 401
    )
    assert_error(
        api_client.post(f"{API}/playlists/{playlist.pk}/tracks", {"ids": ["1"]}, format="json"), 401
    )


def test_add_items_appends_or_inserts_and_bumps_snapshot(listener_client, listener):
    a, b, c, d = (TrackFactory() for _ in range(4))
    playlist = PlaylistFactory(owner=listener, tracks=[a, b])
    response = listener_client.post(
        f"{API}/playlists/{playlist.pk}/tracks", {"uris": [uri(c)]}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {"snapshot_id": "2"}
    response = listener_client.post(
        f"{API}/playlists/{playlist.pk}/tracks", {"ids": [str(d.pk)], "position": 1}, format="json"
    )
    assert response.json() == {"snapshot_id": "3"}
    assert item_ids(playlist) == [a.pk, d.pk, b.pk, c.pk]
    items = listener_client.get(f"{API}/playlists/{playlist.pk}/tracks").json()["items"]
    assert [item["track"]["id"] for item in items] == [str(t.pk) for t in (a, d, b, c)]
    assert items[1]["added_by"]["id"] == str(listener.pk)


@pytest.mark.parametrize(
    "payload",
    [{"uris": ["spotify:album:1"]}, {"uris": []}, {"ids": ["x"]}, {"ids": ["1"], "position": 9}],
)
def test_add_items_rejects_bad_input(listener_client, listener, payload):
    track = TrackFactory()
    playlist = PlaylistFactory(owner=listener, tracks=[track])
    payload = {k: [str(track.pk)] if v == ["1"] else v for k, v in payload.items()}
    assert_error(
        listener_client.post(f"{API}/playlists/{playlist.pk}/tracks", payload, format="json"), 400
    )


def test_add_unknown_track_is_404(listener_client, listener):
    playlist = PlaylistFactory(owner=listener)
    assert_error(
        listener_client.post(
            f"{API}/playlists/{playlist.pk}/tracks", {"ids": ["987654"]}, format="json"
        ),
        404,
    )


def test_remove_items_by_uri_or_position(listener_client, listener):
    a, b = TrackFactory(), TrackFactory()
    playlist = PlaylistFactory(owner=listener, tracks=[a, b, a, b])
    response = listener_client.delete(
        f"{API}/playlists/{playlist.pk}/tracks",
        {"tracks": [{"uri": uri(b), "positions": [3]}]},
        format="json",
    )
    assert response.json() == {"snapshot_id": "2"}
    assert item_ids(playlist) == [a.pk, b.pk, a.pk]
    listener_client.delete(
        f"{API}/playlists/{playlist.pk}/tracks", {"tracks": [{"uri": uri(a)}]}, format="json"
    )
    assert item_ids(playlist) == [b.pk]
    positions = PlaylistItem.objects.filter(playlist=playlist).values_list("position", flat=True)
    assert list(positions) == [0]


def test_remove_with_wrong_position_or_stale_snapshot_fails(listener_client, listener):
    a, b = TrackFactory(), TrackFactory()
    playlist = PlaylistFactory(owner=listener, tracks=[a, b])
    assert_error(
        listener_client.delete(
            f"{API}/playlists/{playlist.pk}/tracks",
            {"tracks": [{"uri": uri(a), "positions": [1]}]},
            format="json",
        ),
        400,
    )
    assert_error(
        listener_client.delete(
            f"{API}/playlists/{playlist.pk}/tracks",
            {"tracks": [{"uri": uri(a)}], "snapshot_id": "7"},
            format="json",
        ),
        409,
    )
    assert item_ids(playlist) == [a.pk, b.pk]


@pytest.mark.parametrize(
    ("range_start", "insert_before", "range_length", "expected"),
    [
        (0, 3, 1, "BCADE"),
        (4, 0, 1, "EABCD"),
        (3, 0, 2, "DEABC"),
        (0, 5, 2, "CDEAB"),
        (1, 4, 2, "ADBCE"),
        (2, 2, 1, "ABCDE"),
        (2, 3, 1, "ABCDE"),
    ],
)
def test_reorder_follows_spotify_semantics(
    listener_client, listener, range_start, insert_before, range_length, expected
):
    tracks = {letter: TrackFactory(title=letter) for letter in "ABCDE"}
    playlist = PlaylistFactory(owner=listener, tracks=list(tracks.values()))
    response = listener_client.put(
        f"{API}/playlists/{playlist.pk}/tracks",
        {
            "range_start": range_start,
            "insert_before": insert_before,
            "range_length": range_length,
            "snapshot_id": "1",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    names = {t.pk: letter for letter, t in tracks.items()}
    assert "".join(names[pk] for pk in item_ids(playlist)) == expected
    moved = expected != "ABCDE"
    assert response.json()["snapshot_id"] == ("2" if moved else "1")


@pytest.mark.parametrize(
    "payload",
    [
        {"range_start": 5, "insert_before": 0},
        {"range_start": 0, "insert_before": 6},
        {"range_start": 4, "insert_before": 0, "range_length": 2},
        {"range_start": 0, "insert_before": 2, "range_length": 0},
        {"insert_before": 2},
    ],
)
def test_reorder_rejects_out_of_range(listener_client, listener, payload):
    playlist = PlaylistFactory(owner=listener, tracks=[TrackFactory() for _ in range(5)])
    assert_error(
        listener_client.put(f"{API}/playlists/{playlist.pk}/tracks", payload, format="json"), 400
    )


def test_reorder_with_stale_snapshot_is_a_conflict(listener_client, listener):
    playlist = PlaylistFactory(owner=listener, tracks=[TrackFactory(), TrackFactory()])
    listener_client.post(
        f"{API}/playlists/{playlist.pk}/tracks", {"ids": [str(TrackFactory().pk)]}, format="json"
    )
    assert_error(
        listener_client.put(
            f"{API}/playlists/{playlist.pk}/tracks",
            {"range_start": 0, "insert_before": 2, "snapshot_id": "1"},
            format="json",
        ),
        409,
    )


def test_follow_and_unfollow_a_public_playlist(listener_client, listener, other):
    playlist = PlaylistFactory(owner=other, public=True)
    assert listener_client.put(f"{API}/playlists/{playlist.pk}/followers").status_code == 200
    assert listener_client.get(f"{API}/playlists/{playlist.pk}/followers/contains").json() == [True]
    assert [p["id"] for p in listener_client.get(f"{API}/me/playlists").json()["items"]] == [
        str(playlist.pk)
    ]
    assert listener_client.delete(f"{API}/playlists/{playlist.pk}/followers").status_code == 200
    assert listener_client.get(f"{API}/playlists/{playlist.pk}/followers/contains").json() == [
        False
    ]
    assert listener_client.get(f"{API}/me/playlists").json()["total"] == 0


def test_a_followed_playlist_made_private_leaves_the_list(listener_client, listener, other):
    playlist = PlaylistFactory(owner=other, public=True)
    FollowedPlaylist.objects.create(user=listener, playlist=playlist)
    Playlist.objects.filter(pk=playlist.pk).update(public=False)
    assert listener_client.get(f"{API}/me/playlists").json()["total"] == 0


# Shelves read by the browse API (editorial)


def test_personalised_playlists_are_the_users_own(listener, other):
    mine = [
        PlaylistFactory(owner=listener, kind=Playlist.Kind.PERSONALISED, name=name, public=False)
        for name in ("Discover Weekly", "Release Radar")
    ]
    PlaylistFactory(owner=other, kind=Playlist.Kind.PERSONALISED, name="Discover Weekly")
    PlaylistFactory(owner=listener, kind=Playlist.Kind.USER)
    assert list(library_selectors.personalised_playlists(user=listener)) == mine


def test_new_releases_newest_first_and_by_market(db, django_assert_max_num_queries):
    old = ReleaseFactory(release_date=datetime.date(2020, 1, 1))
    new = ReleaseFactory(release_date=datetime.date(2024, 1, 1))
    future = ReleaseFactory(release_date=datetime.date(2999, 1, 1))
    for release, markets in ((old, ["SE"]), (new, ["US"]), (future, ["SE"])):
        TrackFactory(release=release, markets=markets)
    assert list(library_selectors.new_releases()) == [new, old]
    with django_assert_max_num_queries(2):
        releases = list(library_selectors.new_releases(market="SE"))
        assert [r.artist_credits[0].artist.name for r in releases]
    assert releases == [old]


# Services, from the inside


def test_services_check_the_owner(listener, other):
    playlist = PlaylistFactory(owner=listener, public=True, tracks=[TrackFactory()])
    with pytest.raises(PermissionDenied):
        library.playlist_items_reorder(
            user=other, playlist_id=playlist.pk, range_start=0, insert_before=1
        )
    with pytest.raises(ValidationFailed):
        library.user_playlist_create(owner=listener, name="x" * 201)


def test_playlist_create_follows_it(listener):
    playlist = library.user_playlist_create(owner=listener, name="Mine")
    assert FollowedPlaylist.objects.filter(user=listener, playlist=playlist).exists()
    assert playlist.kind == Playlist.Kind.USER
