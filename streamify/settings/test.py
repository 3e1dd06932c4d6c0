"""Settings for the test suite: base settings with fast hashing and isolated media."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="streamify-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="streamify-test-static-")
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: the browser tests' live-server thread
    # then has a connection of its own instead of sharing the test's, so a request still
    # running when a test ends waits for SQLite's lock instead of failing with "database
    # table is locked" (and leaving the next test's flush undone).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"streamify-test-{os.getpid()}.sqlite3")
    }
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Tests run tasks in-process unless a test starts a real worker (marker `celery_worker`).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
LOGGING = {"version": 1, "disable_existing_loggers": False}
# API throttles stay out of the way of the suite; tests of throttling set their own rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].update(  # noqa: F405
    {
        "user": "100000/min",
        "address": "100000/min",
        "signup": "100000/min",
        "password_reset": "100000/min",
    }
)
