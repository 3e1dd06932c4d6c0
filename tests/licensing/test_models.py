import datetime

import pytest
from django.core.exceptions import ValidationError

from licensing.models import Agreement, RevenuePool, Takedown
from licensing.territories import (
    GROUPS,
    UnknownTerritory,
    agreement_markets,
    all_markets,
    local_midnight,
    territory_markets,
)
from tests.licensing.conftest import utc


def test_groups_name_known_countries_only():
    for name, codes in GROUPS.items():
        assert set(codes) <= all_markets(), name
    assert len(all_markets()) >= 180


def test_territory_expressions():
    assert territory_markets("se, no") == {"SE", "NO"}
    assert len(territory_markets("EU")) == 27
    assert agreement_markets("EEA", "EU") == {"IS", "LI", "NO"}
    with pytest.raises(UnknownTerritory, match="'UK'"):
        territory_markets("UK")


def test_local_midnight():
    assert local_midnight("AU", datetime.date(2025, 3, 7)) == utc(2025, 3, 6, 13)
    assert local_midnight("SE", datetime.date(2025, 7, 4)) == utc(2025, 7, 3, 22)
    assert local_midnight("US", datetime.date(2025, 3, 7)) == utc(2025, 3, 7, 5)


def test_agreement_clean_reports_each_problem_on_its_field():
    agreement = Agreement(
        territories="EU XX",
        excluded_territories="",
        starts_on=datetime.date(2025, 2, 1),
        ends_on=datetime.date(2025, 1, 31),
    )
    with pytest.raises(ValidationError) as raised:
        agreement.clean()
    assert "Unknown territory code 'XX'" in raised.value.message_dict["territories"][0]
    assert "before it starts" in raised.value.message_dict["ends_on"][0]


def test_agreement_window_is_whole_utc_days():
    agreement = Agreement(starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2025, 1, 31))
    assert (agreement.starts_at, agreement.ends_at) == (utc(2025, 1, 1), utc(2025, 2, 1))


def test_revenue_pool_and_takedown_clean():
    with pytest.raises(ValidationError) as raised:
        RevenuePool(month=datetime.date(2025, 3, 2), territory="EU").clean()
    assert set(raised.value.message_dict) == {"month", "territory"}
    with pytest.raises(ValidationError, match="lifted after"):
        Takedown(territories="", effective_at=utc(2025, 1, 2), lifted_at=utc(2025, 1, 1)).clean()
