"""Sessions: a password change ends the user's other sessions; login and logout rotate them."""

from django.conf import settings
from django.test import Client

from accounts.models import Session
from tests.accounts.factories import UserFactory
from tests.security.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-phrase-42"


def _logged_in(account) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": account.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _signed_in(client: Client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_password_change_ends_every_other_session(account):
    phone, laptop, tablet = _logged_in(account), _logged_in(account), _logged_in(account)
    assert all(_signed_in(c) for c in (phone, laptop, tablet))
    response = laptop.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(laptop)
    assert laptop.get("/").status_code == 200
    for other in (phone, tablet):
        assert not _signed_in(other)
        response = other.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # The ended sessions are flushed from the store, not just refused.
    assert Session.objects.count() == 1
    assert _logged_in_with(account, NEW_PASSWORD)


def _logged_in_with(account, password: str) -> bool:
    client = Client()
    response = client.post("/accounts/login/", {"username": account.email, "password": password})
    return response.status_code == 302 and _signed_in(client)


def test_password_change_needs_the_old_password_and_a_login(account):
    client = _logged_in(account)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    response = Client().get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_admin_password_change_ends_other_sessions_too(db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    other, current = _logged_in(admin), _logged_in(admin)
    response = current.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert current.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_login_rotates_the_session_key(account):
    client = Client()
    client.get("/accounts/login/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen-session-key"
    client.post("/accounts/login/", {"username": account.email, "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert key != "attacker-chosen-session-key"
    assert Session.objects.filter(session_key=key).exists()


def test_logout_deletes_the_session_server_side(account):
    client = _logged_in(account)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not _signed_in(replay)
