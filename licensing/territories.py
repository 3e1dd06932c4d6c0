"""Markets (ISO 3166-1 alpha-2 countries) and the named territory groups contracts use.

A territory expression is a list of country codes and group names separated by commas or
spaces, e.g. "WORLDWIDE", "EU, NORDICS, GB". Exclusions are a second expression.
"""

import datetime
import re
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from django_countries import countries

WORLDWIDE = "WORLDWIDE"


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EU = _codes("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE")
GROUPS: dict[str, tuple[str, ...]] = {
    "EU": EU,
    "EEA": (*EU, "IS", "LI", "NO"),
    "NORDICS": ("DK", "FI", "IS", "NO", "SE", "AX", "FO", "GL"),
    "DACH": ("DE", "AT", "CH"),
    "BENELUX": ("BE", "NL", "LU"),
    "UK_IE": ("GB", "IE"),
    "NORTH_AMERICA": ("US", "CA", "MX"),
    "LATAM": _codes("AR BO BR CL CO CR DO EC GT HN MX NI PA PE PY SV UY VE CU PR"),
    "ANZ": ("AU", "NZ"),
    "ASEAN": _codes("BN KH ID LA MY MM PH SG TH VN"),
}
# Where a country spans several time zones, the zone its releases go live in.
MAIN_ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MX": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}
_SEPARATORS = re.compile(r"[\s,;]+")


class UnknownTerritory(ValueError):
    """A territory expression names something that is neither a country nor a group."""


def all_markets() -> frozenset[str]:
    """Every ISO 3166-1 country django_countries knows (249), each one a market."""
    return frozenset(code for code, _name in countries)


def group_names() -> list[str]:
    return [WORLDWIDE, *GROUPS]


def group_markets(name: str) -> frozenset[str]:
    return all_markets() if name == WORLDWIDE else frozenset(GROUPS[name])


def territory_tokens(expression: str) -> list[str]:
    return [token.upper() for token in _SEPARATORS.split(expression or "") if token]


def territory_markets(expression: str) -> frozenset[str]:
    """Return the markets an expression names; raise UnknownTerritory naming every bad token."""
    known = all_markets()
    markets: set[str] = set()
    unknown = []
    for token in territory_tokens(expression):
        if token == WORLDWIDE or token in GROUPS:
            markets |= group_markets(token)
        elif token in known:
            markets.add(token)
        else:
            unknown.append(token)
    if unknown:
        listed = ", ".join(repr(token) for token in unknown)
        raise UnknownTerritory(
            f"Unknown territory code {listed}: use ISO 3166-1 alpha-2 country codes "
            f"(e.g. SE, US) or a group ({', '.join(group_names())})."
        )
    return frozenset(markets)


def agreement_markets(territories: str, excluded: str = "") -> frozenset[str]:
    return territory_markets(territories) - territory_markets(excluded)


@cache
def _zone_table() -> dict[str, str]:
    """The first zone tzdata lists for each country (zone.tab)."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        text = Path("/usr/share/zoneinfo/zone.tab").read_text()
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_comment = line.split("\t")
            zones.setdefault(code, zone)
    return zones


def market_zone(market: str) -> ZoneInfo:
    zone = MAIN_ZONES.get(market) or _zone_table().get(market)
    return ZoneInfo(zone) if zone else ZoneInfo("UTC")


def local_midnight(market: str, day: datetime.date) -> datetime.datetime:
    """The moment `day` starts in the market's main time zone, in UTC."""
    local = datetime.datetime.combine(day, datetime.time.min, tzinfo=market_zone(market))
    return local.astimezone(datetime.UTC)
