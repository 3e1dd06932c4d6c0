import datetime
from decimal import Decimal

import pytest

from licensing import services, tasks
from licensing.models import RoyaltyStatement
from playback.models import DailyTrackStreams
from tests.licensing.conftest import playable_markets, utc
from tests.licensing.factories import AgreementFactory

pytestmark = pytest.mark.django_db


def test_availability_tasks_are_thin_and_idempotent(
    party, track, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        "licensing.services.availability.SYNC_REFRESH_MAX_TRACKS", 0
    )  # force the task path
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        AgreementFactory(party=party, territories="DK")
        assert playable_markets(track, utc(2025, 1, 1)) == set()
    assert len(callbacks) == 1
    assert playable_markets(track, utc(2025, 1, 1)) == {"DK"}  # eager task ran on commit
    assert tasks.availability_refresh.delay(label_ids=[], release_ids=[track.release_id]).get() == 0
    assert tasks.availability_rebuild.delay().get() == 0


def test_monthly_statements_task(party, track):
    agreement = AgreementFactory(party=party, territories="SE")
    DailyTrackStreams.objects.create(
        day=datetime.date(2025, 3, 9), track=track, country="SE", source="album", streams=10
    )
    services.revenue_pool_set(month=datetime.date(2025, 3, 1), territory="SE", amount=Decimal(5))
    assert tasks.royalty_statements_issue_month.delay("2025-03-01").get() == 1
    assert tasks.royalty_statements_issue_month.delay("2025-03-01").get() == 1
    assert RoyaltyStatement.objects.get().agreement == agreement
