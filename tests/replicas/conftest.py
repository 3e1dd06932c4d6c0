"""A real PostgreSQL hot standby behind the `replica_0` alias (`.ci/replica.sh`).

The suite's settings make `replica_0` (from DATABASE_REPLICA_URLS) a test mirror of the
primary; the `standby` fixture points it at the standby itself, which streams the test
database from the primary. Without DATABASE_REPLICA_URLS these tests skip, or fail when
STREAMIFY_REQUIRE_REPLICA=1 (CI).
"""

import contextlib
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, connections

from streamify import db_routing

ROOT = Path(settings.BASE_DIR)
REPLICA_SCRIPT = ROOT / ".ci" / "replica.sh"


def replica_ctl(action: str) -> None:
    subprocess.run([str(REPLICA_SCRIPT), action], check=True, timeout=180)


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def standby_has(sql: str, params=()) -> bool:
    with connections["replica_0"].cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.fetchone()[0])


@pytest.fixture
def standby(request):
    """`replica_0` connected to the hot standby, replaying; restored afterwards.

    Tests using it are marked `django_db(transaction=True, databases="__all__")`: the
    standby sees only committed rows.
    """
    urls = settings.DATABASE_REPLICA_URLS
    if connection.vendor != "postgresql" or not urls:
        message = "replica tests need PostgreSQL and DATABASE_REPLICA_URLS (a hot standby)"
        if os.environ.get("STREAMIFY_REQUIRE_REPLICA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    replica_ctl("start")
    url = urlsplit(urls[0])
    conn = connections["replica_0"]
    shared = connections.settings["replica_0"]  # what other threads' connections use
    mirrored, before = conn.settings_dict, dict(shared)
    conn.close()
    shared.update(HOST=url.hostname, PORT=url.port or 5432, OPTIONS={"connect_timeout": 2})
    conn.settings_dict = shared
    db_routing.replica_marks_clear()
    # The test database was created on the primary after the standby started streaming.
    wait_for(
        lambda: _connects(conn) and standby_has("SELECT pg_is_in_recovery()"),
        timeout=60,
        what="the standby to serve the test database",
    )
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception), conn.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        conn.close()
        shared.clear()
        shared.update(before)
        conn.settings_dict = mirrored
        db_routing.replica_marks_clear()


def _connects(conn) -> bool:
    try:
        conn.ensure_connection()
    except Exception:
        conn.close()
        return False
    return True
