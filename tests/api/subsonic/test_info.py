"""Issue 16 item 4: artist/album info, similar and top songs from the taste model, the rest."""

import pytest

from recommendations import selectors as reco_selectors
from recommendations import services as reco_services
from tests.accounts.factories import UserFactory
from tests.api.subsonic import spec
from tests.recommendations.factories import build_world


@pytest.fixture
def trained(db, settings):
    settings.RECOMMENDATIONS_ALS = {"factors": 8, "iterations": 15, "threads": 1, "alpha": 8.0}
    reco_services.scoring._contexts.clear()
    reco_selectors._cache.clear()
    world = build_world()
    reco_services.model_train()
    yield world
    reco_services.scoring._contexts.clear()
    reco_selectors._cache.clear()


@pytest.fixture
def listener_params(db):
    listener = UserFactory(country="SE")
    return spec.auth_params(listener)


def test_similar_songs_and_artists_come_from_the_taste_model(client, trained, listener_params):
    artist = trained.clusters[1][0]
    track = trained.tracks_of[artist.pk][0]
    cluster = {a.pk for a in trained.clusters[1]}
    songs = spec.ok(client, listener_params, "getSimilarSongs2", id=f"ar-{artist.pk}", count=10)
    assert songs["similarSongs2"]["song"]
    similar = spec.ok(client, listener_params, "getSimilarSongs", id=f"tr-{track.pk}", count=10)
    ids = [s["artistId"] for s in similar["similarSongs"]["song"]]
    assert sum(int(i.removeprefix("ar-")) in cluster for i in ids[:5]) >= 4
    info = spec.ok(client, listener_params, "getArtistInfo2", id=f"ar-{artist.pk}", count=4)
    related = [int(a["id"].removeprefix("ar-")) for a in info["artistInfo2"]["similarArtist"]]
    assert related and sum(pk in cluster for pk in related) >= 3
    assert spec.ok(client, listener_params, "getArtistInfo", id=f"ar-{artist.pk}")["artistInfo"]
    top = spec.ok(client, listener_params, "getTopSongs", artist=artist.name, count=3)
    assert len(top["topSongs"]["song"]) == 3
    album = f"al-{track.release_id}"
    assert spec.ok(client, listener_params, "getAlbumInfo2", id=album)["albumInfo"] is not None
    assert spec.ok(client, listener_params, "getAlbumInfo", id=album)["albumInfo"] is not None


def test_radio_scan_and_lyrics(client, trained, listener_params):
    track = trained.tracks_of[trained.clusters[0][0].pk][0]
    radio = spec.ok(client, listener_params, "getInternetRadioStations")
    assert radio["internetRadioStations"] == {"internetRadioStation": []}
    status = spec.ok(client, listener_params, "getScanStatus")["scanStatus"]
    assert status == {"scanning": False, "count": 80}
    lyrics = spec.ok(client, listener_params, "getLyricsBySongId", id=f"tr-{track.pk}")
    assert lyrics["lyricsList"] == {"structuredLyrics": []}
    refused = client.get("/rest/startScan", listener_params).json()["subsonic-response"]
    assert refused["error"]["code"] == 50
