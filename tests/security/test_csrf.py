"""CSRF: every write with a session cookie needs the token; the API and the web forms alike."""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

WRITE_METHODS = ("post", "put", "patch", "delete")
TOKEN = "S" * 32  # a CSRF secret; Django accepts it unmasked in the header


def _write_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        operations += [(method, concrete) for method in WRITE_METHODS if method in item]
    return operations


def _session_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _send(client: Client, method: str, path: str, **extra):
    return getattr(client, method)(path, data="{}", content_type="application/json", **extra)


def _csrf_refused(response) -> bool:
    return response.status_code == 403 and "CSRF" in response.content.decode()


def test_the_schema_has_write_operations():
    assert len(_write_operations()) >= 10


@pytest.mark.django_db
def test_every_api_write_with_a_session_needs_the_csrf_token(listener, staff_user):
    failures = []
    for user in (listener, staff_user):
        for method, path in _write_operations():
            client = _session_client(user)
            without = _send(client, method, path)
            if not _csrf_refused(without):
                failures.append(f"{user} {method.upper()} {path}: {without.status_code} no token")
            client.cookies["csrftoken"] = TOKEN
            with_token = _send(client, method, path, HTTP_X_CSRFTOKEN=TOKEN)
            if _csrf_refused(with_token) or with_token.status_code >= 500:
                failures.append(f"{user} {method.upper()} {path}: {with_token.status_code} token")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/logout/",
        "/accounts/password/",
        "/i18n/setlang/",
        "/admin/login/",
        "/admin/logout/",
        "/admin/password_change/",
    ],
)
def test_web_forms_need_the_csrf_token(listener, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(listener)
    assert client.post(path, {"language": "sv", "username": "x"}).status_code == 403


@pytest.mark.django_db
def test_the_login_form_works_with_its_token(listener):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    response = client.post(
        "/accounts/login/",
        {
            "username": listener.email,
            "password": "listen-to-this-1",
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    assert response.status_code == 302
