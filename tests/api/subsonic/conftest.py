import io
import subprocess
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts import services as account_services
from catalog.models import Playlist
from mediatools import ffmpeg
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


# Real audio, for the transcodeOffset extension

DURATION_S = 20


def _sine(path, *codec_args) -> bytes:
    subprocess.run(
        [
            ffmpeg.ffmpeg_binary(),
            *("-v", "error", "-y", "-f", "lavfi"),
            *("-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION_S}"),
            *("-ac", "2", *codec_args, str(path)),
        ],
        check=True,
    )
    return path.read_bytes()


@pytest.fixture(scope="module")
def encoded(tmp_path_factory) -> dict[str, bytes]:
    """Real renditions of a 20 s sine, made as the transcoder makes them."""
    folder = tmp_path_factory.mktemp("renditions")
    return {
        "opus": _sine(folder / "a.ogg", "-c:a", "libopus", "-b:a", "96k", "-f", "ogg"),
        "aac": _sine(
            folder / "a.m4a", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "ipod"
        ),
        "mp3": _sine(folder / "a.mp3", "-c:a", "libmp3lame", "-b:a", "320k", "-f", "mp3"),
    }


PROFILES = {
    "opus": (Rendition.Profile.OPUS_160, "ogg"),
    "aac": (Rendition.Profile.AAC_256, "mov"),
    "mp3": (Rendition.Profile.MP3_320, "mp3"),
}


@pytest.fixture
def audio_song(world, encoded):
    track = TrackFactory(
        title="Sine", release=world.release, duration_ms=DURATION_S * 1000, markets=["SE"]
    )
    for codec, (profile, _) in PROFILES.items():
        RenditionFactory(track=track, profile=profile, content=encoded[codec])
    return track


def decoded_seconds(data: bytes, demuxer: str, tmp_path) -> float:
    """Decode every byte with ffmpeg (as a player would) and measure what came out."""
    path = tmp_path / f"received.{demuxer}"
    path.write_bytes(data)
    pcm = subprocess.run(
        [
            ffmpeg.ffmpeg_binary(),
            *("-v", "error", "-xerror"),
            *ffmpeg.file_input_args(path, demuxer),
            *("-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "s16le", "pipe:1"),
        ],
        check=True,
        capture_output=True,
    ).stdout
    return len(pcm) / 2 / 8000
