"""Paging objects: the dict for a page, and its serializer for the schema."""

from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param


def paging(*, url: str, items: list, total: int, limit: int, offset: int = 0) -> dict:
    """A paging object for a page of `items` taken from the list behind `url`."""

    def link(at: int) -> str:
        return replace_query_param(replace_query_param(url, "offset", at), "limit", limit)

    return {
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "total": total,
    }


_PAGING_SERIALIZERS: dict[str, type[serializers.Serializer]] = {}


def paging_serializer(name: str, item: serializers.Serializer) -> type[serializers.Serializer]:
    """A serializer describing a paging object of `item` (for the schema); one per name."""
    if name in _PAGING_SERIALIZERS:
        return _PAGING_SERIALIZERS[name]
    fields = {
        "href": serializers.URLField(),
        "items": item,
        "limit": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "offset": serializers.IntegerField(),
        "previous": serializers.URLField(allow_null=True),
        "total": serializers.IntegerField(),
    }
    _PAGING_SERIALIZERS[name] = type(f"{name}Serializer", (serializers.Serializer,), fields)
    return _PAGING_SERIALIZERS[name]
