"""Per-scope throttling that survives a cache outage."""

import logging

from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

# Counters of this process, used while the shared cache (Redis) cannot be reached.
_fallback = LocMemCache("artists-throttle", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle whose counters fall back to process memory when the cache fails,
    so a Redis outage loosens the limits (per process) instead of failing every request."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache backend's own errors (redis.ConnectionError, ...)
            logger.warning("Throttle cache unreachable; counting in process memory.")
            self.cache = _fallback
            return super().allow_request(request, view)
