"""Playback reports (OpenSubsonic `playbackReport`): the server decides what was a play.

A device reports starting, playing, paused or stopped with its position and rate. Each
report moves the listener's player and the device's "now playing" entry; the media time
heard between two reports adds up in the device's `PlaybackSession`, and when the song
ends the session becomes ONE play event through `play_events_ingest`, so the same
integrity rules judge it as a web player's play or a scrobble.
"""

import datetime
import math

from django.db import transaction
from django.utils import timezone

from common.errors import ValidationFailed
from playback import player
from playback.models import PlaybackSession, PlayEvent

from .now_playing import now_playing_clear, now_playing_set
from .plays import IngestResult, play_events_ingest

State = PlaybackSession.State
PLAYBACK_RATE_MAX = 16.0
_HEARING = (State.STARTING, State.PLAYING)


def listened_ms_between(
    *,
    state: str,
    position_ms: int,
    playback_rate: float,
    reported_at: datetime.datetime,
    now: datetime.datetime,
    new_position_ms: int,
) -> int:
    """The media time heard between a report (`state`, `position_ms`, `playback_rate` at
    `reported_at`) and the next one of the same song (at `new_position_ms`, `now`).

    Only while the earlier report said starting or playing: the wall-clock time x its rate,
    but never more than the position advanced (a jump forward is not listening; after a
    jump back nothing of the interval can be told apart, so it counts nothing).
    """
    if state not in _HEARING:
        return 0
    wall_ms = max(0.0, (now - reported_at).total_seconds() * 1000)
    advance = new_position_ms - position_ms
    if advance <= 0:
        return 0
    return int(min(wall_ms * playback_rate, advance))


def _check(*, state: str, position_ms: int, playback_rate: float) -> None:
    if state not in State.values:
        raise ValidationFailed(f"Invalid state: one of {', '.join(State.values)}.")
    if position_ms < 0:
        raise ValidationFailed("Invalid positionMs: must be at least 0.")
    if not (math.isfinite(playback_rate) and 0 < playback_rate <= PLAYBACK_RATE_MAX):
        raise ValidationFailed(
            f"Invalid playbackRate: more than 0 and at most {PLAYBACK_RATE_MAX:g}."
        )


def playback_report(
    *,
    user,
    device_id: str,
    device_name: str,
    track_id: int,
    position_ms: int,
    state: str,
    playback_rate: float = 1.0,
    ignore_scrobble: bool = False,
    address: str | None = None,
    now: datetime.datetime | None = None,
) -> IngestResult | None:
    """Apply one playback report of device `device_id`; return the ingestion of the play it
    ended (None when it ended none).

    A session ends on `stopped`, on a report of another song, or on `starting` (the song
    begins again); then, unless a report of it said `ignore_scrobble`, the media time heard
    (capped by the track's duration and the wall-clock time it took) is stored as one play
    event whose id is the session's, durable before this returns. The session row is
    locked with the listener's player state, so a retried `stopped` finds the session gone
    (or, if the first attempt failed, ends it once): never two plays. `now` is the report's
    time (tests pass it; default now).
    """
    _check(state=state, position_ms=position_ms, playback_rate=playback_rate)
    now = now or timezone.now()
    result = None
    with transaction.atomic():
        # Locks the listener's player state: reports of one listener apply one at a time.
        # Raises NotFound for a track that does not exist; the state holds the track after.
        player_state = player.player_report(
            user=user,
            device_id=device_id,
            device_name=device_name,
            track_id=track_id,
            position_ms=position_ms,
            is_playing=state in _HEARING,
        )
        duration_ms = player_state.track.duration_ms
        session = (
            PlaybackSession.objects.select_for_update()
            .select_related("track")
            .filter(user=user, device_key=device_id)
            .first()
        )
        if session is not None and (session.track_id != track_id or state == State.STARTING):
            _heard_to_the_end(session, now)
            result = _session_end(session, user=user, address=address)
            session = None
        if session is None:
            if state != State.STOPPED:
                PlaybackSession.objects.create(
                    user=user,
                    device_key=device_id,
                    track_id=track_id,
                    state=state,
                    position_ms=position_ms,
                    playback_rate=playback_rate,
                    reported_at=now,
                    started_at=now,
                    ignore_scrobble=ignore_scrobble,
                )
        else:
            _hear(session, now=now, new_position_ms=position_ms)
            session.state = state
            session.position_ms = position_ms
            session.playback_rate = playback_rate
            session.reported_at = max(now, session.reported_at)
            session.ignore_scrobble = session.ignore_scrobble or ignore_scrobble
            if state == State.STOPPED:
                result = _session_end(session, user=user, address=address)
            else:
                session.save()
    if state == State.STOPPED:
        now_playing_clear(user=user, player=device_name)
    else:
        now_playing_set(
            user=user,
            track_id=track_id,
            player=device_name,
            duration_ms=duration_ms,
            state=state,
            position_ms=min(position_ms, duration_ms or position_ms),
            playback_rate=playback_rate,
        )
    return result


def _heard_to_the_end(session: PlaybackSession, now: datetime.datetime) -> None:
    """The device moved on while the song played: count the time since its last report,
    up to the end of the song (its position cannot be told any more)."""
    remaining = max(0, session.track.duration_ms - session.position_ms)
    _hear(session, now=now, new_position_ms=session.position_ms + remaining)


def _hear(session: PlaybackSession, *, now: datetime.datetime, new_position_ms: int) -> None:
    """Add what was heard between the session's last report and `now` (at `new_position_ms`)."""
    heard = listened_ms_between(
        state=session.state,
        position_ms=session.position_ms,
        playback_rate=session.playback_rate,
        reported_at=session.reported_at,
        now=now,
        new_position_ms=new_position_ms,
    )
    if heard:
        session.listened_ms += heard
        session.listened_until = now


def _session_end(session: PlaybackSession, *, user, address: str | None) -> IngestResult | None:
    """Store the session's play (when heard and not ignored) and delete the session."""
    result = None
    if not session.ignore_scrobble and session.listened_ms > 0 and session.listened_until:
        span_ms = int((session.listened_until - session.started_at).total_seconds() * 1000)
        duration = session.track.duration_ms or session.listened_ms
        ms_played = min(session.listened_ms, duration, span_ms)
        if ms_played > 0:
            event = {
                "event_id": session.event_id,
                "track_id": session.track_id,
                "ms_played": ms_played,
                "context_type": PlayEvent.Context.OTHER,
                "context_id": "",
                "started_at": session.started_at,
                "ended_at": session.listened_until,
            }
            result = play_events_ingest(user=user, events=[event], address=address)
    session.delete()
    return result
