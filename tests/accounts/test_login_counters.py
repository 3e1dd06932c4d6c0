"""The login budgets' counters on Redis: one script reserves or gives back both budgets
(accounts/throttling.py `_LOGIN_COUNTERS`), with the keys and values of the cache API path."""

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from accounts import throttling


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the default cache is not Redis (REDIS_URL unset)")
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    settings.LOGIN_THROTTLE_PER_ADDRESS = 5
    throttling.login_attempts_clear_all()
    yield
    throttling.login_attempts_clear_all()


def counters(username: str, address: str) -> tuple:
    account_key, address_key = throttling._keys(username=username, address=address)
    return cache.get(account_key), cache.get(address_key)


def test_the_script_counts_what_the_cache_api_reads():
    # The script runs (it answers None only when the cache is not Redis or failed).
    assert throttling._counters_in_redis(username="z@x.test", address="", delta=1) == [1, 0]
    reserve = throttling.login_attempt_reserve
    assert [reserve(username="A@x.test", address="192.0.2.7") for _ in range(3)] == [None] * 3
    assert counters("a@x.test", "192.0.2.7") == (3, 3)
    assert (
        reserve(username="a@x.test", address="192.0.2.7")
        == throttling.login_limits().window_seconds
    )
    # A success gives back: the account's counter goes, the address's unit returns.
    throttling.login_attempt_succeeded(username="a@x.test", address="192.0.2.7")
    assert counters("a@x.test", "192.0.2.7") == (None, 3)
    assert reserve(username="a@x.test", address="192.0.2.7") is None
    # Both paths keep the same counters: the cache API's path adds to the script's.
    account_key, _ = throttling._keys(username="a@x.test", address="192.0.2.7")
    assert throttling._incr(account_key, 1, 60) == 2


def test_the_address_budget_and_clearing_all():
    for n in range(5):
        assert (
            throttling.login_attempt_reserve(username=f"u{n}@x.test", address="192.0.2.9") is None
        )
    assert throttling.login_attempt_reserve(username="u9@x.test", address="192.0.2.9")
    throttling.login_attempts_clear_all()  # a new generation: every counter starts again
    assert throttling.login_attempt_reserve(username="u9@x.test", address="192.0.2.9") is None
    assert counters("u9@x.test", "192.0.2.9") == (1, 1)
    # Without an address only the account counts.
    assert throttling.login_attempt_reserve(username="u9@x.test", address="") is None
    assert counters("u9@x.test", "192.0.2.9") == (2, 1)
