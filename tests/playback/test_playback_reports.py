"""Playback reports become plays (playback.services.playback_report), with `now` given."""

import datetime

import pytest
from django.utils import timezone

from playback import services
from playback.models import PlaybackSession, PlayEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory

SECOND = datetime.timedelta(seconds=1)
T0 = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("state", "position", "rate", "seconds", "new_position", "heard"),
    [
        ("playing", 0, 1.0, 10, 10_000, 10_000),
        ("starting", 0, 1.0, 10, 9_500, 9_500),  # the position lags the clock: the position
        ("playing", 0, 1.0, 10, 100_000, 10_000),  # a jump forward is not listening
        ("playing", 50_000, 1.0, 10, 20_000, 0),  # a jump back counts nothing
        ("paused", 0, 1.0, 10, 10_000, 0),  # paused since the last report
        ("playing", 0, 2.0, 10, 20_000, 20_000),  # twice as fast: 20 s of the song
        ("playing", 0, 0.5, 10, 10_000, 5_000),  # half as fast
        ("playing", 0, 1.0, -5, 10_000, 0),  # a report older than the last one
    ],
)
def test_listened_between_two_reports(state, position, rate, seconds, new_position, heard):
    assert (
        services.listened_ms_between(
            state=state,
            position_ms=position,
            playback_rate=rate,
            reported_at=T0,
            now=T0 + seconds * SECOND,
            new_position_ms=new_position,
        )
        == heard
    )


@pytest.fixture
def listener(db):
    return UserFactory(country="SE")


@pytest.fixture
def song(listener):
    track = TrackFactory(duration_ms=200_000, markets=["SE"])
    services.stream_grant_record(
        user_id=listener.pk, track_id=track.pk, day=timezone.now().astimezone(datetime.UTC).date()
    )
    return track


def _report(listener, song, state, position_ms, now, **extra):
    return services.playback_report(
        user=listener,
        device_id="subsonic:car",
        device_name="car",
        track_id=song.pk,
        position_ms=position_ms,
        state=state,
        now=now,
        **extra,
    )


def test_a_whole_song_at_half_speed_is_capped_by_its_duration(listener, song):
    t0 = timezone.now() - 10 * datetime.timedelta(minutes=1)
    _report(listener, song, "starting", 0, t0, playback_rate=0.5)
    for step in range(1, 9):  # 400 s of wall-clock time for the 200 s song
        _report(
            listener, song, "playing", step * 25_000, t0 + step * 50 * SECOND, playback_rate=0.5
        )
    result = _report(listener, song, "stopped", 200_000, t0 + 420 * SECOND)
    assert (result.accepted, result.refused) == (1, 0)
    event = PlayEvent.objects.get()
    assert event.ms_played == 200_000 and event.verdict == PlayEvent.Verdict.STREAM
    assert event.ended_at == t0 + 400 * SECOND  # the last time anything was heard
    assert not PlaybackSession.objects.exists()


def test_a_retry_after_a_failed_ingestion_stores_the_play_once(listener, song, monkeypatch):
    from playback.services import reports

    t0 = timezone.now() - 2 * datetime.timedelta(minutes=1)
    _report(listener, song, "starting", 0, t0)

    def fail(**kwargs):
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(reports, "play_events_ingest", fail)
        with pytest.raises(ConnectionError):
            _report(listener, song, "stopped", 60_000, t0 + 60 * SECOND)
    assert PlaybackSession.objects.get().listened_ms == 0  # rolled back with the failure
    for _ in range(2):
        _report(listener, song, "stopped", 60_000, t0 + 60 * SECOND)
    assert PlayEvent.objects.get().ms_played == 60_000
