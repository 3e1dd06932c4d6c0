"""Read delivered audio files for import: content checks from `media`, tags with mutagen.

Nothing here touches the database or storage; `catalog.services` turns an `AudioFile`
into catalog rows. Only headers are read (no decode): the full decode with error
detection is the transcode job's, and a track stays unplayable until it passes.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from mutagen.easymp4 import EasyMP4
from mutagen.mp3 import MP3, EasyMP3
from mutagen.mp4 import MP4

from catalog.lyrics import (
    MAX_LYRICS_CHARS,
    LyricsInvalid,
    ParsedLyrics,
    parse_lyrics,
    synced_from_pairs,
)
from catalog.models import Release, TrackArtist, TrackLyrics
from common.errors import ValidationFailed
from mediatools.errors import AudioError
from mediatools.probe import Probe, probe

AUDIO_EXTENSIONS = frozenset({".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wav"})

_FEATURING = re.compile(r"(?:\s+|\s*[(\[]\s*)(?:feat\.?|ft\.|featuring)\s+", re.IGNORECASE)
_TITLE_FEATURING = re.compile(r"[(\[]\s*(?:feat\.?|ft\.|featuring)\s+([^)\]]+)[)\]]", re.IGNORECASE)
_FEATURED_SEPARATORS = re.compile(r"\s*(?:,|&)\s*")
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_TRUE_WORDS = frozenset({"1", "true", "yes", "explicit", "e"})
_RELEASE_TYPES = {choice.value for choice in Release.Type}


class AudioRejected(ValidationFailed):
    """The file cannot be imported; `message` says why in words for the person importing."""


@dataclass(frozen=True)
class Credit:
    name: str
    role: str  # a TrackArtist.Role value


@dataclass(frozen=True)
class AudioFile:
    """What an import needs to know about one checked audio file."""

    path: Path
    sha256: str
    codec: str
    extension: str  # the extension the stored original gets, from the content
    duration_ms: int
    title: str
    credits: tuple[Credit, ...]
    album: str
    album_artists: tuple[str, ...]
    release_date: datetime.date | None
    release_type: str | None
    track_number: int | None
    track_total: int | None
    disc_number: int | None
    genres: tuple[str, ...]
    isrc: str | None
    explicit: bool
    label: str
    upc: str = ""
    copyright: str = ""
    lyrics: ParsedLyrics | None = None
    lyrics_source: str = ""  # a TrackLyrics.Source value when there are lyrics

    @property
    def primary_artists(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.credits if c.role == TrackArtist.Role.PRIMARY)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def audio_inspect(path: Path, *, sha256: str | None = None) -> AudioFile:
    """Check `path` by content and read its tags; raise AudioRejected if unusable.

    Reads headers and tags only, so it is fast enough for a library of 100k files.
    """
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        raise AudioRejected(f"unsupported file type {path.suffix or '(no extension)'!r}")
    try:
        info = probe(path)
        easy = _easy(path, info)
    except AudioError as exc:
        raise AudioRejected(_lower_first(str(exc)).rstrip(".")) from exc
    except Exception as exc:  # mutagen raises many types on damaged tags
        raise AudioRejected(f"not a readable audio file ({exc})") from exc
    raw = info.file
    codec, extension = info.codec, info.extension
    tags = _easy_tags(easy)

    # Report every problem at once, so one round of fixes is enough.
    problems = []
    title = _first(tags, "title") or ""
    if not title:
        problems.append("missing tag: title")
    credits = tuple(split_artist_credits(tags.get("artist", []), title=title))
    credits += tuple(
        Credit(name=name.strip()[:200], role=TrackArtist.Role.COMPOSER)
        for name in dict.fromkeys(tags.get("composer", []))
    )
    if not any(c.role == TrackArtist.Role.PRIMARY for c in credits):
        problems.append("missing tag: artist")
    seconds = info.duration
    if problems:
        raise AudioRejected("; ".join(problems))

    track_number, track_total = parse_number_pair(_first(tags, "tracknumber"))
    if track_total is None:
        track_total = parse_number_pair(_first(tags, "tracktotal", "totaltracks"))[0]
    disc_number, _ = parse_number_pair(_first(tags, "discnumber"))

    album_artists = tuple(
        credit.name
        for credit in split_artist_credits(
            tags.get("albumartist", []) or tags.get("album artist", [])
        )
        if credit.role == TrackArtist.Role.PRIMARY
    )
    release_type = (_first(tags, "releasetype", "musicbrainz_albumtype") or "").lower()
    if _is_true(_first(tags, "compilation") or _raw_compilation(raw)):
        release_type = Release.Type.COMPILATION
    lyrics, lyrics_source = read_lyrics(path, raw)

    return AudioFile(
        path=path,
        sha256=sha256 or file_sha256(path),
        codec=codec,
        extension=extension,
        duration_ms=round(seconds * 1000),
        title=title[:300],
        credits=credits,
        album=(_first(tags, "album") or "")[:300],
        album_artists=album_artists,
        release_date=parse_date(_first(tags, "date", "year", "originaldate")),
        release_type=release_type if release_type in _RELEASE_TYPES else None,
        track_number=track_number,
        track_total=track_total,
        disc_number=disc_number,
        genres=tuple(dict.fromkeys(g for v in tags.get("genre", []) for g in _split_genres(v))),
        isrc=normalise_isrc(_first(tags, "isrc") or _raw_isrc(raw)),
        explicit=_is_explicit(raw, tags),
        label=(_first(tags, "label", "organization", "publisher") or "")[:200],
        upc=_upc(_first(tags, "barcode", "upc")),
        copyright=(_first(tags, "copyright") or "")[:300],
        lyrics=lyrics,
        lyrics_source=lyrics_source,
    )


def sidecar_lyrics_path(path: Path) -> Path | None:
    """The `<same stem>.lrc` next to `path` (any case of the extension), if there is one."""
    for suffix in (".lrc", ".LRC", ".Lrc"):
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_lyrics(path: Path, raw) -> tuple[ParsedLyrics | None, str]:
    """The file's lyrics and their source: a sidecar `.lrc` wins over tags, and among tags
    synced lyrics (ID3 SYLT in ms, or LRC text in any lyrics tag) win over plain ones.

    Never raises: unreadable or unparsable lyrics are treated as none.
    """
    try:
        sidecar = sidecar_lyrics_path(path)
        if sidecar is not None and (lyrics := _sidecar_lyrics(sidecar)) is not None:
            return lyrics, TrackLyrics.Source.SIDECAR
    except OSError:
        pass
    try:
        found = [lyrics for lyrics in _tag_lyrics(raw) if lyrics is not None]
    except Exception:  # damaged frames: mutagen raises many types
        found = []
    found.sort(key=lambda lyrics: not lyrics.synced)  # stable: tag order otherwise
    return (found[0], TrackLyrics.Source.TAG) if found else (None, "")


def _sidecar_lyrics(path: Path) -> ParsedLyrics | None:
    with path.open("rb") as fh:
        data = fh.read(MAX_LYRICS_CHARS * 4 + 1)
    try:
        text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    return _lenient(text)


def _tag_lyrics(raw):
    """Yield parsed lyrics from the file's lyrics tags (None for unusable ones)."""
    tags = getattr(raw, "tags", None)
    if not tags:
        return
    if isinstance(raw, MP3):
        for frame in tags.getall("SYLT"):
            if frame.format == 2:  # times in milliseconds (1: MPEG frames, not used)
                try:
                    yield synced_from_pairs(frame.text, language=_tag_language(frame.lang))
                except LyricsInvalid:
                    yield None
        for frame in tags.getall("USLT"):
            yield _lenient(frame.text, language=_tag_language(frame.lang))
    elif isinstance(raw, MP4):
        for text in tags.get("\xa9lyr") or []:
            yield _lenient(text)
    elif hasattr(tags, "get"):  # Vorbis comments (FLAC, Ogg): case-insensitive keys
        for key in ("LYRICS", "UNSYNCEDLYRICS", "SYNCEDLYRICS"):
            for text in tags.get(key) or []:
                yield _lenient(text)


def _tag_language(code: str) -> str:
    code = (code or "").strip()
    return "" if code.lower() in ("xxx", "und", "") else code


def _lenient(text, *, language: str = "") -> ParsedLyrics | None:
    try:
        return parse_lyrics(str(text), language=language, strict=False)
    except LyricsInvalid:
        try:
            return parse_lyrics(str(text), strict=False)  # a bad language code only
        except LyricsInvalid:
            return None


def split_artist_credits(values: list[str], *, title: str = "") -> list[Credit]:
    """Turn artist tag values into credits: each value's main part is primary, the names
    after "feat."/"ft."/"featuring" (in the artist or the title) are featured."""
    primary: list[str] = []
    featured: list[str] = []
    for value in values:
        main, guests = _partition_featuring(value)
        if main:
            primary.append(main)
        featured.extend(guests)
    for match in _TITLE_FEATURING.finditer(title):
        featured.extend(_split_names(match.group(1)))
    credits: list[Credit] = []
    seen: set[str] = set()
    for name, role in [(n, TrackArtist.Role.PRIMARY) for n in primary] + [
        (n, TrackArtist.Role.FEATURED) for n in featured
    ]:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            credits.append(Credit(name=name, role=role))
    return credits


def _partition_featuring(value: str) -> tuple[str, list[str]]:
    parts = _FEATURING.split(value.strip(), maxsplit=1)
    main = parts[0].strip()[:200]
    if len(parts) == 1:
        return main, []
    return main, _split_names(parts[1].strip().rstrip(")]"))


def _split_names(text: str) -> list[str]:
    return [n.strip()[:200] for n in _FEATURED_SEPARATORS.split(text) if n.strip()]


def parse_number_pair(value: str | None) -> tuple[int | None, int | None]:
    """Parse "3/12" into (3, 12) and "3" into (3, None); zero or junk gives None."""
    if not value:
        return None, None
    head, _, tail = value.partition("/")
    return _positive_int(head), _positive_int(tail)


def parse_date(value: str | None) -> datetime.date | None:
    """Parse a tag date: "2012-12-15", "2012-12", "2012" (a year alone is 1 January)."""
    match = _DATE.match(value or "")
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return datetime.date(year, month, day) if year > 0 else None
    except ValueError:
        try:
            return datetime.date(year, 1, 1)
        except ValueError:
            return None


def normalise_isrc(value: str | None) -> str | None:
    """Return the ISRC in its 12-character form, or None when absent or malformed."""
    if not value:
        return None
    compact = re.sub(r"[\s-]", "", value).upper()
    return compact if _ISRC.match(compact) else None


def _upc(value: str | None) -> str:
    """A UPC-A or EAN-13 barcode (12 or 13 digits) from a tag, else empty."""
    digits = re.sub(r"[\s-]", "", value or "")
    return digits if digits.isdigit() and len(digits) in (12, 13) else ""


def _easy(path: Path, info: Probe):
    """The tags as mutagen's "easy" mapping (lists of strings under common names)."""
    if info.container.name == "mp3":
        return EasyMP3(path)
    if info.container.name == "mp4":
        return EasyMP4(path)
    if info.container.name in ("ogg", "flac"):
        return info.file  # Vorbis comments already are such a mapping
    return None  # WAV and ADTS: no tags worth reading


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _easy_tags(easy) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for key, values in ((easy.tags if easy is not None else None) or {}).items():
        if isinstance(values, str):
            values = [values]
        texts = [str(v).strip() for v in values if str(v).strip()]
        if texts:
            tags[key.lower()] = texts
    return tags


def _first(tags: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if tags.get(key):
            return tags[key][0]
    return None


def _split_genres(value: str) -> list[str]:
    return [g.strip()[:100] for g in re.split(r"\s*[;/]\s*", value) if g.strip()]


def _positive_int(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    number = int(text)
    return min(number, 32767) if number > 0 else None


def _is_true(value) -> bool:
    return str(value or "").strip().lower() in _TRUE_WORDS


def _raw_compilation(raw) -> str:
    if isinstance(raw, MP4) and raw.tags and raw.tags.get("cpil"):
        return "1"
    if isinstance(raw, MP3) and raw.tags and "TCMP" in raw.tags:
        return str(raw.tags["TCMP"].text[0])
    return ""


def _raw_isrc(raw) -> str | None:
    if isinstance(raw, MP4) and raw.tags:
        values = raw.tags.get("----:com.apple.iTunes:ISRC")
        if values:
            return bytes(values[0]).decode("utf-8", "replace")
    return None


def _is_explicit(raw, tags: dict[str, list[str]]) -> bool:
    """iTunes advisory: MP4 `rtng` 1 or 4, ID3 TXXX:ITUNESADVISORY, Vorbis comment."""
    if isinstance(raw, MP4) and raw.tags and raw.tags.get("rtng"):
        return raw.tags["rtng"][0] in (1, 4)
    if isinstance(raw, MP3) and raw.tags:
        frame = raw.tags.get("TXXX:ITUNESADVISORY")
        return bool(frame and _is_true(frame.text[0]))
    return _is_true(_first(tags, "itunesadvisory", "explicit"))
