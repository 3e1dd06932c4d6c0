"""Stream tokens: HMAC-SHA256 over (user, track, rendition, expiry), keyed from SECRET_KEY;
and media URLs that nginx verifies itself (its secure_link module)."""

import base64
import datetime
import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "playback.stream-token.v1"


class TokenInvalid(Exception):
    """The token is malformed or its signature does not match."""


class TokenExpired(Exception):
    """The signature is valid but the expiry has passed."""


@dataclass(frozen=True)
class StreamGrant:
    user_id: int
    track_id: int
    rendition_id: int
    expires_at: datetime.datetime


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str) -> str:
    return _b64encode(salted_hmac(_SALT, payload, algorithm="sha256").digest())


def stream_token_make(grant: StreamGrant) -> str:
    expires = int(grant.expires_at.timestamp())
    payload = f"{grant.user_id}.{grant.track_id}.{grant.rendition_id}.{expires}"
    return f"{_b64encode(payload.encode('ascii'))}.{_signature(payload)}"


def stream_token_read(token: str, *, now: datetime.datetime | None = None) -> StreamGrant:
    """Return the grant of a token; raise TokenInvalid, or TokenExpired once checked."""
    encoded, _, signature = token.partition(".")
    if not encoded or not signature or len(token) > 200:
        raise TokenInvalid("Malformed stream token.")
    try:
        payload = _b64decode(encoded).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise TokenInvalid("Malformed stream token.") from None
    if not constant_time_compare(signature, _signature(payload)):
        raise TokenInvalid("Invalid stream token signature.")
    try:
        user_id, track_id, rendition_id, expires = (int(part) for part in payload.split("."))
    except ValueError:
        raise TokenInvalid("Malformed stream token.") from None
    expires_at = datetime.datetime.fromtimestamp(expires, tz=datetime.UTC)
    if expires_at <= (now or timezone.now()):
        raise TokenExpired("The stream URL has expired.")
    return StreamGrant(user_id, track_id, rendition_id, expires_at)


def media_url_sign(name: str, *, expires_at: datetime.datetime, secret: str, prefix: str) -> str:
    """The path `<prefix><hash>/<expires>/<name>` that nginx's secure_link serves until
    `expires_at` (deploy/nginx.conf): hash = base64url(MD5("<expires>/<name> <secret>")).

    MD5 because it is the only hash secure_link computes. The secret comes last, so the
    hash cannot be extended to another path (MD5's length extension appends after the
    secret), only our own storage names are ever signed, and a URL lives minutes.
    """
    expires = int(expires_at.timestamp())
    digest = hashlib.md5(f"{expires}/{name} {secret}".encode()).digest()  # noqa: S324  # nosec B324
    return f"{prefix.rstrip('/')}/{_b64encode(digest)}/{expires}/{quote(name)}"
