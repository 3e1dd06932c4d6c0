"""Make every /api/ path answer like the API: trailing slash optional, errors in JSON.

`/api/v1/tracks/` resolves as `/api/v1/tracks` (client libraries add the slash). Any error
response below /api/ that is not JSON already (Django's 404/413/500 pages, a view's
plain-text error) is replaced by the one error body, keeping its status and headers such as
`Allow`, `WWW-Authenticate`, `Retry-After` and `Content-Range`. Bodies larger than
DATA_UPLOAD_MAX_MEMORY_SIZE are refused with a 413 unless they are multipart uploads, which
the upload view bounds itself. A query string holding a NUL character is refused with a 400:
no text column can store one, and no parameter needs one.
"""

from http import HTTPStatus

from django.conf import settings

from api.exceptions import error_json_response

API_PREFIX = "/api/"
API_V1 = "/api/v1/"
DROPPED_HEADERS = {"content-type", "content-length", "content-encoding", "content-disposition"}


class ApiPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if request.path_info.startswith(API_V1) and request.path_info != API_V1:
            stripped = request.path_info.rstrip("/")
            if stripped != request.path_info:
                request.path = request.path[: len(request.path) - len(request.path_info)] + stripped
                request.path_info = stripped
        too_large = self._too_large(request)
        if too_large is not None:
            return too_large
        if _has_nul(request.GET):
            return error_json_response(400, "Invalid query string: NUL characters are not allowed.")
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response):
            return response
        return _as_json(response)

    @staticmethod
    def _too_large(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json_response(400, "Invalid Content-Length.")
        content_type = request.META.get("CONTENT_TYPE", "")
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and not content_type.startswith(
            "multipart/"
        ):
            return error_json_response(413, "Request body too large.")
        return None


def _has_nul(query) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()
    )


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def _as_json(response):
    try:
        message = HTTPStatus(response.status_code).phrase + "."
    except ValueError:
        message = "Error."
    replacement = error_json_response(response.status_code, message)
    for header, value in response.items():
        if header.lower() not in DROPPED_HEADERS:
            replacement[header] = value
    return replacement
