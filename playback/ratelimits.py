"""Play-event budgets: events per listener and per client address in a fixed window.

A batch takes its size from both budgets before it is judged, with atomic cache
increments (Redis in production, shared by every web process). When a budget is spent the
batch is refused whole with 429 and nothing is stored; the client keeps its events and
retries after the window. When the cache is unreachable each process counts on its own
rather than refusing plays (an outage must not lose listening history).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from playback.errors import TooManyPlayEvents

logger = logging.getLogger(__name__)

_fallback = LocMemCache("playback-play-limits", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_GENERATION_KEY = "play-limits:generation"


def _stores():
    yield cache
    yield _fallback


def _generation() -> int:
    for store in _stores():
        try:
            return int(store.get_or_set(_GENERATION_KEY, 0, timeout=None))
        except Exception as exc:
            if store is _fallback:
                raise
            logger.warning("Play-event limits use local counters, the cache failed: %r", exc)
    raise AssertionError("unreachable")


def _incr(key: str, delta: int, timeout: int) -> int:
    for store in _stores():
        try:
            store.add(key, 0, timeout=timeout)
            try:
                return store.incr(key, delta)
            except ValueError:  # expired between add and incr
                store.set(key, delta, timeout=timeout)
                return delta
        except Exception as exc:
            if store is _fallback:
                raise
            logger.warning("Play-event limits use local counters, the cache failed: %r", exc)
    raise AssertionError("unreachable")


def play_events_budget_take(*, user_id: int, address: str | None, count: int) -> None:
    """Take `count` events from the listener's and the address's budgets, or raise
    TooManyPlayEvents (429) when either is spent in the current window."""
    window = settings.PLAY_EVENTS_LIMIT_WINDOW_SECONDS
    now = int(time.time())
    slot = now // window
    retry_after = window - now % window
    prefix = f"play-limits:{_generation()}:{slot}"
    if _incr(f"{prefix}:user:{user_id}", count, window + 60) > settings.PLAY_EVENTS_LIMIT_PER_USER:
        raise TooManyPlayEvents(
            "Too many play events from this account; retry later.", retry_after=retry_after
        )
    if address and (
        _incr(f"{prefix}:address:{address}", count, window + 60)
        > settings.PLAY_EVENTS_LIMIT_PER_ADDRESS
    ):
        raise TooManyPlayEvents(
            "Too many play events from this address; retry later.", retry_after=retry_after
        )


def play_events_budgets_clear_all() -> None:
    """Forget every counter (after an incident; between tests)."""
    for store in _stores():
        try:
            store.add(_GENERATION_KEY, 0, timeout=None)
            store.incr(_GENERATION_KEY)
        except Exception as exc:
            logger.warning("Play-event limits clear failed: %r", exc)
