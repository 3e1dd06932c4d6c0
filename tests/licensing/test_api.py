import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from licensing import services
from playback.models import DailyTrackStreams
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ReleaseFactory, TrackFactory
from tests.licensing.factories import AgreementFactory, LabelMembershipFactory, PartyFactory

MARCH = datetime.date(2025, 3, 1)


def _statement_for(party, count=120):
    tracks = [TrackFactory(release=ReleaseFactory(label=party.labels.get())) for _ in range(2)]
    agreement = AgreementFactory(party=party, territories="SE")
    for n, track in enumerate(tracks):
        DailyTrackStreams.objects.create(
            day=MARCH, track=track, country="SE", source="album", streams=count + n
        )
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("99.99"))
    return services.royalty_statement_issue(agreement=agreement, month=MARCH)


@pytest.fixture
def mine(db):
    return PartyFactory(name="Mine Records")


@pytest.fixture
def theirs(db):
    return PartyFactory(name="Their Records")


@pytest.fixture
def member_client(mine):
    membership = LabelMembershipFactory(party=mine)
    client = APIClient()
    client.force_authenticate(membership.user)
    return client


def test_member_lists_their_label_statements(member_client, mine, django_assert_max_num_queries):
    statement = _statement_for(mine)
    with django_assert_max_num_queries(6):
        response = member_client.get(f"/api/v1/labels/{mine.id}/statements")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["number"] == statement.number
    assert item["status"] == "issued"
    assert item["month"] == "2025-03"
    assert Decimal(item["amount"]) == statement.amount


def test_member_reads_a_statement_whose_lines_add_up(member_client, mine):
    statement = _statement_for(mine)
    response = member_client.get(f"/api/v1/statements/{statement.id}")
    assert response.status_code == 200
    body = response.json()
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["amount"])
    assert sum(line["streams"] for line in body["lines"]) == body["streams"] == 241


@pytest.mark.parametrize(
    "url", ["/api/v1/statements/{id}.csv", "/api/v1/statements/{id}?format=csv"]
)
def test_statement_as_csv(member_client, mine, url):
    statement = _statement_for(mine)
    response = member_client.get(url.format(id=statement.id))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert sum(Decimal(row["amount"]) for row in rows) == statement.amount
    assert {row["territory"] for row in rows} == {"SE"}


def test_member_cannot_read_another_labels_statements(member_client, theirs):
    statement = _statement_for(theirs)

    listing = member_client.get(f"/api/v1/labels/{theirs.id}/statements")
    assert listing.status_code == 403
    assert listing.json() == {
        "error": {"status": 403, "message": "You are not a member of this label."}
    }
    for url in (f"/api/v1/statements/{statement.id}", f"/api/v1/statements/{statement.id}.csv"):
        response = member_client.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": {"status": 404, "message": "Statement not found."}}


def test_licensing_staff_read_every_label_other_staff_do_not(theirs):
    statement = _statement_for(theirs)
    staff = UserFactory(is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    assert client.get(f"/api/v1/labels/{theirs.id}/statements").status_code == 403
    assert client.get(f"/api/v1/statements/{statement.id}").status_code == 404

    staff.user_permissions.add(Permission.objects.get(codename="view_royaltystatement"))
    staff = type(staff).objects.get(pk=staff.pk)  # drop the permission cache
    client.force_authenticate(staff)
    assert client.get(f"/api/v1/labels/{theirs.id}/statements").status_code == 200
    assert client.get(f"/api/v1/statements/{statement.id}").status_code == 200


def test_anonymous_is_refused_in_the_error_shape(api_client, mine):
    response = api_client.get(f"/api/v1/labels/{mine.id}/statements")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["status"] == response.status_code


def test_unknown_label_and_bad_month(member_client, mine):
    assert member_client.get("/api/v1/labels/999999/statements").json()["error"]["status"] == 404
    response = member_client.get(f"/api/v1/labels/{mine.id}/statements", {"month": "March"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.json()["error"]["message"]


def test_superseded_statements_are_marked_and_can_be_left_out(member_client, mine):
    first = _statement_for(mine)
    services.revenue_pool_set(month=MARCH, territory="SE", amount=Decimal("10.00"))
    correction = services.royalty_statement_issue(agreement=first.agreement, month=MARCH)
    body = member_client.get(f"/api/v1/labels/{mine.id}/statements").json()
    assert [(i["revision"], i["status"]) for i in body["items"]] == [
        (2, "issued"),
        (1, "superseded"),
    ]
    assert body["items"][0]["supersedes"] == first.number
    current = member_client.get(f"/api/v1/labels/{mine.id}/statements", {"current": "true"})
    assert [i["id"] for i in current.json()["items"]] == [correction.id]
