"""The demo catalogue's music: freely licensed game soundtracks from Debian packages.

Each package is fetched once with `apt-get download`, unpacked, and its music copied into
a tagged library (`<cache>/library/<package>/<release>/NN Title.ext`, one `cover.png`
where the package has art) that `track_import_path` imports like any delivery: titles,
artists, composers, releases, dates, genres, labels, ISRCs, UPCs and copyright lines all
come from the tags written here. The licence of every package was checked against its
Debian copyright file; the README credits them. Nothing here touches the database.
"""

import io
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import mutagen
from mutagen.easyid3 import EasyID3

from mediatools.ffmpeg import ffmpeg_binary

MIN_SECONDS = 5  # game stingers shorter than this are not songs


class DemoAudioUnavailable(Exception):
    """A demo music package cannot be fetched or unpacked here."""


@dataclass(frozen=True)
class DemoTrack:
    source: str  # path inside the package; a folder means "mix every .ogg in it"
    title: str
    artist: str = ""  # default: the release's artist
    composer: str = ""


@dataclass(frozen=True)
class DemoRelease:
    title: str
    artist: str
    year: int
    genres: tuple[str, ...]
    tracks: tuple[DemoTrack, ...]
    release_type: str = "album"
    cover: str = ""  # an image inside the package


@dataclass(frozen=True)
class DemoPackage:
    name: str
    licence: str
    copyright: str  # the holder, as the Debian copyright file names it
    label: str  # one of the demo labels (load_demo_licensing gives them territories)
    registrant: str  # 3 characters of the ISRC, one per package
    releases: tuple[DemoRelease, ...] = field(default_factory=tuple)


def _tracks(folder: str, names: str, **credit) -> tuple[DemoTrack, ...]:
    """`names` is "file=Title;file=Title"; files are relative to `folder`."""
    pairs = [item.split("=", 1) for item in names.split(";")]
    return tuple(DemoTrack(f"{folder}/{f.strip()}", t.strip(), **credit) for f, t in pairs)


_SING = "usr/share/games/singularity/music"
_HR = "usr/share/hyperrogue/music"
_DRASCULA = "usr/share/scummvm/drascula/audio"
_FOF = "usr/share/games/fretsonfire/data/songs"
_WESNOTH = "usr/share/games/wesnoth/1.16/data/core/music"


def _wesnoth(composer: str, title: str, names: str, genres=("Classical", "Soundtrack")):
    return DemoRelease(title, composer, 2010, genres, _tracks(_WESNOTH, names, composer=composer))


PACKAGES: tuple[DemoPackage, ...] = (
    DemoPackage(
        "singularity-music", "CC BY-SA 3.0", "2007-2012 Max McCracken", "Nightjar Records",
        "SNG",
        (
            DemoRelease("Endgame: Singularity Original Soundtrack", "Maxstack", 2012,
                        ("Electronic", "Soundtrack"), _tracks(_SING, (
                            "Awakening.ogg=Awakening;Coherence.ogg=Coherence;"
                            "By-Product.ogg=By-Product;Deprecation.ogg=Deprecation;"
                            "Inevitable.ogg=Inevitable;Media Threat.ogg=Media Threat;"
                            "Advanced Simulacra.ogg=Advanced Simulacra;"
                            "win/Apex Aleph.ogg=Apex Aleph;lose/Chimes They Fade.ogg="
                            "Chimes They Fade;lose/March Thee to Dis.ogg=March Thee to Dis"),
                            composer="Max McCracken")),
            DemoRelease("Endgame: Singularity (Advanced Research)", "Maxstack", 2012,
                        ("Electronic", "Ambient"), _tracks(_SING, (
                            "A New Journey.ogg=A New Journey;Aberrations.ogg=Aberrations;"
                            "Enemy Unknown.ogg=Enemy Unknown;Nebula.ogg=Nebula;"
                            "Orbital Elevator.ogg=Orbital Elevator;"
                            "Through Space.ogg=Through Space"), composer="Max McCracken")),
        ),
    ),
    DemoPackage(
        "hyperrogue-music", "CC BY-SA 3.0",
        "Shawn Parrotte, Lincoln Domina", "Nightjar Records", "HYP",
        (
            DemoRelease("HyperRogue III", "NeonCorridor", 2013, ("Electronic", "Ambient"),
                        _tracks(_HR, (
                            "hr3-caves.ogg=Living Caves;hr3-crossroads.ogg=Crossroads;"
                            "hr3-desert.ogg=Desert;hr3-icyland.ogg=Icy Land;"
                            "hr3-jungle.ogg=Jungle;hr3-mirror.ogg=Mirror Land;"
                            "hr3-motion.ogg=Motion;hr3-laboratory.ogg=Laboratory;"
                            "hr3-graveyard.ogg=Graveyard;hr3-rlyeh.ogg=R'Lyeh;"
                            "hr3-hell.ogg=Hell"), composer="Shawn Parrotte")),
            # Will Savino's four tracks are left out: ffmpeg cannot read their Ogg headers.
            DemoRelease("Hunting", "Lincoln Domina", 2018, ("Soundtrack", "Ambient"),
                        _tracks(_HR, "hr-domina-hunting.ogg=Hunting;"
                                     "hr-domina-mountain.ogg=Mountain"),
                        release_type="single"),
        ),
    ),
    DemoPackage(
        "drascula-music", "Drascula licence (BSD-like, DFSG-free)", "1996-2008 Alcachofa Soft",
        "Atlas Sound Entertainment", "DRA",
        (
            DemoRelease("Drascula: The Vampire Strikes Back", "Alcachofa Soft", 1996,
                        ("Soundtrack", "Pop"), tuple(
                            DemoTrack(f"{_DRASCULA}/track{n}.ogg", f"Drascula No. {n}")
                            for n in range(1, 32)
                        )),
        ),
    ),
    DemoPackage(
        "fretsonfire-songs-muldjord", "CC BY-SA 3.0", "2009 El Senator (Muldjord)",
        "Fjord Tapes", "MUL",
        (
            DemoRelease("Mutilated Mime", "Muldjord", 2008, ("Metal", "Rock"), (
                DemoTrack(f"{_FOF}/muldjord/mutilated_mime", "Mutilated Mime"),
                DemoTrack(f"{_FOF}/muldjord/internal_degeneration", "Internal Degeneration"),
            ), release_type="ep", cover=f"{_FOF}/muldjord/mutilated_mime/label.png"),
            DemoRelease("Armygeddon", "Muldjord", 2006, ("Metal",), (
                DemoTrack(f"{_FOF}/muldjord/armygeddon", "Armygeddon"),
            ), release_type="single", cover=f"{_FOF}/muldjord/armygeddon/label.png"),
            DemoRelease("Chaos God", "Muldjord", 2007, ("Metal",), (
                DemoTrack(f"{_FOF}/muldjord/chaos_god", "Chaos God"),
            ), release_type="single", cover=f"{_FOF}/muldjord/chaos_god/label.png"),
        ),
    ),
    DemoPackage(
        "fretsonfire-songs-sectoid", "Expat (MIT)", "2006-2007 Carlos Viola Iborra",
        "Sonorous Records", "SEC",
        (
            DemoRelease("Escape from Chaosland", "Sectoid", 2007, ("Rock", "Metal"), (
                DemoTrack(f"{_FOF}/sectoid/Escape from chaosland", "Escape from Chaosland"),
                DemoTrack(f"{_FOF}/sectoid/Feelings", "Feelings"),
                DemoTrack(f"{_FOF}/sectoid/Metal madness", "Metal Madness"),
                DemoTrack(f"{_FOF}/sectoid/War of freedom", "War of Freedom"),
            ), release_type="ep"),
        ),
    ),
    DemoPackage(
        "asc-music", "GPL-2+", "2002 Michael Kievernagel", "Sonorous Records", "ASC",
        (
            DemoRelease("Advanced Strategic Command", "Michael Kievernagel", 2002,
                        ("Electronic", "Rock"), _tracks("usr/share/games/asc/music", (
                            "frontiers.mp3=Frontiers;machine_wars.mp3=Machine Wars;"
                            "time_to_strike.mp3=Time to Strike")), release_type="ep"),
        ),
    ),
    DemoPackage(
        "pushover-data", "GPL-3+", "2008-2018 Roberto Lorenz", "Sonorous Records", "PSH",
        (
            DemoRelease("Pushover Themes", "Roberto Lorenz", 2018, ("Electronic", "Pop"),
                        _tracks("usr/share/pushover/themes", (
                            "aztec.ogg=Aztec;castle.ogg=Castle;dungeon.ogg=Dungeon;"
                            "electro.ogg=Electro;greek.ogg=Greek;japanese.ogg=Japanese;"
                            "mechanic.ogg=Mechanic;option.ogg=Options;space.ogg=Space;"
                            "toxcity.ogg=Toxcity"), composer="Roberto Lorenz")),
        ),
    ),
    DemoPackage(
        "pathological", "GPL-2+", "2003 John-Paul Gignac", "Small Hours Recordings", "PTH",
        (
            DemoRelease("Pathological", "John-Paul Gignac", 2003, ("Electronic", "Pop"),
                        _tracks("usr/share/games/pathological/music",
                                "intro.ogg=Intro;background.ogg=Marbles"),
                        release_type="ep"),
        ),
    ),
    DemoPackage(
        "wesnoth-1.16-music", "GPL-2+", "2004-2012 the Battle for Wesnoth composers",
        "Meridian Music Group", "WES",
        (
            _wesnoth("Mattias Westlund", "Legends of the North", (
                "legends_of_the_north.ogg=Legends of the North;"
                "northern_mountains.ogg=Over the Northern Mountains;"
                "breaking_the_chains.ogg=Breaking the Chains;journeys_end.ogg=Journey's End;"
                "return_to_wesnoth.ogg=Return to Wesnoth;silvan_sanctuary.ogg=Silvan Sanctuary;"
                "the_king_is_dead.ogg=The King Is Dead;"
                "traveling_minstrels.ogg=Traveling Minstrels")),
            _wesnoth("Doug Kaufman", "Heroes Rite", (
                "heroes_rite.ogg=Heroes Rite;elvish-theme.ogg=Elvish Theme;"
                "battle-epic.ogg=Battle Epic;siege_of_laurelmor.ogg=Siege of Laurelmor;"
                "the_city_falls.ogg=The City Falls;weight_of_revenge.ogg=Weight of Revenge")),
            _wesnoth("Aleksi Aubry-Carlson", "Elf Land", (
                "main_menu.ogg=Main Theme;battle.ogg=Battle Music;elf-land.ogg=Elf Land;"
                "frantic-old.ogg=Frantic;transience.ogg=Transience;"
                "underground.ogg=Underground")),
            _wesnoth("Ryan Reilly", "Knalgan Theme", (
                "knalgan_theme.ogg=Knalgan Theme;love_theme.ogg=Love Theme;"
                "suspense.ogg=Suspense;victory2.ogg=Victory;defeat2.ogg=Defeat")),
            DemoRelease("Wesnoth Chronicles", "Various Artists", 2010, ("Classical",), (
                *_tracks(_WESNOTH, "casualties_of_war.ogg=Casualties of War;"
                                   "into_the_shadows.ogg=Into the Shadows;sad.ogg=Sad",
                         artist="Tyler Johnson", composer="Tyler Johnson"),
                *_tracks(_WESNOTH, "knolls.ogg=The Knolls of Doldesh;"
                                   "wanderer.ogg=Still Another Wanderer",
                         artist="Timothy Pinkham", composer="Timothy Pinkham"),
                *_tracks(_WESNOTH, "nunc_dimittis.ogg=Nunc Dimittis;"
                                   "vengeful.ogg=Vengeful Pursuit",
                         artist="Jeremy Nicoll", composer="Jeremy Nicoll"),
                *_tracks(_WESNOTH, "the_dangerous_symphony.ogg=The Dangerous Symphony;"
                                   "the_deep_path.ogg=The Deep Path",
                         artist="Gianmarco Leone", composer="Gianmarco Leone"),
                *_tracks(_WESNOTH, "frantic.ogg=Frantic (2012);northerners.ogg=Northerners",
                         artist="Stephen Rozanc", composer="Stephen Rozanc"),
                *_tracks(_WESNOTH, "loyalists.ogg=Loyalists;revelation.ogg=Revelation",
                         artist="Joseph G. Toscano", composer="Joseph G. Toscano"),
            ), release_type="compilation"),
        ),
    ),
)  # fmt: skip


def isrc_for(package: DemoPackage, year: int, number: int) -> str:
    """An ISRC-shaped code: "ZZ" (no real country), the package's registrant, year, number."""
    return f"ZZ{package.registrant}{year % 100:02d}{number:05d}"


def upc_for(package: DemoPackage, index: int) -> str:
    """A 12-digit UPC-A-shaped code with a valid check digit, stable per release."""
    body = f"{zlib.crc32(package.name.encode()) % 10**7:07d}{index:04d}"
    odd = sum(int(d) for d in body[0::2])
    even = sum(int(d) for d in body[1::2])
    return body + str((10 - (odd * 3 + even) % 10) % 10)


def demo_library(cache: Path, *, log=print) -> Path:
    """Return the tagged library folder, fetching and building each package once."""
    library = cache / "library"
    library.mkdir(parents=True, exist_ok=True)
    failures = []
    for package in PACKAGES:
        target = library / package.name
        if (target / ".complete").exists():
            continue
        try:
            unpacked = _fetch(cache, package.name)
            log(f"  building the demo library of {package.name} ({package.licence})")
            _build(package, unpacked, target)
            shutil.rmtree(unpacked, ignore_errors=True)  # the library is the cache now
        except DemoAudioUnavailable as exc:
            failures.append(f"{package.name}: {exc}")
    if len(failures) == len(PACKAGES):
        raise DemoAudioUnavailable("; ".join(failures))
    for failure in failures:
        log(f"  skipped {failure}")
    return library


def _fetch(cache: Path, name: str) -> Path:
    unpacked = cache / "packages" / name
    if unpacked.is_dir() and any(unpacked.rglob("*")):
        return unpacked
    debs = sorted(cache.glob(f"{name}_*.deb"))
    if not debs:
        apt_get = shutil.which("apt-get")
        if apt_get is None:
            raise DemoAudioUnavailable("apt-get is not available")
        try:
            result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [apt_get, "download", name],
                cwd=cache,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DemoAudioUnavailable(f"apt-get download failed ({exc})") from exc
        debs = sorted(cache.glob(f"{name}_*.deb"))
        if result.returncode != 0 or not debs:
            errors = [line for line in result.stderr.splitlines() if line.startswith("E:")]
            reason = errors[-1] if errors else f"exit status {result.returncode}"
            raise DemoAudioUnavailable(f"apt-get download failed: {reason}")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
    try:
        deb_extract(debs[-1], staging)
        unpacked.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(unpacked, ignore_errors=True)
        staging.rename(unpacked)
        debs[-1].unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return unpacked


def deb_extract(deb: Path, target: Path) -> None:
    """Unpack a .deb's data archive into `target` (dpkg-deb when present, else by hand)."""
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


def _build(package: DemoPackage, unpacked: Path, target: Path) -> None:
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    number = 0
    for index, release in enumerate(package.releases, start=1):
        folder = staging / f"{index:02d} {release.title}".replace("/", "-")
        folder.mkdir(parents=True)
        if release.cover and (unpacked / release.cover).is_file():
            shutil.copyfile(unpacked / release.cover, folder / "cover.png")
        kept = []
        for track in release.tracks:
            source = unpacked / track.source
            if not source.exists():
                raise DemoAudioUnavailable(f"{track.source} is missing from the package")
            if source.is_dir():
                source = _mix(source, folder / f".mix-{len(kept)}.ogg")
            length = getattr(mutagen.File(source).info, "length", 0)
            if length >= MIN_SECONDS:
                kept.append((track, source))
        for position, (track, source) in enumerate(kept, start=1):
            number += 1
            out = folder / f"{position:02d} {track.title}{source.suffix}".replace("/", "-")
            shutil.copyfile(source, out)
            _tag(
                out,
                {
                    "title": track.title,
                    "artist": track.artist or release.artist,
                    "albumartist": release.artist,
                    "album": release.title,
                    "date": str(release.year),
                    "tracknumber": f"{position}/{len(kept)}",
                    "genre": list(release.genres),
                    "composer": track.composer,
                    "isrc": isrc_for(package, release.year, number),
                    "barcode": upc_for(package, index),
                    "copyright": f"© {package.copyright} ({package.licence})",
                    "organization": package.label,
                    "releasetype": release.release_type,
                },
            )
        for mix in folder.glob(".mix-*.ogg"):
            mix.unlink()
    (staging / ".complete").write_text(f"{package.name}: {package.licence}\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _mix(folder: Path, out: Path) -> Path:
    """Mix the stems of a song (backing track, guitar...) into one Ogg Vorbis file."""
    stems = sorted(folder.glob("*.ogg"))
    command = [ffmpeg_binary(), "-nostdin", "-v", "error", "-y"]
    for stem in stems:
        command += ["-i", str(stem)]
    command += [
        "-filter_complex",
        f"amix=inputs={len(stems)}:duration=longest:normalize=0,alimiter=limit=0.95,"
        "asetpts=N/SR/TB",  # amix of Ogg inputs leaves timestamps a decoder check refuses
        "-c:a",
        "libvorbis",
        "-q:a",
        "5",
        str(out),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=600)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        raise DemoAudioUnavailable(f"cannot mix {folder.name} ({exc})") from exc
    return out


def _tag(path: Path, tags: dict) -> None:
    tags = {key: value for key, value in tags.items() if value}
    if path.suffix == ".mp3":
        audio = EasyID3(path) if _has_id3(path) else EasyID3()
        for key, value in tags.items():
            audio[{"releasetype": "releasetype"}.get(key, key)] = value
        audio.save(path)
        return
    audio = mutagen.File(path)
    audio.tags.clear()
    for key, value in tags.items():
        audio.tags[key] = value if isinstance(value, list) else [value]
    audio.save()


def _has_id3(path: Path) -> bool:
    try:
        EasyID3(path)
    except mutagen.MutagenError:
        return False
    return True


if "releasetype" not in EasyID3.valid_keys:
    EasyID3.RegisterTXXXKey("releasetype", "MusicBrainz Album Type")
