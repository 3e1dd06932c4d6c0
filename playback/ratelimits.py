"""Play-event budgets: events per listener and per client address in a fixed window.

A batch takes its size from both budgets before it is judged, with atomic cache
increments (Redis in production, shared by every web process: one script, so one round
trip, where the cache's own calls took seven). When a budget is spent the
batch is refused whole with 429 and nothing is stored; the client keeps its events and
retries after the window. When the cache is unreachable each process counts on its own
rather than refusing plays (an outage must not lose listening history).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from common.cache_scripts import CacheKey, CacheScript
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


# The same keys and values as the cache calls below (Django's RedisCache stores integers
# as they are): the generation, then the listener's counter, then (unless the listener's
# budget is spent) the address's. Returns both counts (the address's 0 when not taken).
_TAKE_SCRIPT = """
local generation = redis.call('GET', KEYS[1])
if not generation then
  redis.call('SET', KEYS[1], 0, 'NX')
  generation = redis.call('GET', KEYS[1])
end
local prefix, count, ttl = ARGV[1] .. generation .. ARGV[2], tonumber(ARGV[3]), ARGV[4]
local function take(key)
  local value = redis.call('INCRBY', key, count)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ttl) end
  return value
end
local user = take(prefix .. ARGV[5])
if user > tonumber(ARGV[6]) or ARGV[7] == '' then return {user, 0} end
return {user, take(prefix .. ARGV[7])}
"""
_TAKE = CacheScript(_TAKE_SCRIPT, name="play-limits")


def _take_in_redis(*, slot_key: str, user_key: str, address_key: str, count: int, ttl: int):
    """(listener's count, address's count) from one script run, or None when the cache is
    not Redis or failed (the cache calls then take over, with their local fallback)."""
    answer = _TAKE.run(
        keys=[_GENERATION_KEY],
        args=[
            CacheKey("play-limits:"), f":{slot_key}", count, ttl, f":user:{user_key}",
            settings.PLAY_EVENTS_LIMIT_PER_USER, f":address:{address_key}" if address_key else "",
        ],
    )  # fmt: skip
    if answer is None:
        return None
    user, by_address = answer
    return int(user), int(by_address)


def play_events_budget_take(*, user_id: int, address: str | None, count: int) -> None:
    """Take `count` events from the listener's and the address's budgets, or raise
    TooManyPlayEvents (429) when either is spent in the current window."""
    window = settings.PLAY_EVENTS_LIMIT_WINDOW_SECONDS
    now = int(time.time())
    slot = now // window
    retry_after = window - now % window
    taken = _take_in_redis(
        slot_key=str(slot), user_key=str(user_id), address_key=address or "", count=count,
        ttl=window + 60,
    )  # fmt: skip
    if taken is None:
        prefix = f"play-limits:{_generation()}:{slot}"
        by_user = _incr(f"{prefix}:user:{user_id}", count, window + 60)
        by_address = 0
        if address and by_user <= settings.PLAY_EVENTS_LIMIT_PER_USER:
            by_address = _incr(f"{prefix}:address:{address}", count, window + 60)
    else:
        by_user, by_address = taken
    if by_user > settings.PLAY_EVENTS_LIMIT_PER_USER:
        raise TooManyPlayEvents(
            "Too many play events from this account; retry later.", retry_after=retry_after
        )
    if address and by_address > settings.PLAY_EVENTS_LIMIT_PER_ADDRESS:
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
