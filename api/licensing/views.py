"""Royalty statements for label staff: only the labels (parties) they are members of."""

import datetime

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import scopes
from api.licensing.serializers import (
    StatementDetailSerializer,
    StatementSerializer,
)
from api.objects import ErrorSerializer
from api.paging import SpotifyPagination
from api.params import LABEL_ID_PATH
from api.scopes import TokenHasScope
from common.errors import ValidationFailed
from licensing import selectors

ERRORS = {status: OpenApiResponse(ErrorSerializer) for status in (400, 401, 403, 404)}


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else b""


class LabelStatementsApi(GenericAPIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = scopes.DASHBOARD
    pagination_class = SpotifyPagination
    serializer_class = StatementSerializer

    @extend_schema(
        operation_id="label_statements_list",
        summary="List a label's royalty statements",
        description="Statements of the label's agreements, newest month first. Staff see "
        "every label; label staff only the labels they are members of (403 otherwise).",
        parameters=[
            LABEL_ID_PATH,
            OpenApiParameter("month", OpenApiTypes.STR, description="Only this month, YYYY-MM."),
            OpenApiParameter(
                "current", OpenApiTypes.BOOL, description="Leave out superseded statements."
            ),
        ],
        responses={200: StatementSerializer(many=True), **ERRORS},
        tags=["licensing"],
    )
    def get(self, request, label_id: int):
        party = selectors.party_get_for_user(user=request.user, party_id=label_id)
        statements = selectors.statement_list(
            party=party,
            month=_month_param(request.query_params.get("month")),
            current_only=request.query_params.get("current", "").lower() in ("1", "true"),
        )
        page = self.paginate_queryset(statements)
        data = StatementSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class StatementDetailApi(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes = scopes.DASHBOARD
    renderer_classes = [JSONRenderer, CSVRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and getattr(request, "accepted_renderer", None):
            # Errors keep the JSON error shape, whatever format was asked for.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="statement_get",
        summary="Get a royalty statement",
        description="A statement with its territories and lines; `?format=csv` (or the "
        "`.csv` path) gives the lines as CSV. 404 for a statement of another label.",
        responses={
            (200, "application/json"): StatementDetailSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS,
        },
        tags=["licensing"],
    )
    def get(self, request, statement_id: int, format=None):
        statement = selectors.statement_get_for_user(user=request.user, statement_id=statement_id)
        if request.accepted_renderer.format == "csv":
            response = HttpResponse(
                selectors.statement_csv(statement=statement), content_type="text/csv"
            )
            response["Content-Disposition"] = f'attachment; filename="{statement.number}.csv"'
            return response
        return Response(StatementDetailSerializer(statement, context={"request": request}).data)


class StatementCsvApi(StatementDetailApi):
    renderer_classes = [CSVRenderer]

    @extend_schema(
        operation_id="statement_csv",
        summary="Download a royalty statement as CSV",
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS},
        tags=["licensing"],
    )
    def get(self, request, statement_id: int, format=None):
        return super().get(request, statement_id, format="csv")


def _month_param(raw: str | None) -> datetime.date | None:
    if not raw:
        return None
    try:
        return datetime.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(f"Invalid month: {raw[:20]!r}. Use YYYY-MM.") from None
