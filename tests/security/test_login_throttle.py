"""Login throttling: bad logins, even in parallel, reach the password hasher a handful of times."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from accounts import throttling
from tests.security.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _address() -> str:
    """A client address of its own per test (TEST-NET-2; only a REMOTE_ADDR value)."""
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def _login(client: Client, email: str, password: str, address: str):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_sixth_bad_login_is_refused_without_checking_the_password(account, hasher_calls, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 5
    client, address = Client(), _address()
    for _ in range(5):
        response = _login(client, account.email, "wrong", address)
        assert response.status_code == 200
    assert hasher_calls.count == 5
    refused = _login(client, account.email, PASSWORD, address)  # even the right password
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == throttling.login_limits().window_seconds
    assert "Too many failed attempts" in refused.content.decode()
    assert hasher_calls.count == 5
    assert "_auth_user_id" not in client.session


def test_a_successful_login_gives_the_budget_back(account, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    address = _address()
    for _ in range(2):
        assert _login(Client(), account.email, "wrong", address).status_code == 200
    assert _login(Client(), account.email, PASSWORD, address).status_code == 302
    for _ in range(3):
        assert _login(Client(), account.email, "wrong", address).status_code == 200
    assert _login(Client(), account.email, "wrong", address).status_code == 429


def test_other_accounts_are_not_locked_by_one_accounts_failures(account, settings):
    from tests.accounts.factories import UserFactory

    settings.LOGIN_THROTTLE_PER_ACCOUNT = 2
    other = UserFactory(email=f"other-{uuid.uuid4().hex[:8]}@example.com")
    address = _address()
    for _ in range(3):
        _login(Client(), account.email, "wrong", address)
    assert _login(Client(), other.email, PASSWORD, address).status_code == 302


def _parallel_logins(credentials: list[tuple[str, str]], address: str) -> list[int]:
    """POST every (email, password) at once from its own thread; return the statuses."""
    start = threading.Barrier(len(credentials))

    def attempt(pair):
        email, password = pair
        try:
            client = Client()
            start.wait(timeout=30)
            return _login(client, email, password, address).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(credentials)) as pool:
        return list(pool.map(attempt, credentials))


@pytest.mark.django_db(transaction=True)
def test_parallel_bad_logins_reach_the_hasher_at_most_the_limit(account, hasher_calls, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 5
    statuses = _parallel_logins([(account.email, f"guess-{n}") for n in range(40)], _address())
    assert hasher_calls.count <= 5
    assert statuses.count(429) >= 35
    assert set(statuses) <= {200, 429}


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_across_accounts_are_limited_per_address(hasher_calls, settings):
    """Credential stuffing: one address, a new email each time (unknown users hash too)."""
    settings.LOGIN_THROTTLE_PER_ADDRESS = 8
    emails = [f"nobody-{uuid.uuid4().hex[:10]}@example.com" for _ in range(40)]
    statuses = _parallel_logins([(email, "password1") for email in emails], _address())
    assert hasher_calls.count <= 8
    assert statuses.count(429) >= 32


def test_admin_login_is_throttled_too(account, hasher_calls, settings):
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 2
    client, address = Client(), _address()
    for _ in range(4):
        client.post(
            "/admin/login/", {"username": account.email, "password": "x"}, REMOTE_ADDR=address
        )
    assert hasher_calls.count == 2


def test_the_throttle_falls_back_to_local_counters_when_the_cache_is_down(
    account, hasher_calls, settings, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    for method in ("add", "incr", "get_or_set", "delete", "set"):
        monkeypatch.setattr(throttling.cache, method, down)
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    address = _address()
    statuses = [_login(Client(), account.email, "wrong", address).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert hasher_calls.count == 3


def test_client_address_trusts_only_the_configured_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    settings.LOGIN_THROTTLE_TRUSTED_PROXIES = 0
    assert throttling.client_address(request) == "10.0.0.2"
    settings.LOGIN_THROTTLE_TRUSTED_PROXIES = 1  # nginx appends the address it saw
    assert throttling.client_address(request) == "203.0.113.9"
    bare = rf.get("/", REMOTE_ADDR="10.0.0.3")
    assert throttling.client_address(bare) == "10.0.0.3"
