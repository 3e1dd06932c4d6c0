"""Settings for every environment, read from the environment with embedded defaults.

Unset variables give the embedded default: SQLite, eager Celery, files on local disk.
Every variable is listed in `.env.example`.
"""

import base64
import hashlib
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
    "django_cleanup.apps.CleanupConfig",  # a replaced or deleted file leaves the storage too
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
    # Outermost but security: /api/ answers JSON errors and ignores a trailing slash.
    "api.middleware.ApiPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "streamify.db_routing.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",  # Django's, its user read with the session
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:  # production: Content-Security-Policy and Permissions-Policy headers
    MIDDLEWARE.insert(1, "streamify.csp.CSPMiddleware")  # django-csp, policies built once
    MIDDLEWARE.insert(2, "django_permissions_policy.PermissionsPolicyMiddleware")

ROOT_URLCONF = "streamify.urls"
WSGI_APPLICATION = "streamify.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # every template lives in its app
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
# Persistent connections: a new PostgreSQL connection per request costs more than most reads.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # reconnect after a database restart
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves requests and runs background transcodes at once:
    # WAL lets readers proceed during a write, IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# The compiled hot-path reads (common/query_shapes.py) run as prepared statements, on a
# cursor of their own: every other query keeps Django's client-side binding, which never
# prepares. Off behind a pooler in transaction mode (PgBouncer), which cannot keep them.
_PREPARED = (
    {"prepare_threshold": 0} if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else {}
)
# Django's PostgreSQL backend whose health check needs no round trip while the connection
# is idle and open (streamify/postgresql/base.py).
POSTGRESQL_ENGINE = "streamify.postgresql"
# Session settings sent when a connection opens (libpq's `options`). JIT off: its compile
# time (15-30 ms) fell on list queries whose estimated cost crossed jit_above_cost, for
# reads that run in a few ms; nothing here is a long analytical query. Empty behind a
# pooler that refuses startup options (PgBouncer without ignore_startup_parameters).
_SESSION_OPTIONS = env.str("DATABASE_SESSION_OPTIONS", default="-c jit=off")
_POSTGRESQL_OPTIONS = {**_PREPARED, **({"options": _SESSION_OPTIONS} if _SESSION_OPTIONS else {})}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = POSTGRESQL_ENGINE
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **_POSTGRESQL_OPTIONS,
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Read replicas (PostgreSQL hot standbys): reads outside transactions go to a replica unless
# the client wrote lately (read-your-writes); see streamify/db_routing.py.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    _replica = env.db_url_config(_url)
    if _replica["ENGINE"] == "django.db.backends.postgresql":
        _replica["ENGINE"] = POSTGRESQL_ENGINE
    DATABASES[f"replica_{_number}"] = {
        **_replica,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 2, **_POSTGRESQL_OPTIONS},
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["streamify.db_routing.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
# Seconds a client's reads stay on the primary after it wrote (covers replica lag).
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=5)
# Seconds an unreachable replica is skipped before it is tried again.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=15)
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
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Media (originals, renditions, images): local disk by default, S3-compatible object storage
# (django-storages) when AWS_STORAGE_BUCKET_NAME is set; streams then redirect to a
# short-lived presigned URL (Range is served by the bucket or the CDN in front of it).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
                "access_key": env.str("AWS_S3_ACCESS_KEY_ID", default="") or None,
                "secret_key": env.str("AWS_S3_SECRET_ACCESS_KEY", default="") or None,
                "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
                "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
                "querystring_auth": True,
                "default_acl": None,
                "file_overwrite": True,
            },
        }
        if AWS_STORAGE_BUCKET_NAME
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
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
    # PostgreSQL: monthly play-event partitions exist PLAY_EVENT_PARTITIONS_AHEAD_MONTHS ahead.
    "playback-play-event-partitions-ensure": {
        "task": "playback.tasks.play_event_partitions_ensure",
        "schedule": crontab(minute=17, hour=3),
    },
    # Tracks withdrawn from a market leave personalised playlists within minutes.
    "recommendations-availability-refresh": {
        "task": "recommendations.tasks.personalised_playlists_refresh_availability",
        "schedule": 300.0,
    },
    "artists-insights-refresh": {
        "task": "artists.tasks.insights_refresh",
        "schedule": 600.0,
    },
    "licensing-availability-refresh-recent": {
        "task": "licensing.tasks.availability_refresh_recent",
        "schedule": 600.0,
    },
    "accounts-sessions-expired-delete": {
        "task": "accounts.tasks.sessions_expired_delete",
        "schedule": crontab(minute=41, hour=3),
    },
    "licensing-royalty-statements-monthly": {
        "task": "licensing.tasks.royalty_statements_issue_month",
        "schedule": crontab(minute=0, hour=4, day_of_month=3),
    },
}

REST_FRAMEWORK = {
    # Bearer first: its `WWW-Authenticate: Bearer` makes unauthenticated requests a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.OAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every API view lists TokenHasScope itself; this default covers views that forget.
    "DEFAULT_PERMISSION_CLASSES": ["api.scopes.TokenHasScope"],
    "DEFAULT_METADATA_CLASS": "api.metadata.ApiMetadata",
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.paging.SpotifyPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # Every API request counts against its user's budget and its address's budget (429 JSON).
    # Per user and per address (UserRateThrottle, AddressRateThrottle) in one cache trip.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": "600/min",
        "user": env.str("THROTTLE_RATE_USER", default="1200/min"),
        "address": env.str("THROTTLE_RATE_ADDRESS", default="2400/min"),
        "signup": env.str("THROTTLE_RATE_SIGNUP", default="5/hour"),
        "password_reset": env.str("THROTTLE_RATE_PASSWORD_RESET", default="5/hour"),
        # ScopedRateThrottle scopes of the artist dashboard.
        "artists_insights": env.str("THROTTLE_RATE_ARTISTS_INSIGHTS", default="600/min"),
        "artists_manage": env.str("THROTTLE_RATE_ARTISTS_MANAGE", default="120/min"),
    },
}
# OAuth2 bearer tokens (django-oauth-toolkit) for scripts, RFC 9700 compliant: no password
# or implicit grant, PKCE, hashed token storage; client credentials act as the app's owner.
OAUTH2_PROVIDER = {
    # Spotify's scope names for the listener API plus the dashboard's read/write
    # (`api.scopes`); a token asked for without a scope gets the dashboard's `read`.
    "SCOPES": {"read": "Read your data and insights", "write": "Change teams and releases"},
    "DEFAULT_SCOPES": ["read"],
    "SCOPES_BACKEND_CLASS": "api.scopes.ScopesBackend",
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

# Recommendations: Discover Weekly tunes its ALS settings (one of these) and its blend on
# the last week of listening at every nightly run, on at most TUNING_LISTENERS listeners.
RECOMMENDATIONS_DW_ALS_GRID = [
    {"factors": 32, "regularization": 1.0, "alpha": 4.0},
    {"factors": 64, "regularization": 0.05, "alpha": 8.0},
    {"factors": 64, "regularization": 1.0, "alpha": 4.0},
    {"factors": 64, "regularization": 5.0, "alpha": 2.0},
    {"factors": 128, "regularization": 5.0, "alpha": 4.0},
]
RECOMMENDATIONS_TUNING_LISTENERS = env.int("RECOMMENDATIONS_TUNING_LISTENERS", default=2000)
# Where ALS trains: "implicit" (this machine) or "spark" (Spark MLlib on SPARK_MASTER, e.g.
# spark://spark-master:7077; needs pyspark and Java on the worker). README: the cut-over.
RECOMMENDATIONS_ALS_BACKEND = env.str("RECOMMENDATIONS_ALS_BACKEND", default="implicit")
RECOMMENDATIONS_SPARK_MASTER = env.str("RECOMMENDATIONS_SPARK_MASTER", default="local[2]")
# The Spark driver's heap; in local mode all of Spark's (README: the cut-over).
RECOMMENDATIONS_SPARK_MEMORY = env.str("RECOMMENDATIONS_SPARK_MEMORY", default="2g")
# ALS settings (factors, regularization, alpha, iterations, threads, related_artists) over
# AlsParams' defaults, and ranking settings over RankingParams' defaults: JSON objects.
RECOMMENDATIONS_ALS = env.json("RECOMMENDATIONS_ALS", default={})
RECOMMENDATIONS_RANKING = env.json("RECOMMENDATIONS_RANKING", default={})
# Listeners scored per chunk task; a run not done within the deadline is failed.
RECOMMENDATIONS_CHUNK_SIZE = env.int("RECOMMENDATIONS_CHUNK_SIZE", default=5000)
RECOMMENDATIONS_RUN_DEADLINE_SECONDS = env.int(
    "RECOMMENDATIONS_RUN_DEADLINE_SECONDS", default=10800
)
# The nightly run starts from this UTC hour on; the last KEEP_VERSIONS model versions are kept.
RECOMMENDATIONS_RUN_HOUR_UTC = env.int("RECOMMENDATIONS_RUN_HOUR_UTC", default=2)
RECOMMENDATIONS_KEEP_VERSIONS = env.int("RECOMMENDATIONS_KEEP_VERSIONS", default=4)
# Artist insights: the days of the last this-many hours are rebuilt every refresh.
ARTISTS_INSIGHTS_LOOKBACK_HOURS = env.int("ARTISTS_INSIGHTS_LOOKBACK_HOURS", default=48)

# Audio tools: Debian's ffmpeg when on PATH, else the binary of the imageio-ffmpeg wheel.
FFMPEG_BINARY = env.str("FFMPEG_BINARY", default="")
# One ffmpeg run of a transcode (decode check, renditions) may take this long; below the
# transcode task's soft time limit (1080 s).
FFMPEG_TIMEOUT_SECONDS = env.int("FFMPEG_TIMEOUT_SECONDS", default=1000)
# Playback: uploads, transcoding, signed stream URLs (X-Accel-Redirect behind nginx).
# Decides per track who may upload its audio; the artists app knows the teams.
TRACK_UPLOAD_PERMISSION = "artists.permissions.track_upload_allowed"
# Decides per track who may edit its lyrics (PUT/DELETE /api/v1/tracks/{id}/lyrics).
TRACK_LYRICS_PERMISSION = "artists.permissions.track_lyrics_edit_allowed"
FFMPEG_MAX_DATA_MB = env.int("FFMPEG_MAX_DATA_MB", default=512)
# Failed logins allowed per account and per client address within the window.
LOGIN_THROTTLE_PER_ACCOUNT = env.int("LOGIN_THROTTLE_PER_ACCOUNT", default=5)
LOGIN_THROTTLE_PER_ADDRESS = env.int("LOGIN_THROTTLE_PER_ADDRESS", default=30)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=900)
LOGIN_THROTTLE_TRUSTED_PROXIES = env.int("LOGIN_THROTTLE_TRUSTED_PROXIES", default=0)
# A listener may change their own country (market) once in this many days; staff any time.
COUNTRY_CHANGE_MIN_DAYS = env.int("COUNTRY_CHANGE_MIN_DAYS", default=14)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
TRANSCODE_STALE_AFTER_SECONDS = env.int("TRANSCODE_STALE_AFTER_SECONDS", default=1500)
TRANSCODE_MAX_ATTEMPTS = env.int("TRANSCODE_MAX_ATTEMPTS", default=5)
STREAM_URL_TTL_SECONDS = env.int("STREAM_URL_TTL_SECONDS", default=300)
STREAM_X_ACCEL_REDIRECT = env.bool("STREAM_X_ACCEL_REDIRECT", default=False)
STREAM_X_ACCEL_PREFIX = env.str("STREAM_X_ACCEL_PREFIX", default="/protected-media/")
# nginx fronts the media volume and verifies signed media URLs itself (deploy/nginx.conf's
# /media-signed/, secure_link): the stream URL issued to a listener points there, and no
# Python runs per byte request. Off in the embedded shape (no nginx): Django's Range path.
STREAM_SIGNED_MEDIA = env.bool("STREAM_SIGNED_MEDIA", default=False)
STREAM_SIGNED_MEDIA_PREFIX = env.str("STREAM_SIGNED_MEDIA_PREFIX", default="/media-signed/")
# Shared with nginx (its config template reads the same variable); not SECRET_KEY itself.
STREAM_SIGNED_MEDIA_SECRET = env.str("STREAM_SIGNED_MEDIA_SECRET", default="")
if STREAM_SIGNED_MEDIA and len(STREAM_SIGNED_MEDIA_SECRET) < 32:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("STREAM_SIGNED_MEDIA needs STREAM_SIGNED_MEDIA_SECRET (32+ chars).")
PLAY_EVENT_PARTITIONS_AHEAD_MONTHS = env.int("PLAY_EVENT_PARTITIONS_AHEAD_MONTHS", default=3)
STREAM_COUNTS_LOOKBACK_HOURS = env.int("STREAM_COUNTS_LOOKBACK_HOURS", default=48)
# Play-event integrity (playback.integrity) and budgets (playback.ratelimits).
# PLAY_EVENTS_INTEGRITY=0 counts every play of 30 s as a stream: only for benchmarks.
PLAY_EVENTS_INTEGRITY = env.bool("PLAY_EVENTS_INTEGRITY", default=True)
PLAY_EVENTS_LIMIT_PER_USER = env.int("PLAY_EVENTS_LIMIT_PER_USER", default=2000)
PLAY_EVENTS_LIMIT_PER_ADDRESS = env.int("PLAY_EVENTS_LIMIT_PER_ADDRESS", default=10000)
PLAY_EVENTS_LIMIT_WINDOW_SECONDS = env.int("PLAY_EVENTS_LIMIT_WINDOW_SECONDS", default=3600)
PLAY_GRANT_MAX_AGE_DAYS = env.int("PLAY_GRANT_MAX_AGE_DAYS", default=30)
# Fernet keys for app passwords at rest (first encrypts, all decrypt); unset: one derived
# from SECRET_KEY, so rotating SECRET_KEY without listing the old derived key voids them.
APP_PASSWORD_ENCRYPTION_KEYS = env.list("APP_PASSWORD_ENCRYPTION_KEYS", default=[]) or [
    base64.urlsafe_b64encode(hashlib.sha256(f"app-passwords:{SECRET_KEY}".encode()).digest())
]
# OpenSubsonic API (/rest/): the music folder name clients show.
SUBSONIC_MUSIC_FOLDER_NAME = env.str("SUBSONIC_MUSIC_FOLDER_NAME", default="Streamify")
# Cover art uploads and art found by imports: larger files are refused.
COVER_MAX_BYTES = env.int("COVER_MAX_BYTES", default=10 * 1024 * 1024)
DEMO_AUDIO_CACHE = env.path("DEMO_AUDIO_CACHE", default=BASE_DIR / ".cache" / "demo-audio")

# Content-Security-Policy (django-csp), sent when DEBUG is off. The player is ES modules and
# Web Audio from 'self'; with object storage, audio and images come from the bucket too.
_MEDIA_ORIGINS = env.list("CSP_MEDIA_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # the admin's and the icons' style attributes
        "img-src": ["'self'", "data:", *_MEDIA_ORIGINS],
        "media-src": ["'self'", "blob:", *_MEDIA_ORIGINS],
        "connect-src": ["'self'", *_MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "autoplay": ["self"],
    "encrypted-media": ["self"],
    "fullscreen": ["self"],
    "picture-in-picture": ["self"],
}

# Production hardening, active when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Django's database sessions, read by SQL compiled once per process (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Mail (team invitations): the console by default, SMTP etc. via EMAIL_URL in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@streamify.invalid")
# How long a sign-up's confirmation link works.
SIGNUP_CONFIRMATION_HOURS = env.int("SIGNUP_CONFIRMATION_HOURS", default=48)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
