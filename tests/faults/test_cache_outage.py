"""With the cache (Redis) unreachable, what keeps answering. No restart: a dead address."""

import pytest
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing listens
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DEAD_REDIS  # Django's setting_changed handler rebuilds the caches
    assert caches["default"]._servers == ["redis://127.0.0.1:9/0"]


def test_listener_api_and_login_work_without_the_cache(cache_down):
    listener = UserFactory(country="SE")
    track = TrackFactory(markets=["SE"])
    api = APIClient()
    api.force_authenticate(listener)
    for path in ("/api/v1/me", f"/api/v1/tracks/{track.pk}", "/api/v1/browse/new-releases"):
        assert api.get(path).status_code == 200, path
    response = Client().post(
        "/accounts/login/", {"username": listener.email, "password": "listen-to-this-1"}
    )
    assert response.status_code == 302


def test_artist_dashboard_works_without_the_cache(cache_down):
    """Its scoped throttles fail open when the cache is down (never a 500)."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    track = TrackFactory(markets=["SE"])
    api = APIClient()
    api.force_authenticate(staff)
    api.raise_request_exception = False
    assert api.get(f"/api/v1/tracks/{track.pk}/insights/overview").status_code < 500
