"""Parse lyrics text: LRC (synced) or plain.

LRC is a tiny format, so it is parsed here rather than with a PyPI package (the ones
there, such as `pylrc`, are unmaintained). What is understood:

- time tags `[mm:ss]`, `[mm:ss.x]`, `[mm:ss.xx]`, `[mm:ss.xxx]` (also `[mm:ss:xx]`) at the
  start of a line, several on one line (`[00:12.00][00:40.50]chorus` is two lines);
- `[offset:+/-ms]`: positive shows the lyrics sooner, so it is subtracted from every time
  (times are stored with it applied, never below 0);
- `[la:xx]` / `[lang:xx]` (non-standard, written by some taggers) gives the language;
- other metadata tags (`[ar:]`, `[ti:]`, `[al:]`, `[by:]`, `[length:]`, `[re:]`, ...) are
  ignored, as are enhanced-LRC word times `<mm:ss.xx>` inside a line (the text is kept).

Text with no time tag at the start of any line is plain lyrics. Pure functions: no I/O.
"""

import re
from dataclasses import dataclass

MAX_LYRICS_CHARS = 32_000
MAX_LYRICS_LINES = 2_000
MAX_LANGUAGE_CHARS = 8

_TIME = r"\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]"
_TIME_TAG = re.compile(_TIME)
_LEADING_TIMES = re.compile(rf"^\s*((?:{_TIME}\s*)+)")
_METADATA = re.compile(r"^\s*\[([A-Za-z#][\w#-]*)\s*:(.*)\]\s*$")
_LOOKS_TIMED = re.compile(r"^\s*\[\s*[\d.:+-]*\s*[:.][\d.:+-]*\s*\]")
_WORD_TIME = re.compile(r"<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")


class LyricsInvalid(ValueError):
    """The text cannot be lyrics; the message names the problem (and line) in words."""


@dataclass(frozen=True)
class LyricsLine:
    start_ms: int | None  # None in plain lyrics
    text: str


@dataclass(frozen=True)
class ParsedLyrics:
    synced: bool
    lines: tuple[LyricsLine, ...]
    language: str = ""

    @property
    def plain(self) -> str:
        return "\n".join(line.text for line in self.lines).strip("\n")


_LRC_KEYS = frozenset({"ar", "ti", "al", "au", "by", "length", "offset", "re", "ve", "la", "lang"})


def looks_synced(text: str) -> bool:
    """Whether `text` is LRC: some line starts with a time tag, or it starts with an LRC
    metadata tag (`[ar:...]`, `[ti:...]`, ...)."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    metadata = _METADATA.match(first)
    if metadata and metadata.group(1).lower() in _LRC_KEYS:
        return True
    return any(_LEADING_TIMES.match(line) for line in lines)


def language_check(language: str) -> str:
    """Return the language code stripped; raise LyricsInvalid unless ISO 639-like."""
    language = (language or "").strip()
    if language and (len(language) > MAX_LANGUAGE_CHARS or not _LANGUAGE.match(language)):
        raise LyricsInvalid(f"Invalid language code {language[:20]!r}: use ISO 639, e.g. 'en'.")
    return language


def parse_lyrics(text: str, *, language: str = "", strict: bool = True) -> ParsedLyrics:
    """Parse LRC or plain text.

    `strict` (edits): a line that looks timed but is not a valid time tag, or a text line
    without a time in a synced text, raises LyricsInvalid naming the line. Not strict
    (files from import): such lines are skipped. Too long a text raises either way.
    """
    if not isinstance(text, str):
        raise LyricsInvalid("Lyrics must be text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if len(text) > MAX_LYRICS_CHARS:
        raise LyricsInvalid(f"Lyrics are too long: at most {MAX_LYRICS_CHARS} characters.")
    if _CONTROL.search(text):
        raise LyricsInvalid("Lyrics contain control characters: send plain text or LRC.")
    language = language_check(language)
    if not text.strip():
        raise LyricsInvalid("Lyrics are empty.")
    if looks_synced(text):
        return _parse_lrc(text, language=language, strict=strict)
    lines = text.strip("\n").split("\n")
    if len(lines) > MAX_LYRICS_LINES:
        raise LyricsInvalid(f"Lyrics are too long: at most {MAX_LYRICS_LINES} lines.")
    return ParsedLyrics(
        synced=False,
        lines=tuple(LyricsLine(None, line.rstrip()) for line in lines),
        language=language,
    )


def synced_from_pairs(pairs, *, language: str = "") -> ParsedLyrics:
    """Synced lyrics from (text, start_ms) pairs, as an ID3 SYLT frame holds them."""
    lines = []
    for text, start in pairs:
        if not isinstance(start, int) or start < 0:
            raise LyricsInvalid(f"Invalid time {start!r}.")
        text = str(text)
        if _CONTROL.search(text):
            raise LyricsInvalid("Lyrics contain control characters.")
        lines.append(LyricsLine(start, _clean(text)))
    if not lines:
        raise LyricsInvalid("Lyrics are empty.")
    if len(lines) > MAX_LYRICS_LINES:
        raise LyricsInvalid(f"Lyrics are too long: at most {MAX_LYRICS_LINES} lines.")
    lines.sort(key=lambda line: line.start_ms)
    return ParsedLyrics(synced=True, lines=tuple(lines), language=language_check(language))


def to_lrc(lyrics: ParsedLyrics) -> str:
    """The lyrics as LRC text (plain lyrics: the text), for editing forms."""
    if not lyrics.synced:
        return lyrics.plain
    head = [f"[la:{lyrics.language}]"] if lyrics.language else []
    return "\n".join(head + [f"[{_stamp(line.start_ms)}]{line.text}" for line in lyrics.lines])


def _stamp(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{minutes:02d}:{seconds:02d}.{millis // 10:02d}"


def _parse_lrc(text: str, *, language: str, strict: bool) -> ParsedLyrics:
    offset = 0
    timed: list[tuple[int, int, str]] = []  # (start_ms, order, text): a stable sort
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        leading = _LEADING_TIMES.match(line)
        if leading:
            words = _clean(line[leading.end() :])
            for match in _TIME_TAG.finditer(leading.group(1)):
                start = _time_ms(match, number, strict)
                if start is not None:
                    timed.append((start, len(timed), words))
            continue
        metadata = _METADATA.match(line)
        if metadata and not _LOOKS_TIMED.match(line):
            key, value = metadata.group(1).lower(), metadata.group(2).strip()
            if key == "offset":
                offset = _offset_ms(value, number, strict, offset)
            elif key in ("la", "lang", "language") and not language:
                try:
                    language = language_check(value)
                except LyricsInvalid:
                    if strict:
                        raise
            continue
        if strict:
            if _LOOKS_TIMED.match(line):
                raise LyricsInvalid(f"Line {number}: invalid timestamp {line.strip()[:30]!r}.")
            raise LyricsInvalid(
                f"Line {number} has no timestamp: in synced lyrics every line starts with "
                "[mm:ss.xx]."
            )
    if not timed:
        raise LyricsInvalid("Lyrics have no timed line.")
    if len(timed) > MAX_LYRICS_LINES:
        raise LyricsInvalid(f"Lyrics are too long: at most {MAX_LYRICS_LINES} lines.")
    timed.sort()
    lines = tuple(LyricsLine(max(0, start - offset), words) for start, _, words in timed)
    return ParsedLyrics(synced=True, lines=lines, language=language)


def _time_ms(match: re.Match, number: int, strict: bool) -> int | None:
    minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60:
        if strict:
            raise LyricsInvalid(f"Line {number}: invalid timestamp {match.group(0)!r}.")
        return None
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return (int(minutes) * 60 + int(seconds)) * 1000 + millis


def _offset_ms(value: str, number: int, strict: bool, current: int) -> int:
    if re.fullmatch(r"[+-]?\d{1,7}", value):
        return int(value)
    if strict:
        raise LyricsInvalid(f"Line {number}: invalid offset {value[:20]!r}, expected milliseconds.")
    return current


def _clean(text: str) -> str:
    return _WORD_TIME.sub("", text).strip()
