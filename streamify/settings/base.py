"""Settings for every environment, read from the environment with embedded defaults.

Unset variables give the embedded default: SQLite, eager Celery, files on local disk.
Every variable is listed in `.env.example`.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "insecure-development-key-only-for-debug" if DEBUG else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_countries",
    "django_celery_beat",
    "oauth2_provider",
    "common",
    "accounts",
    "catalog",
    "playback",
    "licensing",
    "editorial",
    "recommendations",
    "artists",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "streamify.urls"
WSGI_APPLICATION = "streamify.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # reconnect after a database restart
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves requests and runs background transcodes at once:
    # WAL lets readers proceed during a write, IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]  # login throttle
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Cache: Redis when configured, else local memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: eager when no broker is configured (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# `make run`'s embedded broker (CELERY_BROKER_URL=filesystem://): kombu's filesystem
# transport, a message is a file in this folder; no Redis, no writes to SQLite.
CELERY_BROKER_FOLDER = Path(
    env.str("CELERY_BROKER_FOLDER", default=str(BASE_DIR / ".cache" / "broker"))
)
if CELERY_BROKER_URL.startswith("filesystem:"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(CELERY_BROKER_FOLDER / "queue"),
        data_folder_out=str(CELERY_BROKER_FOLDER / "queue"),
        control_folder=str(CELERY_BROKER_FOLDER / "control"),
        store_processed=False,
    )
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {
    "playback-transcode-requeue-stale": {
        "task": "playback.tasks.transcode_requeue_stale",
        "schedule": 300.0,
    },
    "playback-stream-counts-refresh": {
        "task": "playback.tasks.stream_counts_refresh",
        "schedule": 600.0,
    },
    "editorial-schedule-run": {
        "task": "editorial.tasks.editorial_schedule_run",
        "schedule": 60.0,
    },
    "editorial-playlist-stats-refresh": {
        "task": "editorial.tasks.playlist_stats_refresh",
        "schedule": 900.0,
    },
    # Hourly tick; the task starts the day's run once, from RECOMMENDATIONS_RUN_HOUR_UTC on.
    "recommendations-nightly": {
        "task": "recommendations.tasks.recommendations_nightly",
        "schedule": 3600.0,
    },
    "artists-insights-refresh": {
        "task": "artists.tasks.insights_refresh",
        "schedule": 600.0,
    },
    "licensing-availability-refresh-recent": {
        "task": "licensing.tasks.availability_refresh_recent",
        "schedule": 600.0,
    },
    "licensing-royalty-statements-monthly": {
        "task": "licensing.tasks.royalty_statements_issue_month",
        "schedule": crontab(minute=0, hour=4, day_of_month=3),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.OAuth2Authentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "common.pagination.SpotifyPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "common.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": "600/min",
        "user": "1200/min",
        # ScopedRateThrottle scopes of the artist dashboard.
        "artists_insights": env.str("THROTTLE_RATE_ARTISTS_INSIGHTS", default="600/min"),
        "artists_manage": env.str("THROTTLE_RATE_ARTISTS_MANAGE", default="120/min"),
    },
}
# OAuth2 bearer tokens (django-oauth-toolkit) for scripts, RFC 9700 compliant: no password
# or implicit grant, PKCE, hashed token storage; client credentials act as the app's owner.
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read your data and insights", "write": "Change teams and releases"},
    "DEFAULT_SCOPES": ["read"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.authentication.OAuth2Validator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Streamify API",
    "DESCRIPTION": "Music streaming API shaped like the Spotify Web API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "OAUTH2_FLOWS": ["clientCredentials", "authorizationCode"],
    "OAUTH2_AUTHORIZATION_URL": "/o/authorize/",
    "OAUTH2_TOKEN_URL": "/o/token/",
}

# Audio tools: Debian's ffmpeg when on PATH, else the binary of the imageio-ffmpeg wheel.
FFMPEG_BINARY = env.str("FFMPEG_BINARY", default="")
FFPROBE_BINARY = env.str("FFPROBE_BINARY", default="")
# Playback: uploads, transcoding, signed stream URLs (X-Accel-Redirect behind nginx).
# Decides per track who may upload its audio; the artists app knows the teams.
TRACK_UPLOAD_PERMISSION = "artists.permissions.track_upload_allowed"
AUDIO_CHECK_TIMEOUT_SECONDS = env.int("AUDIO_CHECK_TIMEOUT_SECONDS", default=120)
FFMPEG_MAX_DATA_MB = env.int("FFMPEG_MAX_DATA_MB", default=512)
# Failed logins allowed per account and per client address within the window.
LOGIN_THROTTLE_PER_ACCOUNT = env.int("LOGIN_THROTTLE_PER_ACCOUNT", default=5)
LOGIN_THROTTLE_PER_ADDRESS = env.int("LOGIN_THROTTLE_PER_ADDRESS", default=30)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=900)
LOGIN_THROTTLE_TRUSTED_PROXIES = env.int("LOGIN_THROTTLE_TRUSTED_PROXIES", default=0)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
TRANSCODE_STALE_AFTER_SECONDS = env.int("TRANSCODE_STALE_AFTER_SECONDS", default=1500)
TRANSCODE_MAX_ATTEMPTS = env.int("TRANSCODE_MAX_ATTEMPTS", default=5)
STREAM_URL_TTL_SECONDS = env.int("STREAM_URL_TTL_SECONDS", default=300)
STREAM_X_ACCEL_REDIRECT = env.bool("STREAM_X_ACCEL_REDIRECT", default=False)
STREAM_X_ACCEL_PREFIX = env.str("STREAM_X_ACCEL_PREFIX", default="/protected-media/")
STREAM_COUNTS_LOOKBACK_HOURS = env.int("STREAM_COUNTS_LOOKBACK_HOURS", default=48)
# Cover art uploads and art found by imports: larger files are refused.
COVER_MAX_BYTES = env.int("COVER_MAX_BYTES", default=10 * 1024 * 1024)
DEMO_AUDIO_CACHE = env.path("DEMO_AUDIO_CACHE", default=BASE_DIR / ".cache" / "demo-audio")

# Production hardening, active when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Mail (team invitations): the console by default, SMTP etc. via EMAIL_URL in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@streamify.invalid")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
