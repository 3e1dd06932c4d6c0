"""Login throttling: a budget of password checks per account and per client address.

An attempt takes one unit from both budgets *before* the password is checked, with an
atomic cache increment, so N concurrent guesses reach the password hasher at most
`LOGIN_THROTTLE_PER_ACCOUNT` times however they interleave. A successful login gives both
units back, so the budgets count failures. Counters live in the default cache (Redis in
production, shared by every web process); when the cache is unreachable, each process
falls back to its own in-memory counters rather than refusing every login.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common.cache_scripts import CacheKey, CacheScript

logger = logging.getLogger(__name__)

_fallback = LocMemCache("accounts-login-throttle", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window_seconds: int


def login_limits() -> LoginLimits:
    return LoginLimits(
        per_account=settings.LOGIN_THROTTLE_PER_ACCOUNT,
        per_address=settings.LOGIN_THROTTLE_PER_ADDRESS,
        window_seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS,
    )


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw.

    With `LOGIN_THROTTLE_TRUSTED_PROXIES = n` (nginx in front: 1), the n-th entry from the
    right of X-Forwarded-For is taken; entries further left are client-supplied.
    """
    if request is None:
        return ""
    proxies = settings.LOGIN_THROTTLE_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


_GENERATION_KEY = "login-throttle:generation"


def _generation() -> int:
    """A number in every counter's key: `login_attempts_clear_all` moves it on."""
    for store in (cache, _fallback):
        try:
            return int(store.get_or_set(_GENERATION_KEY, 0, timeout=None))
        except Exception as exc:
            if store is _fallback:
                raise
            logger.warning("Login throttle uses local counters, the cache failed: %r", exc)
    raise AssertionError("unreachable")


def _account(username: str) -> str:
    """An account's name in the counters' keys (any case and spacing of the username)."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _keys(*, username: str, address: str) -> tuple[str, str]:
    prefix = f"login-throttle:{_generation()}"
    return f"{prefix}:account:{_account(username)}", f"{prefix}:address:{address}"


def _incr(key: str, delta: int, window: int) -> int:
    """Add `delta` to the counter `key`, created for `window` seconds; return the value."""
    for store in (cache, _fallback):
        try:
            store.add(key, 0, timeout=window)
            try:
                return store.incr(key, delta)
            except ValueError:  # expired between add and incr
                store.set(key, max(delta, 0), timeout=window)
                return max(delta, 0)
        except Exception as exc:  # the shared cache is down: per-process counters
            if store is _fallback:
                raise
            logger.warning("Login throttle uses local counters, the cache failed: %r", exc)
    raise AssertionError("unreachable")


# The two budgets' counters in one round trip on Redis (a Subsonic client authenticates
# every call: reserving and giving back took 12 cache commands through 9 new Redis clients,
# about 1 ms of CPU). Same keys and values as `_keys` and `_incr` (Django stores integers
# as they are), so either path reads what the other wrote.
_COUNTERS = """
local generation = redis.call('GET', KEYS[1]) or '0'
local window, delta = tonumber(ARGV[4]), tonumber(ARGV[5])
local function add(key)
  redis.call('SET', key, 0, 'EX', window, 'NX')
  return redis.call('INCRBY', key, delta)
end
local prefix = ARGV[1] .. generation
local account = 0
if delta > 0 then
  account = add(prefix .. ':account:' .. ARGV[2])
else
  redis.call('DEL', prefix .. ':account:' .. ARGV[2])
end
local address = 0
if ARGV[3] ~= '' then
  address = add(prefix .. ':address:' .. ARGV[3])
end
return {account, address}
"""
_LOGIN_COUNTERS = CacheScript(_COUNTERS, name="login-throttle")


def _counters_in_redis(*, username: str, address: str, delta: int) -> list | None:
    """Add `delta` (1: reserve, -1: give back, the account's counter deleted) to both
    counters; (account, address) values, or None when the cache is not Redis or failed."""
    return _LOGIN_COUNTERS.run(
        keys=[_GENERATION_KEY],
        args=[
            CacheKey("login-throttle:"),
            _account(username),
            address,
            login_limits().window_seconds,
            delta,
        ],
    )


def login_attempt_reserve(*, username: str, address: str) -> int | None:
    """Take one attempt from both budgets; return the window (s) to wait when one is spent.

    The window runs from an account's (or address's) first counted attempt; attempts
    refused meanwhile do not extend it.
    """
    limits = login_limits()
    counted = _counters_in_redis(username=username, address=address, delta=1)
    if counted is not None:
        account, per_address = counted
    else:
        account_key, address_key = _keys(username=username, address=address)
        account = _incr(account_key, 1, limits.window_seconds)
        per_address = _incr(address_key, 1, limits.window_seconds) if address else 0
    if account > limits.per_account or per_address > limits.per_address:
        return limits.window_seconds
    return None


def login_attempt_succeeded(*, username: str, address: str) -> None:
    """Give back the units of a successful login: budgets count failed attempts only."""
    if _counters_in_redis(username=username, address=address, delta=-1) is not None:
        return
    limits = login_limits()
    account_key, address_key = _keys(username=username, address=address)
    for store in (cache, _fallback):
        try:
            store.delete(account_key)
        except Exception as exc:
            logger.warning("Login throttle reset failed: %r", exc)
    if address:
        _incr(address_key, -1, limits.window_seconds)


def login_attempts_clear_all() -> None:
    """Forget every counter (after an incident; between tests)."""
    for store in (cache, _fallback):
        try:
            store.add(_GENERATION_KEY, 0, timeout=None)
            store.incr(_GENERATION_KEY)
        except Exception as exc:
            logger.warning("Login throttle clear failed: %r", exc)


# --- API request throttles (DRF) ----------------------------------------------------------


class _CacheOutageOpen(SimpleRateThrottle):
    """A throttle that lets requests through while the shared cache is unreachable."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.warning("API throttle %s skipped, the cache failed: %r", self.scope, exc)
            return True


class UserRateThrottle(_CacheOutageOpen):
    """Requests per signed-in user (scope `user`), across all the user's clients."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressRateThrottle(_CacheOutageOpen):
    """Requests per client address (scope `address`), signed in or not."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


# DRF's SimpleRateThrottle keeps a pickled list of every request's time in the window (up
# to the whole budget, 2,400 floats for an address) and reads and writes it whole: two round
# trips and a list rebuilt per throttle per request. The same sliding log kept as a sorted
# set, for every budget of a request in one script run. Per key (ARGV from 3 on: limit,
# duration): drop the times older than the window, then either record this request or,
# when the budget is spent, answer the oldest time still in it (DRF's refusal). Returns,
# per key, {1, count} or {0, count, oldest}.
_SLIDING_LOG = CacheScript(
    """
local now, member, out = tonumber(ARGV[1]), ARGV[2], {}
for i, key in ipairs(KEYS) do
  local limit, duration = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    out[i] = {0, count, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]}
  else
    redis.call('ZADD', key, now, member)
    redis.call('EXPIRE', key, math.ceil(duration))
    out[i] = {1, count + 1}
  end
end
return out
""",
    name="api-throttle",
)


class ApiRateThrottle(BaseThrottle):
    """The API's general budgets, per signed-in user and per client address, in one step.

    The rules of `UserRateThrottle` and `AddressRateThrottle` (their scopes, rates and
    keys, DRF's sliding window; as in DRF, each budget counts the requests it lets
    through), taken in one round trip to Redis. Without Redis (the embedded default) the
    two throttles run as they are; when the cache fails, requests pass, as with theirs.
    """

    def __init__(self):
        self.budgets = [UserRateThrottle(), AddressRateThrottle()]
        self.waits: list[float] = []

    def allow_request(self, request, view):
        taken = [
            (budget, key)
            for budget in self.budgets
            if budget.rate is not None and (key := budget.get_cache_key(request, view)) is not None
        ]
        if not taken:
            return True
        now = time.time()
        args = [repr(now), f"{now!r}:{secrets.token_hex(6)}"]
        for budget, _ in taken:
            args += [budget.num_requests, budget.duration]
        answers = _SLIDING_LOG.run(keys=[key for _, key in taken], args=args)
        if answers is None:  # not Redis, or Redis failed: DRF's own steps (which fail open)
            refused = [budget for budget, _ in taken if not budget.allow_request(request, view)]
            self.waits = [budget.wait() or 0.0 for budget in refused]
            return not refused
        self.waits = []
        for (budget, _), answer in zip(taken, answers, strict=True):
            if int(answer[0]):
                continue
            # DRF's wait: the time left for the oldest request, shared by what is left.
            remaining = budget.duration - (now - float(answer[2]))
            available = budget.num_requests - int(answer[1]) + 1
            self.waits.append(remaining / available if available > 0 else remaining)
        return not self.waits

    def wait(self):
        return max(self.waits, default=None)


class SignupRateThrottle(AddressRateThrottle):
    """Sign-ups per client address (scope `signup`)."""

    scope = "signup"


class PasswordResetRateThrottle(AddressRateThrottle):
    """Password-reset mails asked for per client address (scope `password_reset`)."""

    scope = "password_reset"
