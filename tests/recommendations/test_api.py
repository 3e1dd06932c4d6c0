import pytest

from recommendations import services
from tests.catalog.factories import ArtistFactory, TrackFactory
from tests.recommendations.factories import build_world

pytestmark = pytest.mark.django_db
TRACK_KEYS = {
    "album", "artists", "available_markets", "disc_number", "duration_ms", "explicit",
    "external_ids", "external_urls", "href", "id", "is_local", "name", "popularity",
    "track_number", "type", "uri",
}  # fmt: skip
ARTIST_KEYS = {
    "external_urls", "followers", "genres", "href", "id", "images", "name", "popularity",
    "type", "uri",
}  # fmt: skip


@pytest.fixture
def trained():
    world = build_world()
    services.model_train()
    return world


def cluster_of_track(world) -> dict[int, int]:
    return {
        t.pk: c
        for c, artists in enumerate(world.clusters)
        for a in artists
        for t in world.tracks_of[a.pk]
    }


def test_similar_tracks_are_spotify_track_objects_of_the_same_taste(
    api_client, trained, django_assert_max_num_queries
):
    track = trained.tracks_of[trained.clusters[1][0].pk][0]
    with django_assert_max_num_queries(10):
        response = api_client.get(f"/api/v1/tracks/{track.pk}/similar", {"limit": 10})
    assert response.status_code == 200
    tracks = response.json()["tracks"]
    assert len(tracks) == 10
    assert set(tracks[0]) == TRACK_KEYS
    assert tracks[0]["type"] == "track" and tracks[0]["uri"].startswith("streamify:track:")
    assert tracks[0]["album"]["type"] == "album"
    assert tracks[0]["artists"][0]["type"] == "artist"
    ids = [int(t["id"]) for t in tracks]
    assert track.pk not in ids
    clusters = cluster_of_track(trained)
    assert sum(clusters[i] == 1 for i in ids[:5]) >= 4


def test_similar_tracks_with_market_keep_playable_tracks_only(api_client, trained):
    track = trained.tracks_of[trained.clusters[0][0].pk][0]
    se = api_client.get(f"/api/v1/tracks/{track.pk}/similar", {"market": "SE"}).json()
    assert se["tracks"] and all(t["is_playable"] for t in se["tracks"])
    assert all(set(t) == TRACK_KEYS - {"available_markets"} | {"is_playable"} for t in se["tracks"])
    us = api_client.get(f"/api/v1/tracks/{track.pk}/similar", {"market": "US"}).json()
    assert us == {"tracks": []}


def test_similar_tracks_errors_and_cold_tracks(api_client, trained):
    assert api_client.get("/api/v1/tracks/999999/similar").status_code == 404
    bad = api_client.get("/api/v1/tracks/1/similar", {"limit": 0})
    assert bad.status_code == 400 and bad.json()["error"]["status"] == 400
    assert api_client.get("/api/v1/tracks/x/similar").status_code == 400
    unplayed = TrackFactory()
    response = api_client.get(f"/api/v1/tracks/{unplayed.pk}/similar")
    assert response.json() == {"tracks": []}


def test_similar_tracks_before_any_model(api_client):
    track = TrackFactory()
    assert api_client.get(f"/api/v1/tracks/{track.pk}/similar").json() == {"tracks": []}


def test_related_artists_are_fans_also_like(api_client, trained, django_assert_max_num_queries):
    artist = trained.clusters[2][0]
    with django_assert_max_num_queries(6):
        response = api_client.get(f"/api/v1/artists/{artist.pk}/related-artists")
    assert response.status_code == 200
    artists = response.json()["artists"]
    assert 0 < len(artists) <= 20
    assert set(artists[0]) == ARTIST_KEYS
    ids = [int(a["id"]) for a in artists]
    assert artist.pk not in ids
    same = {a.pk for a in trained.clusters[2]}
    assert set(ids[:4]) == same - {artist.pk}


def test_related_artists_errors(api_client, trained):
    assert api_client.get("/api/v1/artists/999999/related-artists").status_code == 404
    lonely = ArtistFactory()
    response = api_client.get(f"/api/v1/artists/{lonely.pk}/related-artists")
    assert response.json() == {"artists": []}


def test_schema_documents_the_recommendation_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/tracks/{id}/similar" in schema["paths"]
    assert "/api/v1/artists/{id}/related-artists" in schema["paths"]
