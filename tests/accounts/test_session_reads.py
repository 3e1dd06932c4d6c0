"""The session store and the user lookup of signed-in requests read their rows by compiled
SQL on every request (`accounts.sessions`, `ThrottledModelBackend.get_user`): nothing is
cached, so a logout, an expired session, a deactivated account or a new password counts
on the very next request."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts import sessions
from accounts.backends import ThrottledModelBackend
from tests.accounts.factories import UserFactory

ME = "/api/v1/me"


@pytest.fixture
def signed_in(db):
    user = UserFactory(country="SE")
    client = Client()
    client.force_login(user, backend="accounts.backends.ThrottledModelBackend")
    assert client.get(ME).json()["id"] == str(user.pk)
    return client, user


def test_the_store_in_use_is_the_compiled_one():
    assert import_module(settings.SESSION_ENGINE).SessionStore is sessions.SessionStore


def test_a_signed_in_request_reads_the_session_and_the_user_once(
    signed_in, django_assert_num_queries
):
    client, user = signed_in
    with django_assert_num_queries(2):  # the session, the user; /me reads nothing more
        body = client.get(ME).json()
    assert (body["id"], body["email"], body["country"]) == (str(user.pk), user.email, "SE")


def test_logout_counts_at_once(signed_in):
    client, _ = signed_in
    client.logout()
    assert client.get(ME).status_code == 401


def test_a_deleted_or_expired_session_counts_at_once(signed_in):
    client, _ = signed_in
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - datetime.timedelta(1))
    assert client.get(ME).status_code == 401
    assert sessions.SessionStore(key).load() == {}


def test_deactivation_and_a_new_password_count_at_once(db):
    for change in ("deactivate", "password"):
        user = UserFactory()
        client = Client()
        client.force_login(user, backend="accounts.backends.ThrottledModelBackend")
        assert client.get(ME).status_code == 200
        if change == "deactivate":
            user.is_active = False
        else:
            user.set_password("a new password 123")
        user.save()
        assert client.get(ME).status_code == 401, change


def test_get_user_is_model_backends(db):
    user = UserFactory(display_name="Ada", country="NO")
    found = ThrottledModelBackend().get_user(user.pk)
    assert found == user and found._state.adding is False
    assert (found.display_name, found.country.code, found.password) == ("Ada", "NO", user.password)
    assert ThrottledModelBackend().get_user(user.pk + 1000) is None
    user.is_active = False
    user.save()
    assert ThrottledModelBackend().get_user(user.pk) is None
