"""Checks of territory expressions and markets, shared by agreements, releases, royalties."""

from common.errors import ValidationFailed
from licensing.territories import (
    UnknownTerritory,
    agreement_markets,
    territory_markets,
    territory_tokens,
)


def check_territories(*, territories: str, excluded_territories: str = "") -> frozenset[str]:
    """Return the markets of the territory expressions; unknown codes are a clear error."""
    try:
        markets = agreement_markets(territories, excluded_territories)
    except UnknownTerritory as exc:
        raise ValidationFailed(str(exc)) from None
    if not markets:
        raise ValidationFailed("The territories name no market once the exclusions are taken out.")
    return markets


def territory_markets_tokens(expression: str) -> list[str]:
    """The expression's tokens, upper case and in order, once each (its stored form)."""
    return list(dict.fromkeys(territory_tokens(expression)))


def check_market(*, market: str) -> str:
    market = (market or "").strip().upper()
    try:
        markets = territory_markets(market)
    except UnknownTerritory as exc:
        raise ValidationFailed(str(exc)) from None
    if len(markets) != 1 or market not in markets:
        raise ValidationFailed(f"{market!r} is not one country: use an ISO 3166-1 alpha-2 code.")
    return market
