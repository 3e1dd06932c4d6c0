"""Reads on a real hot standby, read-your-writes on the primary."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import SavedTrack
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.replicas.conftest import standby_has, wait_for

API = "/api/v1"
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def replicated(track) -> bool:
    return standby_has("SELECT count(*) FROM catalog_track WHERE id = %s", [track.pk])


def test_reads_of_a_safe_request_go_to_the_standby(standby):
    track = TrackFactory(markets=["SE"])
    wait_for(lambda: replicated(track), timeout=30, what="the track on the standby")
    with (
        CaptureQueriesContext(connections["replica_0"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = APIClient().get(f"{API}/tracks/{track.pk}?market=SE")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(track.pk)
    assert len(on_replica) > 0
    assert len(on_primary) == 0
    assert standby_has("SELECT pg_is_in_recovery()")


def test_a_client_reads_its_own_writes_while_the_standby_lags(standby):
    listener = UserFactory(country="SE")
    track = TrackFactory(markets=["SE"])
    client = APIClient()
    client.force_login(listener)
    wait_for(lambda: replicated(track), timeout=30, what="the track on the standby")
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")  # the standby lags from here on

    assert client.put(f"{API}/me/tracks?ids={track.pk}").status_code == 200
    assert SavedTrack.objects.filter(user=listener, track=track).exists()
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        page = client.get(f"{API}/me/tracks").json()
    assert [item["track"]["id"] for item in page["items"]] == [str(track.pk)]
    assert len(on_replica) == 0, "a client that just wrote reads the primary"

    # Another client's reads go to the lagging standby, which has not seen the save.
    other = APIClient()
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        assert other.get(f"{API}/tracks/{track.pk}").status_code == 200
    assert len(on_replica) > 0
    assert not standby_has(
        "SELECT count(*) FROM catalog_savedtrack WHERE user_id = %s", [listener.pk]
    )
