"""Revenue pools and monthly royalty statements from qualifying streams."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from common.errors import ValidationFailed
from licensing.models import (
    Agreement,
    RevenuePool,
    RoyaltyStatement,
    RoyaltyStatementLine,
    RoyaltyStatementTerritory,
)
from licensing.royalties import month_start, statement_figures

from .markets import check_market


@transaction.atomic
def revenue_pool_set(
    *,
    month: datetime.date,
    territory: str,
    amount: Decimal,
    entered_by=None,
    note: str = "",
) -> RevenuePool:
    """Enter (or correct) the pool of a month and territory; issued statements stay as they
    are until the month's statements are issued again (then corrections supersede them)."""
    territory = check_market(market=territory)
    amount = Decimal(amount)
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("A pool is a non-negative amount in whole cents.")
    pool, _ = RevenuePool.objects.update_or_create(
        month=month_start(month),
        territory=territory,
        defaults={"amount": amount, "entered_by": entered_by, "note": note},
    )
    return pool


@transaction.atomic
def royalty_statement_issue(
    *, agreement: Agreement, month: datetime.date
) -> RoyaltyStatement | None:
    """Issue the agreement's statement for `month`, or a correction superseding the current
    one when the figures changed. Idempotent: unchanged figures issue nothing and return the
    current statement; no streams and no statement yet issue nothing (None)."""
    agreement = Agreement.objects.select_for_update().select_related("party").get(pk=agreement.pk)
    month = month_start(month)
    figures = statement_figures(agreement=agreement, month=month)
    current = (
        RoyaltyStatement.objects.filter(agreement=agreement, month=month)
        .order_by("-revision")
        .prefetch_related("territories", "lines")
        .first()
    )
    if current is None and not figures.territories:
        return None
    if current is not None and _statement_key(current) == figures.key():
        return current
    revision = current.revision + 1 if current else 1
    statement = RoyaltyStatement.objects.create(
        agreement=agreement,
        month=month,
        revision=revision,
        number=f"{agreement.reference}-{month:%Y%m}-R{revision}",
        supersedes=current,
        revenue_share=figures.revenue_share,
        per_stream_minimum=figures.per_stream_minimum,
        streams=figures.streams,
        amount=figures.amount,
    )
    RoyaltyStatementTerritory.objects.bulk_create(
        RoyaltyStatementTerritory(
            statement=statement,
            territory=t.territory,
            streams=t.streams,
            territory_streams=t.territory_streams,
            pool_amount=t.pool_amount,
            pool_share=t.pool_share,
            minimum_amount=t.minimum_amount,
            amount=t.amount,
        )
        for t in figures.territories
    )
    RoyaltyStatementLine.objects.bulk_create(
        (
            RoyaltyStatementLine(
                statement=statement,
                territory=line.territory,
                track_id=line.track_id,
                isrc=line.isrc,
                track_title=line.track_title[:300],
                streams=line.streams,
                amount=line.amount,
            )
            for t in figures.territories
            for line in t.lines
        ),
        batch_size=1000,
    )
    return statement


def royalty_statements_issue_month(*, month: datetime.date) -> list[RoyaltyStatement]:
    """Issue the statements of every agreement in force during `month` (one transaction each)."""
    first = month_start(month)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    agreements = (
        Agreement.objects.exclude(status=Agreement.Status.DRAFT)
        .filter(starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .order_by("id")
    )
    issued = []
    for agreement in agreements:
        statement = royalty_statement_issue(agreement=agreement, month=first)
        if statement is not None:
            issued.append(statement)
    return issued


def _statement_key(statement: RoyaltyStatement) -> tuple:
    lines: dict[str, list] = {}
    for line in sorted(
        statement.lines.all(), key=lambda x: (x.territory, -x.streams, x.track_id or 0)
    ):
        lines.setdefault(line.territory, []).append((line.track_id, line.streams, line.amount))
    return (
        statement.revenue_share,
        statement.per_stream_minimum,
        tuple(
            (
                t.territory,
                t.streams,
                t.territory_streams,
                t.pool_amount,
                t.pool_share,
                t.minimum_amount,
                t.amount,
                tuple(lines.get(t.territory, ())),
            )
            for t in sorted(statement.territories.all(), key=lambda t: t.territory)
        ),
    )
