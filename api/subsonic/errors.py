"""OpenSubsonic error codes; every failure is answered with status="failed" and one of them."""

from common.errors import ApplicationError

GENERIC = 0
MISSING_PARAMETER = 10
CLIENT_MUST_UPGRADE = 20
SERVER_MUST_UPGRADE = 30
WRONG_CREDENTIALS = 40
TOKEN_AUTH_NOT_SUPPORTED = 41
AUTH_MECHANISM_NOT_SUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_AUTHORIZED = 50
NOT_FOUND = 70


class SubsonicError(Exception):
    def __init__(self, code: int, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def missing(name: str) -> SubsonicError:
    return SubsonicError(MISSING_PARAMETER, f"Required parameter is missing: {name}.")


def invalid(name: str, why: str) -> SubsonicError:
    return SubsonicError(MISSING_PARAMETER, f"Invalid parameter {name}: {why}")


def not_found(what: str) -> SubsonicError:
    return SubsonicError(NOT_FOUND, f"{what} not found.")


def from_application_error(exc: ApplicationError) -> SubsonicError:
    """Word a domain error in the protocol: 404/451 -> 70, 403 -> 50, other 4xx -> 10."""
    if exc.status in (404, 410, 451):
        return SubsonicError(NOT_FOUND, exc.message)
    if exc.status in (401, 403):
        return SubsonicError(NOT_AUTHORIZED, exc.message)
    if 400 <= exc.status < 500:
        return SubsonicError(MISSING_PARAMETER, exc.message)
    return SubsonicError(GENERIC, exc.message)
