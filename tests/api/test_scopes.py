"""Every /api/v1 view declares the scopes a bearer token needs, and enforces them."""

from django.urls import URLPattern, URLResolver, get_resolver

from api import scopes
from api.scopes import TokenHasScope

METHODS = ("get", "post", "put", "patch", "delete")


def api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, callback in walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        if route.startswith("api/v1/") and view_class is not None:
            yield route, view_class


def test_every_view_enforces_declared_scopes():
    views = list(api_views())
    assert len(views) > 40
    for route, view_class in views:
        assert TokenHasScope in view_class.permission_classes, route
        assert isinstance(view_class.scopes, dict), route
        for method in METHODS:
            for scope in view_class.scopes.get(method.upper(), ()):
                assert scope in scopes.ALL_SCOPES, (route, scope)


def test_every_write_of_the_listener_api_needs_a_scope():
    for route, view_class in api_views():
        for method in ("post", "put", "patch", "delete"):
            if hasattr(view_class, method):
                assert view_class.scopes.get(method.upper()), (route, method)


def test_scope_names_are_spotifys():
    assert set(scopes.SPOTIFY_SCOPES) == {
        "user-read-private",
        "user-read-email",
        "user-library-read",
        "user-library-modify",
        "playlist-read-private",
        "playlist-modify-public",
        "playlist-modify-private",
        "user-follow-read",
        "user-follow-modify",
        "user-read-recently-played",
        "user-top-read",
        "user-read-playback-state",
        "user-modify-playback-state",
        "user-read-currently-playing",
        "ugc-image-upload",
    }
