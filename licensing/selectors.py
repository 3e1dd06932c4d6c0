"""Reads of licensing: the availability plan, statements for the people allowed to see them."""

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Collection

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from catalog.availability import AvailabilityPlan
from catalog.models import Release
from common.errors import NotFound, PermissionDenied
from licensing.models import (
    Agreement,
    AgreementMarket,
    LabelMembership,
    Party,
    ReleaseMarketDate,
    RoyaltyStatement,
    RoyaltyStatementLine,
    RoyaltyStatementTerritory,
    Takedown,
)
from licensing.rights import Block, Grant, market_windows
from licensing.territories import territory_markets

# Availability


def release_scope(*, label_ids: Collection[int] = (), release_ids: Collection[int] = ()) -> Q:
    return Q(label_id__in=list(label_ids)) | Q(id__in=list(release_ids))


def availability_plan(*, scope: Q | None = None) -> AvailabilityPlan:
    """The availability of the releases in `scope` (None: all) as computed from the rights.

    Releases licensed alike share one profile; a release with its own go-live moments or
    takedowns, or an agreement of its own, gets its own; a track taken down alone, too.
    """
    releases = Release.objects.order_by()
    if scope is not None:
        releases = releases.filter(scope)
    release_ids = releases.values("id")

    grants = _active_grants()
    party_labels = defaultdict(list)
    for party_id, label_id in Party.labels.through.objects.values_list("party_id", "label_id"):
        party_labels[party_id].append(label_id)
    label_agreements: dict[int, list[int]] = defaultdict(list)
    for agreement_id, party_id in Agreement.objects.filter(
        status=Agreement.Status.ACTIVE, scope=Agreement.Scope.CATALOGUE
    ).values_list("id", "party_id"):
        for label_id in party_labels[party_id]:
            label_agreements[label_id].append(agreement_id)
    release_agreements: dict[int, list[int]] = defaultdict(list)
    for release_id, agreement_id in Agreement.releases.through.objects.filter(
        agreement__status=Agreement.Status.ACTIVE,
        agreement__scope=Agreement.Scope.RELEASES,
        release_id__in=release_ids,
    ).values_list("release_id", "agreement_id"):
        release_agreements[release_id].append(agreement_id)
    live_at: dict[int, dict[str, datetime.datetime]] = defaultdict(dict)
    for release_id, market, moment in ReleaseMarketDate.objects.filter(
        release_id__in=release_ids
    ).values_list("release_id", "market", "live_at"):
        live_at[release_id][market] = moment
    release_blocks: dict[int, list[Block]] = defaultdict(list)
    track_blocks: dict[tuple[int, int], list[Block]] = defaultdict(list)
    for release_id, track_id, territories, effective_at, lifted_at in Takedown.objects.filter(
        release_id__in=release_ids
    ).values_list("release_id", "track_id", "territories", "effective_at", "lifted_at"):
        block = Block(
            markets=territory_markets(territories) if territories.strip() else None,
            starts_at=effective_at,
            ends_at=lifted_at,
        )
        if track_id is None:
            release_blocks[release_id].append(block)
        else:
            track_blocks[(release_id, track_id)].append(block)

    numbers: dict[tuple, int] = {}
    plan = AvailabilityPlan(profiles={}, release_profiles={}, track_profiles={})

    def profile(agreement_ids: tuple, moments: dict, blocks: tuple) -> int:
        key = (agreement_ids, tuple(sorted(moments.items())), blocks)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            plan.profiles[numbers[key]] = market_windows(
                grants=[grants[i] for i in agreement_ids], live_at=moments, blocks=blocks
            )
        return numbers[key]

    release_keys = {}
    for release_id, label_id in releases.values_list("id", "label_id").iterator(chunk_size=10_000):
        agreement_ids = tuple(
            sorted({*label_agreements.get(label_id, ()), *release_agreements.get(release_id, ())})
        )
        if not agreement_ids:
            continue
        moments = live_at.get(release_id, {})
        blocks = tuple(release_blocks.get(release_id, ()))
        plan.release_profiles[release_id] = profile(agreement_ids, moments, blocks)
        release_keys[release_id] = (agreement_ids, moments, blocks)
    for (release_id, track_id), blocks in track_blocks.items():
        if release_id in release_keys:
            agreement_ids, moments, own = release_keys[release_id]
            plan.track_profiles[track_id] = profile(agreement_ids, moments, own + tuple(blocks))
    return plan


def _active_grants() -> dict[int, Grant]:
    markets: dict[int, set[str]] = defaultdict(set)
    for agreement_id, market in AgreementMarket.objects.filter(
        agreement__status=Agreement.Status.ACTIVE
    ).values_list("agreement_id", "market"):
        markets[agreement_id].add(market)
    return {
        agreement.id: Grant(
            markets=frozenset(markets[agreement.id]),
            starts_at=agreement.starts_at,
            ends_at=agreement.ends_at,
        )
        for agreement in Agreement.objects.filter(status=Agreement.Status.ACTIVE).only(
            "id", "starts_on", "ends_on"
        )
    }


def agreement_coverage(*, agreement: Agreement) -> tuple[set[int], set[int]]:
    """(label ids, release ids) whose releases the agreement covers."""
    if agreement.scope == Agreement.Scope.RELEASES:
        return set(), set(agreement.releases.values_list("id", flat=True))
    return set(agreement.party.labels.values_list("id", flat=True)), set()


# Statements


def reads_every_statement(user) -> bool:
    """Licensing staff: the model permission (superusers have it), not mere `is_staff`."""
    return user.is_active and user.has_perm("licensing.view_royaltystatement")


def party_get_for_user(*, user, party_id: int) -> Party:
    """The party, when `user` is licensing staff or one of its members: 404 unknown, 403 not
    a member."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        raise NotFound("Label not found.")
    if (
        not reads_every_statement(user)
        and not LabelMembership.objects.filter(user=user, party=party).exists()
    ):
        raise PermissionDenied("You are not a member of this label.")
    return party


def _statements() -> QuerySet[RoyaltyStatement]:
    return RoyaltyStatement.objects.select_related("agreement__party", "supersedes").annotate(
        is_superseded=Exists(RoyaltyStatement.objects.filter(supersedes=OuterRef("pk")))
    )


def statement_list(
    *, party: Party, month: datetime.date | None = None, current_only: bool = False
) -> QuerySet[RoyaltyStatement]:
    statements = _statements().filter(agreement__party=party)
    if month is not None:
        statements = statements.filter(month=month)
    if current_only:
        statements = statements.filter(is_superseded=False)
    return statements.order_by("-month", "agreement__reference", "-revision")


def statement_get_for_user(*, user, statement_id: int) -> RoyaltyStatement:
    """The statement with its territories and lines; 404 unless `user` may read it."""
    statements = _statements().prefetch_related(
        Prefetch("territories", queryset=RoyaltyStatementTerritory.objects.order_by("territory")),
        Prefetch(
            "lines",
            queryset=RoyaltyStatementLine.objects.order_by(
                "territory", "-streams", "track_title", "id"
            ),
        ),
    )
    if not reads_every_statement(user):
        statements = statements.filter(agreement__party__memberships__user=user)
    statement = statements.filter(pk=statement_id).first()
    if statement is None:
        raise NotFound("Statement not found.")
    return statement


CSV_COLUMNS = (
    "statement",
    "agreement",
    "party",
    "month",
    "revision",
    "supersedes",
    "territory",
    "isrc",
    "track_id",
    "track_title",
    "streams",
    "amount",
    "currency",
)


def statement_csv(*, statement: RoyaltyStatement) -> str:
    """One row per line; the amounts add up to the statement's amount exactly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines.order_by("territory", "-streams", "track_title", "id"):
        writer.writerow(
            (
                statement.number,
                statement.agreement.reference,
                statement.agreement.party.name,
                f"{statement.month:%Y-%m}",
                statement.revision,
                statement.supersedes.number if statement.supersedes_id else "",
                line.territory,
                line.isrc,
                line.track_id or "",
                _csv_safe(line.track_title),
                line.streams,
                f"{line.amount:.2f}",
                statement.currency,
            )
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from reading a title as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
