import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from licensing import services
from licensing.models import RoyaltyStatement, RoyaltyStatementLine, RoyaltyStatementTerritory
from licensing.royalties import largest_remainder
from playback.models import DailyTrackStreams, PlayEvent
from playback.services import stream_counts_build
from tests.catalog.factories import ReleaseFactory, TrackFactory
from tests.licensing.conftest import utc
from tests.licensing.factories import AgreementFactory, PartyFactory
from tests.playback.factories import PlayEventFactory

MARCH = datetime.date(2025, 3, 1)


def streams(track, country, day, count, source=PlayEvent.Context.ALBUM):
    return DailyTrackStreams.objects.create(
        day=day, track=track, country=country, source=source, streams=count, listeners=count
    )


class TestLargestRemainder:
    def test_parts_add_up_exactly(self):
        assert largest_remainder(Decimal("100.00"), [1, 1, 1]) == [
            Decimal("33.34"),
            Decimal("33.33"),
            Decimal("33.33"),
        ]

    def test_largest_remainders_get_the_leftover_cents(self):
        parts = largest_remainder(Decimal("0.10"), [7, 2, 1, 5])
        assert sum(parts) == Decimal("0.10")
        assert parts == [Decimal("0.05"), Decimal("0.01"), Decimal("0.01"), Decimal("0.03")]

    def test_zero(self):
        assert largest_remainder(Decimal("0.00"), [0, 0]) == [Decimal("0.00")] * 2


@pytest.fixture
def catalogue(db):
    """Two labels; the first has an agreement in SE and NO with a 0.5 revenue share, the
    second one in SE."""
    party = PartyFactory()
    release = ReleaseFactory(label=party.labels.get())
    tracks = [TrackFactory(release=release) for _ in range(3)]
    agreement = AgreementFactory(
        party=party,
        territories="SE NO",
        starts_on=datetime.date(2025, 1, 1),
        revenue_share=Decimal("0.5"),
        per_stream_minimum=Decimal("0.001"),
    )
    other_party = PartyFactory()
    AgreementFactory(party=other_party, territories="SE", starts_on=datetime.date(2025, 1, 1))
    other = TrackFactory(release=ReleaseFactory(label=other_party.labels.get()))
    return agreement, tracks, other


def test_statement_counts_streams_and_splits_the_pool_share_exactly(catalogue):
    agreement, (a, b, c), other = catalogue
    streams(a, "SE", datetime.date(2025, 3, 3), 1000)
    streams(a, "SE", datetime.date(2025, 3, 4), 1000, PlayEvent.Context.PLAYLIST)
    streams(b, "SE", datetime.date(2025, 3, 31), 1000)
    streams(c, "SE", datetime.date(2025, 3, 15), 1)
    streams(other, "SE", datetime.date(2025, 3, 10), 997)  # someone else's: in the total only
    streams(a, "NO", datetime.date(2025, 3, 10), 7)
    streams(a, "US", datetime.date(2025, 3, 10), 500)  # not an agreed market
    streams(a, "SE", datetime.date(2025, 4, 1), 500)  # next month
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("1000.00"))
    services.revenue_pool_set(month=MARCH, territory="NO", amount=Decimal("333.33"))

    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)

    assert statement.number == f"{agreement.reference}-202503-R1"
    assert statement.streams == 3001 + 7
    se, no = statement.territories.order_by("territory").reverse()
    # SE: 3001 of 3998 streams -> 750.625... of 1000.00; half of it is the royalty.
    assert (se.territory, se.streams, se.territory_streams) == ("SE", 3001, 3998)
    assert se.pool_share == Decimal("750.63")
    assert se.amount == Decimal("375.31")  # 375.3126... rounded half-even
    # NO: all 7 streams are the agreement's: half of the pool, but at least 7 x 0.001.
    assert (no.streams, no.amount) == (7, Decimal("166.66"))  # 166.665 -> half-even
    lines = {(x.territory, x.track_id): x for x in statement.lines.all()}
    assert sum(x.streams for x in lines.values()) == statement.streams
    for territory in (se, no):
        parts = [x.amount for (t, _), x in lines.items() if t == territory.territory]
        assert sum(parts) == territory.amount
    assert lines[("SE", a.id)].streams == 2000
    assert lines[("SE", c.id)].amount == Decimal("0.13")  # 1/3001 of 375.31 gets a cent+
    assert statement.amount == se.amount + no.amount


def test_per_stream_minimum_applies_without_a_pool(catalogue):
    agreement, (a, *_), _ = catalogue
    streams(a, "SE", datetime.date(2025, 3, 3), 1234)
    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    assert statement.amount == Decimal("1.23")  # 1234 x 0.001, no pool entered


def test_only_plays_of_30_seconds_or_more_count(catalogue):
    agreement, (a, *_), _ = catalogue
    ended = utc(2025, 3, 5, 12)
    for ms in (29_999, 30_000, 31_000, 5_000):
        PlayEventFactory(track=a, country="SE", ms_played=ms, ended_at=ended)
    stream_counts_build(days=[datetime.date(2025, 3, 5)])
    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    assert statement.streams == 2


def test_statements_are_idempotent_and_corrections_supersede(catalogue):
    agreement, (a, *_), _ = catalogue
    streams(a, "SE", datetime.date(2025, 3, 3), 100)
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("10.00"))
    first = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    assert services.royalty_statement_issue(agreement=agreement, month=MARCH) == first
    assert RoyaltyStatement.objects.count() == 1

    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("20.00"))
    issued = services.royalty_statements_issue_month(month=datetime.date(2025, 3, 17))

    assert [s.revision for s in issued] == [2]
    correction = issued[0]
    assert correction.supersedes == first
    assert correction.amount == Decimal("10.00")
    first.refresh_from_db()
    assert first.amount == Decimal("5.00")  # the issued statement did not change
    assert first.superseded_by == correction


def test_no_streams_no_statement(catalogue):
    agreement, *_ = catalogue
    assert services.royalty_statement_issue(agreement=agreement, month=MARCH) is None


def test_streams_outside_the_agreement_period_do_not_count(catalogue):
    agreement, (a, *_), _ = catalogue
    services.agreement_update(
        agreement=agreement,
        reference=agreement.reference,
        territories="SE NO",
        starts_on=datetime.date(2025, 3, 10),
        revenue_share=Decimal("0.5"),
        status=agreement.status,
    )
    streams(a, "SE", datetime.date(2025, 3, 9), 50)
    streams(a, "SE", datetime.date(2025, 3, 10), 5)
    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    assert statement.streams == 5


def test_unlicensed_streams_do_not_dilute_the_territory_pool(catalogue):
    agreement, (a, *_), other = catalogue
    unlicensed = TrackFactory(release=ReleaseFactory(label=PartyFactory().labels.get()))
    streams(a, "SE", datetime.date(2025, 3, 3), 100)
    streams(other, "SE", datetime.date(2025, 3, 3), 100)
    streams(unlicensed, "SE", datetime.date(2025, 3, 3), 800)  # no agreement anywhere
    streams(other, "NO", datetime.date(2025, 3, 3), 900)  # other is licensed in SE only
    streams(a, "NO", datetime.date(2025, 3, 3), 100)
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("100.00"))
    services.revenue_pool_set(month=MARCH, territory="NO", amount=Decimal("100.00"))

    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)

    territories = {t.territory: t for t in statement.territories.all()}
    assert territories["SE"].territory_streams == 200
    assert territories["SE"].pool_share == Decimal("50.00")
    assert territories["NO"].territory_streams == 100
    assert territories["NO"].pool_share == Decimal("100.00")


def test_term_changes_are_not_retroactive(catalogue):
    agreement, (a, *_), _ = catalogue
    streams(a, "SE", datetime.date(2025, 3, 3), 100)
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("10.00"))
    first = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    assert (first.revenue_share, first.amount) == (Decimal("0.5"), Decimal("5.00"))

    services.agreement_update(
        agreement=agreement,
        reference=agreement.reference,
        territories="SE NO",
        starts_on=agreement.starts_on,
        revenue_share=Decimal("0.9"),
        per_stream_minimum=agreement.per_stream_minimum,
        status=agreement.status,
    )

    # Re-running March issues nothing: its terms are those in force in March.
    assert services.royalty_statement_issue(agreement=agreement, month=MARCH) == first
    assert RoyaltyStatement.objects.filter(agreement=agreement).count() == 1
    # A month after the change uses the new terms.
    later = timezone.now().date().replace(day=1)
    streams(a, "SE", later, 100)
    services.revenue_pool_set(month=later, territory="SE", amount=Decimal("10.00"))
    statement = services.royalty_statement_issue(agreement=agreement, month=later)
    assert statement.revenue_share == Decimal("0.9")


def test_the_database_refuses_to_update_an_issued_statement(catalogue):
    agreement, (a, *_), _ = catalogue
    streams(a, "SE", datetime.date(2025, 3, 3), 100)
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("10.00"))
    statement = services.royalty_statement_issue(agreement=agreement, month=MARCH)
    line = statement.lines.get()

    for query in (
        RoyaltyStatement.objects.filter(pk=statement.pk),
        RoyaltyStatementTerritory.objects.filter(statement=statement),
        RoyaltyStatementLine.objects.filter(pk=line.pk),
    ):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            query.update(amount=Decimal("999.00"))
    statement.refresh_from_db()
    assert statement.amount == Decimal("5.00")
    # Deleting the track only unlinks the line (ON DELETE SET NULL), figures unchanged.
    a.delete()
    line.refresh_from_db()
    assert (line.track_id, line.amount, line.isrc) == (None, Decimal("5.00"), a.isrc or "")
