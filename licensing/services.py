"""Writes of licensing. `check_*` validate and raise ValidationFailed; the others act.

Every write that changes rights (agreement, go-live moment, takedown) refreshes the
catalog availability of the releases it touches: takedowns and go-live moments at once in
the same transaction; agreements too unless they cover many tracks, then a task does it
after the commit.
"""

import datetime
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.availability import (
    AvailabilityWriteResult,
    track_availability_rebuild_swap,
    track_availability_write,
)
from catalog.models import Label, Release, Track
from common.errors import ValidationFailed
from licensing import selectors
from licensing.models import (
    Agreement,
    AgreementMarket,
    AgreementTerms,
    LabelMembership,
    Party,
    ReleaseMarketDate,
    RevenuePool,
    RoyaltyStatement,
    RoyaltyStatementLine,
    RoyaltyStatementTerritory,
    Takedown,
)
from licensing.royalties import month_start, statement_figures
from licensing.territories import (
    UnknownTerritory,
    agreement_markets,
    local_midnight,
    territory_markets,
    territory_tokens,
)

# Agreements changing the rights of more tracks than this refresh availability in a task.
SYNC_REFRESH_MAX_TRACKS = 5_000


# Parties


@transaction.atomic
def party_create(*, name: str, kind: str = Party.Kind.LABEL, labels: Iterable[Label] = ()) -> Party:
    party = Party.objects.create(name=name.strip(), kind=kind)
    party.labels.set(labels)
    return party


@transaction.atomic
def party_labels_set(*, party: Party, labels: Iterable[Label]) -> Party:
    """Change the labels a party licenses; catalogue agreements follow, so does availability."""
    before = set(party.labels.values_list("id", flat=True))
    party.labels.set(labels)
    after = set(party.labels.values_list("id", flat=True))
    if party.agreements.filter(scope=Agreement.Scope.CATALOGUE).exists():
        _availability_refresh_soon(label_ids=before ^ after, release_ids=set())
    return party


@transaction.atomic
def label_membership_create(*, user, party: Party) -> LabelMembership:
    return LabelMembership.objects.get_or_create(user=user, party=party)[0]


# Agreements


def check_territories(*, territories: str, excluded_territories: str = "") -> frozenset[str]:
    """Return the markets of the territory expressions; unknown codes are a clear error."""
    try:
        markets = agreement_markets(territories, excluded_territories)
    except UnknownTerritory as exc:
        raise ValidationFailed(str(exc)) from None
    if not markets:
        raise ValidationFailed("The territories name no market once the exclusions are taken out.")
    return markets


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


def territory_markets_tokens(expression: str) -> list[str]:
    """The expression's tokens, upper case and in order, once each (its stored form)."""
    return list(dict.fromkeys(territory_tokens(expression)))


# Release dates and takedowns


def check_market(*, market: str) -> str:
    market = (market or "").strip().upper()
    try:
        markets = territory_markets(market)
    except UnknownTerritory as exc:
        raise ValidationFailed(str(exc)) from None
    if len(markets) != 1 or market not in markets:
        raise ValidationFailed(f"{market!r} is not one country: use an ISO 3166-1 alpha-2 code.")
    return market


@transaction.atomic
def release_market_dates_set(
    *, release: Release, live_at: Mapping[str, datetime.datetime]
) -> list[ReleaseMarketDate]:
    """Make `live_at` the release's go-live moments (markets not named: no gate)."""
    wanted = {check_market(market=market): moment for market, moment in live_at.items()}
    Release.objects.select_for_update().filter(pk=release.pk).first()
    ReleaseMarketDate.objects.filter(release=release).exclude(market__in=wanted).delete()
    dates = []
    for market, moment in sorted(wanted.items()):
        date, _ = ReleaseMarketDate.objects.update_or_create(
            release=release, market=market, defaults={"live_at": moment}
        )
        dates.append(date)
    availability_refresh(release_ids={release.pk})
    return dates


@transaction.atomic
def release_market_date_save(
    *, release: Release, market: str, live_at: datetime.datetime
) -> ReleaseMarketDate:
    market = check_market(market=market)
    date, _ = ReleaseMarketDate.objects.update_or_create(
        release=release, market=market, defaults={"live_at": live_at}
    )
    availability_refresh(release_ids={release.pk})
    return date


@transaction.atomic
def release_market_date_delete(*, release_market_date: ReleaseMarketDate) -> None:
    release_id = release_market_date.release_id
    release_market_date.delete()
    availability_refresh(release_ids={release_id})


@transaction.atomic
def release_schedule_local(
    *,
    release: Release,
    day: datetime.date,
    markets: Iterable[str] | None = None,
) -> list[ReleaseMarketDate]:
    """Go live at local midnight of `day` in each market (the Friday release moving west
    through the time zones); `markets` default to every market the release is licensed in."""
    if markets is None:
        markets = set(
            AgreementMarket.objects.filter(
                Q(agreement__releases=release)
                | Q(
                    agreement__scope=Agreement.Scope.CATALOGUE,
                    agreement__party__labels=release.label_id,
                )
            ).values_list("market", flat=True)
        )
    return release_market_dates_set(
        release=release,
        live_at={market: local_midnight(market, day) for market in markets},
    )


@transaction.atomic
def takedown_create(
    *,
    release: Release,
    reason: str,
    track: Track | None = None,
    territories: str = "",
    note: str = "",
    effective_at: datetime.datetime | None = None,
    created_by=None,
) -> Takedown:
    """Take the release (or one track) down, from `effective_at` (default: now) on.

    Availability is rewritten in this transaction, so it is gone at commit.
    """
    if track is not None and track.release_id != release.pk:
        raise ValidationFailed("The track is not on this release.")
    if territories.strip():
        check_territories(territories=territories)
    takedown = Takedown.objects.create(
        release=release,
        track=track,
        territories=" ".join(territory_markets_tokens(territories)),
        reason=reason,
        note=note,
        effective_at=effective_at or timezone.now(),
        created_by=created_by,
    )
    availability_refresh(release_ids={release.pk})
    return takedown


@transaction.atomic
def takedown_lift(*, takedown: Takedown, lifted_at: datetime.datetime | None = None) -> Takedown:
    takedown = Takedown.objects.select_for_update().get(pk=takedown.pk)
    if takedown.lifted_at is not None:
        return takedown
    lifted_at = lifted_at or timezone.now()
    if lifted_at <= takedown.effective_at:
        raise ValidationFailed("A takedown is lifted after it takes effect.")
    takedown.lifted_at = lifted_at
    takedown.save(update_fields=["lifted_at"])
    availability_refresh(release_ids={takedown.release_id})
    return takedown


# Availability


def availability_refresh(
    *, label_ids: Collection[int] = (), release_ids: Collection[int] = ()
) -> AvailabilityWriteResult:
    """Recompute and write the availability of the releases of `label_ids` and `release_ids`.

    Idempotent (rows already right stay). Set-based; one transaction per chunk of tracks,
    savepoints inside the caller's transaction.
    """
    scope = selectors.release_scope(label_ids=label_ids, release_ids=release_ids)
    plan = selectors.availability_plan(scope=scope)
    scoped = list(Release.objects.filter(scope).values_list("id", flat=True))
    return track_availability_write(plan=plan, release_ids=scoped)


def availability_rebuild(
    *, swap: bool | None = None, chunk_tracks: int | None = None
) -> AvailabilityWriteResult:
    """Recompute the availability of every track from the rights and replace all of it.

    Tracks no active agreement covers end up with no availability. On PostgreSQL (outside a
    transaction) the new rows go into a new table swapped in at the end; elsewhere the rows
    are diffed chunk by chunk.
    """
    plan = selectors.availability_plan()
    if swap is None:
        swap = connection.vendor == "postgresql" and not connection.in_atomic_block
    options = {"chunk_tracks": chunk_tracks} if chunk_tracks else {}
    if swap:
        return track_availability_rebuild_swap(plan=plan, **options)
    return track_availability_write(plan=plan, **options)


def availability_refresh_recent(*, since: datetime.datetime) -> AvailabilityWriteResult:
    """Give tracks created since `since` their availability (catalog imports add tracks)."""
    release_ids = set(
        Track.objects.filter(created_at__gte=since).values_list("release_id", flat=True)
    )
    return availability_refresh(release_ids=release_ids)


def _availability_refresh_soon(*, label_ids: set[int], release_ids: set[int]) -> None:
    if not label_ids and not release_ids:
        return
    tracks = Track.objects.filter(
        release__in=Release.objects.filter(
            selectors.release_scope(label_ids=label_ids, release_ids=release_ids)
        )
    ).count()
    if tracks <= SYNC_REFRESH_MAX_TRACKS:
        availability_refresh(label_ids=label_ids, release_ids=release_ids)
        return
    from licensing import tasks  # tasks call services; a late import avoids the cycle

    labels, releases = sorted(label_ids), sorted(release_ids)
    transaction.on_commit(
        lambda: tasks.availability_refresh.delay(label_ids=labels, release_ids=releases)
    )


# Revenue pools and royalty statements


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
