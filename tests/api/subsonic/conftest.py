import io
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts import services as account_services
from catalog.models import Playlist
from playback.models import Rendition
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)
from tests.playback.factories import RenditionFactory


@dataclass
class World:
    listener: object
    secret: str
    artist: object
    release: object
    tracks: list
    unlicensed_release: object
    unlicensed_track: object
    own_playlist: object
    others_public: object
    others_private: object
    other_user: object


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def world(transactional_db) -> World:
    """A Swedish listener with an app password, an album playable in SE and one that is not."""
    listener = UserFactory(country="SE", email="listener@example.com")
    _, secret = account_services.app_password_create(user=listener, name="phone")
    rock = GenreFactory(name="Rock", slug="rock")
    artist = ArtistFactory(name="Aurora Lines")
    release = ReleaseFactory(title="Northern Songs", artists=[artist])
    release.genres.add(rock)
    release.cover.save("northern.png", ContentFile(_png()), save=True)
    tracks = [
        TrackFactory(
            title=f"Song {n}",
            release=release,
            track_number=n,
            duration_ms=200_000,
            markets=["SE", "NO"],
        )
        for n in (1, 2, 3)
    ]
    for track in tracks:
        track.genres.add(rock)
        RenditionFactory(track=track, profile=Rendition.Profile.OPUS_160)
        RenditionFactory(track=track, profile=Rendition.Profile.MP3_320)
    hidden_artist = ArtistFactory(name="Zed Unlicensed")
    unlicensed_release = ReleaseFactory(title="Not Here", artists=[hidden_artist])
    unlicensed_track = TrackFactory(title="Song Hidden", release=unlicensed_release, markets=["US"])
    RenditionFactory(track=unlicensed_track, profile=Rendition.Profile.MP3_320)
    other = UserFactory(country="SE", email="other@example.com")
    own_playlist = PlaylistFactory(owner=listener, name="Mine", tracks=[tracks[0], tracks[1]])
    others_public = PlaylistFactory(owner=other, name="Shared", public=True, tracks=[tracks[2]])
    others_private = PlaylistFactory(owner=other, name="Secret", public=False, tracks=tracks)
    assert others_private.kind == Playlist.Kind.USER
    return World(
        listener=listener,
        secret=secret,
        artist=artist,
        release=release,
        tracks=tracks,
        unlicensed_release=unlicensed_release,
        unlicensed_track=unlicensed_track,
        own_playlist=own_playlist,
        others_public=others_public,
        others_private=others_private,
        other_user=other,
    )
