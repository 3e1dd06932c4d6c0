"""OAuth scopes: Spotify's names for the listener API, `read`/`write` for the dashboard.

A view declares what a bearer token needs per HTTP method in `scopes`, a dict of method to
the scopes of which the token needs one (`{"GET": (USER_LIBRARY_READ,)}`); a method it does
not name needs no scope (the public catalogue: `scopes = {}`), HEAD and OPTIONS follow GET.
`TokenHasScope` (in every view's `permission_classes`) enforces it for bearer tokens only:
a browser session acts with every scope of its user. A view without `scopes` refuses
bearer tokens (fail closed); `tests/api/test_scopes.py` walks the resolver so none is missed.
"""

from oauth2_provider.scopes import SettingsScopes
from rest_framework.permissions import BasePermission

USER_READ_PRIVATE = "user-read-private"
USER_READ_EMAIL = "user-read-email"
USER_LIBRARY_READ = "user-library-read"
USER_LIBRARY_MODIFY = "user-library-modify"
PLAYLIST_READ_PRIVATE = "playlist-read-private"
PLAYLIST_MODIFY_PUBLIC = "playlist-modify-public"
PLAYLIST_MODIFY_PRIVATE = "playlist-modify-private"
USER_FOLLOW_READ = "user-follow-read"
USER_FOLLOW_MODIFY = "user-follow-modify"
USER_READ_RECENTLY_PLAYED = "user-read-recently-played"
USER_TOP_READ = "user-top-read"
USER_READ_PLAYBACK_STATE = "user-read-playback-state"
USER_MODIFY_PLAYBACK_STATE = "user-modify-playback-state"
USER_READ_CURRENTLY_PLAYING = "user-read-currently-playing"
UGC_IMAGE_UPLOAD = "ugc-image-upload"
# The artist dashboard's scopes (insights, teams, releases, statements, audio uploads).
DASHBOARD_READ = "read"
DASHBOARD_WRITE = "write"

SPOTIFY_SCOPES = {
    USER_READ_PRIVATE: "Read your subscription details and country",
    USER_READ_EMAIL: "Read your email address",
    USER_LIBRARY_READ: "Read your saved tracks and albums",
    USER_LIBRARY_MODIFY: "Change your saved tracks and albums",
    PLAYLIST_READ_PRIVATE: "Read your private playlists",
    PLAYLIST_MODIFY_PUBLIC: "Change your public playlists",
    PLAYLIST_MODIFY_PRIVATE: "Change your private playlists",
    USER_FOLLOW_READ: "Read whom you follow",
    USER_FOLLOW_MODIFY: "Change whom you follow",
    USER_READ_RECENTLY_PLAYED: "Read what you played recently",
    USER_TOP_READ: "Read your top artists and tracks",
    USER_READ_PLAYBACK_STATE: "Read your player's state",
    USER_MODIFY_PLAYBACK_STATE: "Control your player",
    USER_READ_CURRENTLY_PLAYING: "Read what you are playing",
    UGC_IMAGE_UPLOAD: "Upload playlist cover images",
}
DASHBOARD_SCOPES = {
    DASHBOARD_READ: "Read your insights, teams, releases and statements",
    DASHBOARD_WRITE: "Change teams and releases, upload audio",
}
ALL_SCOPES = {**SPOTIFY_SCOPES, **DASHBOARD_SCOPES}

PLAYLIST_MODIFY = (PLAYLIST_MODIFY_PUBLIC, PLAYLIST_MODIFY_PRIVATE)
DASHBOARD = {
    "GET": (DASHBOARD_READ,),
    "POST": (DASHBOARD_WRITE,),
    "PUT": (DASHBOARD_WRITE,),
    "PATCH": (DASHBOARD_WRITE,),
    "DELETE": (DASHBOARD_WRITE,),
}


def required_scopes(view, method: str) -> tuple[str, ...] | None:
    """The scopes of which a bearer token needs one; None when the view declares none."""
    scopes = getattr(view, "scopes", None)
    if scopes is None:
        return None
    method = method.upper()
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return tuple(scopes.get(method, ()))


def is_bearer(request) -> bool:
    return hasattr(request.auth, "allow_scopes")


class TokenHasScope(BasePermission):
    """A bearer token needs one of the view's scopes for the method; sessions pass."""

    message = "Insufficient client scope."

    def has_permission(self, request, view):
        if not is_bearer(request):
            return True
        needed = required_scopes(view, request.method)
        if needed is None:
            self.message = "This operation is not available to access tokens."
            return False
        if not needed or any(request.auth.allow_scopes([scope]) for scope in needed):
            return True
        self.message = f"Insufficient client scope: needs {' or '.join(needed)}."
        return False


def token_has_scope(request, scope: str) -> bool:
    """Whether the request may use `scope`: always for sessions, by the token for bearers."""
    return not is_bearer(request) or request.auth.allow_scopes([scope])


class ScopesBackend(SettingsScopes):
    """django-oauth-toolkit's scopes: Spotify's and the dashboard's (DEFAULT_SCOPES stays)."""

    def get_all_scopes(self):
        return ALL_SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(ALL_SCOPES)
