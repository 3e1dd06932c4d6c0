import datetime

import pytest
from django.urls import reverse

from licensing.models import Agreement
from tests.catalog.factories import track_windows
from tests.licensing.factories import AgreementFactory

pytestmark = pytest.mark.django_db


def _form(party, **overrides):
    data = {
        "party": party.pk,
        "reference": "NEW-1",
        "status": "active",
        "scope": "catalogue",
        "territories": "NORDICS",
        "excluded_territories": "",
        "starts_on": "2025-01-01",
        "ends_on": "",
        "revenue_share": "0.5",
        "per_stream_minimum": "0",
        "notes": "",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"territories": "SE QQ"}, "Unknown territory code &#x27;QQ&#x27;"),
        ({"ends_on": "2024-12-31"}, "before it starts"),
        ({"territories": "SE"}, "Overlaps agreement OLD-1"),
    ],
)
def test_add_form_shows_clear_errors(client, staff_user, party, overrides, message):
    AgreementFactory(party=party, reference="OLD-1", territories="EU")
    client.force_login(staff_user)
    response = client.post(reverse("admin:licensing_agreement_add"), _form(party, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Agreement.objects.count() == 1


def test_add_form_saves_through_the_services(client, staff_user, party, track):
    client.force_login(staff_user)
    response = client.post(reverse("admin:licensing_agreement_add"), _form(party))
    assert response.status_code == 302
    agreement = Agreement.objects.get(reference="NEW-1")
    assert agreement.markets.count() == 8
    assert "SE" in {market for market, _starts, _ends in track_windows(track)}


def test_statement_csv_in_admin(client, staff_user, party, track):
    from decimal import Decimal

    from licensing import services
    from playback.models import DailyTrackStreams

    agreement = AgreementFactory(party=party, territories="SE")
    DailyTrackStreams.objects.create(
        day=datetime.date(2025, 3, 2), track=track, country="SE", source="album", streams=3
    )
    services.revenue_pool_set(month=datetime.date(2025, 3, 1), territory="SE", amount=Decimal(1))
    statement = services.royalty_statement_issue(
        agreement=agreement, month=datetime.date(2025, 3, 1)
    )
    client.force_login(staff_user)
    change = client.get(reverse("admin:licensing_royaltystatement_change", args=[statement.pk]))
    assert change.status_code == 200
    response = client.get(reverse("admin:licensing_royaltystatement_csv", args=[statement.pk]))
    assert response.status_code == 200
    assert statement.number in response.content.decode()
