"""Map every error an API view can raise to {"error": {"status", "message"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError


def _message_from_detail(detail) -> str:
    if isinstance(detail, list):
        return "; ".join(_message_from_detail(item) for item in detail)
    if isinstance(detail, dict):
        parts = []
        for field, value in detail.items():
            text = _message_from_detail(value)
            parts.append(text if field in ("non_field_errors", "detail") else f"{field}: {text}")
        return "; ".join(parts)
    return str(detail)


def error_body(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.status, exc.message), status=exc.status)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable (restart, failover): the client retries shortly.
        message = "Service temporarily unavailable; retry shortly."
        return Response(error_body(503, message), status=503, headers={"Retry-After": "2"})
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(response.status_code, _message_from_detail(response.data))
    return response


def error_json_response(status: int, message: str) -> JsonResponse:
    """The error body outside DRF's views (middleware, unknown routes)."""
    return JsonResponse(error_body(status, message), status=status)
