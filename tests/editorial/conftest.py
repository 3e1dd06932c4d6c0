import pytest

from editorial.models import TeamMembership
from tests.catalog.factories import TrackFactory
from tests.editorial.factories import TeamFactory, member


@pytest.fixture
def stockholm(db):
    return TeamFactory(name="Stockholm", slug="stockholm", markets=["SE", "NO"], languages="sv, en")


@pytest.fixture
def london(db):
    return TeamFactory(name="London", slug="london", markets=["GB"], languages="en")


@pytest.fixture
def editor(stockholm):
    return member(stockholm, email="editor.stockholm@example.com")


@pytest.fixture
def lead(stockholm):
    return member(stockholm, TeamMembership.Role.LEAD, email="lead.stockholm@example.com")


@pytest.fixture
def london_editor(london):
    return member(london, email="editor.london@example.com")


@pytest.fixture
def tracks(db):
    """Three tracks: two playable in SE and NO, one only in SE."""
    return [
        TrackFactory(title="Aurora", markets=["SE", "NO", "GB"]),
        TrackFactory(title="Fjord", markets=["SE", "NO"]),
        TrackFactory(title="Only Sweden", markets=["SE"]),
    ]
