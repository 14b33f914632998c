"""ivrsite settings: every knob comes from an environment variable, with defaults
that let `runserver` work with nothing set."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "0")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Refusing to start beats running production with a key anyone can read on GitHub.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local work).")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production-0123456789"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_rq",
    "import_export",
    "campaigns",
    "receipts",
    "results",
    "audit",
    "surveys",
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
    "ivrsite.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "ivrsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "ivrsite.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without clobbering each other.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, workers and dispatcher on one SQLite file: WAL lets readers through
    # while one writes, and IMMEDIATE transactions wait for the write lock instead of failing
    # with "database is locked" when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "dial": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    "imports": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3 * 3600},
}
RQ_SHOW_ADMIN_LINK = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_CAMPAIGN_TIMEZONE = "Asia/Shanghai"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "admin:login"

# Security: strict unless DEBUG; each switch can be turned off from the environment.
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and envbool("DJANGO_SECURE_COOKIES", "1")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The policy is in ivrsite/csp.py; report-only lets a deployment try a change first.
CSP_REPORT_ONLY = envbool("CSP_REPORT_ONLY", "0")
SESSION_COOKIE_HTTPONLY = True

# Aliyun Voice Service
ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "")
ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "")
ALIYUN_VOICE_ENDPOINT = os.environ.get("ALIYUN_VOICE_ENDPOINT", "https://dyvmsapi.aliyuncs.com/")
VOICE_QPS = envint("VOICE_QPS", 100)
# Fernet key(s) encrypting stored Aliyun account secrets (first encrypts, all decrypt).
# Empty: derived from DJANGO_SECRET_KEY (rotating that key then needs the secrets re-entered).
ACCOUNT_SECRETS_KEY = os.environ.get("ACCOUNT_SECRETS_KEY", "")
# Seconds to wait for Aliyun's answer; past it a call's outcome is unknown (never re-dialled).
ALIYUN_READ_TIMEOUT = float(os.environ.get("ALIYUN_READ_TIMEOUT", "10"))
RECEIPT_TOKEN = os.environ.get("RECEIPT_TOKEN", "")
# Dial jobs each running campaign keeps queued; 0 (default): one per live worker on the dial queue.
DIAL_JOBS_PER_CAMPAIGN = envint("DIAL_JOBS_PER_CAMPAIGN", 0)
# Requests each dial job keeps in flight (threads, each with its own database connection).
DIAL_THREADS = envint("DIAL_THREADS", 4)
# The forecast's share of attempts expected to be retried, until a campaign's own calls measure it.
FORECAST_RETRY_SHARE = float(os.environ.get("FORECAST_RETRY_SHARE", "0.3"))
# A claimed or sending call untouched this long belongs to a dead worker.
DISPATCH_STALE_SECONDS = envint("DISPATCH_STALE_SECONDS", 120)
RECEIPT_MAX_BODY_BYTES = envint("RECEIPT_MAX_BODY_BYTES", 2 * 1024 * 1024)
# Receipts in one push; more gets a 413 and is kept as a rejected push.
RECEIPT_MAX_ELEMENTS = envint("RECEIPT_MAX_ELEMENTS", 1000)


def envlimits(name: str, default: str) -> list[tuple[int, int]]:
    """`count/seconds` pairs, comma-separated (`1/60,5/3600`); empty means none."""
    from django.core.exceptions import ImproperlyConfigured

    limits = []
    for item in envlist(name, default):
        count, _slash, seconds = item.partition("/")
        try:
            limits.append((int(count), int(seconds)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not COUNT/SECONDS, e.g. 1/60") from None
        if limits[-1][0] < 1 or limits[-1][1] < 1:
            raise ImproperlyConfigured(f"{name}: {item!r} needs a count and seconds of at least 1")
    return limits


# Calls one called number may get across all campaigns and accounts: COUNT/SECONDS rolling
# windows, Aliyun's documented rule for one callee by default; empty turns the guard off.
CALLEE_LIMITS = envlimits("CALLEE_LIMITS", "1/60,5/3600,20/86400")

# django-import-export only declares export columns (campaigns/spreadsheets.py): its import
# settings have nothing to configure.
# Uploads above this many bytes import in the background instead of in the request.
IMPORT_BACKGROUND_THRESHOLD_BYTES = envint("IMPORT_BACKGROUND_THRESHOLD_BYTES", 2 * 1024 * 1024)
# Follow-ups of more contacts than this copy them in a worker, showing progress.
FOLLOWUP_INLINE_LIMIT = envint("FOLLOWUP_INLINE_LIMIT", 20_000)
# Audit events are kept this many days (the retention purge removes older ones); at least three
# years, as an operator must be able to show who did what (README "Audit trail").
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 3 * 366)
if AUDIT_RETENTION_DAYS < 3 * 365:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS: audit events are kept at least 1095 days (three years)")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks phone numbers and secrets (ivrsite/logging.py).
    "filters": {"mask": {"()": "ivrsite.logging.MaskingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replace Django's default handlers (unmasked) on its loggers by ours.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "rq.worker": {"level": os.environ.get("RQ_LOG_LEVEL", "WARNING")},
        # Gunicorn's own handlers would write the receipt URL (and its token) unmasked.
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
