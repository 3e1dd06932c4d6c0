"""The `total` of a page of rows, counted only when the page cannot tell it."""

from django.db.models import QuerySet


def page_total(
    queryset: QuerySet, *, shown: int, offset: int, limit: int, cap: int | None = None
) -> int:
    """How many rows `queryset` has (at most `cap`), for a page of at most `limit` rows from
    `offset` that holds `shown`: a short page that is not past the end is the last one, so
    the total is known without a count; otherwise the rows are counted."""
    if shown < limit and (shown or not offset):
        return offset + shown
    return (queryset[:cap] if cap is not None else queryset).count()
