"""Parameters of /rest/ calls: query string and form body (`formPost`), repeated keys kept."""

import datetime
import math

from django.http import QueryDict

from api.params import MAX_PK
from api.subsonic import errors

ARTIST, ALBUM, SONG, PLAYLIST = "ar", "al", "tr", "pl"
MUSIC_FOLDER_ID = 1
# Integers are clamped into a 32-bit column's range (an offset or a position past it means
# the same as at it); ids past a 64-bit key name nothing. SQLite overflows at 2**63,
# PostgreSQL's integer columns at 2**31.
INT_MAX = 2**31 - 1


def _text(name: str, value: str) -> str:
    if "\x00" in value:  # no text column stores one; no parameter needs one
        raise errors.invalid(name, "NUL characters are not allowed.")
    return value


class Params:
    def __init__(self, request):
        self._sources: list[QueryDict] = [request.GET]
        if request.method == "POST":
            self._sources.append(request.POST)

    def get(self, name: str, default=None):
        for source in self._sources:
            if name in source:
                return _text(name, source.get(name))
        return default

    def getlist(self, name: str) -> list[str]:
        values: list[str] = []
        for source in self._sources:
            values += source.getlist(name)
        return [_text(name, value) for value in values]

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise errors.missing(name)
        return value

    def int(self, name: str, default=None, *, minimum=None, maximum=None):
        raw = self.get(name)
        if raw is None or raw == "":
            if default is None:
                raise errors.missing(name)
            return default
        try:
            value = int(raw)
        except ValueError:
            raise errors.invalid(name, "expected an integer.") from None
        if minimum is not None and value < minimum:
            raise errors.invalid(name, f"must be at least {minimum}.")
        upper = INT_MAX if maximum is None else min(maximum, INT_MAX)
        return max(min(value, upper), -INT_MAX)

    def float(self, name: str, default: float) -> float:
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise errors.invalid(name, "expected a number.") from None
        if not math.isfinite(value):
            raise errors.invalid(name, "expected a finite number.")
        return value

    def optional_int(self, name: str, *, minimum=None, maximum=None):
        raw = self.get(name)
        return None if raw in (None, "") else self.int(name, minimum=minimum, maximum=maximum)

    def year(self, name: str, *, required: bool = True):
        """A year of the calendar (1 to 9999: past it, the last)."""
        if required:
            return self.int(name, minimum=1, maximum=9999)
        return self.optional_int(name, minimum=1, maximum=9999)

    def bool(self, name: str, default: bool) -> bool:
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        return raw.lower() in ("true", "1", "yes")


def entity_id(name: str, raw: str | None, *kinds: str) -> tuple[str, int]:
    """Split an id such as "al-12" into ("al", 12); the kind must be one of `kinds`."""
    if raw is None or raw == "":
        raise errors.missing(name)
    kind, _, number = raw.partition("-")
    if kind not in kinds or not (number.isascii() and number.isdigit()):
        raise errors.not_found(f"{name} {raw[:40]}")
    if len(number) > 19 or int(number) > MAX_PK:
        raise errors.not_found(f"{name} {raw[:40]}")
    return kind, int(number)


def make_id(kind: str, pk: int) -> str:
    return f"{kind}-{pk}"


MAX_MILLIS = 253402300799999  # 9999-12-31T23:59:59.999Z, Python's last datetime


def millis_param(name: str, raw: str) -> int:
    """Unix milliseconds (a scrobble's `time`), within the years 1970 to 9999."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_MILLIS:
        raise errors.invalid(name, "expected Unix milliseconds.")
    return int(text)


def millis_to_datetime(value: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
