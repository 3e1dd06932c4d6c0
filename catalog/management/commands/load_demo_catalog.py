"""Build a demo catalogue of real music, labels, genres, listeners and playlists.

The music comes from freely licensed Debian packages (`catalog.demo_music`), fetched once
with `apt-get download` into settings.DEMO_AUDIO_CACHE; without apt or network, short
tracks are synthesised with ffmpeg instead. Every step is idempotent: a second run changes nothing.
"""

import datetime
import random
import subprocess
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
from catalog.availability import AvailabilityPlan, track_availability_write
from catalog.demo_music import PACKAGES, DemoAudioUnavailable, demo_library
from catalog.lyrics import parse_lyrics
from catalog.management.commands.import_audio import write_summary
from catalog.models import Genre, Label, Release, Track, TrackLyrics
from catalog.services import (
    AvailabilityWindow,
    genre_get_or_create,
    label_get_or_create,
    release_covers_generate_missing,
    release_date_set,
    track_import_path,
    track_lyrics_set,
)
from mediatools.ffmpeg import ffmpeg_binary

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

# (days ago, release title): out this week, so the demo's Release Radar is not empty.
# Demo tracks given generated lyrics (the demo music is instrumental; no real song words).
DEMO_LYRICS_TRACKS = 4
DEMO_LYRICS_LINE_SECONDS = 4

RECENT_RELEASES = (
    (1, "Endgame: Singularity (Advanced Research)"),
    (3, "Knalgan Theme"),
    (5, "Pushover Themes"),
)


class Command(BaseCommand):
    help = (
        "Load a demo catalogue: real music (Debian game soundtracks, or generated when offline), "
        "labels, genres, covers, a demo listener, an admin, 200 listeners, availability."
    )

    def handle(self, *args, verbosity: int, **options):
        cache = Path(settings.DEMO_AUDIO_CACHE)
        cache.mkdir(parents=True, exist_ok=True)
        try:
            music = demo_library(cache, log=self.stdout.write)
            self.stdout.write(
                f"Music: {', '.join(p.name for p in PACKAGES)} (Debian, see README) from {music}"
            )
        except DemoAudioUnavailable as exc:
            self.stdout.write(
                self.style.WARNING(
                    f"could not fetch the demo music: {exc}; generating demo audio instead"
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
            changes.update(_recent_releases())
            changes.update(_availability())
            changes.update(_demo_lyrics(tracks))
        changes["covers drawn from the audio"] = release_covers_generate_missing()

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


def demo_lrc(title: str, seconds: float) -> str:
    """Synced demo lyrics for a song of `seconds`: placeholder words, marked as such."""
    count = max(2, int(seconds // DEMO_LYRICS_LINE_SECONDS))
    lines = [f"[ti:{title}]", "[by:Streamify demo catalogue]"]
    for n in range(count):
        minutes, rest = divmod(n * DEMO_LYRICS_LINE_SECONDS, 60)
        lines.append(
            f"[{minutes:02d}:{rest:05.2f}]Demo lyrics for {title}, line {n + 1} of {count}"
        )
    return "\n".join(lines) + "\n"


def _generate_song(folder: Path, song: _DemoSong, number: int, total: int) -> None:
    target = folder / f"{song.album} - {number:02d} - {song.title}.ogg".replace("/", "-")
    if number == total and not target.with_suffix(".lrc").exists():
        # The last song of each album gets a sidecar .lrc, read by the import.
        target.with_suffix(".lrc").write_text(demo_lrc(song.title, song.seconds), encoding="utf-8")
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


def _demo_lyrics(tracks: list[Track]) -> Counter:
    """Give the first few demo tracks without lyrics generated ones (synced, and one plain)."""
    with_lyrics = set(
        TrackLyrics.objects.filter(track__in=tracks).values_list("track_id", flat=True)
    )
    chosen = sorted(tracks, key=lambda t: t.pk)[:DEMO_LYRICS_TRACKS]
    changes = Counter()
    for index, track in enumerate(chosen):
        if track.pk in with_lyrics:
            continue
        if index == len(chosen) - 1:
            text = f"Demo lyrics for {track.title} (plain text, not synced).\nA second line."
        else:
            text = demo_lrc(track.title, (track.duration_ms or 60_000) / 1000)
        track_lyrics_set(track=track, lyrics=parse_lyrics(text, language="en"))
        changes["tracks given demo lyrics"] += 1
    return changes


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


def _recent_releases() -> Counter:
    """Date a few releases within the last week, so Release Radar has something to show."""
    changes = Counter()
    today = timezone.now().date()
    for days_ago, title in RECENT_RELEASES:
        release = Release.objects.filter(title=title).first()
        if release is None or release.release_date is None:
            continue
        if release.release_date < today - datetime.timedelta(days=30):
            release_date_set(
                release_id=release.pk, release_date=today - datetime.timedelta(days_ago)
            )
            changes["releases dated this week"] += 1
    return changes


def _availability() -> Counter:
    """Open every track that has no availability yet in every market, from a year ago."""
    track_ids = list(
        Track.objects.filter(availability_profile__isnull=True).values_list("id", flat=True)
    )
    if not track_ids:
        return Counter()
    starts_at = timezone.now() - datetime.timedelta(days=365)
    windows = [AvailabilityWindow(market=code, starts_at=starts_at) for code, _ in countries]
    written = track_availability_write(
        plan=AvailabilityPlan.of_tracks(track_ids, windows), track_ids=track_ids
    )
    return Counter(
        {
            "tracks made available in all markets": len(track_ids),
            "windows": written.created * len(windows),
        }
    )
