"""Who is calling: token auth (`u`, `t`, `s`), `apiKey`, or legacy `p` with an app password.

Only app passwords authenticate here, never the account password. Every check spends one
unit of the web login's budgets first (`accounts.throttling`), so guessing through /rest/ is
throttled exactly like the login form, and a success gives the unit back.
"""

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts import throttling
from accounts.models import User
from api.subsonic import errors
from api.subsonic.errors import SubsonicError

_SUPPORTED_MAJOR = 1
_SUPPORTED_MINOR = 16


def check_version(params) -> None:
    version = params.get("v")
    if not version:
        raise errors.missing("v")
    try:
        major, minor = (int(part) for part in [*version.split("."), "0"][:2])
    except ValueError:
        raise errors.invalid("v", "expected a version such as 1.16.1.") from None
    if major < _SUPPORTED_MAJOR:
        raise SubsonicError(errors.CLIENT_MUST_UPGRADE, "Incompatible client: please upgrade.")
    if major > _SUPPORTED_MAJOR or minor > _SUPPORTED_MINOR:
        raise SubsonicError(
            errors.SERVER_MUST_UPGRADE, "Incompatible server: it speaks 1.16.1 at most."
        )


def _password(raw: str) -> str:
    if raw.startswith("enc:"):
        try:
            return bytes.fromhex(raw[4:]).decode()
        except ValueError:
            raise SubsonicError(errors.WRONG_CREDENTIALS, "Wrong username or password.") from None
    return raw


def authenticate(request, params) -> User:
    """Return the user the request's credentials name, or raise the protocol's error."""
    api_key = params.get("apiKey")
    username = params.get("u")
    token, salt, password = params.get("t"), params.get("s"), params.get("p")
    if api_key is not None:
        if username is not None or token is not None or password is not None:
            raise SubsonicError(
                errors.CONFLICTING_AUTH, "Give either apiKey or u with t and s (or p), not both."
            )
        return _checked(
            request,
            budget_name=f"api-key:{api_key[:8]}",
            find=lambda: account_selectors.app_password_for_key(api_key=api_key),
            code=errors.INVALID_API_KEY,
            message="Invalid API key.",
        )
    if not username:
        raise errors.missing("u")
    if token is not None or salt is not None:
        if password is not None:
            raise SubsonicError(errors.CONFLICTING_AUTH, "Give either t and s, or p, not both.")
        if not token or not salt:
            raise errors.missing("t" if not token else "s")
        find = lambda: account_selectors.app_password_for_token(  # noqa: E731
            username=username, token=token, salt=salt
        )
    elif password is not None:
        find = lambda: account_selectors.app_password_for_password(  # noqa: E731
            username=username, password=_password(password)
        )
    else:
        raise errors.missing("t and s, or apiKey")
    return _checked(
        request,
        budget_name=username,
        find=find,
        code=errors.WRONG_CREDENTIALS,
        message="Wrong username or password.",
    )


def _checked(request, *, budget_name: str, find, code: int, message: str) -> User:
    address = throttling.client_address(request)
    wait = throttling.login_attempt_reserve(username=budget_name, address=address)
    if wait is not None:
        raise SubsonicError(
            code, f"Too many failed attempts; try again in {wait // 60 or 1} minutes."
        )
    app_password = find()
    if app_password is None:
        raise SubsonicError(code, message)
    throttling.login_attempt_succeeded(username=budget_name, address=address)
    account_services.app_password_touch(app_password=app_password)
    return app_password.user
