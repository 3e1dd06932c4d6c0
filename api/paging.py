"""Paging object of the Spotify Web API: href, items, limit, next, offset, previous, total."""

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api import params


class SpotifyPagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 50

    def get_limit(self, request):
        return params.int_param(
            request,
            self.limit_query_param,
            default=self.default_limit,
            minimum=1,
            maximum=self.max_limit,
        )

    def get_offset(self, request):
        return params.int_param(
            request, self.offset_query_param, default=0, minimum=0, maximum=params.MAX_OFFSET
        )

    def get_paginated_response(self, data):
        return Response(self.paging_object(data))

    def paging_object(self, data) -> dict:
        return {
            "href": self.request.build_absolute_uri(),
            "items": data,
            "limit": self.limit,
            "next": self.get_next_link(),
            "offset": self.offset,
            "previous": self.get_previous_link(),
            "total": self.count,
        }

    def get_previous_link(self):
        if self.offset <= 0:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        if self.offset - self.limit <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, self.offset - self.limit)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["href", "items", "limit", "next", "offset", "previous", "total"],
            "properties": {
                "href": {"type": "string", "format": "uri"},
                "items": schema,
                "limit": {"type": "integer"},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "offset": {"type": "integer"},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "total": {"type": "integer"},
            },
        }
