from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import throttling


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
