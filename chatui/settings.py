"""Settings, read from the environment in one place.

Defaults are the embedded setup a newcomer gets: SQLite in the project folder,
the in-memory channel layer and DEBUG off. Every variable is listed in
docs/operations.md.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE as _CSP_NONE
from csp.constants import SELF as _CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = _env_bool("DJANGO_DEBUG")
DEMO = _env_bool("CHAT_DEMO")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value in production, "
            "or set DJANGO_DEBUG=1 for a development server with a generated key."
        )
    # A throwaway key per process: sessions do not survive a restart in DEBUG.
    SECRET_KEY = "dev-" + secrets.token_urlsafe(48)
# Previous secrets, comma-separated: sessions and signatures made with them stay valid.
SECRET_KEY_FALLBACKS = _env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

# Encrypts provider API keys at rest (chatcore/keys.py); SECRET_KEY when empty.
# Set it when SECRET_KEY changes (generated per process in DEBUG, or rotated),
# or stored keys can no longer be decrypted and their chats fail as missing_key.
PROVIDER_KEY_SECRET = os.environ.get("PROVIDER_KEY_SECRET", "")
# Previous PROVIDER_KEY_SECRET values, comma-separated: keys stored under them stay readable.
PROVIDER_KEY_SECRET_FALLBACKS = _env_list("PROVIDER_KEY_SECRET_FALLBACKS", [])

# Environment variables a provider may read its API key from (shell patterns);
# this application's own secrets never qualify (chatcore/keys.py).
CHAT_PROVIDER_KEY_ENV = _env_list("CHAT_PROVIDER_KEY_ENV", ["*_API_KEY", "CHAT_PROVIDER_KEY_*"])

ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# A JSON 403 for the API, Django's page for forms.
CSRF_FAILURE_VIEW = "chatui.api.csrf_failure"

INSTALLED_APPS = [
    # chatui's `runserver` (Daphne's, with our websocket limits) must win over
    # daphne's, and daphne's over staticfiles': the first app's command wins.
    "chatui",
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "csp",
    "chatcore",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chatui.middleware.ContentSecurityPolicyMiddleware",
    "chatui.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatui.urls"
ASGI_APPLICATION = "chatui.asgi.application"

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
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user@host:port/name) or SQLite in the project.
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    _db = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Tests create `test_<name>`; name it explicitly so child processes agree.
        _db.setdefault("TEST", {})["NAME"] = os.environ.get(
            "DATABASE_TEST_NAME", f"test_{_db['NAME']}"
        )
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # Keep connections: Channels closes "old" ones around every database
        # call, and with 0 that meant a new SQLite connection (and its PRAGMAs)
        # per call: an eighth of the web process's CPU under load.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # The web process and the in-process runner both write: wait for locks
        # instead of failing, and let readers run beside the writer.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
DATABASES = {"default": _db}

# Channel layer: Redis when REDIS_URL is set, otherwise in-process memory.
#
# channels-redis's pub/sub layer: one PUBLISH per event and one subscriber
# connection per process, which redis-py reconnects and resubscribes after a
# Redis restart. Delivery is at most once (nothing is queued in Redis for a
# process that is away); events carry a per-chat sequence number and every page
# resynchronises from a snapshot when it sees a gap, so a lost event costs a
# snapshot, never text. The list-based core layer was dropped: it wedged a
# whole web process after a Redis restart, and it dropped events silently past
# a per-process capacity (docs/architecture.md, "Channel layer").
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # A Redis that stops answering (not just refusing) is noticed
                        # by the subscriber's PING within this many seconds.
                        "health_check_interval": 10,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                    }
                ],
                # Servers sharing one Redis but not one database must not see each
                # other's chats (`chat_<id>` groups, runner wake-ups).
                "prefix": os.environ.get("CHANNEL_PREFIX", "") or f"calmchat:{_db['NAME']}:",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "chatui.layers.ThrottledInMemoryChannelLayer"}}
# Seconds a runner waits for one publish before giving up on it (events are
# best-effort): a Redis that vanished mid-call can hang rather than fail. The
# in-process layer cannot hang, so it needs no bound (nor a task per frame).
CHAT_PUBLISH_TIMEOUT: float | None = 2.0 if REDIS_URL else None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes), for the app's login and the admin's alike: after
# LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is locked out for LOGIN_LOCKOUT_MINUTES (the lockout page, HTTP 429),
# even with the right password. One address cannot lock a user out everywhere,
# and the client address is the connection's own (REMOTE_ADDR): behind a proxy,
# run Daphne with --proxy-headers so it is the real client's.
AUTHENTICATION_BACKENDS = [
    # First: a locked-out login is refused before any password is checked.
    # AxesBackend (rather than the standalone one) can also read a user back
    # from a session, so a session naming the first backend works.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start: log lines are for events
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/chats/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve /static/ from the ASGI app itself (also outside DEBUG); a proxy in
# front can take this over in production (docs/operations.md).
SERVE_STATIC = _env_bool("SERVE_STATIC", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("DJANGO_SECURE_COOKIES", not DEBUG and not DEMO)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp; chatui.middleware adds this host's websocket
# origin to connect-src): only our own scripts, styles, images and fonts, no inline
# script or style (style attributes included), no plugins, no framing, forms
# posting only here. Pages, gallery and admin all work under it (the browser
# tests fail on any violation).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_NONE],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        "img-src": [_CSP_SELF],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "manifest-src": [_CSP_SELF],
        "form-action": [_CSP_SELF],
        "base-uri": [_CSP_NONE],
        "object-src": [_CSP_NONE],
        "frame-ancestors": [_CSP_NONE],
    }
}

# Logs: plain lines, or one JSON object per line for log shippers
# (CHAT_LOG_FORMAT=json). A provider failure the runner handles is one WARNING
# line of its own (chatcore/runner/turn.py); ERROR is kept for our own faults, so
# the HTTP clients' per-request INFO lines and the fake provider's scripted 5xx
# access lines stay out.
CHAT_LOG_FORMAT = os.environ.get("CHAT_LOG_FORMAT", "plain").strip().lower()
if CHAT_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(
        f"CHAT_LOG_FORMAT must be 'plain' or 'json', not {CHAT_LOG_FORMAT!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "chatui.logs.JsonFormatter"},
    },
    "filters": {"fake_provider_answers": {"()": "chatui.logs.FakeProviderAnswers"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": CHAT_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING", "filters": ["fake_provider_answers"]},
        **{name: {"level": "WARNING"} for name in ("httpx", "httpcore", "httpx2", "httpcore2")},
    },
}

# The chat runner (chatcore/runner): in-process by default; `external` when
# `manage.py chatd` workers run the turns (scale-out, needs REDIS_URL).
CHAT_RUNNER = os.environ.get("CHAT_RUNNER", "inprocess").strip().lower()
CHAT_LEASE_SECONDS = float(os.environ.get("CHAT_LEASE_SECONDS", "15"))
CHAT_POLL_INTERVAL = float(os.environ.get("CHAT_POLL_INTERVAL", "1"))
CHAT_STARTUP_TIMEOUT = float(os.environ.get("CHAT_STARTUP_TIMEOUT", "60"))
CHAT_MAX_TURNS = int(os.environ.get("CHAT_MAX_TURNS", "16"))
CHAT_MAX_ATTEMPTS = int(os.environ.get("CHAT_MAX_ATTEMPTS", "25"))
CHAT_RETRY_AFTER_CEILING = float(os.environ.get("CHAT_RETRY_AFTER_CEILING", "600"))
# Provider health shared by every chat (chatcore/health; docs/operations.md, "Provider
# health"). CHAT_HEALTH=off makes each chat retry on its own (the comparison bench).
# The breaker opens after CHAT_BREAKER_FAILURES consecutive retryable failures
# (overloaded, timeout, generic) within CHAT_BREAKER_WINDOW seconds; it probes after
# CHAT_BREAKER_COOLOFF seconds, doubled after each failed probe up to
# CHAT_BREAKER_MAX_COOLOFF. Retries per provider are capped, per CHAT_RETRY_BUDGET_WINDOW
# seconds, at CHAT_RETRY_BUDGET_FLOOR + CHAT_RETRY_BUDGET_RATIO x first attempts; once a
# breaker closes, the waiting chats resume spread over CHAT_HEALTH_RESUME_SPREAD seconds.
CHAT_HEALTH = _env_bool("CHAT_HEALTH", True)
CHAT_BREAKER_FAILURES = int(os.environ.get("CHAT_BREAKER_FAILURES", "5"))
CHAT_BREAKER_WINDOW = float(os.environ.get("CHAT_BREAKER_WINDOW", "30"))
CHAT_BREAKER_COOLOFF = float(os.environ.get("CHAT_BREAKER_COOLOFF", "5"))
CHAT_BREAKER_MAX_COOLOFF = float(os.environ.get("CHAT_BREAKER_MAX_COOLOFF", "60"))
CHAT_RETRY_BUDGET_RATIO = float(os.environ.get("CHAT_RETRY_BUDGET_RATIO", "0.2"))
CHAT_RETRY_BUDGET_FLOOR = int(os.environ.get("CHAT_RETRY_BUDGET_FLOOR", "10"))
CHAT_RETRY_BUDGET_WINDOW = float(os.environ.get("CHAT_RETRY_BUDGET_WINDOW", "60"))
CHAT_HEALTH_RESUME_SPREAD = float(os.environ.get("CHAT_HEALTH_RESUME_SPREAD", "2"))
# How the provider SDKs talk HTTP (chatcore/providers/types.py): "aiohttp" (the
# SDKs' supported aiohttp transport, the default: cheaper per streamed token, see
# bench/stream.py) or "httpx" (their own default stack).
CHAT_HTTP_TRANSPORT = os.environ.get("CHAT_HTTP_TRANSPORT", "aiohttp").strip().lower()
if CHAT_HTTP_TRANSPORT not in {"httpx", "aiohttp"}:
    raise ImproperlyConfigured(
        f"CHAT_HTTP_TRANSPORT must be 'httpx' or 'aiohttp', not {CHAT_HTTP_TRANSPORT!r}"
    )
# PostgreSQL's text search configuration for searching chats' messages ("simple":
# words as written; "english" and others add stemming). SQLite matches substrings.
CHAT_SEARCH_CONFIG = os.environ.get("CHAT_SEARCH_CONFIG", "simple").strip() or "simple"
# The application's own limits per user (chatcore/chats/admission.py; 0 = unlimited):
# turns per UTC day, turns in flight at once across the user's chats, and sends
# per minute.
CHAT_TURNS_PER_DAY = int(os.environ.get("CHAT_TURNS_PER_DAY", "0"))
CHAT_ACTIVE_TURNS_PER_USER = int(os.environ.get("CHAT_ACTIVE_TURNS_PER_USER", "3"))
CHAT_SENDS_PER_MINUTE = int(os.environ.get("CHAT_SENDS_PER_MINUTE", "20"))
# /metrics: staff sessions, or `Authorization: Bearer <METRICS_TOKEN>` when set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Mount the fake provider at /fake/ (the demo's provider; off in production).
CHAT_FAKE_PROVIDER = _env_bool("CHAT_FAKE_PROVIDER", DEBUG or DEMO)
