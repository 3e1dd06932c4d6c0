"""Play-event budgets: the Redis script and the cache calls keep the same counters."""

import os
import time

import pytest
from django.core.cache import caches

from playback import ratelimits
from playback.errors import TooManyPlayEvents

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}


@pytest.fixture(params=["script", "cache calls"])
def take(request, settings, monkeypatch):
    """play_events_budget_take through Redis's script, or through the cache calls alone."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    settings.CACHES = {"default": REDIS["default"] | {"LOCATION": url}}
    settings.PLAY_EVENTS_LIMIT_PER_USER = 5
    settings.PLAY_EVENTS_LIMIT_PER_ADDRESS = 8
    caches["default"].clear()
    script = ratelimits._take_in_redis
    if request.param == "cache calls":
        monkeypatch.setattr(ratelimits, "_take_in_redis", lambda **kwargs: None)
    else:  # the script must answer, not fall back quietly

        def answered(**kwargs):
            counts = script(**kwargs)
            assert counts is not None
            return counts

        monkeypatch.setattr(ratelimits, "_take_in_redis", answered)
    yield ratelimits.play_events_budget_take
    caches["default"].clear()


def _counter(kind: str, key) -> int | None:
    store = caches["default"]
    generation = store.get("play-limits:generation")
    slot = int(time.time()) // 3600
    return store.get(f"play-limits:{generation}:{slot}:{kind}:{key}")


def test_budgets_are_taken_and_spent(take, settings):
    settings.PLAY_EVENTS_LIMIT_WINDOW_SECONDS = 3600
    take(user_id=1, address="203.0.113.9", count=3)
    take(user_id=1, address="203.0.113.9", count=2)
    assert (_counter("user", 1), _counter("address", "203.0.113.9")) == (5, 5)
    with pytest.raises(TooManyPlayEvents, match="account"):
        take(user_id=1, address="203.0.113.9", count=1)
    # A refusal by the listener's budget leaves the address's alone.
    assert (_counter("user", 1), _counter("address", "203.0.113.9")) == (6, 5)
    take(user_id=2, address="203.0.113.9", count=3)
    with pytest.raises(TooManyPlayEvents, match="address"):
        take(user_id=3, address="203.0.113.9", count=1)
    take(user_id=3, address=None, count=1)
    client = caches["default"]._cache.get_client()
    key = caches["default"].make_key(
        f"play-limits:{caches['default'].get('play-limits:generation')}:"
        f"{int(time.time()) // 3600}:user:1"
    )
    assert 0 < client.ttl(key) <= 3600 + 60


def test_clearing_resets_both_ways(take, settings):
    settings.PLAY_EVENTS_LIMIT_WINDOW_SECONDS = 3600
    take(user_id=1, address=None, count=5)
    with pytest.raises(TooManyPlayEvents):
        take(user_id=1, address=None, count=1)
    ratelimits.play_events_budgets_clear_all()
    take(user_id=1, address=None, count=5)
    assert _counter("user", 1) == 5
