"""The base view of public catalogue lists (kept apart from `api.paging`, which DRF's
settings import before its generic views exist)."""

from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api.paging import SpotifyPagination
from api.scopes import TokenHasScope


class PublicPagingApi(GenericAPIView):
    """A public catalogue list (no scope needed): a page of serialized objects in the
    Spotify paging object, the serializers given the request and the market."""

    permission_classes = [TokenHasScope]
    scopes = {}
    pagination_class = SpotifyPagination

    def context(self, market: str | None) -> dict:
        return {"request": self.request, "market": market}

    def page_response(self, queryset, serializer_class, market: str | None = None) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.context(market)).data
        return self.get_paginated_response(data)
