"""Django's AuthenticationMiddleware, its user read with the request's session.

`request.user` is Django's `auth.get_user(request)`, run lazily once per request as
Django's middleware does; while it runs, the backend may take the user row the session
store read in the same query (`accounts.sessions.reading_user_of`), so a signed-in request
costs one read for both. Everything Django checks (the session's user id and backend, the
password hash, `is_active`) is checked the same way.
"""

from django.contrib import auth
from django.contrib.auth import middleware
from django.utils.functional import SimpleLazyObject

from accounts.sessions import reading_user_of


def get_user(request):
    if not hasattr(request, "_cached_user"):
        with reading_user_of(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(middleware.AuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)  # Django's checks; its user is replaced below
        request.user = SimpleLazyObject(lambda: get_user(request))
