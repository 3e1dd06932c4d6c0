"""The session store and the user lookup of signed-in requests read their rows by compiled
SQL on every request (`accounts.sessions`, `ThrottledModelBackend.get_user`): nothing is
cached, so a logout, an expired session, a deactivated account or a new password counts
on the very next request."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import sessions
from accounts.backends import ThrottledModelBackend
from accounts.models import Session
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


def test_a_signed_in_request_reads_the_session_and_the_user_in_one_query(
    signed_in, django_assert_num_queries
):
    client, user = signed_in
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.get(pk=key).user_id == user.pk
    with django_assert_num_queries(1):  # the session with its user; /me reads nothing more
        body = client.get(ME).json()
    assert (body["id"], body["email"], body["country"]) == (str(user.pk), user.email, "SE")


def test_a_session_without_the_user_column_reads_its_user_apart(
    signed_in, django_assert_num_queries
):
    """Sessions saved before the column existed (or naming no user) keep working."""
    client, user = signed_in
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(user=None)
    with django_assert_num_queries(2):
        assert client.get(ME).json()["id"] == str(user.pk)


def test_the_row_read_with_the_session_serves_only_the_user_the_session_names(db):
    """The column and the session's data disagree (as if the column were stale): Django's
    check of the data's user id and password hash decides, on the backend's own read."""
    owner, other = UserFactory(), UserFactory()
    client = Client()
    client.force_login(owner, backend="accounts.backends.ThrottledModelBackend")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(user=other)
    assert client.get(ME).json()["id"] == str(owner.pk)
    store = sessions.SessionStore(key)
    store.load()
    assert store.user_row["id"] == other.pk
    with sessions.reading_user_of(store):
        assert sessions.user_row_read_with_session(str(other.pk))["id"] == other.pk
        assert sessions.user_row_read_with_session(str(owner.pk)) is None
    assert sessions.user_row_read_with_session(str(other.pk)) is None  # outside a read


def test_signing_in_as_someone_else_and_out_keeps_the_column_right(db):
    first, second = UserFactory(), UserFactory()
    client = Client()
    client.force_login(first, backend="accounts.backends.ThrottledModelBackend")
    client.force_login(second, backend="accounts.backends.ThrottledModelBackend")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.get(pk=key).user_id == second.pk
    assert client.get(ME).json()["id"] == str(second.pk)
    client.logout()
    assert not Session.objects.filter(pk=key).exists()


def test_deleting_a_user_deletes_their_sessions(signed_in):
    client, user = signed_in
    user.delete()
    assert not Session.objects.exists()
    assert client.get(ME).status_code == 401


def test_the_migration_keeps_everyone_signed_in(signed_in):
    """Django's own session rows are copied with the user id their data names."""
    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.db import connection

    migration = import_module("accounts.migrations.0006_session_with_user")
    client, user = signed_in
    Session.objects.all().delete()
    old = DjangoStore()
    old.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": settings.AUTHENTICATION_BACKENDS[0],
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    old.create()
    expired = DjangoStore()
    expired["x"] = 1
    expired.set_expiry(-10)
    expired.create()
    migration.copy_sessions(apps, type("Editor", (), {"connection": connection}))
    assert list(Session.objects.values_list("session_key", "user_id")) == [
        (old.session_key, user.pk)
    ]
    client.cookies[settings.SESSION_COOKIE_NAME] = old.session_key
    assert client.get(ME).json()["id"] == str(user.pk)


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


def test_expired_sessions_are_deleted_daily(signed_in, settings):
    from accounts import tasks

    client, _ = signed_in
    live = client.cookies[settings.SESSION_COOKIE_NAME].value
    for days in (1, 30):
        old = sessions.SessionStore()
        old["x"] = days
        old.set_expiry(-days * 86400)
        old.create()
    assert Session.objects.count() == 3
    assert tasks.sessions_expired_delete.delay().get() == 2
    assert list(Session.objects.values_list("pk", flat=True)) == [live]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.tasks.sessions_expired_delete" in scheduled
