"""Settings, read from the environment (one file, small typed helpers that fail loudly).

Embedded mode (the default) runs on a SQLite file in ``JICENG_DATA_DIR`` and generates its own
secrets on first run. Production (``JICENG_ENV=production``) requires every secret from the
environment and turns on the secure cookie/HSTS defaults.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


class ImproperlyConfiguredEnv(RuntimeError):
    pass


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be a boolean (true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, got {raw!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
PRODUCTION = env("JICENG_ENV", "embedded") == "production"
DATA_DIR = Path(env("JICENG_DATA_DIR", str(Path.cwd() / "var")) or "var").resolve()
if not PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True)


def _kept_secret(filename: str, make) -> str:
    """A secret generated on first run in embedded mode and kept in the data directory."""
    path = DATA_DIR / filename
    if path.exists():
        return path.read_text().strip()
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _required_secret(name: str, filename: str, make) -> str:
    value = env(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfiguredEnv(f"{name} must be set in production (JICENG_ENV=production)")
    return _kept_secret(filename, make)


def _b64key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = _required_secret("JICENG_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
DEBUG = envbool("JICENG_DEBUG", False)
ALLOWED_HOSTS = envlist("JICENG_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("JICENG_CSRF_TRUSTED_ORIGINS", [])

# Personal-information encryption. Keys are base64 of 32 random bytes. A keyring keeps old keys
# readable during rotation: JICENG_FIELD_KEYS is a JSON object {"key id": "base64 key"} and
# JICENG_FIELD_KEY_ID names the one new values are written with.
FIELD_KEYS: dict[str, str] = json.loads(
    _required_secret("JICENG_FIELD_KEYS", "field_keys.json", lambda: json.dumps({"k1": _b64key()}))
)
FIELD_KEY_ID = env("JICENG_FIELD_KEY_ID") or list(FIELD_KEYS)[-1]  # default: the last key listed
FIELD_HASH_KEY = _required_secret("JICENG_FIELD_HASH_KEY", "field_hash_key", _b64key)
FIELD_CIPHER = env("JICENG_FIELD_CIPHER", "aes-gcm")
# The keyed hash for exact search: HMAC-SHA256, or HMAC-SM3 (国密) for 密评. Switching on a database
# with data needs `jiceng rotate_field_keys --rehash` (docs/security.md).
FIELD_HASH = env("JICENG_FIELD_HASH", "hmac-sha256")
if FIELD_HASH not in ("hmac-sha256", "hmac-sm3"):
    raise ImproperlyConfiguredEnv("JICENG_FIELD_HASH must be hmac-sha256 or hmac-sm3")

INSTALLED_APPS = [
    "jiceng.admin_config.JicengAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its templates and static files: /api/docs serves the vendored Swagger UI, never a CDN
    "jiceng.core",
    "jiceng.regions",
    "jiceng.people",
    "jiceng.accounts",
    "jiceng.assessment",
    "jiceng.events",
    "jiceng.engagement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jiceng.accounts.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jiceng.core.locale.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiceng.core.middleware.RequestContextMiddleware",
    "jiceng.core.middleware.ApplicationErrorMiddleware",
    "jiceng.accounts.middleware.SessionSecurityMiddleware",
]

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"

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
                "jiceng.core.context_processors.nav",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'jiceng.sqlite3'}",
        conn_max_age=envint("JICENG_DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20,
         "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")} if envbool(
        "JICENG_TEST_SQLITE_FILE", False) else {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lockout, IP throttle and login bookkeeping around Django's ModelBackend (jiceng.accounts).
AUTHENTICATION_BACKENDS = ["jiceng.accounts.backends.LockoutModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "jiceng.core.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("JICENG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("JICENG_STATIC_ROOT", str(DATA_DIR / "static")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(env("JICENG_MEDIA_ROOT", str(DATA_DIR / "media")) or "")
WHITENOISE_USE_FINDERS = not PRODUCTION

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("JICENG_CACHE_URL")}
        if env("JICENG_CACHE_URL")
        # Shared by the embedded server's worker processes (a boundary change must reach all).
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(DATA_DIR / "cache")}
    )
}

# Sessions and cookies.
SESSION_COOKIE_AGE = envint("JICENG_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("JICENG_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("JICENG_SSL_REDIRECT", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = envint("JICENG_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy sent on every response (jiceng.accounts.middleware); no inline script/style.
JICENG_CSP = env("JICENG_CSP") or (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# Account security (jiceng.accounts, docs/security.md).
JICENG_LOCKOUT_THRESHOLD = envint("JICENG_LOCKOUT_THRESHOLD", 5)  # failed logins before the account locks
JICENG_LOCKOUT_SECONDS = envint("JICENG_LOCKOUT_SECONDS", 1800)
JICENG_LOGIN_IP_LIMIT = envint("JICENG_LOGIN_IP_LIMIT", 30)  # failed logins per IP per minute
JICENG_PASSWORD_MAX_AGE_DAYS = envint("JICENG_PASSWORD_MAX_AGE_DAYS", 90)  # 0: never expires
JICENG_SESSION_IDLE_SECONDS = envint("JICENG_SESSION_IDLE_SECONDS", 1800)
JICENG_TOTP_ISSUER = env("JICENG_TOTP_ISSUER", "Jiceng 基层") or "Jiceng 基层"
# Behind a reverse proxy only: take the client address (lockout, throttle, audit) from X-Forwarded-For.
JICENG_TRUST_X_FORWARDED_FOR = envbool("JICENG_TRUST_X_FORWARDED_FOR", False)

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env("JICENG_CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = env("JICENG_CELERY_RESULT_BACKEND", None)
CELERY_TASK_ALWAYS_EAGER = envbool("JICENG_CELERY_EAGER", not env("JICENG_CELERY_BROKER_URL"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic work (production: `celery -A jiceng beat` on one host). The embedded server runs the
# same work in-process instead (jiceng.gunicorn_conf).
CELERY_BEAT_SCHEDULE = {
    "events-process-due-timers": {"task": "jiceng.events.process_due_timers", "schedule": 60.0},
    "core-purge-expired-exports": {"task": "jiceng.core.purge_expired_exports", "schedule": 600.0},
}

# Domain settings.
JICENG_STAFFING_STANDARD = envint("JICENG_STAFFING_STANDARD", 18)  # grid workers per 10,000 residents
JICENG_PAGE_SIZE = envint("JICENG_PAGE_SIZE", 50)
JICENG_WORK_HOURS = env("JICENG_WORK_HOURS", "08:30-12:00,14:00-17:30")  # the working calendar's hours
JICENG_EVENT_RATING_DAYS = envint("JICENG_EVENT_RATING_DAYS", 30)  # how long a rating link stays valid
JICENG_EXPORT_LINK_SECONDS = envint("JICENG_EXPORT_LINK_SECONDS", 600)  # an export's download link lives this long
JICENG_OPEN311_PUBLIC_READS = envbool("JICENG_OPEN311_PUBLIC_READS", False)  # Open311 GET without an api_key
JICENG_EVENT_TRACKING_DAYS = envint("JICENG_EVENT_TRACKING_DAYS", 365)  # how long a reporter's tracking link works
JICENG_UPLOAD_MAX_BYTES = envint("JICENG_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
JICENG_UPLOAD_MAX_PIXELS = envint("JICENG_UPLOAD_MAX_PIXELS", 40_000_000)
JICENG_PUBLIC_RATE_PER_IP = envint("JICENG_PUBLIC_RATE_PER_IP", 100)  # requests per minute, public endpoints
JICENG_PUBLIC_RATE_PER_PHONE = envint("JICENG_PUBLIC_RATE_PER_PHONE", 10)  # reports per hour per phone
JICENG_IMPORT_MAX_ROWS = envint("JICENG_IMPORT_MAX_ROWS", 100_000)
JICENG_IMPORT_MAX_BYTES = envint("JICENG_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# 计算 / 复核重算 of a period with this many subjects or more runs as background work (assessment.services.background)
JICENG_ASSESSMENT_BACKGROUND_FROM = envint("JICENG_ASSESSMENT_BACKGROUND_FROM", 2000)
# seconds one SQL statement of a web request may run on PostgreSQL (core.dbtimeout); 0: no limit
JICENG_DB_STATEMENT_TIMEOUT = envint("JICENG_DB_STATEMENT_TIMEOUT", 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused or bad request (4xx) is logged as one line, without the traceback Django attaches to
    # a PermissionDenied: it is the caller's mistake, not the server's, and it is in the audit log.
    "filters": {"client_errors_brief": {"()": "jiceng.core.logs.ClientErrorsBrief"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors_brief"]}},
    "root": {"handlers": ["console"], "level": env("JICENG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
