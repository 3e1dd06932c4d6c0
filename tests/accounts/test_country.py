"""The country (market) is set at signup and changed only through the logged, paced flow."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import CountryChange
from playback.models import PlayEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory

ME = "/api/v1/me"


@pytest.fixture
def client(listener):
    client = APIClient()
    client.force_authenticate(listener)
    return client


def test_patch_me_changes_country_once_logged_then_429(client, listener, settings):
    settings.COUNTRY_CHANGE_MIN_DAYS = 14
    assert client.patch(ME, {"country": "NO"}, format="json").json()["country"] == "NO"
    change = CountryChange.objects.get()
    assert (change.user, change.old_country, change.new_country, change.by_staff) == (
        listener,
        "SE",
        "NO",
        False,
    )
    response = client.patch(ME, {"country": "US"}, format="json")
    assert response.status_code == 429
    assert "14 days" in response.json()["error"]["message"]
    listener.refresh_from_db()
    assert str(listener.country) == "NO"
    # Other profile fields stay free; the same country is no change.
    response = client.patch(ME, {"country": "NO", "display_name": "Ann"}, format="json")
    assert response.status_code == 200
    assert CountryChange.objects.count() == 1


def test_the_pace_is_from_the_last_own_change(listener, settings):
    settings.COUNTRY_CHANGE_MIN_DAYS = 14
    services.user_country_change(user=listener, country="NO", changed_by=listener)
    CountryChange.objects.update(changed_at=timezone.now() - datetime.timedelta(days=15))
    services.user_country_change(user=listener, country="DK", changed_by=listener)
    assert list(CountryChange.objects.values_list("new_country", flat=True)) == ["DK", "NO"]


def test_staff_change_any_time_and_it_is_logged(listener, staff_user):
    services.user_country_change(user=listener, country="NO", changed_by=listener)
    services.user_country_change(user=listener, country="FI", changed_by=staff_user)
    latest = CountryChange.objects.first()
    assert (latest.new_country, latest.changed_by, latest.by_staff) == ("FI", staff_user, True)


def test_staff_change_in_admin_goes_through_the_log(listener, staff_user):
    admin = APIClient()
    admin.force_login(staff_user)
    page = admin.get(f"/admin/accounts/user/{listener.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data |= {"country": "DE", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00"}
    response = admin.post(f"/admin/accounts/user/{listener.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    listener.refresh_from_db()
    assert str(listener.country) == "DE"
    assert CountryChange.objects.get().changed_by == staff_user


def test_a_change_never_reattributes_past_plays(listener):
    track = TrackFactory()
    ended = timezone.now() - datetime.timedelta(hours=1)
    services_client = APIClient()
    services_client.force_authenticate(listener)
    event = {
        "event_id": str(uuid.uuid4()),
        "track_id": track.pk,
        "ms_played": 60_000,
        "context_type": "album",
        "started_at": (ended - datetime.timedelta(minutes=1)).isoformat(),
        "ended_at": ended.isoformat(),
    }
    services_client.post("/api/v1/me/player/events", {"events": [event]}, format="json")
    services.user_country_change(user=listener, country="NO", changed_by=listener)
    assert PlayEvent.objects.get().country == "SE"


def test_unknown_country_is_400(client):
    response = client.patch(ME, {"country": "XX"}, format="json")
    assert response.status_code == 400
    assert not CountryChange.objects.exists()


def test_signup_sets_the_country_without_a_change(db):
    user = UserFactory(country="SE")
    assert str(user.country) == "SE"
    assert not CountryChange.objects.filter(user=user).exists()
