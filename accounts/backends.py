from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import router

from accounts import sessions, throttling
from accounts.models import User
from common.query_shapes import QueryShape


def _user_by_pk(p):
    return User.objects.filter(pk=p.id.int()).values(*sessions.USER_FIELDS)


# The signed-in user, read on every request: SQL compiled once per process.
_USER = QueryShape(_user_by_pk)


class ThrottledModelBackend(ModelBackend):
    """ModelBackend behind the login throttle (`accounts.throttling`).

    A refused attempt never reaches the password hasher: it raises PermissionDenied, so
    `authenticate()` returns None without trying other backends, and marks the request
    (`request.login_throttled`, seconds to wait) for the login view to say why.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = username.strip().lower()  # one throttle budget per account, any case
        address = throttling.client_address(request)
        wait = throttling.login_attempt_reserve(username=username, address=address)
        if wait is not None:
            if request is not None:
                request.login_throttled = wait
            raise PermissionDenied("Too many login attempts.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            throttling.login_attempt_succeeded(username=username, address=address)
        return user

    def get_user(self, user_id):
        """ModelBackend's: the user of that pk, None when there is none or it may not sign
        in; the row is read on every request (nothing cached): with the request's session
        (`accounts.sessions`), or by a compiled query of its own."""
        row = sessions.user_row_read_with_session(user_id)
        if row is None:
            rows = _USER.rows(model=User, id=user_id)
            if not rows:
                return None
            row = rows[0]
        user = User.from_db(router.db_for_read(User) or "default", list(row), list(row.values()))
        return user if self.user_can_authenticate(user) else None
