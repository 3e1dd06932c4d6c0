"""Compiled reads (common.query_shapes) run as prepared statements on PostgreSQL.

PostgreSQL keeps the statement per connection; only its plan is reused, so a write shows
in the next read, and the query is still logged and counted like any other.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import object_selectors
from tests.catalog.factories import TrackFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def _prepared_track_runs() -> int:
    """How often this connection ran a prepared read of tracks (0 when it prepared none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ['%FROM "catalog_track"%'],
        )
        return cursor.fetchone()[0]


def test_a_track_object_read_is_prepared_counted_and_never_stale():
    track = TrackFactory(title="Before", markets=["SE"])
    runs = _prepared_track_runs()
    with CaptureQueriesContext(connection) as queries:
        first, _, _ = object_selectors.track_object_rows(track_id=track.pk, market="SE")
    assert first["t_title"] == "Before"
    assert len(queries.captured_queries) == 2
    assert _prepared_track_runs() > runs, "the track's read is not a prepared statement"
    track.title = "After"
    track.save(update_fields=["title"])
    again, _, _ = object_selectors.track_object_rows(track_id=track.pk, market="SE")
    assert again["t_title"] == "After"


def test_without_prepared_statements_the_reads_bind_on_the_client():
    options = connection.settings_dict["OPTIONS"]
    saved = options.pop("prepare_threshold", None)
    try:
        track = TrackFactory(title="Plain", markets=["SE"])
        runs = _prepared_track_runs()
        row, _, _ = object_selectors.track_object_rows(track_id=track.pk, market="SE")
        assert row["t_title"] == "Plain"
        assert _prepared_track_runs() == runs
    finally:
        if saved is not None:
            options["prepare_threshold"] = saved
