import datetime

import pytest
from django.db.models import Q

from catalog.models import AvailabilityProfileWindow
from tests.catalog.factories import ReleaseFactory, TrackFactory
from tests.licensing.factories import PartyFactory


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def playable_markets(track, at: datetime.datetime) -> set[str]:
    """The markets where the catalog has an open window for the track at `at`."""
    return set(
        AvailabilityProfileWindow.objects.filter(profile__tracks__track=track, starts_at__lte=at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .values_list("market", flat=True)
    )


@pytest.fixture
def party(db):
    return PartyFactory()


@pytest.fixture
def release(party):
    return ReleaseFactory(label=party.labels.get())


@pytest.fixture
def track(release):
    return TrackFactory(release=release)
