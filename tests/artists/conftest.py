import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from artists.models import TeamRole
from tests.accounts.factories import UserFactory
from tests.artists.factories import team_member
from tests.catalog.factories import ArtistFactory, ReleaseFactory, TrackFactory

DAY = datetime.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def artist(db):
    return ArtistFactory(name="Aurora Lights")


@pytest.fixture
def other_artist(db):
    return ArtistFactory(name="Other Band")


@pytest.fixture
def release(artist):
    return ReleaseFactory(artists=[artist], release_date=datetime.date(2024, 5, 17))


@pytest.fixture
def track(release):
    return TrackFactory(release=release, title="Night Drive")


@pytest.fixture
def admin_user(artist):
    return team_member(artist, TeamRole.ADMIN, email="admin@example.com")


@pytest.fixture
def reader_user(artist):
    return team_member(artist, TeamRole.READER, email="reader@example.com")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com")


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)
