"""The scheduler publishes and unpublishes at the set times (time frozen with time-machine)."""

import datetime

import pytest
import time_machine

from catalog.models import PlaylistItem
from editorial import services, tasks
from editorial.models import EditorialPlaylist, EditorialPlaylistChange, PlaylistDailyStats
from playback.models import PlayEvent
from tests.editorial.factories import EditorialPlaylistFactory
from tests.playback.factories import PlayEventFactory

State = EditorialPlaylist.State
T0 = datetime.datetime(2025, 6, 1, 9, 0, tzinfo=datetime.UTC)
FEATURED = "/api/v1/browse/featured-playlists?country=SE"


def _featured_ids(client) -> list[str]:
    return [p["id"] for p in client.get(FEATURED).json()["playlists"]["items"]]


@pytest.fixture
def scheduled(stockholm, lead, tracks):
    """Reviewed at T0 and scheduled by a lead: live from T0+1h until T0+1d."""
    with time_machine.travel(T0, tick=False):
        playlist = EditorialPlaylistFactory(
            team=stockholm, tracks=tracks, state=State.IN_REVIEW, featured=True
        )
        services.editorial_playlist_schedule(
            playlist=playlist,
            user=lead,
            publish_at=T0 + datetime.timedelta(hours=1),
            unpublish_at=T0 + datetime.timedelta(days=1),
        )
    return playlist


def test_publish_and_unpublish_at_the_scheduled_times(scheduled, api_client):
    with time_machine.travel(T0 + datetime.timedelta(minutes=59), tick=False):
        assert tasks.editorial_schedule_run.delay().get() == {
            "published": [],
            "archived": [],
            "returned": [],
        }
        assert _featured_ids(api_client) == []

    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        assert tasks.editorial_schedule_run.delay().get()["published"] == [scheduled.pk]
        scheduled.refresh_from_db()
        assert (scheduled.state, scheduled.public) == (State.PUBLISHED, True)
        assert scheduled.published_at == T0 + datetime.timedelta(hours=1)
        assert _featured_ids(api_client) == [str(scheduled.pk)]
        # A second run (or a duplicate delivery of the task) changes nothing.
        assert tasks.editorial_schedule_run.delay().get()["published"] == []

    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        assert tasks.editorial_schedule_run.delay().get()["archived"] == [scheduled.pk]
        scheduled.refresh_from_db()
        assert (scheduled.state, scheduled.public) == (State.ARCHIVED, False)
        assert _featured_ids(api_client) == []

    history = list(scheduled.changes.order_by("id").values_list("action", "user"))
    assert history[-2:] == [
        (EditorialPlaylistChange.Action.PUBLISHED, None),
        (EditorialPlaylistChange.Action.ARCHIVED, None),
    ]


def test_a_run_missed_past_both_times_never_goes_live(scheduled):
    with time_machine.travel(T0 + datetime.timedelta(days=2), tick=False):
        result = services.editorial_schedule_run()
    assert (result.published, result.archived) == ([], [scheduled.pk])
    scheduled.refresh_from_db()
    assert (scheduled.state, scheduled.published_at) == (State.ARCHIVED, None)


def test_a_playlist_emptied_after_scheduling_goes_back_to_draft(scheduled):
    PlaylistItem.objects.filter(playlist=scheduled).delete()
    with time_machine.travel(T0 + datetime.timedelta(hours=2), tick=False):
        assert services.editorial_schedule_run().returned == [scheduled.pk]
    scheduled.refresh_from_db()
    assert (scheduled.state, scheduled.public) == (State.DRAFT, False)
    assert "it has no tracks" in scheduled.changes.first().note


def test_a_lead_publishing_early_leaves_the_scheduler_nothing(scheduled, lead):
    with time_machine.travel(T0 + datetime.timedelta(minutes=30), tick=False):
        services.editorial_playlist_publish(playlist=scheduled, user=lead)
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        assert services.editorial_schedule_run().published == []
    assert scheduled.changes.filter(action="published").count() == 1


def test_playlist_stats_refresh_builds_recent_days(stockholm, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    with time_machine.travel(T0, tick=False):
        PlayEventFactory(
            track=tracks[0],
            ended_at=T0 - datetime.timedelta(hours=3),
            context_type=PlayEvent.Context.EDITORIAL,
            context_id=str(playlist.pk),
        )
        assert tasks.playlist_stats_refresh.delay().get() == 3  # 48 h back: three UTC days
    stats = PlaylistDailyStats.objects.get()
    assert (stats.day, stats.streams) == (T0.date(), 1)
