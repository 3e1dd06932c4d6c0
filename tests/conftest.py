import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def listener(db):
    return UserFactory(country="SE")


@pytest.fixture
def listener_client(listener):
    client = APIClient()
    client.force_authenticate(listener)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _login_throttle_reset():
    from accounts import throttling

    throttling.login_attempts_clear_all()


@pytest.fixture(autouse=True)
def _play_limits_reset():
    from playback import ratelimits

    ratelimits.play_events_budgets_clear_all()
