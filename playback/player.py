"""A listener's player: devices, playback state and queue, shared by every client.

One `PlayerState` row per listener says what plays, on which device (the active one), from
which position and how (shuffle, repeat); `PlayerQueueItem` rows hold the queue in play order
and `current_index` points into it. Web tabs and Subsonic clients are devices alike, so a
second client sees, takes over and controls what the first plays.

Writes lock the listener's state row (`select_for_update`), so two devices' commands apply
one after the other; every write raises `revision`. Only tracks playable in the listener's
market now are queued or played.
"""

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog import selectors as catalog_selectors
from catalog.models import Track
from catalog.selectors import track_open_markets
from common.errors import NotFound, ValidationFailed
from playback.errors import NoActiveDevice, PlayerRestricted, UnavailableInMarket
from playback.models import PlayerDevice, PlayerQueueItem, PlayerState

QUEUE_MAX_TRACKS = 2000
# A device that has not been heard from for this long no longer plays (a closed tab).
DEVICE_STALE_AFTER = datetime.timedelta(seconds=60)
DEVICE_ID_MAX_LENGTH = 64

__all__ = [
    "PlayerSnapshot",
    "player_context_track_ids",
    "player_device_register",
    "player_devices_list",
    "player_next",
    "player_pause",
    "player_play",
    "player_previous",
    "player_progress_ms",
    "player_queue_add",
    "player_queue_list",
    "player_queue_save",
    "player_queue_upcoming",
    "player_repeat_set",
    "player_report",
    "player_seek",
    "player_shuffle_set",
    "player_snapshot_get",
    "player_state_get",
    "player_transfer",
    "player_volume_set",
]


# --- Selectors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayerSnapshot:
    """The state with its derived progress and playing flag, as of `at`.

    A playing device not heard from within DEVICE_STALE_AFTER counts as stopped where it
    was last heard from.
    """

    state: PlayerState
    progress_ms: int
    is_playing: bool
    at: datetime.datetime

    @property
    def device(self) -> PlayerDevice | None:
        return self.state.device

    @property
    def track_id(self) -> int | None:
        return self.state.track_id


def player_state_get(*, user: User) -> PlayerState | None:
    """The listener's state with its device and track, or None before anything was played."""
    return PlayerState.objects.select_related("device", "track").filter(user=user).first()


def player_progress_ms(*, state: PlayerState, now: datetime.datetime | None = None) -> int:
    """The position now: as measured, plus the time since while playing, within the track."""
    position = state.position_ms
    if state.is_playing:
        elapsed = (now or timezone.now()) - state.measured_at
        position += max(0, int(elapsed.total_seconds() * 1000))
    duration = state.track.duration_ms if state.track_id and state.track else 0
    if duration:
        position = min(position, duration)
    return position


def player_snapshot_get(*, user: User, now: datetime.datetime | None = None):
    """The listener's state and progress now; None when nothing was ever played."""
    state = player_state_get(user=user)
    if state is None:
        return None
    now = now or timezone.now()
    progress, is_playing = _heard(state, now)
    return PlayerSnapshot(state=state, progress_ms=progress, is_playing=is_playing, at=now)


def _heard(state: PlayerState, now: datetime.datetime) -> tuple[int, bool]:
    """The progress and playing flag now, stopping a stale device where it was last heard."""
    heard_until, is_playing = now, state.is_playing
    if is_playing and state.device is not None:
        last_seen = state.device.last_seen_at
        if now - last_seen > DEVICE_STALE_AFTER:
            heard_until, is_playing = max(last_seen, state.measured_at), False
    return player_progress_ms(state=state, now=heard_until), is_playing


def player_devices_list(*, user: User) -> list[PlayerDevice]:
    """The listener's devices, the most recently seen first."""
    return list(PlayerDevice.objects.filter(user=user).order_by("-last_seen_at", "-id"))


def player_queue_list(*, user: User) -> list[PlayerQueueItem]:
    """The whole queue in play order (played, current and upcoming items)."""
    return list(PlayerQueueItem.objects.filter(user=user).order_by("position"))


def player_queue_upcoming(*, user: User, limit: int = 20) -> list[PlayerQueueItem]:
    """The items after the current one, in play order (wrapping around with repeat context)."""
    state = PlayerState.objects.filter(user=user).only("current_index", "repeat").first()
    if state is None or state.current_index is None:
        return []
    items = PlayerQueueItem.objects.filter(user=user).order_by("position")
    upcoming = list(items.filter(position__gt=state.current_index)[:limit])
    if state.repeat == PlayerState.Repeat.CONTEXT and len(upcoming) < limit:
        upcoming += list(items.filter(position__lte=state.current_index)[: limit - len(upcoming)])
    return upcoming


CONTEXT_KINDS = ("album", "playlist", "artist")


def player_context_track_ids(*, kind: str, object_id: int | None, user: User) -> list[int]:
    """The track ids a context plays, in order: an album's tracks, a playlist the listener
    may read, an artist's top tracks in the listener's market; 404 when unknown."""
    if kind == "album":
        release = catalog_selectors.release_get_minimal(release_id=object_id)
        tracks = catalog_selectors.release_tracks(release=release)
        return list(tracks.values_list("pk", flat=True))
    if kind == "playlist":
        playlist = catalog_selectors.playlist_get_visible(playlist_id=object_id, user=user)
        items = catalog_selectors.playlist_items(playlist=playlist)
        return list(items.values_list("track_id", flat=True))
    if kind == "artist":
        artist = catalog_selectors.artist_get_minimal(artist_id=object_id)
        return [
            track.pk
            for track in catalog_selectors.artist_top_tracks(artist=artist, market=_market(user))
        ]
    raise ValidationFailed(f"Invalid context: one of {', '.join(CONTEXT_KINDS)}.")


# --- Checks --------------------------------------------------------------------------------


def _market(user: User) -> str:
    return str(user.country)


def check_tracks_playable(*, user: User, track_ids: Sequence[int]) -> None:
    """Raise unless every track exists and is playable in the listener's market now."""
    unique = set(track_ids)
    if not unique:
        return
    playable = track_open_markets(track_ids=unique, now=timezone.now(), markets=[_market(user)])
    missing = unique - set(playable)
    if not missing:
        return
    existing = set(Track.objects.filter(pk__in=missing).values_list("pk", flat=True))
    if unknown := sorted(missing - existing):
        raise NotFound(f"Unknown track ids: {', '.join(map(str, unknown))}.")
    ids = ", ".join(map(str, sorted(missing)))
    raise UnavailableInMarket(f"Not available in your market ({_market(user)}): track {ids}.")


def tracks_playable_filter(*, user: User, track_ids: Sequence[int]) -> list[int]:
    """The ids (in order, repeats kept) playable in the listener's market now."""
    playable = track_open_markets(
        track_ids=set(track_ids), now=timezone.now(), markets=[_market(user)]
    )
    return [track_id for track_id in track_ids if track_id in playable]


def _check_device_id(device_id: str) -> str:
    device_id = (device_id or "").strip()
    if not device_id or len(device_id) > DEVICE_ID_MAX_LENGTH:
        raise ValidationFailed(
            f"Invalid device id: 1 to {DEVICE_ID_MAX_LENGTH} characters expected."
        )
    return device_id


# --- Services ------------------------------------------------------------------------------


def _locked_state(user: User) -> PlayerState:
    """The listener's state, locked; a stale device's playback is stopped first."""
    locked = PlayerState.objects.select_for_update(of=("self",)).select_related("device", "track")
    state = locked.filter(user=user).first()
    if state is None:  # the first command ever: one query more
        PlayerState.objects.get_or_create(user=user)
        state = locked.get(user=user)
    now = timezone.now()
    if state.is_playing and not _heard(state, now)[1]:
        _freeze(state, now)
    return state


def _device_of(user: User, device_id: str | None, state: PlayerState) -> PlayerDevice:
    """The device a command targets: `device_id`, else the active device."""
    if device_id is None:
        if state.device is None:
            raise NoActiveDevice()
        return state.device
    device = PlayerDevice.objects.filter(user=user, key=device_id).first()
    if device is None:
        raise NotFound("Device not found.")
    return device


def _activate(
    state: PlayerState, device: PlayerDevice, now: datetime.datetime, *, seen: bool
) -> None:
    """Make `device` the active one, keeping the position reached so far; `seen`: the
    command came from the device itself (it names itself), so it is alive."""
    if state.device_id != device.pk:
        _freeze(state, now)
        state.device = device
    if seen:
        device.last_seen_at = now
        PlayerDevice.objects.filter(pk=device.pk).update(last_seen_at=now)


def _freeze(state: PlayerState, now: datetime.datetime) -> None:
    """Store the position reached now, so a change of playing state or device keeps it."""
    state.position_ms, state.is_playing = _heard(state, now)
    state.measured_at = now


def _save(state: PlayerState, now: datetime.datetime) -> PlayerState:
    state.revision += 1
    state.changed_by = state.device.name if state.device else ""
    state.updated_at = now
    state.save()
    return state


def _go_to(state: PlayerState, index: int | None, now: datetime.datetime) -> None:
    """Point at queue item `index` (None: nothing) from its start."""
    item = None
    if index is not None:
        item = (
            PlayerQueueItem.objects.select_related("track")
            .filter(user_id=state.user_id, position=index)
            .first()
        )
    state.current_index = index if item else None
    state.track = item.track if item else None
    state.position_ms = 0
    state.measured_at = now


def _queue_replace(user: User, track_ids: Sequence[int]) -> None:
    PlayerQueueItem.objects.filter(user=user).delete()
    PlayerQueueItem.objects.bulk_create(
        PlayerQueueItem(user=user, position=i, track_id=track_id, original_position=i)
        for i, track_id in enumerate(track_ids)
    )


def _queue_length(user: User) -> int:
    return PlayerQueueItem.objects.filter(user=user).count()


def _check_queue_size(count: int) -> None:
    if count > QUEUE_MAX_TRACKS:
        raise ValidationFailed(f"Too many tracks: at most {QUEUE_MAX_TRACKS} in a queue.")


def _check_position(position_ms: int | None) -> None:
    if position_ms is not None and position_ms < 0:
        raise ValidationFailed("Invalid position_ms: must be at least 0.")


@transaction.atomic
def player_device_register(
    *,
    user: User,
    device_id: str,
    name: str,
    type: str = PlayerDevice.Type.COMPUTER,
    volume_percent: int | None = None,
    supports_volume: bool = True,
) -> PlayerDevice:
    """Create or refresh the listener's device `device_id` (the client's own id); idempotent."""
    device_id = _check_device_id(device_id)
    name = (name or "").strip()[:100] or device_id
    if type not in PlayerDevice.Type.values:
        raise ValidationFailed(f"Invalid device type: one of {', '.join(PlayerDevice.Type)}.")
    if volume_percent is not None and not 0 <= volume_percent <= 100:
        raise ValidationFailed("Invalid volume_percent: must be between 0 and 100.")
    defaults = {
        "name": name,
        "type": type,
        "supports_volume": supports_volume,
        "last_seen_at": timezone.now(),
    }
    if volume_percent is not None:
        defaults["volume_percent"] = volume_percent
    device, _ = PlayerDevice.objects.update_or_create(user=user, key=device_id, defaults=defaults)
    return device


@transaction.atomic
def player_transfer(*, user: User, device_id: str, play: bool = False) -> PlayerState:
    """Move playback to `device_id`; `play`: start playing, else keep playing or paused."""
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    if play and not state.is_playing and state.track_id:
        _freeze(state, now)
        state.is_playing = True
    return _save(state, now)


@transaction.atomic
def player_queue_save(
    *,
    user: User,
    device_id: str,
    track_ids: Sequence[int],
    current_index: int | None,
    position_ms: int = 0,
    context_uri: str = "",
    is_playing: bool | None = None,
    device_name: str = "",
) -> PlayerState:
    """Replace the queue with `track_ids`, at `current_index` and `position_ms`, as reported by
    device `device_id` (registered on first use), which becomes the active device.

    An empty `track_ids` clears the queue. `is_playing` None keeps the playing state.
    """
    device_id = _check_device_id(device_id)
    track_ids = list(track_ids)
    _check_queue_size(len(track_ids))
    _check_position(position_ms)
    if track_ids:
        if current_index is None:
            current_index = 0
        if not 0 <= current_index < len(track_ids):
            raise ValidationFailed("Invalid current index: not a position in the queue.")
    check_tracks_playable(user=user, track_ids=track_ids)
    device = PlayerDevice.objects.filter(user=user, key=device_id).first()
    if device is None:
        device = player_device_register(user=user, device_id=device_id, name=device_name)
    state = _locked_state(user)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    _queue_replace(user, track_ids)
    _go_to(state, current_index if track_ids else None, now)
    state.position_ms = position_ms or 0
    state.context_uri = context_uri[:200]
    if is_playing is not None:
        state.is_playing = is_playing and bool(track_ids)
    if not track_ids:
        state.is_playing = False
    return _save(state, now)


@transaction.atomic
def player_play(
    *,
    user: User,
    device_id: str | None = None,
    track_ids: Sequence[int] | None = None,
    offset: int | None = None,
    offset_track_id: int | None = None,
    context_uri: str = "",
    position_ms: int | None = None,
    skip_unplayable: bool = False,
) -> PlayerState:
    """Start or resume playback on `device_id` (default: the active device).

    With `track_ids` the queue becomes those tracks (from `context_uri` when given) and play
    starts at `offset` (an index) or `offset_track_id`; `skip_unplayable` drops tracks not
    playable in the listener's market (a context such as an album) instead of refusing.
    Without them the current track resumes (at `position_ms` when given).
    """
    _check_position(position_ms)
    if offset is not None and offset_track_id is not None:
        raise ValidationFailed("Give the offset as a position or a track, not both.")
    if track_ids is not None:
        track_ids = list(track_ids)
        _check_queue_size(len(track_ids))
        if not track_ids:
            raise ValidationFailed("No tracks to play.")
        if offset is not None and not 0 <= offset < len(track_ids):
            raise ValidationFailed("Invalid offset: not a position in the tracks.")
        start_id = track_ids[offset or 0] if offset_track_id is None else offset_track_id
        if offset_track_id is not None and offset_track_id not in track_ids:
            raise ValidationFailed("Invalid offset: the track is not in the context.")
        check_tracks_playable(user=user, track_ids=[start_id])
        if skip_unplayable:
            before = track_ids[: track_ids.index(start_id) if offset is None else offset]
            before = tracks_playable_filter(user=user, track_ids=before)
            track_ids = tracks_playable_filter(user=user, track_ids=track_ids)
            start = len(before)
        else:
            check_tracks_playable(user=user, track_ids=track_ids)
            start = track_ids.index(start_id) if offset is None else offset
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    if track_ids is not None:
        _queue_replace(user, track_ids)
        _go_to(state, start, now)
        state.context_uri = context_uri[:200]
    elif state.track_id is None:
        raise PlayerRestricted("Player command failed: Nothing to play.")
    else:
        _freeze(state, now)
    if position_ms is not None:
        state.position_ms = position_ms
        state.measured_at = now
    state.is_playing = True
    if track_ids is not None and state.shuffle:
        _shuffle_after_current(state)
    return _save(state, now)


@transaction.atomic
def player_pause(*, user: User, device_id: str | None = None) -> PlayerState:
    """Pause at the position reached; pausing a paused player changes nothing but revision."""
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    _freeze(state, now)
    state.is_playing = False
    return _save(state, now)


@transaction.atomic
def player_seek(*, user: User, position_ms: int, device_id: str | None = None) -> PlayerState:
    """Move to `position_ms` of the current track; past its end, skip to the next track.

    The playing device also reports its position this way, so the stored one stays close.
    """
    _check_position(position_ms)
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    if state.track_id is None:
        raise PlayerRestricted("Player command failed: Nothing is playing.")
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    if state.track.duration_ms and position_ms >= state.track.duration_ms:
        _advance(state, now, +1)
    else:
        state.position_ms = position_ms
        state.measured_at = now
    return _save(state, now)


def _advance(state: PlayerState, now: datetime.datetime, step: int) -> None:
    length = _queue_length(state.user)
    if state.current_index is None or not length:
        raise PlayerRestricted("Player command failed: Nothing is playing.")
    index = state.current_index + step
    if 0 <= index < length:
        _go_to(state, index, now)
    elif state.repeat == PlayerState.Repeat.CONTEXT:
        _go_to(state, index % length, now)
    elif step > 0:
        # The end of the queue: stop at the start of the last track.
        _go_to(state, length - 1, now)
        state.is_playing = False
    else:
        _go_to(state, 0, now)


@transaction.atomic
def player_report(
    *,
    user: User,
    device_id: str,
    track_id: int,
    position_ms: int,
    is_playing: bool,
    device_name: str = "",
) -> PlayerState:
    """Take what device `device_id` (registered on first use) says it plays: it becomes the
    active device, at `track_id` and `position_ms`, playing or not.

    The track becomes the current item: the current one when it is that track, else its
    next place in the queue (or its first), else the queue becomes that track alone (the
    client plays from a queue the server was not told about).
    """
    device_id = _check_device_id(device_id)
    _check_position(position_ms)
    check_tracks_playable(user=user, track_ids=[track_id])
    device = PlayerDevice.objects.filter(user=user, key=device_id).first()
    if device is None:
        device = player_device_register(user=user, device_id=device_id, name=device_name)
    state = _locked_state(user)
    now = timezone.now()
    _activate(state, device, now, seen=True)
    if state.track_id != track_id:
        places = list(
            PlayerQueueItem.objects.filter(user=user, track_id=track_id)
            .order_by("position")
            .values_list("position", flat=True)
        )
        if not places:
            _queue_replace(user, [track_id])
            places = [0]
        current = -1 if state.current_index is None else state.current_index
        _go_to(state, next((p for p in places if p > current), places[0]), now)
    duration = state.track.duration_ms if state.track else 0
    state.position_ms = min(position_ms, duration) if duration else position_ms
    state.measured_at = now
    state.is_playing = is_playing
    return _save(state, now)


@transaction.atomic
def player_next(*, user: User, device_id: str | None = None) -> PlayerState:
    """Skip to the next item (wrapping with repeat context; at the end, stop)."""
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    _advance(state, now, +1)
    return _save(state, now)


@transaction.atomic
def player_previous(*, user: User, device_id: str | None = None) -> PlayerState:
    """Skip to the previous item (wrapping with repeat context; the first one restarts)."""
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    _advance(state, now, -1)
    return _save(state, now)


@transaction.atomic
def player_repeat_set(*, user: User, state: str, device_id: str | None = None) -> PlayerState:
    """Set the repeat mode: "track", "context" or "off"."""
    if state not in PlayerState.Repeat.values:
        raise ValidationFailed("Invalid state: one of track, context, off.")
    player = _locked_state(user)
    device = _device_of(user, device_id, player)
    now = timezone.now()
    _activate(player, device, now, seen=device_id is not None)
    player.repeat = state
    return _save(player, now)


def _queue_rewrite_after(state: PlayerState, items: list[PlayerQueueItem]) -> None:
    """Put `items` (the ones after the current item) in this order."""
    first = state.current_index + 1
    PlayerQueueItem.objects.filter(user_id=state.user_id, position__gte=first).delete()
    PlayerQueueItem.objects.bulk_create(
        PlayerQueueItem(
            user_id=state.user_id,
            position=first + i,
            track_id=item.track_id,
            queued=item.queued,
            original_position=item.original_position,
        )
        for i, item in enumerate(items)
    )


def _items_after(state: PlayerState) -> list[PlayerQueueItem]:
    return list(
        PlayerQueueItem.objects.filter(
            user_id=state.user_id, position__gt=state.current_index
        ).order_by("position")
    )


def _shuffle_after_current(state: PlayerState) -> None:
    if state.current_index is None:
        return
    items = _items_after(state)
    queued = [item for item in items if item.queued]
    rest = [item for item in items if not item.queued]
    # A play order, not a secret.
    random.shuffle(rest)  # nosec B311
    _queue_rewrite_after(state, queued + rest)


@transaction.atomic
def player_shuffle_set(*, user: User, state: bool, device_id: str | None = None) -> PlayerState:
    """Shuffle the items after the current one (queued ones stay first), or restore their
    context order."""
    player = _locked_state(user)
    device = _device_of(user, device_id, player)
    now = timezone.now()
    _activate(player, device, now, seen=device_id is not None)
    if player.shuffle != state and player.current_index is not None:
        if state:
            _shuffle_after_current(player)
        else:
            items = _items_after(player)
            _queue_rewrite_after(
                player, sorted(items, key=lambda item: (item.original_position, not item.queued))
            )
    player.shuffle = state
    return _save(player, now)


@transaction.atomic
def player_volume_set(
    *, user: User, volume_percent: int, device_id: str | None = None
) -> PlayerState:
    """Set the volume of the device (0 to 100)."""
    if not 0 <= volume_percent <= 100:
        raise ValidationFailed("Invalid volume_percent: must be between 0 and 100.")
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    if not device.supports_volume:
        raise PlayerRestricted("Player command failed: The device does not support volume.")
    PlayerDevice.objects.filter(pk=device.pk).update(
        volume_percent=volume_percent, last_seen_at=timezone.now()
    )
    device.volume_percent = volume_percent
    now = timezone.now()
    if state.device_id == device.pk:
        state.device = device
    return _save(state, now)


@transaction.atomic
def player_queue_add(*, user: User, track_id: int, device_id: str | None = None) -> PlayerState:
    """Add a track after the current one and the tracks added before it (Add to queue)."""
    check_tracks_playable(user=user, track_ids=[track_id])
    state = _locked_state(user)
    device = _device_of(user, device_id, state)
    now = timezone.now()
    _activate(state, device, now, seen=device_id is not None)
    length = _queue_length(user)
    _check_queue_size(length + 1)
    if state.current_index is None:
        _queue_replace(user, [track_id])
        PlayerQueueItem.objects.filter(user=user).update(queued=True)
        _go_to(state, 0, now)
        state.is_playing = False
        return _save(state, now)
    items = _items_after(state)
    place = 0
    while place < len(items) and items[place].queued:
        place += 1
    current = PlayerQueueItem.objects.filter(user=user, position=state.current_index).first()
    new = PlayerQueueItem(
        track_id=track_id,
        queued=True,
        original_position=current.original_position if current else 0,
    )
    _queue_rewrite_after(state, [*items[:place], new, *items[place:]])
    return _save(state, now)
