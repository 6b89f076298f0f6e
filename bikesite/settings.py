"""Settings for the bike-share predictor, all read from the environment.

Locally nothing needs to be set: SQLite, DEBUG off, a development secret key. On Heroku
(DYNO is set, CI is not) SECRET_KEY and DATABASE_URL are required, the database connection
requires SSL, and the HTTPS settings switch on.
"""
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Heroku CI sets DYNO too, but is no app (no router, no Postgres add-on): as Heroku's starter app.
IS_HEROKU_APP = "DYNO" in os.environ and "CI" not in os.environ

DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY")
if not SECRET_KEY:
    if IS_HEROKU_APP:
        raise ImproperlyConfigured("SECRET_KEY must be set on Heroku (heroku config:set SECRET_KEY=...)")
    SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"

# Heroku's router only forwards requests for the app's own domains.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "*" if IS_HEROKU_APP else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "predictor",
]

# The two prediction endpoints (POST /api/v1/predictions and /api/v1/predictions/batch) skip five
# of these, which do nothing for a CSRF-exempt JSON endpoint without cookies: WhiteNoise,
# sessions, CSRF, authentication and messages (bikesite/lean_api.py builds their chain from this
# list). Every other request takes them all.
MIDDLEWARE = [
    # First, so it times (and tags with the request id) everything below, lean chain included.
    "predictor.middleware.RequestMonitoringMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "bikesite.csp.ContentSecurityPolicyMiddleware",
    "predictor.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "predictor.middleware.DatabaseOutageMiddleware",
    "predictor.middleware.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After CSRF: a locked-out login POST is refused before the login view runs (predictor.login_guard).
    "predictor.middleware.LoginLockoutMiddleware",
    # Last, as django-axes asks: it turns a login refused by the lockout into the lockout page, on
    # the way out, so every middleware above adds its headers to that page too. It only reads an
    # attribute of the request: no query, on the prediction endpoints' lean chain either.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bikesite.urls"
WSGI_APPLICATION = "bikesite.wsgi.application"

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

# PostgreSQL from DATABASE_URL; SQLite when it is unset, so the service runs anywhere, except on
# Heroku: the dyno's disk is wiped at every restart, so there the settings refuse to load without
# DATABASE_URL. Only the build's collectstatic goes on without it: it never uses the database, and
# the buildpack may pass DYNO through to it (heroku-buildpack-python#280).
# A connection attempt gives up after DATABASE_CONNECT_TIMEOUT seconds (libpq waits forever by
# default), so a request never hangs on an unreachable database: it gets the outage's 503.
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
database_url = os.environ.get("DATABASE_URL")  # set but empty reads as unset (lower case: not a setting)
if database_url or not IS_HEROKU_APP:
    DATABASES = {
        "default": dj_database_url.parse(
            database_url or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
            conn_health_checks=True,
            # Heroku Postgres accepts SSL; require it there, as Heroku's starter app does.
            ssl_require=IS_HEROKU_APP,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
elif sys.argv[1:2] == ["collectstatic"]:
    DATABASES = {}
else:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. On Heroku attach a PostgreSQL database (heroku addons:create "
        "heroku-postgresql), which sets DATABASE_URL; the dyno's own disk is wiped at every restart, so "
        "there is no SQLite fallback there.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The admin's login, guarded against guessing by django-axes (predictor/login_guard.py): its
# backend comes first and refuses a locked-out login before the password is even hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# How often (seconds) a web process asks the database which model version is active.
MODEL_REFRESH_SECONDS = float(os.environ.get("MODEL_REFRESH_SECONDS", "2"))

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy, sent by bikesite/csp.py: everything from our own origin, nothing
# inline; pages (admin included) load script and style from static files only. A page that needs
# more says so here, not in an inline exception. Django 6's setting, in its shape (a directive,
# its sources; "'self'" is its CSP.SELF), so moving to Django 6's own middleware is one line.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Request bodies above this get 413. The default fits a 10,000-row API batch with room to spare;
# Django's own limit (RequestDataTooBig) is kept equal so both say the same.
MAX_REQUEST_BODY_BYTES = int(os.environ.get("MAX_REQUEST_BODY_BYTES", str(2_621_440)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# Rate limiting of public POSTs (form and API) per client IP: counted in each process and shared
# through PostgreSQL every RATELIMIT_SYNC_SECONDS, so every worker of every dyno shares the count
# (predictor.ratelimit says how exactly). RATELIMIT_ENABLED=0 turns it off.
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
RATELIMIT_REQUESTS = int(os.environ.get("RATELIMIT_REQUESTS", "60"))
RATELIMIT_WINDOW_SECONDS = int(os.environ.get("RATELIMIT_WINDOW_SECONDS", "60"))
RATELIMIT_SYNC_SECONDS = float(os.environ.get("RATELIMIT_SYNC_SECONDS", "0.2"))
# Behind Heroku's router the client is the address the router appends to X-Forwarded-For (the
# last one; anything before it is whatever the client sent). Without the router, the socket's.
RATELIMIT_TRUST_X_FORWARDED_FOR = env_bool("RATELIMIT_TRUST_X_FORWARDED_FOR", IS_HEROKU_APP)

# The admin's login (django-axes, database handler: every worker of every dyno shares the counts).
# After LOGIN_FAILURE_LIMIT failed logins for one username from one address, that pair is locked
# for LOGIN_COOLOFF_SECONDS (counted from the last failure); after LOGIN_ADDRESS_FAILURE_LIMIT
# failures from one address, whatever the usernames (password spraying), the address is. The
# address is predictor.ratelimit.client_ip's, the rate limit's. A successful login resets its pair.
AXES_HANDLER = "predictor.login_guard.LoginGuardHandler"
AXES_CLIENT_IP_CALLABLE = "predictor.login_guard.client_address"
AXES_LOCKOUT_CALLABLE = "predictor.login_guard.lockout_response"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the address cap: LoginGuardHandler
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("LOGIN_COOLOFF_SECONDS", str(15 * 60))))
AXES_RESET_ON_SUCCESS = True
# A login refused while locked is neither checked nor counted: the lockout ends when it said it
# would (and costs no password hash), however long the guessing goes on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
# Our own admin pages for its tables (predictor/admin/login_guard.py), behind the hostile-input guard.
AXES_ENABLE_ADMIN = False
# Its start-up line and per-attempt prose lines; the events login_failed and login_locked say it once.
AXES_VERBOSE = False

if IS_HEROKU_APP:
    # Heroku's router terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# GET /metrics (Prometheus) answers only with "Authorization: Bearer <this>"; unset, metrics are
# neither collected nor served (404).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # key=value lines (logfmt, the Heroku convention), with Heroku's request_id (predictor/logfmt.py).
    "formatters": {"logfmt": {"()": "predictor.logfmt.LogfmtFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "logfmt"}},
    "filters": {"answered_unavailable": {"()": "predictor.logfmt.AnsweredUnavailableFilter"},
                "without_traceback": {"()": "predictor.logfmt.WithoutTracebackFilter"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"), "propagate": False},
        # A 503 is logged once per outage by the service itself, not once per request by Django.
        "django.request": {"filters": ["answered_unavailable"]},
        # A Host not in ALLOWED_HOSTS: one line, not a 13-line traceback (scanners send thousands).
        "django.security.DisallowedHost": {"filters": ["without_traceback"]},
        # django-axes' own prose lines repeat, less clearly, the events login_failed and login_locked.
        "axes": {"level": "ERROR"},
    },
}
