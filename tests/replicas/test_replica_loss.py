"""The hot standby stops in the middle of read traffic: reads fall back to the primary.

Touches only the CI standby (.ci/replica.sh, port 5433), never the main PostgreSQL.
"""

import threading
import time

import pytest
from django.db import connections
from rest_framework.test import APIClient

from streamify import db_routing
from tests.catalog.factories import TrackFactory
from tests.replicas.conftest import replica_ctl, standby_has, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, databases="__all__")]

READERS = 3


def test_reads_fall_back_to_the_primary_when_the_standby_stops(standby):
    track = TrackFactory(markets=["SE"])
    wait_for(
        lambda: standby_has("SELECT count(*) FROM catalog_track WHERE id = %s", [track.pk]),
        timeout=30,
        what="the track on the standby",
    )
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        client = APIClient()
        try:
            while not stop.is_set():
                response = client.get(f"/api/v1/tracks/{track.pk}?market=SE")
                statuses.append(response.status_code)
        finally:
            for conn in connections.all():
                conn.close()

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    try:
        for thread in readers:
            thread.start()
        wait_for(lambda: len(statuses) >= 20, timeout=60, what="traffic on the standby")
        replica_ctl("stop")  # fast shutdown: open replica connections are cut mid-traffic
        served_when_stopped = len(statuses)
        wait_for(
            lambda: len(statuses) >= served_when_stopped + 30, timeout=120, what="more traffic"
        )
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
        replica_ctl("start")
    assert len(statuses) >= 50
    assert set(statuses) == {200}, f"errors while the standby went away: {sorted(set(statuses))}"
    assert "replica_0" in db_routing._down_until, "the lost standby was marked down"

    # Back up: once the retry pause has passed, reads go to the standby again.
    db_routing.replica_marks_clear()
    wait_for(lambda: _served_by_standby(track), timeout=60, what="reads on the standby again")


def _served_by_standby(track) -> bool:
    from django.test.utils import CaptureQueriesContext

    connections["replica_0"].close()
    try:
        with CaptureQueriesContext(connections["replica_0"]) as on_replica:
            response = APIClient().get(f"/api/v1/tracks/{track.pk}?market=SE")
    except Exception:
        time.sleep(0.2)
        return False
    return response.status_code == 200 and len(on_replica) > 0
