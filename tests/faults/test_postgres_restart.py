"""PostgreSQL restarts while play events arrive at gunicorn.

Clients post batches and retry every batch not acknowledged (any error, any 5xx) with the
same event ids. Afterwards each event sent is stored exactly once: acknowledged batches
are durable, retried ones are not doubled (the event id is the primary key).
"""

import contextlib
import datetime
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from playback.models import PlayEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.faults.conftest import (
    ROOT,
    close_db_connections,
    database_url,
    pg_restart,
    wait_for,
)
from tests.processes import stop

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

CLIENTS = 3
BATCHES_PER_CLIENT = 40
EVENTS_PER_BATCH = 25
TOKEN = "F" * 32  # CSRF secret: cookie and header


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(tmp_path):
    """Two sync workers on the test database, persistent connections with health checks."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "streamify.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30",
             "--graceful-timeout", "5", "--log-level", "warning"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "streamify.settings.test",
                "DATABASE_URL": database_url(),
                "CONN_MAX_AGE": "60",
                "LOG_LEVEL": "WARNING",
                # 3,000 events from one listener: above the hourly budget this test is not about.
                "PLAY_EVENTS_LIMIT_PER_USER": "100000",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(lambda: _listening(port), timeout=30, what="gunicorn to listen")
            yield port, log_path
        finally:
            stop(process)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@dataclass
class Listener:
    """One client: sends its batches in order, each until acknowledged."""

    port: int
    cookies: str
    tracks: list[int]
    sent: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    accepted: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)
    batches_done: int = 0

    def run(self) -> None:
        for _ in range(BATCHES_PER_CLIENT):
            events = self._batch()
            self.sent.update(e["event_id"] for e in events)
            body = json.dumps({"events": events})
            deadline = time.monotonic() + 90
            while True:
                status, reply = self._post(body)
                if status == 200:
                    break
                self.failures.append(f"{status}: {reply[:120]}")
                assert time.monotonic() < deadline, self.failures[-5:]
                time.sleep(0.2)  # and retry the same events
            result = json.loads(reply)
            assert result["received"] == len(events)
            assert result["accepted"] + result["duplicates"] == len(events)
            self.accepted += result["accepted"]
            self.duplicates += result["duplicates"]
            self.acknowledged.update(e["event_id"] for e in events)
            self.batches_done += 1

    def _batch(self) -> list[dict]:
        now = timezone.now()
        return [
            {
                "event_id": str(uuid.uuid4()),
                "track_id": self.tracks[n % len(self.tracks)],
                "ms_played": 31_000 + n,
                "context_type": "playlist",
                "context_id": "7",
                "started_at": (now - datetime.timedelta(seconds=40)).isoformat(),
                "ended_at": now.isoformat(),
            }
            for n in range(EVENTS_PER_BATCH)
        ]

    def _post(self, body: str) -> tuple[int | str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(
                "POST",
                "/api/v1/me/player/events",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Cookie": self.cookies,
                    "X-CSRFToken": TOKEN,
                    "Host": "127.0.0.1",
                },
            )
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__, str(exc)
        finally:
            conn.close()


def _postmaster_started() -> datetime.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def test_postgres_restart_while_events_arrive(tmp_path, pg_controllable):
    user = UserFactory(country="SE")
    tracks = [t.pk for t in TrackFactory.create_batch(5, markets=["SE"])]
    browser = Client()
    browser.force_login(user)  # a real session row, read by gunicorn from the test database
    cookies = f"{settings.SESSION_COOKIE_NAME}={browser.cookies['sessionid'].value}; "
    cookies += f"{settings.CSRF_COOKIE_NAME}={TOKEN}"
    started_before = _postmaster_started()

    with gunicorn(tmp_path) as (port, _log):
        listeners = [Listener(port, cookies, tracks) for _ in range(CLIENTS)]
        errors: list[BaseException] = []

        def drive(listener):
            try:
                listener.run()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=drive, args=(lst,)) for lst in listeners]
        for thread in threads:
            thread.start()
        try:
            wait_for(
                lambda: sum(lst.batches_done for lst in listeners) >= 15 or errors,
                timeout=60,
                what="traffic before the restart",
            )
            pg_restart()
        finally:
            for thread in threads:
                thread.join(timeout=180)
        assert not errors, errors
        assert all(not thread.is_alive() for thread in threads)

    close_db_connections()
    assert _postmaster_started() > started_before  # it really restarted
    sent = set().union(*(lst.sent for lst in listeners))
    acknowledged = set().union(*(lst.acknowledged for lst in listeners))
    assert len(sent) == CLIENTS * BATCHES_PER_CLIENT * EVENTS_PER_BATCH
    assert acknowledged == sent  # the clients retried until every batch was acknowledged
    stored = list(PlayEvent.objects.values_list("id", flat=True))
    assert len(stored) == len(set(stored)) == len(sent)
    assert {str(event_id) for event_id in stored} == sent
    # A retry of a batch committed before its answer was lost counts as duplicates.
    assert sum(lst.accepted for lst in listeners) == len(sent) - sum(
        lst.duplicates for lst in listeners
    )
    failures = [f for lst in listeners for f in lst.failures]
    print(f"\n{len(failures)} failed attempts retried during the restart: {failures[:3]}")
