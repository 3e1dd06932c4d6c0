"""Paging objects: the dict for a page, and its serializer for the schema."""

from urllib import parse

from rest_framework import serializers


def paging(
    *,
    url: str,
    items: list,
    total: int,
    limit: int,
    offset: int = 0,
    replace: dict[str, str] | None = None,
) -> dict:
    """A paging object for a page of `items` taken from the list behind `url`, its links
    with the query parameters `replace` too.

    Links are DRF's `replace_query_param` applied for each parameter (query sorted by
    name), with the url parsed once."""
    scheme, netloc, path, query, fragment = parse.urlsplit(str(url))
    params = parse.parse_qs(query, keep_blank_values=True)
    params.update({key: [str(value)] for key, value in (replace or {}).items()})
    params["limit"] = [str(limit)]
    params.pop("offset", None)
    # The encoded parameters before and after `offset` in name order, encoded once.
    ordered = sorted(params.items())
    before = parse.urlencode([item for item in ordered if item[0] < "offset"], doseq=True)
    after = parse.urlencode([item for item in ordered if item[0] > "offset"], doseq=True)
    prefix = parse.urlunsplit((scheme, netloc, path, "", "")) + "?"
    suffix = f"#{fragment}" if fragment else ""

    def link(at: int) -> str:
        query = "&".join(part for part in (before, f"offset={at}", after) if part)
        return f"{prefix}{query}{suffix}"

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
