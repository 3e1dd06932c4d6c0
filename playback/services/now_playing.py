"""What each of a listener's players is playing (cache only, not counted)."""

from django.core.cache import cache
from django.utils import timezone

from playback import selectors

NOW_PLAYING_MAX_PLAYERS = 10


def now_playing_set(*, user, track_id: int, player: str, duration_ms: int) -> None:
    """Remember that `player` of the user started the track (not a play: nothing is counted).

    Kept in the cache only, for the track's length plus a minute; best effort.
    """
    key = selectors.now_playing_key(user.pk)
    entries = cache.get(key) or {}
    entries[player[:64]] = {"track_id": track_id, "player": player[:64], "at": timezone.now()}
    newest = sorted(entries.values(), key=lambda entry: entry["at"], reverse=True)
    kept = {entry["player"]: entry for entry in newest[:NOW_PLAYING_MAX_PLAYERS]}
    cache.set(key, kept, timeout=duration_ms // 1000 + 60)
