"""Royalty arithmetic: what one agreement earned in one month, per territory and track.

Rounding, in this order (money is Decimal, never float):
1. pool share = pool x agreement streams / all streams in the territory (exact Decimal);
2. territory amount = max(pool share x revenue share, streams x per-stream minimum),
   rounded once to the cent, half to even;
3. the territory amount is split over the agreement's tracks by streams with the
   largest-remainder method, so the lines of a territory add up to it exactly.
Streams are qualifying streams from playback's daily counts (plays that passed playback's
integrity rules, 30 s or more). The terms (revenue share, per-stream minimum) are those in
force for the month (`AgreementTerms`), so a later change of terms never re-prices it. A
territory's total counts only streams of tracks licensed there that month (covered by an
agreement in force with the territory among its markets): streams of unlicensed tracks
would otherwise dilute every rights holder's share of the pool.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Q, Sum

from catalog.models import Track
from licensing.models import Agreement, AgreementMarket, AgreementTerms, RevenuePool
from playback.models import DailyTrackStreams

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineFigures:
    territory: str
    track_id: int
    isrc: str
    track_title: str
    streams: int
    amount: Decimal


@dataclass
class TerritoryFigures:
    territory: str
    streams: int
    territory_streams: int
    pool_amount: Decimal
    pool_share: Decimal
    minimum_amount: Decimal
    amount: Decimal
    lines: list[LineFigures] = field(default_factory=list)

    def key(self) -> tuple:
        return (
            self.territory,
            self.streams,
            self.territory_streams,
            self.pool_amount,
            self.pool_share,
            self.minimum_amount,
            self.amount,
            tuple((x.track_id, x.streams, x.amount) for x in self.lines),
        )


@dataclass
class StatementFigures:
    revenue_share: Decimal
    per_stream_minimum: Decimal
    territories: list[TerritoryFigures]

    @property
    def streams(self) -> int:
        return sum(t.streams for t in self.territories)

    @property
    def amount(self) -> Decimal:
        return sum((t.amount for t in self.territories), Decimal("0.00"))

    def key(self) -> tuple:
        return (
            self.revenue_share,
            self.per_stream_minimum,
            tuple(t.key() for t in self.territories),
        )


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def largest_remainder(total: Decimal, weights: Sequence[int], quantum: Decimal = CENT) -> list:
    """Split `total` over `weights` in multiples of `quantum`, adding up to `total` exactly.

    Each part is first floored; the quanta left over go one each to the parts with the
    largest remainders (ties: the earlier part). All weights zero: everything to none.
    """
    units = int((total / quantum).to_integral_value())
    if units * quantum != total:
        raise ValueError(f"{total} is not a multiple of {quantum}.")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if units:
            raise ValueError("Cannot split an amount over zero weights.")
        return [Decimal(0) * quantum for _ in weights]
    floors, remainders = [], []
    for weight in weights:
        floor, remainder = divmod(units * weight, weight_sum)
        floors.append(floor)
        remainders.append(remainder)
    leftover = units - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        floors[index] += 1
    return [floor * quantum for floor in floors]


def agreement_period(agreement: Agreement, month: datetime.date) -> tuple | None:
    """The days of `month` the agreement was in force, as (first, last), or None."""
    first = max(month_start(month), agreement.starts_on)
    last = month_end(month)
    if agreement.ends_on is not None:
        last = min(last, agreement.ends_on)
    return (first, last) if first <= last else None


def covered_tracks(agreement: Agreement):
    if agreement.scope == Agreement.Scope.RELEASES:
        return Track.objects.filter(release__licensing_agreements=agreement)
    return Track.objects.filter(release__label__licensing_parties=agreement.party_id)


def terms_for_month(agreement: Agreement, month: datetime.date) -> tuple[Decimal, Decimal]:
    """(revenue share, per-stream minimum) in force for `month`: the latest terms from that
    month or before; the agreement's own fields when it has no recorded terms."""
    terms = (
        AgreementTerms.objects.filter(agreement=agreement, effective_from__lte=month_start(month))
        .order_by("-effective_from")
        .values_list("revenue_share", "per_stream_minimum")
        .first()
    )
    if terms is None:
        earliest = (
            AgreementTerms.objects.filter(agreement=agreement)
            .order_by("effective_from")
            .values_list("revenue_share", "per_stream_minimum")
            .first()
        )
        terms = earliest or (agreement.revenue_share, agreement.per_stream_minimum)
    return terms


def licensed_track_ids(*, territory: str, first: datetime.date, last: datetime.date):
    """Ids (a subquery) of the tracks an agreement in force between `first` and `last`
    licenses in `territory`."""
    agreements = (
        Agreement.objects.exclude(status=Agreement.Status.DRAFT)
        .filter(starts_on__lte=last, markets__market=territory)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
    )
    return Track.objects.filter(
        Q(release__licensing_agreements__in=agreements.filter(scope=Agreement.Scope.RELEASES))
        | Q(
            release__label__licensing_parties__agreements__in=agreements.filter(
                scope=Agreement.Scope.CATALOGUE
            )
        )
    ).values("id")


def statement_figures(*, agreement: Agreement, month: datetime.date) -> StatementFigures:
    """Compute (without writing) the statement of `agreement` for `month`."""
    revenue_share, per_stream_minimum = terms_for_month(agreement, month)
    figures = StatementFigures(
        revenue_share=revenue_share,
        per_stream_minimum=per_stream_minimum,
        territories=[],
    )
    period = agreement_period(agreement, month)
    if period is None:
        return figures
    rows = (
        DailyTrackStreams.objects.filter(
            day__range=period,
            country__in=AgreementMarket.objects.filter(agreement=agreement).values("market"),
            track__in=covered_tracks(agreement).values("id"),
        )
        .values("country", "track_id", "track__isrc", "track__title")
        .annotate(total=Sum("streams"))
        .filter(total__gt=0)
        .order_by("country", "-total", "track_id")
    )
    by_territory: dict[str, list] = defaultdict(list)
    for row in rows:
        by_territory[row["country"]].append(row)
    if not by_territory:
        return figures
    first, last = month_start(month), month_end(month)
    territory_streams = {
        territory: DailyTrackStreams.objects.filter(
            day__range=(first, last),
            country=territory,
            track__in=licensed_track_ids(territory=territory, first=first, last=last),
        ).aggregate(total=Sum("streams"))["total"]
        for territory in by_territory
    }
    pools = dict(
        RevenuePool.objects.filter(month=first, territory__in=by_territory).values_list(
            "territory", "amount"
        )
    )
    for territory, lines in sorted(by_territory.items()):
        streams = sum(row["total"] for row in lines)
        everyone = territory_streams.get(territory) or streams
        pool = pools.get(territory, Decimal("0.00"))
        share_exact = pool * streams / everyone
        minimum_exact = per_stream_minimum * streams
        amount = _cents(max(share_exact * revenue_share, minimum_exact))
        amounts = largest_remainder(amount, [row["total"] for row in lines])
        figures.territories.append(
            TerritoryFigures(
                territory=territory,
                streams=streams,
                territory_streams=everyone,
                pool_amount=pool,
                pool_share=_cents(share_exact),
                minimum_amount=_cents(minimum_exact),
                amount=amount,
                lines=[
                    LineFigures(
                        territory=territory,
                        track_id=row["track_id"],
                        isrc=row["track__isrc"] or "",
                        track_title=row["track__title"],
                        streams=row["total"],
                        amount=line_amount,
                    )
                    for row, line_amount in zip(lines, amounts, strict=True)
                ],
            )
        )
    return figures


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)
