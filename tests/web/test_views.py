"""The web player's server side: shell, auth pages, language, translations."""

import re

import pytest
from django.conf import settings

from accounts.models import User
from tests.accounts.factories import UserFactory

PASSWORD = "listen-to-this-1"


@pytest.fixture
def swede(db):
    return UserFactory(country="SE", language="sv")


def test_shell_needs_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search",
        "/artist/1",
        "/album/2",
        "/playlist/3",
        "/collection/tracks",
        "/profile",
        "/browse/albums",
        "/genre/4",
    ],
)
def test_every_client_route_serves_the_shell(client, listener, path):
    client.force_login(listener)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="player"' in html
    assert 'id="audio-a"' in html and 'id="audio-b"' in html
    assert 'type="module"' in html
    assert 'name="csrf-token"' in html


def test_shell_speaks_the_users_language_and_sets_the_cookie(client, swede):
    client.force_login(swede)
    response = client.get("/")
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "Hem" in html  # "Home"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


def test_login_redirects_home_and_remembers_the_language(client, swede):
    response = client.post("/accounts/login/", {"username": swede.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


def test_login_with_a_wrong_password_shows_an_error(client, listener):
    response = client.post("/accounts/login/", {"username": listener.email, "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


SIGNUP = {
    "email": "New@Example.com",
    "display_name": "New",
    "password": "a-long-secret-phrase",
    "country": "ES",
    "language": "es",
}


def _link(message) -> str:
    match = re.search(r"http://testserver(/accounts/signup/confirm/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_mails_a_link_that_creates_the_listener_and_logs_in(client, db, mailoutbox):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    assert not User.objects.filter(email="new@example.com").exists()  # not before the link
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    link = _link(mailoutbox[0])
    assert client.get(link).status_code == 200  # a button: mail scanners don't use it up
    assert not User.objects.filter(email="new@example.com").exists()
    response = client.post(link)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert (str(user.country), user.language, user.display_name) == ("ES", "es", "New")
    assert user.check_password("a-long-secret-phrase")
    assert user.groups.filter(name="listeners").exists()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert client.get("/").status_code == 200
    client.logout()
    assert client.post(link).status_code == 400  # once only


def test_signup_never_tells_whether_an_address_is_registered(client, listener, mailoutbox):
    password_hash = listener.password
    taken = client.post("/accounts/signup/", {**SIGNUP, "email": listener.email.upper()})
    fresh = client.post("/accounts/signup/", {**SIGNUP, "email": "someone-new@example.com"})
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email__iexact=listener.email).count() == 1
    # The owner learns of the attempt; nothing there creates or changes an account.
    note = next(m for m in mailoutbox if m.to == [listener.email])
    assert "already has an account" in note.body and "/confirm/" not in note.body
    listener.refresh_from_db()
    assert listener.password == password_hash


def test_a_stranger_cannot_pre_register_an_address(client, db, mailoutbox):
    # A stranger signs up first with the owner's address and a password of their own.
    client.post("/accounts/signup/", {**SIGNUP, "password": "strangers-secret-phrase"})
    client.post("/accounts/signup/", SIGNUP)  # then the owner
    owners_link = _link(mailoutbox[1])
    assert client.post(owners_link).status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a-long-secret-phrase")
    client.logout()
    assert client.post(_link(mailoutbox[0])).status_code == 400  # the stranger's is void


def test_signup_rejects_weak_passwords(client, db, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {"email": "weak@example.com", "password": "123", "country": "SE", "language": "en"},
    )
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not mailoutbox


def test_logout_is_a_post(client, listener):
    client.force_login(listener)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("language", "text"), [("sv", "Spela upp"), ("es", "Reproducir")])
def test_javascript_catalog_is_translated(client, db, language, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/jsi18n/")
    assert response.status_code == 200
    assert text in response.content.decode()
