"""The web player's server side: shell, auth pages, language, translations."""

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
    ["/", "/search", "/artist/1", "/album/2", "/playlist/3", "/collection/tracks", "/profile"],
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


def test_signup_creates_a_listener_and_logs_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "New@Example.com",
            "display_name": "New",
            "password": "a-long-secret-phrase",
            "country": "ES",
            "language": "es",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert (str(user.country), user.language) == ("ES", "es")
    assert user.groups.filter(name="listeners").exists()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert client.get("/").status_code == 200


def test_signup_rejects_weak_passwords_and_taken_emails(client, listener):
    response = client.post(
        "/accounts/signup/",
        {"email": listener.email, "password": "123", "country": "SE", "language": "en"},
    )
    assert response.status_code == 200
    assert User.objects.filter(email=listener.email).count() == 1
    errors = response.context["form"].errors
    assert "email" in errors and "password" in errors


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
