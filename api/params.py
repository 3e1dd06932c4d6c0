"""Parse the API's inputs: ids, uris, market, limit/offset, cursors, comma lists.

Every parser raises `ValidationFailed` (a 400 with the JSON error body) on malformed input.
Ids are positive decimal integers in ASCII digits; one beyond the database's 64-bit range
is well-formed but names nothing (None: a 404 for a path, null in a list by ids).
"""

import re

from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.objects.base import URI_SCHEME
from common.errors import ValidationFailed
from editorial import selectors as editorial_selectors

MAX_PK = 2**63 - 1
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# Past any real page, and inside every database's integer range (SQLite overflows at 2**63).
MAX_OFFSET = 2**31 - 1
# Our uris, and the `spotify:` form client libraries build from an id.
_URI = re.compile(rf"^(?:{URI_SCHEME}|spotify):([a-z]+):(\S+)$")


def pk_or_none(raw) -> int | None:
    """Return the pk an id names, None when none can exist; a malformed id is a 400."""
    if isinstance(raw, bool):
        raise ValidationFailed(f"Invalid id: {raw!r}.")
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed(f"Invalid id: {text[:40]!r}.")
    if len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_PK else None


path_pk = pk_or_none


def id_list(raw, *, label: str = "ids", maximum: int | None = None) -> list[int | None]:
    """Parse `1,2,3` (a query parameter) or `["1", 2]` (a JSON list); None for impossible ids."""
    if raw is None or raw == "":
        return []
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, list):
        raise ValidationFailed(f"Invalid {label}: expected a list.")
    if maximum is not None and len(parts) > maximum:
        raise ValidationFailed(f"Too many {label}: at most {maximum}.")
    try:
        return [pk_or_none(part) for part in parts]
    except ValidationFailed as error:
        raise ValidationFailed(f"Invalid {label}: {error.message}") from None


def ids_param(request, *, maximum: int) -> list[int | None]:
    """The required `ids` query parameter, in order, None in place of impossible ids."""
    raw = request.query_params.get("ids", "")
    if not raw.strip():
        raise ValidationFailed("Missing parameter: ids.")
    return id_list(raw, maximum=maximum)


def uri_id(uri, *, kind: str) -> int | None:
    """Return the pk in `streamify:<kind>:<id>` or `spotify:<kind>:<id>` (None: no such row)."""
    match = _URI.match(str(uri).strip())
    if match is None or match.group(1) != kind:
        raise ValidationFailed(f"Invalid {kind} URI: {str(uri)[:60]!r}.")
    return pk_or_none(match.group(2))


def market_param(request, *, required: bool = False, name: str = "market") -> str | None:
    """Return the ISO 3166-1 alpha-2 market of the request.

    `market` (or the older `country`) names it; `from_token` is the user's country.
    """
    raw = request.query_params.get(name, "").strip()
    if not raw and name == "market":
        raw = request.query_params.get("country", "").strip()
    if not raw:
        if required:
            raise ValidationFailed(f"Missing parameter: {name}.")
        return None
    if raw == "from_token":
        if not request.user.is_authenticated:
            raise ValidationFailed(f"{name}=from_token needs an authenticated user.")
        return request.user.country.code or None
    code = raw.upper()
    if len(code) != 2 or code not in countries:
        raise ValidationFailed(f"Invalid {name}: {raw[:40]!r}. Use an ISO 3166-1 alpha-2 code.")
    return code


def choices_param(request, name: str, allowed: tuple[str, ...], *, default=None) -> list[str]:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        if default is None:
            raise ValidationFailed(f"Missing parameter: {name}.")
        return list(default)
    values = list(dict.fromkeys(value.strip() for value in raw.split(",")))
    wrong = [value for value in values if value not in allowed]
    if wrong:
        raise ValidationFailed(
            f"Invalid {name}: {', '.join(wrong)[:80]}. Use any of {', '.join(allowed)}."
        )
    return values


def choice_param(request, name: str, allowed: tuple[str, ...], *, default: str) -> str:
    """One value of `allowed` (`default` when absent)."""
    raw = request.query_params.get(name, "").strip() or default
    if raw not in allowed:
        raise ValidationFailed(f"Invalid {name}: {raw[:40]!r}. Use one of {', '.join(allowed)}.")
    return raw


def int_param(request, name: str, *, default: int | None, minimum: int, maximum: int | None):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
        raise ValidationFailed(f"Invalid {name}: must be an integer.")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"≥ {minimum}"
        raise ValidationFailed(f"Invalid {name}: must be {bound}.")
    return value


def limit_param(request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    return int_param(request, "limit", default=default, minimum=1, maximum=maximum)


def offset_param(request, *, maximum: int = MAX_OFFSET) -> int:
    return int_param(request, "offset", default=0, minimum=0, maximum=maximum)


def cursor_param(request, name: str, *, maximum: int = MAX_PK) -> int | None:
    """A cursor (`after`, `before`): a non-negative integer within 64 bits."""
    return int_param(request, name, default=None, minimum=0, maximum=maximum)


# Schema parameters, shared by the views' `extend_schema`.

ID_PATH = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The id.")
MARKET = OpenApiParameter(
    "market",
    OpenApiTypes.STR,
    description="ISO 3166-1 alpha-2 country code, or `from_token` for the user's country. "
    "With it, tracks and albums carry `is_playable` (tracks also `restrictions` when not "
    "playable) instead of `available_markets`, as Spotify's track relinking.",
)
# `/labels/{label_id}/...`: the route keeps its published name; the id is a licensing party's.
LABEL_ID_PATH = OpenApiParameter(
    "label_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="A licensing party's id (a label company, as `GET /me/teams` lists it under "
    "`labels`), not a catalog label's: one party may hold several catalog labels.",
)
COUNTRY = OpenApiParameter(
    "country", OpenApiTypes.STR, description="Older name of `market`.", deprecated=True
)
LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (default 20).")
OFFSET = OpenApiParameter("offset", OpenApiTypes.INT, description="Default 0.")
PAGING = [LIMIT, OFFSET]


def ids_parameter(maximum: int, *, required: bool = True) -> OpenApiParameter:
    return OpenApiParameter(
        "ids",
        OpenApiTypes.STR,
        required=required,
        description=f"Comma-separated ids, at most {maximum}; unknown ids give null.",
    )


def languages_param(request) -> list[str]:
    """The languages of localised texts: `locale` (`sv_SE`), else the listener's language,
    else Accept-Language (then English, then the text's default: editorial's rule)."""
    user = request.user
    return editorial_selectors.languages_requested(
        locale=request.query_params.get("locale"),
        accept_language=request.headers.get("Accept-Language"),
        user_language=getattr(user, "language", None) if user.is_authenticated else None,
    )
