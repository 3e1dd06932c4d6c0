"""Accounts and tokens: revocation on password change, throttles, email case, headers."""

import base64
import re
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from oauth2_provider.models import AccessToken, Application, RefreshToken
from rest_framework.test import APIClient

from accounts import throttling
from tests.accounts.factories import UserFactory

PASSWORD = "listen-to-this-1"
SECRET = "s3cret-for-tests"


def an_address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def application(owner) -> Application:
    return Application.objects.create(
        name="script",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
    )


def token_request(app: Application, secret: str, address: str = "127.0.0.1"):
    credentials = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
        REMOTE_ADDR=address,
    )


def bearer_status(token: str) -> int:
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


@pytest.fixture
def user(db):
    return UserFactory(email="listener@example.com", country="SE")


class TestPasswordChangeRevokesTokens:
    def test_web_password_change(self, user):
        token = token_request(application(user), SECRET).json()["access_token"]
        assert bearer_status(token) == 200
        browser = Client()
        browser.force_login(user)
        response = browser.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-brand-new-phrase-2",
                "new_password2": "a-brand-new-phrase-2",
            },
        )
        assert response.status_code == 302
        assert bearer_status(token) in (401, 403)  # the token is refused
        assert not AccessToken.objects.exists() and not RefreshToken.objects.exists()
        assert browser.get("/").status_code == 200, "this session stays"

    def test_staff_setting_a_password_in_admin(self, user, admin_client):
        token = token_request(application(user), SECRET).json()["access_token"]
        response = admin_client.post(
            f"/admin/accounts/user/{user.pk}/password/",
            {
                "password1": "a-brand-new-phrase-3",
                "password2": "a-brand-new-phrase-3",
                "usable_password": "true",
            },
        )
        assert response.status_code == 302, response.content[:500]
        user.refresh_from_db()
        assert user.check_password("a-brand-new-phrase-3")
        assert bearer_status(token) in (401, 403)  # the token is refused


def test_email_login_ignores_case(user):
    response = Client().post(
        "/accounts/login/", {"username": "  LISTENER@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/"


class TestThrottles:
    def test_api_per_user_answers_429_json(self, user, monkeypatch):
        monkeypatch.setitem(throttling.UserRateThrottle.THROTTLE_RATES, "user", "3/min")
        cache.delete(f"throttle_user_{user.pk}")  # SQLite reuses ids between tests
        client = APIClient()
        client.force_authenticate(user)
        statuses = [
            client.get("/api/v1/me", REMOTE_ADDR=an_address()).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/api/v1/me", REMOTE_ADDR=an_address())
        assert response.status_code == 429
        assert response.json()["error"]["status"] == 429
        assert int(response["Retry-After"]) > 0

    def test_api_per_address_counts_anonymous_and_signed_in_alike(self, user, monkeypatch):
        monkeypatch.setitem(throttling.AddressRateThrottle.THROTTLE_RATES, "address", "2/min")
        address = an_address()
        signed_in = APIClient()
        signed_in.force_authenticate(user)
        assert (
            APIClient().get("/api/v1/search?q=a&type=track", REMOTE_ADDR=address).status_code == 200
        )
        assert signed_in.get("/api/v1/me", REMOTE_ADDR=address).status_code == 200
        refused = APIClient().get("/api/v1/search?q=a&type=track", REMOTE_ADDR=address)
        assert refused.status_code == 429
        assert refused["Content-Type"].startswith("application/json")
        assert (
            APIClient().get("/api/v1/search?q=a&type=track", REMOTE_ADDR=an_address()).status_code
            == 200
        )

    def test_api_window_slides_and_each_budget_counts_what_it_lets_through(self, user, monkeypatch):
        """A request counts for a minute from its own time (DRF's sliding window), in
        Redis as without it; as in DRF, the address's budget counts a request the user's
        refuses, and the Retry-After is the time the oldest request has left."""
        clock = [1_000_000.0]
        monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
        monkeypatch.setattr(throttling.SimpleRateThrottle, "timer", staticmethod(lambda: clock[0]))
        monkeypatch.setitem(throttling.UserRateThrottle.THROTTLE_RATES, "user", "2/min")
        monkeypatch.setitem(throttling.AddressRateThrottle.THROTTLE_RATES, "address", "3/min")
        cache.delete(f"throttle_user_{user.pk}")
        address = an_address()
        signed_in = APIClient()
        signed_in.force_authenticate(user)

        def status(client) -> int:
            return client.get("/api/v1/me", REMOTE_ADDR=address).status_code

        assert [status(signed_in), status(signed_in)] == [200, 200]
        clock[0] += 40
        refused = signed_in.get("/api/v1/me", REMOTE_ADDR=address)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 20  # the first request leaves the window at 60 s
        anonymous = APIClient().get("/api/v1/search?q=a&type=track", REMOTE_ADDR=address)
        assert anonymous.status_code == 429  # the address's third went to that refusal
        clock[0] += 21  # the first two requests are out of both windows
        assert [status(signed_in), status(signed_in), status(signed_in)] == [200, 200, 429]

    def test_signup_per_address(self, db, monkeypatch):
        monkeypatch.setitem(throttling.SignupRateThrottle.THROTTLE_RATES, "signup", "2/hour")
        address = an_address()

        def signup(n: int):
            return Client().post(
                "/accounts/signup/",
                {
                    "email": f"new{n}@example.com",
                    "password": "a-long-secret-phrase",
                    "country": "SE",
                    "language": "en",
                },
                REMOTE_ADDR=address,
            )

        assert [signup(n).status_code for n in range(3)] == [302, 302, 429]
        assert signup(4)["Retry-After"]

    def test_token_endpoint_refuses_the_right_secret_after_wrong_ones(self, user, settings):
        settings.LOGIN_THROTTLE_PER_ACCOUNT = 5
        app = application(user)
        address = an_address()
        for _ in range(5):
            assert token_request(app, "wrong", address).status_code == 401
        refused = token_request(app, SECRET, address)
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert not AccessToken.objects.exists()
        throttling.login_attempts_clear_all()
        assert token_request(app, SECRET, address).status_code == 200

    def test_successful_client_authentication_does_not_use_the_budget(self, user, settings):
        settings.LOGIN_THROTTLE_PER_ACCOUNT = 2
        app = application(user)
        assert [token_request(app, SECRET).status_code for _ in range(4)] == [200] * 4


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/v1/search?q=a"])
def test_production_sends_csp_and_permissions_policy(client, db, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'self'" in directives["media-src"]
    policy = response["Permissions-Policy"]
    assert "microphone=()" in policy and "camera=()" in policy and "autoplay=(self)" in policy


class TestPasswordReset:
    def test_mailed_link_sets_a_new_password_and_revokes_tokens(self, user, mailoutbox):
        token = token_request(application(user), SECRET).json()["access_token"]
        browser = Client()
        response = browser.post("/accounts/password/reset/", {"email": "Listener@EXAMPLE.com"})
        assert (response.status_code, response.url) == (302, "/accounts/password/reset/sent/")
        assert len(mailoutbox) == 1 and mailoutbox[0].to == ["listener@example.com"]
        link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mailoutbox[0].body)
        form_url = browser.get(link.group(1)).url  # the token moves out of the URL
        response = browser.post(
            form_url,
            {"new_password1": "a-brand-new-phrase-4", "new_password2": "a-brand-new-phrase-4"},
        )
        assert (response.status_code, response.url) == (302, "/")
        user.refresh_from_db()
        assert user.check_password("a-brand-new-phrase-4")
        assert bearer_status(token) in (401, 403)
        assert browser.get("/").status_code == 200  # logged in on this device
        assert browser.get(link.group(1)).context["validlink"] is False  # used once

    def test_unknown_address_gets_the_same_answer_and_no_mail(self, db, mailoutbox):
        response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
        assert (response.status_code, response.url) == (302, "/accounts/password/reset/sent/")
        assert mailoutbox == []

    def test_requests_per_address_are_limited_without_saying_so(
        self, user, mailoutbox, monkeypatch
    ):
        monkeypatch.setitem(
            throttling.PasswordResetRateThrottle.THROTTLE_RATES, "password_reset", "2/hour"
        )
        address = an_address()
        for _ in range(3):
            response = Client().post(
                "/accounts/password/reset/", {"email": user.email}, REMOTE_ADDR=address
            )
            assert (response.status_code, response.url) == (302, "/accounts/password/reset/sent/")
        assert len(mailoutbox) == 2
