"""ivrsite settings: every knob comes from an environment variable, with defaults
that let `runserver` work with nothing set."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _env(name: str, default: object) -> str:
    """The variable's value, stripped; set but empty counts as not set."""
    return os.environ.get(name, "").strip() or str(default)


def envbool(name: str, default: str = "0") -> bool:
    """A switch: 1/true/yes/on or 0/false/no/off (any case). Anything else is refused, so a
    typo (`DJANGO_DEBUG=ture`) stops the start instead of quietly meaning off."""
    value = _env(name, default).lower()
    if value not in TRUE_WORDS + FALSE_WORDS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is neither on ({'/'.join(TRUE_WORDS)}) nor off ({'/'.join(FALSE_WORDS)})"
        )
    return value in TRUE_WORDS


def _envnumber(name: str, default: float, kind: type[int] | type[float], what: str):
    value = _env(name, default)
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}") from None


def envint(name: str, default: int) -> int:
    return _envnumber(name, default, int, "a whole number")


def envfloat(name: str, default: float) -> float:
    return _envnumber(name, default, float, "a number")


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "0")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Refusing to start beats running production with a key anyone can read on GitHub.
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
    "webhooks",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
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
    "campaigns.privacy.ViewerMiddleware",
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
    "webhooks": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
}
RQ_SHOW_ADMIN_LINK = True
RQ = {"WORKER_CLASS": "ivrsite.workers.HeartbeatWorker"}
# How often a busy RQ worker writes its heartbeat, and how old one may be before the worker is
# taken for dead and its claimed calls are handed back (campaigns.dialling.claimers).
WORKER_HEARTBEAT_SECONDS = envint("WORKER_HEARTBEAT_SECONDS", 2)
WORKER_HEARTBEAT_LAPSE_SECONDS = envint("WORKER_HEARTBEAT_LAPSE_SECONDS", 6)
# API rate limits are counted here, shared by every web process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "api"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC; shown in TIME_ZONE


def envzone(name: str, default: str) -> str:
    """An IANA time zone name (`Asia/Shanghai`); a typo stops the start."""
    import zoneinfo

    value = _env(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


# The operator's zone: every page, list, date field, export and command shows times in it (a
# campaign's own times, on its page, in the campaign's zone, labelled when it differs).
TIME_ZONE = envzone("TIME_ZONE", "Asia/Shanghai")
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
# Endpoints besides HTTPS on *.aliyuncs.com (and ALIYUN_VOICE_ENDPOINT) a stored account may use,
# comma-separated (a simulator: `http://127.0.0.1:8010/`).
VOICE_ENDPOINTS_ALLOWED = envlist("VOICE_ENDPOINTS_ALLOWED")
VOICE_QPS = envint("VOICE_QPS", 100)
# Yuan per started minute of a call through the environment's account (an account of its own
# has its own price): the cost estimate before Start and the spend so far on a campaign's page.
VOICE_PRICE_PER_MINUTE = envfloat("VOICE_PRICE_PER_MINUTE", 0.1)
# Fernet key(s) encrypting stored Aliyun account secrets (first encrypts, all decrypt).
# Empty: derived from DJANGO_SECRET_KEY (rotating that key then needs the secrets re-entered).
ACCOUNT_SECRETS_KEY = os.environ.get("ACCOUNT_SECRETS_KEY", "")
# Seconds to wait for Aliyun's answer; past it a call's outcome is unknown (never re-dialled).
ALIYUN_READ_TIMEOUT = envfloat("ALIYUN_READ_TIMEOUT", 10.0)
RECEIPT_TOKEN = os.environ.get("RECEIPT_TOKEN", "")
# Dial jobs each running campaign keeps queued; 0 (default): one per live worker on the dial queue.
DIAL_JOBS_PER_CAMPAIGN = envint("DIAL_JOBS_PER_CAMPAIGN", 0)
# Requests each dial job keeps in flight (threads, each with its own database connection).
DIAL_THREADS = envint("DIAL_THREADS", 4)
# Seconds a dial job dials before it ends and the dispatcher queues the next (well under the
# dial queue's DEFAULT_TIMEOUT): routes and accounts are read afresh at each job.
DIAL_JOB_SECONDS = envint("DIAL_JOB_SECONDS", 300)
# The forecast's share of attempts expected to be retried, until a campaign's own calls measure it.
FORECAST_RETRY_SHARE = envfloat("FORECAST_RETRY_SHARE", 0.3)
# Caller-number health (campaigns.health): a number whose answer rate over the last
# CALLER_HEALTH_WINDOW_MINUTES falls by CALLER_HEALTH_DROP (a share) below its own history (or its
# campaigns' rate), over at least CALLER_HEALTH_MIN_CALLS calls, is flagged; campaigns that allow it
# rest it for CALLER_REST_MINUTES.
CALLER_HEALTH_DROP = envfloat("CALLER_HEALTH_DROP", 0.5)
CALLER_HEALTH_MIN_CALLS = envint("CALLER_HEALTH_MIN_CALLS", 30)
CALLER_HEALTH_WINDOW_MINUTES = envint("CALLER_HEALTH_WINDOW_MINUTES", 60)
CALLER_REST_MINUTES = envint("CALLER_REST_MINUTES", 240)
# A claimed or sending call untouched this long belongs to a dead worker.
DISPATCH_STALE_SECONDS = envint("DISPATCH_STALE_SECONDS", 120)
RECEIPT_MAX_BODY_BYTES = envint("RECEIPT_MAX_BODY_BYTES", 2 * 1024 * 1024)
# Receipts in one push; more gets a 413 and is kept as a rejected push.
RECEIPT_MAX_ELEMENTS = envint("RECEIPT_MAX_ELEMENTS", 1000)
# Receipts that found no call (unmatched, malformed) and rejected pushes are deleted after this
# many days, and beyond these counts the oldest go first (receipts/retention.py, hourly).
WEBHOOK_RETENTION_DAYS = envint("WEBHOOK_RETENTION_DAYS", 30)
TEST_CALL_RETENTION_DAYS = envint("TEST_CALL_RETENTION_DAYS", 30)
UNMATCHED_RECEIPTS_MAX = envint("UNMATCHED_RECEIPTS_MAX", 100_000)
REJECTED_PUSHES_MAX = envint("REJECTED_PUSHES_MAX", 1000)


def envlimits(name: str, default: str) -> list[tuple[int, int]]:
    """`count/seconds` pairs, comma-separated (`1/60,5/3600`); empty means none."""
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

# django-import-export: admin import/export of the small reference tables
# (campaigns/reference_resources.py). Importing needs the model's *add* permission (admins may
# ask for more), exporting its *view* permission: without these settings anyone reaching the
# admin could do both.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
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

# Error pages and reports hide passwords inside URLs (REDIS_URL, DATABASE_URL) as well.
DEFAULT_EXCEPTION_REPORTER_FILTER = "ivrsite.error_reports.CredentialsFilter"
# Personal data (README "Personal data"). The key of the hash that replaces erased and expired
# numbers; empty: derived from DJANGO_SECRET_KEY (set it in production: rotating that key would
# let an erased number be imported again without its do-not-call tombstone).
PERSONAL_DATA_HASH_KEY = os.environ.get("PERSONAL_DATA_HASH_KEY", "")
# Days after a campaign ends until its contacts' names, variables and numbers are removed.
PERSONAL_DATA_RETENTION_DAYS = envint("PERSONAL_DATA_RETENTION_DAYS", 180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks phone numbers and secrets (ivrsite/logging.py).
    "filters": {"mask": {"()": "ivrsite.logging.MaskingFilter"}},
    "formatters": {
        # Django sets the process's zone to TIME_ZONE: the offset keeps a log line unambiguous.
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        },
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

# Outbound webhooks (webhooks/): seconds to wait for an endpoint's answer, requests in flight
# per endpoint, and the days of failing deliveries after which an endpoint is disabled.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_CONCURRENCY = envint("WEBHOOK_CONCURRENCY", 8)
WEBHOOK_DISABLE_AFTER_DAYS = envint("WEBHOOK_DISABLE_AFTER_DAYS", 5)
# Messages delivered (or given up) longer ago than this are deleted with their delivery log
# (webhooks/retention.py, hourly): they hold callees' numbers and contacts' variables.
WEBHOOK_MESSAGE_RETENTION_DAYS = envint("WEBHOOK_MESSAGE_RETENTION_DAYS", 7)
# A delivery job's hold on the messages it took: a job killed mid-batch leaves them due after this.
WEBHOOK_LEASE_SECONDS = envint("WEBHOOK_LEASE_SECONDS", 60)
# Delivery jobs that may drain one endpoint's backlog side by side (each never takes another's messages).
WEBHOOK_JOBS_PER_ENDPOINT = envint("WEBHOOK_JOBS_PER_ENDPOINT", 2)

# The REST API (api/): Django REST framework, tokens from the admin, errors in one shape.
REST_FRAMEWORK = {
    # Tokens for programs; the session of a staff user signed in to the admin for the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissions"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE_LIMIT", "600/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ivrsite API",
    "DESCRIPTION": "Contact lists, campaigns, results, do-not-call and outbound webhooks.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.SignedIn"],
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# Contacts one upsert request may carry.
API_UPSERT_MAX_ITEMS = envint("API_UPSERT_MAX_ITEMS", 10_000)
# How long an Idempotency-Key's first answer is kept: a retry within it gets that answer back, a
# later one runs again (the hourly housekeeping deletes older answers: they can quote a request).
API_IDEMPOTENCY_HOURS = envint("API_IDEMPOTENCY_HOURS", 24)
