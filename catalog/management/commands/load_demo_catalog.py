"""Build a demo catalogue of real music, labels, genres, listeners and playlists.

The music is Debian's `singularity-music` (Maxstack, CC BY-SA 3.0), fetched once with
`apt-get download` into settings.DEMO_AUDIO_CACHE; without apt or network, short tracks
are synthesised with ffmpeg instead. Every step is idempotent: a second run changes nothing.
"""

import datetime
import io
import random
import shutil
import subprocess
import tarfile
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_countries import countries
from mutagen.oggvorbis import OggVorbis

from accounts import roles
from accounts.services import user_create
from catalog.management.commands.import_audio import write_summary
from catalog.models import Genre, Label, Playlist, Release, Track
from catalog.services import (
    AvailabilityWindow,
    genre_get_or_create,
    label_get_or_create,
    playlist_create,
    track_availability_replace,
    track_import_path,
)
from mediatools.ffmpeg import ffmpeg_binary

PACKAGE = "singularity-music"
PACKAGE_MUSIC_DIR = Path("usr/share/games/singularity/music")

MAJOR_LABELS = ("Meridian Music Group", "Atlas Sound Entertainment", "Sonorous Records")
INDEPENDENT_LABELS = ("Nightjar Records", "Small Hours Recordings", "Fjord Tapes")
GENRES = ("Electronic", "Ambient", "Soundtrack", "Pop", "Rock", "Hip-Hop", "Jazz", "Classical")
# Releases that arrive without genre tags get one of these pairs, in turn.
RELEASE_GENRES = (("Soundtrack", "Electronic"), ("Electronic", "Ambient"), ("Pop", "Electronic"))

DEMO_LISTENER = ("demo@streamify.test", "streamify-demo")
DEMO_ADMIN = ("admin@streamify.test", "streamify-admin")
GENERATED_LISTENERS = 200
LISTENER_COUNTRIES = (
    ("SE", "sv"), ("US", "en"), ("GB", "en"), ("DE", "en"), ("ES", "es"), ("MX", "es"),
    ("BR", "en"), ("FR", "en"), ("NO", "en"), ("JP", "en"), ("IN", "en"), ("AU", "en"),
)  # fmt: skip
FIRST_NAMES = ("Alex", "Sam", "Maja", "Elin", "Lucas", "Noah", "Sofia", "Aiko", "Priya", "Leo")
LAST_NAMES = ("Berg", "Novak", "Garcia", "Smith", "Tanaka", "Silva", "Dubois", "Khan", "Lund")

PLAYLISTS = (
    ("Demo Favourites", "Everything in the demo catalogue."),
    ("Deep Focus", "Long tracks for long work."),
    ("Quick Picks", "The shortest tracks, for a short break."),
)


class DemoAudioUnavailable(Exception):
    """The demo music package cannot be fetched or unpacked here."""


class Command(BaseCommand):
    help = (
        "Load a demo catalogue: real music (singularity-music, or generated when offline), "
        "labels, genres, a demo listener, an admin, 200 listeners, playlists, availability."
    )

    def handle(self, *args, verbosity: int, **options):
        cache = Path(settings.DEMO_AUDIO_CACHE)
        cache.mkdir(parents=True, exist_ok=True)
        try:
            music = fetch_singularity_music(cache)
            self.stdout.write(f"Music: {PACKAGE} (Maxstack, CC BY-SA 3.0) from {music}")
        except DemoAudioUnavailable as exc:
            self.stdout.write(
                self.style.WARNING(
                    f"could not fetch {PACKAGE}: {exc}; generating demo audio instead"
                )
            )
            music = generate_demo_audio(cache / "generated")
            self.stdout.write(f"Music: generated tones in {music}")

        report = track_import_path(path=music)
        write_summary(self.stdout, self.style, report)
        tracks = [r.track for r in report.created + report.skipped]
        changes = Counter(tracks=len(report.created))
        with transaction.atomic():
            changes.update(_labels_and_genres(tracks))
            changes.update(_accounts())
            changes.update(_playlists(tracks))
            changes.update(_availability())

        if not +changes:
            self.stdout.write(self.style.SUCCESS("Demo catalogue already loaded; nothing changed."))
            return
        for key, count in changes.items():
            if count:
                self.stdout.write(f"  {key}: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalogue loaded. Log in as {DEMO_LISTENER[0]} / {DEMO_LISTENER[1]} "
                f"or {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}."
            )
        )


def fetch_singularity_music(cache: Path) -> Path:
    """Return the folder of the package's ogg files, fetching and unpacking it once."""
    unpacked = cache / PACKAGE
    music = unpacked / PACKAGE_MUSIC_DIR
    if music.is_dir() and any(music.rglob("*.ogg")):
        return music
    debs = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        apt_get = shutil.which("apt-get")
        if apt_get is None:
            raise DemoAudioUnavailable("apt-get is not available")
        try:
            result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [apt_get, "download", PACKAGE],
                cwd=cache,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DemoAudioUnavailable(f"apt-get download failed ({exc})") from exc
        debs = sorted(cache.glob(f"{PACKAGE}_*.deb"))
        if result.returncode != 0 or not debs:
            errors = [line for line in result.stderr.splitlines() if line.startswith("E:")]
            reason = errors[-1] if errors else f"exit status {result.returncode}"
            raise DemoAudioUnavailable(f"apt-get download failed: {reason}")
    staging = Path(tempfile.mkdtemp(prefix=f".{PACKAGE}-", dir=cache))
    try:
        _deb_extract(debs[-1], staging)
        if not any((staging / PACKAGE_MUSIC_DIR).rglob("*.ogg")):
            raise DemoAudioUnavailable(f"{debs[-1].name} has no ogg files")
        shutil.rmtree(unpacked, ignore_errors=True)
        staging.rename(unpacked)
        debs[-1].unlink()  # the unpacked files are the cache; keep one copy of 50 MB
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return music


def _deb_extract(deb: Path, target: Path) -> None:
    dpkg_deb = shutil.which("dpkg-deb")
    if dpkg_deb:
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [dpkg_deb, "-x", str(deb), str(target)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return
    # No dpkg-deb (or it failed): a .deb is an ar archive holding data.tar.*.
    with deb.open("rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise DemoAudioUnavailable(f"{deb.name} is not a Debian package")
        while len(header := fh.read(60)) == 60:
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            size = int(header[48:58].decode("ascii").strip())
            if not name.startswith("data.tar"):
                fh.seek(size + size % 2, io.SEEK_CUR)
                continue
            try:
                with tarfile.open(fileobj=io.BytesIO(fh.read(size)), mode="r:*") as tar:
                    tar.extractall(target, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise DemoAudioUnavailable(f"cannot unpack {deb.name}/{name} ({exc})") from exc
            return
    raise DemoAudioUnavailable(f"{deb.name} has no data archive")


@dataclass(frozen=True)
class _DemoSong:
    artist: str
    album: str
    title: str
    genre: str
    root_hz: float
    progression: tuple[int, ...]  # chord roots in semitones above the key
    bar_seconds: float
    seconds: int


_MAJOR_POP = (0, 7, 9, 5)
_SAD_POP = (9, 5, 0, 7)
_DOO_WOP = (0, 9, 5, 7)
_JAZZ = (2, 7, 0, 9)
# album: (album artist, genre, [(title, track artist or "", key Hz, chords, bar s, length s)])
_DEMO_ALBUMS = {
    "Signal Garden": ("Nova Lattice", "Electronic", [
        ("First Light", "", 220.0, _MAJOR_POP, 1.8, 32),
        ("Circuit Bloom", "", 246.9, _SAD_POP, 1.6, 28),
        ("Orbit Lines", "", 196.0, _DOO_WOP, 2.0, 36),
        ("Night Relay", "", 174.6, _JAZZ, 2.2, 40),
        ("Afterglow", "Nova Lattice feat. Mira Sol", 261.6, _MAJOR_POP, 1.7, 30),
    ]),
    "Low Tide": ("The Quiet Harbour", "Ambient", [
        ("Low Tide", "", 130.8, _SAD_POP, 3.0, 40),
        ("Salt Air", "", 146.8, _JAZZ, 2.8, 36),
        ("Lanterns on the Pier", "", 164.8, _DOO_WOP, 3.2, 38),
    ]),
    "Paper Lanterns": ("Mira Sol", "Pop", [
        ("Paper Lanterns", "", 293.7, _MAJOR_POP, 1.5, 24),
        ("Summer Static", "", 329.6, _DOO_WOP, 1.4, 22),
        ("Kites", "", 277.2, _SAD_POP, 1.5, 20),
        ("Goodnight, City", "", 246.9, _JAZZ, 1.6, 26),
    ]),
}  # fmt: skip
DEMO_SONGS = tuple(
    _DemoSong(artist or album_artist, album, title, genre, hz, chords, bar, seconds)
    for album, (album_artist, genre, songs) in _DEMO_ALBUMS.items()
    for title, artist, hz, chords, bar, seconds in songs
)


def generate_demo_audio(folder: Path) -> Path:
    """Synthesise the demo songs as tagged Ogg Vorbis files in `folder`, once each."""
    folder.mkdir(parents=True, exist_ok=True)
    albums = Counter(song.album for song in DEMO_SONGS)
    numbered, seen = [], Counter()
    for song in DEMO_SONGS:
        seen[song.album] += 1
        numbered.append((song, seen[song.album], albums[song.album]))
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(_generate_song, folder, *args) for args in numbered]:
            future.result()
    return folder


def _generate_song(folder: Path, song: _DemoSong, number: int, total: int) -> None:
    target = folder / f"{song.album} - {number:02d} - {song.title}.ogg".replace("/", "-")
    if target.exists():
        return
    pattern_seconds = song.bar_seconds * len(song.progression)
    samples = round(pattern_seconds * 44100)
    filters = (
        f"aloop=loop=-1:size={samples},atrim=0:{song.seconds},"
        "aecho=0.8:0.6:45|70:0.25|0.2,"
        f"afade=t=in:d=1,afade=t=out:st={song.seconds - 2}:d=2,volume=0.8"
    )
    partial = target.with_suffix(".part.ogg")
    command = [
        ffmpeg_binary(),
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"aevalsrc=exprs='{_chord_expression(song)}':s=44100:d={pattern_seconds}",
        "-af",
        filters,
        "-ac",
        "2",
        "-c:a",
        "libvorbis",
        "-q:a",
        "3",
        str(partial),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603
    tags = OggVorbis(partial)
    tags.update(
        {
            "title": song.title,
            "artist": song.artist,
            "albumartist": song.artist.split(" feat. ")[0],
            "album": song.album,
            "date": "2025",
            "tracknumber": f"{number}/{total}",
            "genre": song.genre,
            "license": "CC0: generated by Streamify's load_demo_catalog",
        }
    )
    tags.save()
    partial.rename(target)


def _chord_expression(song: _DemoSong) -> str:
    """A pad, a plucked bass and an arpeggio over the song's chord progression."""
    step = 2 ** (1 / 12)
    bars = len(song.progression)
    terms = []
    for index, semitones in enumerate(song.progression):
        third = 3 if semitones in (2, 4, 9) else 4  # ii, iii and vi are minor chords
        notes = [song.root_hz * step ** (semitones + i) for i in (0, third, 7)]
        pad = "+".join(f"sin(2*PI*{f:.3f}*t)" for f in notes)
        bass = f"sin(2*PI*{notes[0] / 2:.3f}*t)*exp(-2*mod(t,{song.bar_seconds / 4:.4f}))"
        arpeggio = "+".join(
            f"eq(floor(mod(t*4,3)),{i})*sin(2*PI*{f * 2:.3f}*t)" for i, f in enumerate(notes)
        )
        terms.append(
            f"eq(floor(mod(t/{song.bar_seconds},{bars})),{index})*"
            f"(0.12*({pad})+0.2*{bass}+0.15*({arpeggio})*exp(-6*mod(t,0.25)))"
        )
    return "+".join(terms)


def _labels_and_genres(tracks: list[Track]) -> Counter:
    changes = Counter()
    labels_before, genres_before = Label.objects.count(), Genre.objects.count()
    labels = [
        label_get_or_create(name=name)
        for pair in zip(INDEPENDENT_LABELS, MAJOR_LABELS, strict=True)
        for name in pair
    ]
    genres = {name: genre_get_or_create(name=name) for name in GENRES}
    changes["labels"] = Label.objects.count() - labels_before
    changes["genres"] = Genre.objects.count() - genres_before

    releases = Release.objects.filter(tracks__in=tracks).distinct().order_by("id")
    for index, release in enumerate(releases):
        if release.label_id is None:
            release.label = labels[index % len(labels)]
            release.save(update_fields=["label"])
            changes["releases given a label"] += 1
        if not release.genres.exists():
            pair = [genres[name] for name in RELEASE_GENRES[index % len(RELEASE_GENRES)]]
            release.genres.add(*pair)
            for track in release.tracks.all():
                track.genres.add(*pair)
            for artist in release.artists.all():
                artist.genres.add(*pair)
            changes["releases given genres"] += 1
    return changes


def _accounts() -> Counter:
    user_model = get_user_model()
    changes = Counter()
    email, password = DEMO_LISTENER
    if not user_model.objects.filter(email=email).exists():
        user_create(
            email=email,
            password=password,
            country="SE",
            language="en",
            display_name="Demo Listener",
        )
        changes["demo listener"] += 1
    email, password = DEMO_ADMIN
    if not user_model.objects.filter(email=email).exists():
        admin = user_create(
            email=email,
            password=password,
            country="SE",
            language="en",
            display_name="Streamify Admin",
        )
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        changes["admin"] += 1

    rng = random.Random(2025)  # the same listeners on every machine
    wanted = {}
    for n in range(1, GENERATED_LISTENERS + 1):
        country, language = LISTENER_COUNTRIES[n % len(LISTENER_COUNTRIES)]
        wanted[f"listener{n:03d}@streamify.test"] = user_model(
            email=f"listener{n:03d}@streamify.test",
            display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            country=country,
            language=language,
            birth_year=rng.randint(1955, 2008),
            # Unusable: generated listeners never log in, and hashing 200 passwords is slow.
            password=make_password(None),
        )
    existing = set(user_model.objects.filter(email__in=wanted).values_list("email", flat=True))
    missing = [user for email, user in wanted.items() if email not in existing]
    if missing:
        user_model.objects.bulk_create(missing, batch_size=500)
        listeners = Group.objects.get_or_create(name=roles.LISTENERS)[0]
        membership = user_model.groups.through
        membership.objects.bulk_create(
            [
                membership(user_id=user_id, group_id=listeners.id)
                for user_id in user_model.objects.filter(
                    email__in=[u.email for u in missing]
                ).values_list("id", flat=True)
            ],
            ignore_conflicts=True,
        )
        changes["generated listeners"] += len(missing)
    return changes


def _playlists(tracks: list[Track]) -> Counter:
    changes = Counter()
    owner = get_user_model().objects.get(email=DEMO_LISTENER[0])
    if not tracks:
        return changes
    by_id = sorted(tracks, key=lambda t: t.id)
    by_length = sorted(Track.objects.filter(id__in=[t.id for t in tracks]), key=_length_key)
    picks = {
        PLAYLISTS[0][0]: by_id,
        PLAYLISTS[1][0]: list(reversed(by_length))[: max(1, len(by_length) // 2)],
        PLAYLISTS[2][0]: by_length[:5],
    }
    existing = set(
        Playlist.objects.filter(owner=owner, name__in=picks).values_list("name", flat=True)
    )
    for name, description in PLAYLISTS:
        if name not in existing:
            playlist_create(owner=owner, name=name, description=description, tracks=picks[name])
            changes["demo playlists"] += 1
    return changes


def _length_key(track: Track) -> tuple[int, int]:
    return track.duration_ms, track.id


def _availability() -> Counter:
    """Open every track that has no availability yet in every market, from a year ago."""
    track_ids = list(
        Track.objects.filter(availability_profile__isnull=True).values_list("id", flat=True)
    )
    if not track_ids:
        return Counter()
    starts_at = timezone.now() - datetime.timedelta(days=365)
    windows = [AvailabilityWindow(market=code, starts_at=starts_at) for code, _ in countries]
    created, _ = track_availability_replace(track_ids=track_ids, windows=windows)
    return Counter({"tracks made available in all markets": len(track_ids), "windows": created})
