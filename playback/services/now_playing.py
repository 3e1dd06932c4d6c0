"""What each of a listener's players is playing (cache only, not counted)."""

from django.core.cache import cache
from django.utils import timezone

from playback import selectors

NOW_PLAYING_MAX_PLAYERS = 10


def now_playing_set(
    *,
    user,
    track_id: int,
    player: str,
    duration_ms: int,
    state: str | None = None,
    position_ms: int | None = None,
    playback_rate: float | None = None,
) -> None:
    """Remember that `player` of the user started the track (not a play: nothing is counted).

    With `state`, `position_ms` and `playback_rate` (a playback report), the position can be
    told later (`selectors.now_playing_position_ms`). Kept in the cache only, for the
    track's length plus a minute; best effort.
    """
    key = selectors.now_playing_key(user.pk)
    entries = cache.get(key) or {}
    entry = {
        "track_id": track_id,
        "player": player[:64],
        "at": timezone.now(),
        "duration_ms": duration_ms,
    }
    if state is not None:
        entry.update(state=state, position_ms=position_ms or 0, playback_rate=playback_rate or 1.0)
    entries[player[:64]] = entry
    newest = sorted(entries.values(), key=lambda entry: entry["at"], reverse=True)
    kept = {entry["player"]: entry for entry in newest[:NOW_PLAYING_MAX_PLAYERS]}
    cache.set(key, kept, timeout=_timeout(kept))


def now_playing_clear(*, user, player: str) -> None:
    """Forget what `player` of the user was playing (it stopped); best effort."""
    key = selectors.now_playing_key(user.pk)
    entries = cache.get(key) or {}
    if entries.pop(player[:64], None) is not None:
        if entries:
            cache.set(key, entries, timeout=_timeout(entries))
        else:
            cache.delete(key)


def _timeout(entries: dict) -> int:
    """Seconds to keep the entries: the longest track's length plus a minute."""
    return max(entry.get("duration_ms", 0) for entry in entries.values()) // 1000 + 60
