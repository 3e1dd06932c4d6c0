"""Agreements: checked terms, markets and releases; each change refreshes availability."""

import datetime
from collections.abc import Collection, Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Release
from common.errors import ValidationFailed
from licensing import selectors
from licensing.models import Agreement, AgreementMarket, AgreementTerms, Party, RoyaltyStatement
from licensing.royalties import month_start

from .availability import _availability_refresh_soon
from .markets import check_territories, territory_markets_tokens


def check_agreement_dates(*, starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(f"The agreement ends ({ends_on}) before it starts ({starts_on}).")


def check_agreement_overlap(
    *,
    party: Party,
    scope: str,
    release_ids: Collection[int],
    markets: frozenset[str],
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    agreement_id: int | None = None,
) -> None:
    """Refuse a second live agreement of the party for the same releases, markets and days."""
    others = (
        Agreement.objects.filter(party=party, starts_on__lte=ends_on or datetime.date.max)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        .exclude(status=Agreement.Status.TERMINATED)
        .exclude(pk=agreement_id)
        .prefetch_related("markets", "releases")
        .order_by("starts_on", "id")
    )
    for other in others:
        if scope == other.scope == Agreement.Scope.RELEASES:
            common_releases = set(release_ids) & {r.id for r in other.releases.all()}
            if not common_releases:
                continue
            what = f"{len(common_releases)} of the same releases"
        else:  # one of them covers the whole catalogue
            what = "the same label catalogue"
        common = sorted(markets & {m.market for m in other.markets.all()})
        if common:
            shown = ", ".join(common[:10]) + (
                f" and {len(common) - 10} more" if common[10:] else ""
            )
            period = f"{other.starts_on} to {other.ends_on or 'open end'}"
            raise ValidationFailed(
                f"Overlaps agreement {other.reference} ({period}, {other.status}) for {what} "
                f"in {shown}: end one before the other starts, or exclude those markets."
            )


def check_agreement(
    *,
    party: Party,
    scope: str,
    release_ids: Collection[int],
    territories: str,
    excluded_territories: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    status: str,
    agreement_id: int | None = None,
) -> frozenset[str]:
    """Validate agreement terms as a whole; return the markets they cover."""
    check_agreement_dates(starts_on=starts_on, ends_on=ends_on)
    markets = check_territories(territories=territories, excluded_territories=excluded_territories)
    if scope == Agreement.Scope.RELEASES and not release_ids:
        raise ValidationFailed("List the releases the agreement covers, or cover the catalogue.")
    if status != Agreement.Status.TERMINATED:
        check_agreement_overlap(
            party=party,
            scope=scope,
            release_ids=release_ids,
            markets=markets,
            starts_on=starts_on,
            ends_on=ends_on,
            agreement_id=agreement_id,
        )
    return markets


@transaction.atomic
def agreement_create(
    *,
    party: Party,
    reference: str,
    territories: str,
    starts_on: datetime.date,
    revenue_share: Decimal,
    excluded_territories: str = "",
    ends_on: datetime.date | None = None,
    scope: str = Agreement.Scope.CATALOGUE,
    releases: Iterable[Release] = (),
    per_stream_minimum: Decimal = Decimal(0),
    status: str = Agreement.Status.DRAFT,
    notes: str = "",
) -> Agreement:
    agreement = Agreement(party=party)
    return _agreement_write(
        agreement,
        reference=reference,
        territories=territories,
        excluded_territories=excluded_territories,
        starts_on=starts_on,
        ends_on=ends_on,
        scope=scope,
        releases=list(releases),
        revenue_share=revenue_share,
        per_stream_minimum=per_stream_minimum,
        status=status,
        notes=notes,
    )


@transaction.atomic
def agreement_update(
    *,
    agreement: Agreement,
    reference: str,
    territories: str,
    starts_on: datetime.date,
    revenue_share: Decimal,
    excluded_territories: str = "",
    ends_on: datetime.date | None = None,
    scope: str = Agreement.Scope.CATALOGUE,
    releases: Iterable[Release] = (),
    per_stream_minimum: Decimal = Decimal(0),
    status: str = Agreement.Status.DRAFT,
    notes: str = "",
    party: Party | None = None,
) -> Agreement:
    """Replace the agreement's terms (all of them; the caller passes the unchanged ones)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if party is not None:
        agreement.party = party
    return _agreement_write(
        agreement,
        reference=reference,
        territories=territories,
        excluded_territories=excluded_territories,
        starts_on=starts_on,
        ends_on=ends_on,
        scope=scope,
        releases=list(releases),
        revenue_share=revenue_share,
        per_stream_minimum=per_stream_minimum,
        status=status,
        notes=notes,
    )


@transaction.atomic
def agreement_status_set(*, agreement: Agreement, status: str) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if status == agreement.status:
        return agreement
    if status != Agreement.Status.TERMINATED:
        check_agreement_overlap(
            party=agreement.party,
            scope=agreement.scope,
            release_ids=list(agreement.releases.values_list("id", flat=True)),
            markets=frozenset(agreement.markets.values_list("market", flat=True)),
            starts_on=agreement.starts_on,
            ends_on=agreement.ends_on,
            agreement_id=agreement.pk,
        )
    agreement.status = status
    agreement.save(update_fields=["status", "updated_at"])
    labels, releases = selectors.agreement_coverage(agreement=agreement)
    _availability_refresh_soon(label_ids=labels, release_ids=releases)
    return agreement


def _agreement_write(agreement: Agreement, *, releases: list[Release], **terms) -> Agreement:
    markets = check_agreement(
        party=agreement.party,
        scope=terms["scope"],
        release_ids=[release.id for release in releases],
        territories=terms["territories"],
        excluded_territories=terms["excluded_territories"],
        starts_on=terms["starts_on"],
        ends_on=terms["ends_on"],
        status=terms["status"],
        agreement_id=agreement.pk,
    )
    before = selectors.agreement_coverage(agreement=agreement) if agreement.pk else (set(), set())
    reference = terms["reference"].strip()
    if Agreement.objects.filter(reference=reference).exclude(pk=agreement.pk).exists():
        raise ValidationFailed(f"An agreement with reference {reference!r} exists already.")
    for name, value in terms.items():
        setattr(agreement, name, value)
    agreement.reference = reference
    agreement.territories = " ".join(territory_markets_tokens(terms["territories"]))
    agreement.excluded_territories = " ".join(
        territory_markets_tokens(terms["excluded_territories"])
    )
    agreement.save()
    _agreement_terms_record(agreement)
    agreement.releases.set(releases if agreement.scope == Agreement.Scope.RELEASES else [])
    agreement.markets.exclude(market__in=markets).delete()
    present = set(agreement.markets.values_list("market", flat=True))
    AgreementMarket.objects.bulk_create(
        AgreementMarket(agreement=agreement, market=market) for market in sorted(markets - present)
    )
    after = selectors.agreement_coverage(agreement=agreement)
    _availability_refresh_soon(label_ids=before[0] | after[0], release_ids=before[1] | after[1])
    return agreement


def _agreement_terms_record(agreement: Agreement) -> None:
    """Record the agreement's royalty terms when they changed, in force from the first month
    with no statement issued yet and not before this month: never retroactively.

    The first terms of an agreement apply from its first month.
    """
    latest = agreement.terms.order_by("-effective_from").first()
    current = (agreement.revenue_share, agreement.per_stream_minimum)
    if latest is None:
        effective_from = month_start(agreement.starts_on)
    elif (latest.revenue_share, latest.per_stream_minimum) == current:
        return
    else:
        effective_from = month_start(timezone.now().astimezone(datetime.UTC).date())
        issued = (
            RoyaltyStatement.objects.filter(agreement=agreement)
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
        if issued is not None and issued >= effective_from:
            effective_from = (issued + datetime.timedelta(days=32)).replace(day=1)
        effective_from = max(effective_from, latest.effective_from)
    AgreementTerms.objects.update_or_create(
        agreement=agreement,
        effective_from=effective_from,
        defaults={"revenue_share": current[0], "per_stream_minimum": current[1]},
    )
