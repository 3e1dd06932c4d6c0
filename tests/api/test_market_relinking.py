"""With `market`, track and album objects say whether they play there (`is_playable`) and
leave out `available_markets`, as Spotify does when it applies track relinking; without it,
they list their markets and have no `is_playable`: every endpoint that takes Spotify's
`market`. Browse takes Spotify's `country` instead, which only filters."""

import pytest
from django.utils import timezone

from catalog.models import Playlist, PlaylistItem, SavedRelease, SavedTrack
from tests.catalog.factories import ArtistFactory, PlaylistFactory, ReleaseFactory, TrackFactory

API = "/api/v1"


@pytest.fixture
def world(db, listener):
    """Two albums by one artist: `both` has a track in SE and NO and one in NO only;
    `norway` has one track, in NO only. The listener saved everything; a playlist has it."""
    artist = ArtistFactory(name="Relinker")
    both = ReleaseFactory(artists=[artist], title="Zanzibar both")
    norway = ReleaseFactory(artists=[artist], title="Zanzibar norway")
    tracks = {
        "se_no": TrackFactory(release=both, title="Zanzibar one", markets=["SE", "NO"]),
        "no": TrackFactory(release=both, title="Zanzibar two", markets=["NO"]),
        "norway": TrackFactory(release=norway, title="Zanzibar three", markets=["NO"]),
    }
    playlist = PlaylistFactory(kind=Playlist.Kind.USER, tracks=list(tracks.values()))
    now = timezone.now()
    SavedTrack.objects.bulk_create(
        SavedTrack(user=listener, track=track, added_at=now) for track in tracks.values()
    )
    SavedRelease.objects.bulk_create(
        SavedRelease(user=listener, release=release, added_at=now) for release in (both, norway)
    )
    assert PlaylistItem.objects.filter(playlist=playlist).count() == 3
    return {
        "artist": artist,
        "both": both,
        "norway": norway,
        "tracks": tracks,
        "playlist": playlist,
    }


def _paths(world) -> list[str]:
    tracks, artist, playlist = world["tracks"], world["artist"], world["playlist"]
    both, norway = world["both"], world["norway"]
    ids = ",".join(str(t.pk) for t in tracks.values())
    return [
        f"/tracks/{tracks['se_no'].pk}",
        f"/tracks/{tracks['no'].pk}",
        f"/tracks?ids={ids}",
        f"/albums/{both.pk}",
        f"/albums/{norway.pk}",
        f"/albums?ids={both.pk},{norway.pk}",
        f"/albums/{both.pk}/tracks",
        f"/artists/{artist.pk}/albums",
        f"/artists/{artist.pk}/top-tracks",
        f"/playlists/{playlist.pk}",
        f"/playlists/{playlist.pk}/tracks",
        f"/playlists/{playlist.pk}/items",
        "/search?q=zanzibar&type=track,album",
        "/me/tracks",
        "/me/albums",
    ]


def _objects(data, kind: str) -> list[dict]:
    """Every object of `type` `kind` anywhere in a response."""
    found = []
    if isinstance(data, dict):
        if data.get("type") == kind:
            found.append(data)
        for value in data.values():
            found += _objects(value, kind)
    elif isinstance(data, list):
        for value in data:
            found += _objects(value, kind)
    return found


def _get(client, path: str, market: str | None) -> dict:
    if market:
        path += ("&" if "?" in path else "?") + f"market={market}"
    response = client.get(API + path)
    assert response.status_code == 200, (path, response.content[:300])
    return response.json()


@pytest.mark.parametrize("market", ["SE", "NO", "from_token"])
def test_with_market_objects_are_playable_or_not_without_markets(listener_client, world, market):
    expected = {
        "SE": {"se_no": True, "no": False, "norway": False, "both": True, "album_norway": False},
        "NO": dict.fromkeys(["se_no", "no", "norway", "both", "album_norway"], True),
    }["NO" if market == "NO" else "SE"]  # from_token: the listener's country, SE
    track_names = {str(t.pk): name for name, t in world["tracks"].items()}
    album_names = {str(world["both"].pk): "both", str(world["norway"].pk): "album_norway"}
    seen = {"track": 0, "album": 0}
    for path in _paths(world):
        data = _get(listener_client, path, market)
        for kind, names in (("track", track_names), ("album", album_names)):
            for obj in _objects(data, kind):
                assert "available_markets" not in obj, (path, kind)
                assert obj["is_playable"] is expected[names[obj["id"]]], (path, kind, obj["id"])
                seen[kind] += 1
        if market == "SE" and path.startswith(("/search", "/artists")):
            # lists filtered by the market leave out what does not play there
            assert str(world["norway"].pk) not in {a["id"] for a in _objects(data, "album")}
    assert seen["track"] > 20 and seen["album"] > 20


def test_without_market_objects_list_their_markets(listener_client, world):
    tracks = world["tracks"]
    markets = {str(tracks["se_no"].pk): ["NO", "SE"]}
    markets |= {str(tracks["no"].pk): ["NO"], str(tracks["norway"].pk): ["NO"]}
    markets |= {str(world["both"].pk): ["NO", "SE"], str(world["norway"].pk): ["NO"]}
    seen = 0
    for path in _paths(world):
        data = _get(listener_client, path, None)
        for obj in _objects(data, "track") + _objects(data, "album"):
            assert "is_playable" not in obj and "restrictions" not in obj, path
            assert obj["available_markets"] == markets[obj["id"]], (path, obj["type"], obj["id"])
            seen += 1
    assert seen > 40


def test_from_token_without_a_country_lists_markets(listener_client, listener, world):
    listener.country = ""
    listener.save()
    track = _get(listener_client, f"/tracks/{world['tracks']['no'].pk}", "from_token")
    assert track["available_markets"] == ["NO"] and "is_playable" not in track
    assert track["album"]["available_markets"] == ["NO", "SE"]


@pytest.mark.parametrize("path", ["/browse/new-releases", "/browse/albums"])
def test_browse_country_filters_and_albums_list_their_markets(api_client, world, path):
    """Browse takes Spotify's `country` (`market` an alias), a filter without relinking."""
    for query in ("?country=SE", "?market=SE"):
        albums = _objects(_get(api_client, path + query, None), "album")
        assert [a["id"] for a in albums] == [str(world["both"].pk)]
        assert albums[0]["available_markets"] == ["NO", "SE"]
        assert "is_playable" not in albums[0]
