"""The PostgreSQL backend (streamify/postgresql/base.py): a health check without a round trip
for an open, idle connection, a connection the server closed found and replaced; timestamps
read by psycopg's C loader, in Django's time zone."""

import datetime
import time

import pytest
from django.db import connection, connections
from psycopg import pq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def last_statement(pid: int) -> str:
    """The last statement the backend `pid` ran, seen from another connection."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone()[0]
    finally:
        other.close()


def terminate(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_the_engine_is_ours():
    assert type(connections["default"]).__module__ == "streamify.postgresql.base"


def test_connections_open_with_jit_off():
    """Its compile time landed on list pages whose estimated cost crossed jit_above_cost
    (DATABASE_SESSION_OPTIONS)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_an_idle_open_connection_is_usable_without_a_statement():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'before the check'")
        pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    assert last_statement(pid) == "SELECT 'before the check'"


def test_a_connection_the_server_closed_is_not_usable_and_is_replaced():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pid = connection.connection.info.backend_pid
    terminate(pid)
    deadline = time.monotonic() + 10
    while connection.is_usable():  # the FATAL message and the close arrive at once
        assert time.monotonic() < deadline, "a terminated connection still counted as usable"
        time.sleep(0.01)
    # What a request does first with CONN_HEALTH_CHECKS: check, close, connect again.
    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_message_while_idle_gets_the_full_check():
    """A notification is something to read: Django's SELECT 1 reads it, and the
    connection, still open, stays usable."""
    with connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
        pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("NOTIFY health_check_test")
    finally:
        other.close()
    time.sleep(0.2)
    assert connection.is_usable()
    assert last_statement(pid) == "SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")


def test_inside_a_transaction_the_full_check_runs():
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'in a transaction'")
            pid = connection.connection.info.backend_pid
        assert connection.is_usable()
        assert last_statement(pid) == "SELECT 1"
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_timestamps_are_read_by_the_c_loader_with_django_s_zone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2026-06-17 12:34:56.789+02'::timestamptz, now()")
        stamped, now = cursor.fetchone()
    assert stamped == datetime.datetime(2026, 6, 17, 10, 34, 56, 789000, tzinfo=datetime.UTC)
    assert stamped.tzinfo is connection.timezone and now.tzinfo is connection.timezone
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, pq.Format.TEXT
    )
    assert loader.__mro__[1].__module__ == "streamify.postgresql.base"
