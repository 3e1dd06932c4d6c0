import threading
import uuid

import pytest
from django.contrib.auth.hashers import get_hasher

from accounts import throttling
from tests.accounts.factories import UserFactory

PASSWORD = "listen-to-this-1"


@pytest.fixture(autouse=True)
def _fresh_login_throttle():
    """Counters live in the shared cache (Redis on PostgreSQL runs): start and end clean."""
    throttling.login_attempts_clear_all()
    yield
    throttling.login_attempts_clear_all()


@pytest.fixture
def account(db):
    """A listener whose email is new on every run (counters outlive the test database)."""
    return UserFactory(email=f"throttle-{uuid.uuid4().hex[:12]}@example.com")


class HasherCalls:
    """Counts password hashings: each check (`verify` hashes once) and the dummy hash that
    ModelBackend computes for an unknown user."""

    def __init__(self, monkeypatch):
        self.count = 0
        self._lock = threading.Lock()
        hasher = type(get_hasher("default"))
        monkeypatch.setattr(hasher, "encode", self._counting(hasher.encode))

    def _counting(self, original):
        def wrapper(hasher_self, *args, **kwargs):
            with self._lock:
                self.count += 1
            return original(hasher_self, *args, **kwargs)

        return wrapper


@pytest.fixture
def hasher_calls(monkeypatch):
    return HasherCalls(monkeypatch)
