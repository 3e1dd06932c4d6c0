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


@pytest.fixture(scope="session", autouse=True)
def _replicas_mirror_the_test_database(django_db_setup):
    """Read replicas (DATABASE_REPLICA_URLS) read the test database on the primary, in
    every thread (Django's TEST MIRROR only redirects the main thread's connection)."""
    from django.db import connections

    primary = connections.settings["default"]
    for alias, config in connections.settings.items():
        if alias.startswith("replica_"):
            config.update(
                {key: primary[key] for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD")}
            )


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
