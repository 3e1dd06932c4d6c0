"""Lua scripts run on the default cache's Redis: several counters in one round trip.

Django's cache API takes a round trip per call (a throttle's get and set, a budget's add and
incr); a hot path that keeps two or three counters pays several of them on every request.
A `CacheScript` runs its Lua source on the Redis server behind `caches["default"]`, on
the keys as that cache names them (`make_key`: prefix and version), so `cache.delete(key)`
still clears what the script keeps. The Redis client is made once per cache client, not
per call as the cache's own methods do (building one costs more CPU than the round trip).

`run` answers None when the default cache is not Redis (the in-memory cache of the embedded
default) or the call failed; the caller then falls back to the cache API (which has its own
fallback for an outage). Reaching the client goes through Django's RedisCache internals
(`_cache.get_client`), the one place that does so.
"""

import logging
import weakref

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class CacheKey(str):
    """An argument of a script that is a cache key (or the start of one the script
    completes): passed as the cache names it (`make_key`)."""


class CacheScript:
    """A Lua script registered once per Django cache client (its Redis client kept with it)."""

    def __init__(self, source: str, *, name: str):
        self.source = source
        self.name = name
        # Per Django cache client (rebuilt when the settings change): (Redis client, script).
        self._bound: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def run(self, *, keys: list[str], args: list) -> list | None:
        """The script's answer for `keys` (cache keys, before `make_key`) and `args`, or None
        when the default cache is not Redis or the call failed (logged)."""
        store = caches["default"]
        if not isinstance(store, RedisCache):
            return None
        try:
            bound = self._bound.get(store._cache)
            if bound is None:
                client = store._cache.get_client(write=True)
                bound = self._bound[store._cache] = (client, client.register_script(self.source))
            client, script = bound
            args = [store.make_key(arg) if isinstance(arg, CacheKey) else arg for arg in args]
            return script(keys=[store.make_key(key) for key in keys], args=args, client=client)
        except Exception as exc:
            logger.warning("Cache script %s failed: %r", self.name, exc)
            return None
