"""Production settings: `check --deploy` is clean; cookies and headers are the secure ones."""

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """The environment of a production web node (as in .env.example), with throwaway paths."""
    tmp = tmp_path_factory.mktemp("production")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "DEBUG"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="streamify.settings.base",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="streamify.example.com",
        CSRF_TRUSTED_ORIGINS="https://streamify.example.com",
        DATABASE_URL=f"sqlite:///{tmp / 'deploy.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        LOG_LEVEL="ERROR",
    )
    return env


def test_check_deploy_is_clean(production_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROBE = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="streamify.example.com")
    plain = client.get("/accounts/login/")
    page = client.get("/accounts/login/", secure=True)
    cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    print(json.dumps({
        "plain": [plain.status_code, plain.get("Location", "")],
        "status": page.status_code,
        "headers": dict(page.headers),
        "csrf_cookie": {k: cookie[k] for k in ("secure", "samesite", "httponly")},
        "settings": {
            name: getattr(settings, name)
            for name in (
                "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
                "CSRF_COOKIE_SECURE", "DEBUG",
            )
        },
    }))
    """
)


def test_responses_carry_the_secure_headers_and_cookies(production_env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://streamify.example.com/accounts/login/"]
    assert seen["status"] == 200
    headers = {key.lower(): value for key, value in seen["headers"].items()}
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert seen["csrf_cookie"]["secure"] is True and seen["csrf_cookie"]["samesite"] == "Lax"
    assert seen["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
    }
