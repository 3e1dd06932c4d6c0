import datetime

import pytest
from django.utils import timezone

from common.errors import NotFound, ValidationFailed
from playback import player
from playback.errors import NoActiveDevice, PlayerRestricted, UnavailableInMarket
from playback.models import PlayerDevice, PlayerQueueItem, PlayerState
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    return UserFactory(country="SE")


@pytest.fixture
def tracks():
    return [TrackFactory(markets=["SE"], duration_ms=200_000) for _ in range(4)]


@pytest.fixture
def unlicensed():
    return TrackFactory(markets=["US"], duration_ms=200_000)


def queue_ids(user):
    return [item.track_id for item in player.player_queue_list(user=user)]


def ids(tracks):
    return [track.pk for track in tracks]


def test_queue_save_registers_device_and_stores_state(listener, tracks):
    state = player.player_queue_save(
        user=listener,
        device_id="subsonic:DSub",
        track_ids=ids(tracks),
        current_index=2,
        position_ms=12_000,
    )

    assert queue_ids(listener) == ids(tracks)
    state = player.player_state_get(user=listener)
    assert state.track_id == tracks[2].pk
    assert state.current_index == 2
    assert state.position_ms == 12_000
    assert not state.is_playing
    assert state.device.key == "subsonic:DSub"
    assert state.changed_by == "subsonic:DSub"
    assert [d.key for d in player.player_devices_list(user=listener)] == ["subsonic:DSub"]


def test_queue_save_empty_clears(listener, tracks):
    player.player_queue_save(user=listener, device_id="web", track_ids=ids(tracks), current_index=0)
    player.player_queue_save(user=listener, device_id="web", track_ids=[], current_index=None)

    state = player.player_state_get(user=listener)
    assert queue_ids(listener) == []
    assert state.track_id is None and state.current_index is None and not state.is_playing


def test_queue_save_refuses_tracks_outside_market(listener, tracks, unlicensed):
    player.player_queue_save(user=listener, device_id="web", track_ids=ids(tracks), current_index=0)

    with pytest.raises(UnavailableInMarket, match=str(unlicensed.pk)):
        player.player_queue_save(
            user=listener,
            device_id="web",
            track_ids=[tracks[0].pk, unlicensed.pk],
            current_index=0,
        )

    assert queue_ids(listener) == ids(tracks)  # unchanged


def test_queue_save_refuses_unknown_tracks_and_bad_index(listener, tracks):
    with pytest.raises(NotFound, match="999999"):
        player.player_queue_save(
            user=listener, device_id="web", track_ids=[999_999], current_index=0
        )
    with pytest.raises(ValidationFailed):
        player.player_queue_save(
            user=listener, device_id="web", track_ids=ids(tracks), current_index=4
        )
    with pytest.raises(ValidationFailed):
        player.player_queue_save(user=listener, device_id="", track_ids=[], current_index=None)
    assert not PlayerState.objects.filter(user=listener).exists()


def test_commands_need_an_active_device(listener, tracks):
    with pytest.raises(NoActiveDevice):
        player.player_pause(user=listener)
    with pytest.raises(NoActiveDevice):
        player.player_play(user=listener, track_ids=ids(tracks))
    with pytest.raises(NotFound):
        player.player_play(user=listener, device_id="nope", track_ids=ids(tracks))


def test_play_context_skips_unplayable_and_starts_at_track(listener, tracks, unlicensed):
    player.player_device_register(user=listener, device_id="tab-1", name="Web player")
    context = [tracks[0].pk, unlicensed.pk, tracks[1].pk, tracks[2].pk]

    state = player.player_play(
        user=listener,
        device_id="tab-1",
        track_ids=context,
        offset_track_id=tracks[1].pk,
        context_uri="streamify:album:7",
        skip_unplayable=True,
    )

    assert queue_ids(listener) == [tracks[0].pk, tracks[1].pk, tracks[2].pk]
    assert state.current_index == 1 and state.track_id == tracks[1].pk
    assert state.is_playing and state.context_uri == "streamify:album:7"
    with pytest.raises(UnavailableInMarket):
        player.player_play(
            user=listener, track_ids=context, offset_track_id=unlicensed.pk, skip_unplayable=True
        )
    with pytest.raises(UnavailableInMarket):
        player.player_play(user=listener, track_ids=context)


def test_progress_advances_while_playing_and_pause_freezes_it(listener, tracks):
    player.player_device_register(user=listener, device_id="tab-1", name="Web player")
    player.player_play(user=listener, device_id="tab-1", track_ids=ids(tracks), position_ms=5_000)
    PlayerState.objects.filter(user=listener).update(
        measured_at=timezone.now() - datetime.timedelta(seconds=10)
    )

    snapshot = player.player_snapshot_get(user=listener)
    assert 15_000 <= snapshot.progress_ms < 16_000

    player.player_pause(user=listener)
    paused = player.player_snapshot_get(
        user=listener, now=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert not paused.state.is_playing
    assert 15_000 <= paused.progress_ms < 16_000

    # Progress never passes the end of the track.
    PlayerState.objects.filter(user=listener).update(
        is_playing=True, measured_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert player.player_snapshot_get(user=listener).progress_ms == 200_000


def test_resume_keeps_position_and_seek_moves_it(listener, tracks):
    player.player_queue_save(
        user=listener, device_id="tab-1", track_ids=ids(tracks), current_index=1, position_ms=42_000
    )

    state = player.player_play(user=listener)
    assert state.is_playing and state.current_index == 1
    assert 42_000 <= player.player_progress_ms(state=state) < 43_000

    state = player.player_seek(user=listener, position_ms=90_000)
    assert state.position_ms == 90_000 and state.current_index == 1
    state = player.player_seek(user=listener, position_ms=250_000)  # past the end
    assert state.current_index == 2 and state.position_ms == 0
    with pytest.raises(ValidationFailed):
        player.player_seek(user=listener, position_ms=-1)


def test_next_previous_and_repeat(listener, tracks):
    player.player_queue_save(
        user=listener, device_id="tab-1", track_ids=ids(tracks[:3]), current_index=0
    )
    player.player_play(user=listener)

    assert player.player_next(user=listener).track_id == tracks[1].pk
    assert player.player_next(user=listener).track_id == tracks[2].pk
    end = player.player_next(user=listener)
    assert end.track_id == tracks[2].pk and not end.is_playing  # the end: stop

    player.player_repeat_set(user=listener, state="context")
    player.player_play(user=listener)
    assert player.player_next(user=listener).track_id == tracks[0].pk  # wraps
    assert player.player_previous(user=listener).track_id == tracks[2].pk  # wraps back
    assert [i.track_id for i in player.player_queue_upcoming(user=listener)] == ids(tracks[:3])

    player.player_repeat_set(user=listener, state="off")
    player.player_queue_save(
        user=listener, device_id="tab-1", track_ids=ids(tracks[:3]), current_index=0
    )
    assert player.player_previous(user=listener).track_id == tracks[0].pk  # restarts
    with pytest.raises(ValidationFailed):
        player.player_repeat_set(user=listener, state="forever")


def test_queue_add_goes_after_current_and_earlier_additions(listener, tracks):
    extra = [TrackFactory(markets=["SE"]) for _ in range(2)]
    player.player_queue_save(
        user=listener, device_id="tab-1", track_ids=ids(tracks[:3]), current_index=0
    )

    player.player_queue_add(user=listener, track_id=extra[0].pk)
    player.player_queue_add(user=listener, track_id=extra[1].pk)

    assert queue_ids(listener) == [
        tracks[0].pk,
        extra[0].pk,
        extra[1].pk,
        tracks[1].pk,
        tracks[2].pk,
    ]
    upcoming = player.player_queue_upcoming(user=listener, limit=2)
    assert [item.track_id for item in upcoming] == [extra[0].pk, extra[1].pk]


def test_queue_add_checks_market_and_needs_a_device(listener, tracks, unlicensed):
    with pytest.raises(NoActiveDevice):
        player.player_queue_add(user=listener, track_id=tracks[0].pk)
    player.player_device_register(user=listener, device_id="tab-1", name="Web player")
    with pytest.raises(UnavailableInMarket):
        player.player_queue_add(user=listener, track_id=unlicensed.pk, device_id="tab-1")

    state = player.player_queue_add(user=listener, track_id=tracks[0].pk, device_id="tab-1")
    assert state.track_id == tracks[0].pk and not state.is_playing


def test_shuffle_keeps_current_and_restores_order(listener):
    many = [TrackFactory(markets=["SE"]) for _ in range(12)]
    player.player_queue_save(user=listener, device_id="tab-1", track_ids=ids(many), current_index=3)

    player.player_shuffle_set(user=listener, state=True)
    shuffled = queue_ids(listener)
    assert shuffled[:4] == ids(many[:4])
    assert sorted(shuffled[4:]) == sorted(ids(many[4:]))
    assert player.player_state_get(user=listener).shuffle

    player.player_shuffle_set(user=listener, state=False)
    assert queue_ids(listener) == ids(many)
    assert player.player_state_get(user=listener).current_index == 3


def test_second_device_takes_over_keeping_position(listener, tracks):
    player.player_device_register(user=listener, device_id="tab-1", name="Tab one")
    phone = player.player_device_register(
        user=listener, device_id="tab-2", name="Phone", type=PlayerDevice.Type.SMARTPHONE
    )
    player.player_play(user=listener, device_id="tab-1", track_ids=ids(tracks), position_ms=7_000)
    player.player_pause(user=listener)

    state = player.player_transfer(user=listener, device_id="tab-2", play=True)

    assert state.device == phone and state.is_playing and state.changed_by == "Phone"
    assert 7_000 <= player.player_progress_ms(state=state) < 8_000
    with pytest.raises(NotFound):
        player.player_transfer(user=listener, device_id="tab-3")


def test_volume_is_per_device(listener, tracks):
    player.player_device_register(user=listener, device_id="tab-1", name="Tab one")
    player.player_device_register(
        user=listener, device_id="sonos", name="Speaker", supports_volume=False
    )
    player.player_play(user=listener, device_id="tab-1", track_ids=ids(tracks))

    player.player_volume_set(user=listener, volume_percent=35)

    assert PlayerDevice.objects.get(user=listener, key="tab-1").volume_percent == 35
    with pytest.raises(ValidationFailed):
        player.player_volume_set(user=listener, volume_percent=101)
    with pytest.raises(PlayerRestricted):
        player.player_volume_set(user=listener, volume_percent=10, device_id="sonos")


def test_every_change_raises_revision_and_listeners_are_separate(listener, tracks):
    other = UserFactory(country="SE")
    player.player_queue_save(
        user=listener, device_id="tab-1", track_ids=ids(tracks), current_index=0
    )
    first = player.player_state_get(user=listener).revision
    player.player_next(user=listener)
    player.player_pause(user=listener)

    assert player.player_state_get(user=listener).revision == first + 2
    assert player.player_state_get(user=other) is None
    assert not PlayerQueueItem.objects.filter(user=other).exists()
    player.player_device_register(user=other, device_id="tab-1", name="x")
    with pytest.raises(PlayerRestricted):
        player.player_seek(user=other, position_ms=0, device_id="tab-1")
    assert player.player_state_get(user=other) is None  # the failed command left nothing


def test_a_device_not_heard_from_stops_where_it_was_last_heard(listener, tracks):
    player.player_device_register(user=listener, device_id="tab-1", name="Tab one")
    player.player_play(user=listener, device_id="tab-1", track_ids=ids(tracks), position_ms=1_000)
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    PlayerState.objects.filter(user=listener).update(measured_at=long_ago)
    PlayerDevice.objects.filter(user=listener).update(last_seen_at=long_ago)

    snapshot = player.player_snapshot_get(user=listener)
    assert not snapshot.is_playing and snapshot.progress_ms == 1_000

    # A remote command (no device id) does not make the device alive again.
    state = player.player_seek(user=listener, position_ms=3_000)
    assert not state.is_playing
    # The device reporting itself does.
    state = player.player_play(user=listener, device_id="tab-1")
    assert player.player_snapshot_get(user=listener).is_playing
    assert 3_000 <= player.player_progress_ms(state=state) < 4_000
