"""The one error family of the project; the API maps it to the Spotify error shape."""


class ApplicationError(Exception):
    status = 400
    default_message = "Bad request."

    def __init__(self, message: str | None = None, *, status: int | None = None):
        self.message = message or self.default_message
        if status is not None:
            self.status = status
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status = 400
    default_message = "Invalid input."


class NotFound(ApplicationError):
    status = 404
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    status = 403
    default_message = "Forbidden."
