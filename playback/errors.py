"""Playback's members of the ApplicationError family (see common.errors)."""

from common.errors import ApplicationError


class PayloadTooLarge(ApplicationError):
    status = 413
    default_message = "The upload is too large."


class Conflict(ApplicationError):
    status = 409
    default_message = "Conflict."


class NotPlayable(ApplicationError):
    status = 404
    default_message = "The track has no playable audio yet."


class UnavailableInMarket(ApplicationError):
    status = 451
    default_message = "The track is not available in your market."


class StreamUrlExpired(ApplicationError):
    status = 410
    default_message = "The stream URL has expired; request a new one."


class StreamUrlInvalid(ApplicationError):
    status = 403
    default_message = "Invalid stream URL."


class TooManyPlayEvents(ApplicationError):
    status = 429
    default_message = "Too many play events; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after


class NoActiveDevice(ApplicationError):
    status = 404
    default_message = "Player command failed: No active device found."


class PlayerRestricted(ApplicationError):
    status = 403
    default_message = "Player command failed: Restriction violated."
