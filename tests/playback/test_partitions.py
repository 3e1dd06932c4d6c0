"""Play events partitioned by month on PostgreSQL; a no-op on SQLite."""

import datetime
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from playback import partitions, services
from playback.models import PlayEvent
from tests.playback.factories import PlayEventFactory


def where_stored(event_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM playback_playevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def event(track, *, ended_at):
    return {
        "event_id": uuid.uuid4(),
        "track_id": track.pk,
        "ms_played": 60_000,
        "context_type": PlayEvent.Context.ALBUM,
        "started_at": ended_at - datetime.timedelta(seconds=60),
        "ended_at": ended_at,
    }


def test_sqlite_has_no_partitions(db):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert partitions.is_partitioned() is False
    assert partitions.play_event_partitions_ensure(months_ahead=3) == []
    assert partitions.play_event_partitions() == []


@pytest.mark.postgres
class TestPartitioned:
    def test_migration_made_months_ahead_and_a_default(self, db):
        assert partitions.is_partitioned()
        this_month = partitions.month_start(timezone.now())
        months = [p.month for p in partitions.play_event_partitions()]
        assert months[-1] is None  # DEFAULT
        expected = [this_month]
        for _ in range(3):
            expected.append(partitions.month_after(expected[-1]))
        assert set(expected) <= set(months)

    def test_ingestion_is_idempotent_and_lands_in_the_month(self, listener, track):
        now = timezone.now()
        batch = [event(track, ended_at=now - datetime.timedelta(minutes=5))]
        first = services.play_events_ingest(user=listener, events=batch)
        again = services.play_events_ingest(user=listener, events=batch)
        assert (first.accepted, again.accepted, again.duplicates) == (1, 0, 1)
        assert PlayEvent.objects.count() == 1
        assert where_stored(batch[0]["event_id"]) == partitions.partition_name(
            partitions.month_start(batch[0]["ended_at"].astimezone(datetime.UTC))
        )

    def test_ensure_creates_ahead_once_and_moves_strays_out_of_default(self, listener, track):
        now = timezone.now()
        far = now + datetime.timedelta(days=200)
        stray = PlayEventFactory(user=listener, track=track, ended_at=far)
        assert where_stored(stray.pk) == "playback_playevent_default"

        created = partitions.play_event_partitions_ensure(months_ahead=3, now=far)
        assert partitions.partition_name(partitions.month_start(far)) in created
        assert partitions.play_event_partitions_ensure(months_ahead=3, now=far) == []
        assert where_stored(stray.pk) == partitions.partition_name(partitions.month_start(far))
        assert PlayEvent.objects.filter(pk=stray.pk).exists()

    def test_old_months_detach_and_stay_as_tables(self, listener, track):
        this_month = partitions.month_start(timezone.now())
        old_month = partitions.month_start(this_month - datetime.timedelta(days=70))
        partitions.play_event_partitions_ensure(months_ahead=0, since=old_month)
        old = PlayEventFactory(
            user=listener,
            track=track,
            ended_at=datetime.datetime.combine(old_month, datetime.time(12), tzinfo=datetime.UTC),
        )
        recent = PlayEventFactory(user=listener, track=track)

        call_command("play_event_partitions", "--detach-before", f"{this_month:%Y-%m}")
        assert list(PlayEvent.objects.values_list("pk", flat=True)) == [recent.pk]
        name = partitions.partition_name(old_month)
        assert name not in {p.name for p in partitions.play_event_partitions()}
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id FROM "{name}"')  # noqa: S608 - our own table name
            assert cursor.fetchall() == [(old.pk,)]
