"""CareCircle settings: one module, driven by environment variables.

Three environments, chosen by ``CARECIRCLE_ENV``:

- ``development`` (default): SQLite under ``var/``, keys read from ``.env``
  (``make env`` writes random ones), cookies without the ``Secure`` flag so
  that ``http://127.0.0.1:8000`` works.
- ``test``: set by the test suite; fixed throwaway keys, fast password hashing.
- ``production``: refuses to start unless every secret is given explicitly,
  because a default key in production would silently protect nothing.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding real variables."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENV = envstr("CARECIRCLE_ENV", "development")
if ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"CARECIRCLE_ENV must be development, test or production, not {ENV!r}"
    )
PRODUCTION = ENV == "production"
if ENV == "development":
    _load_dotenv(BASE_DIR / ".env")


def required(name: str) -> str:
    """A secret that production must be given; elsewhere a missing one is an error too."""
    value = os.environ.get(name, "")
    if not value:
        hint = "" if PRODUCTION else " Run `make env` to generate development keys."
        raise ImproperlyConfigured(f"Environment variable {name} is required.{hint}")
    return value


DEBUG = envbool("DJANGO_DEBUG", ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")

SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = envlist(
    "DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "csp",
    "carecircle.crypto",
    "carecircle.regions",
    "carecircle.accounts",
    "carecircle.audit",
    "carecircle.notifications",
    "carecircle.people",
    "carecircle.screening",
    "carecircle.visits",
    "carecircle.workdays",
    "carecircle.tips",
    "carecircle.cases",
    "carecircle.counseling",
    "carecircle.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "carecircle.audit.middleware.AuditContextMiddleware",
    # Outside every middleware that may answer early (idle timeout, second factor,
    # lockout), so that those answers carry the headers too (AU-7).
    "carecircle.accounts.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the idle timeout, which tells the user why they were signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "carecircle.accounts.middleware.IdleTimeoutMiddleware",
    "carecircle.accounts.middleware.SecondFactorRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-axes documents that its middleware must come last.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # gunicorn serves the collected, compressed static files itself; in development
    # runserver serves them from the source folders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "config.forms.BootstrapRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "carecircle.notifications.context_processors.unread_notifications",
                "carecircle.accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL is used whenever DATABASE_URL says so.
# Persistent connections are not optional: a new connection per request costs
# 51 % (SQLite) to 89 % (PostgreSQL) of throughput (PERFORMANCE.md G7).
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'carecircle.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; synchronous=FULL keeps every
    # acknowledged commit on disk (reports and screening answers must not be lost);
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue
    # instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Django's backend, with transactions queued by a lock file beside the database
    # instead of SQLite's sleeps between tries (carecircle/db/sqlite3/base.py).
    DATABASES["default"]["ENGINE"] = "carecircle.db.sqlite3"
    # Django's own default for SQLite's test database, said outright: pytest-django
    # knows an in-memory one by the engine's name, which is no longer Django's.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
# PostgreSQL keeps the hot paths' statements prepared (carecircle/db/statements.py);
# off (0) behind a pooler that does not track prepared statements.
CARECIRCLE_DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so that a locked-out username+IP is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "carecircle.accounts.validators.ContextWordValidator"},
]
if ENV == "test":
    # Test speed only: production keeps Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: 5 failures per username+IP lock that pair for 15 minutes, never for good
# (a permanent lockout would let anyone lock a colleague out: ASVS 6.1.1). Locking by
# IP alone would shut out a whole village behind one carrier-grade NAT address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lock must not restart the 15 minutes, or retrying (or a colleague's
# prank from the same address) would keep the account locked indefinitely.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"  # 429, in Chinese, no username echoed
AXES_HTTP_RESPONSE_CODE = 429
# The same notion of "client address" as the audit log, proxy-aware.
AXES_CLIENT_IP_CALLABLE = "carecircle.audit.middleware.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
AXES_VERBOSE = False

# Second factor: a TOTP code cannot be reused (django-otp keeps the last step) and
# wrong codes back off exponentially.
OTP_TOTP_ISSUER = "CareCircle 关爱圈"
OTP_TOTP_THROTTLE_FACTOR = 1

# --- Sessions and cookies -------------------------------------------------------
SESSION_COOKIE_AGE = 10 * 60 * 60  # absolute lifetime: one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CARECIRCLE_IDLE_TIMEOUT = envint("CARECIRCLE_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = envbool("CARECIRCLE_SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # __Host- cookies are bound to this exact origin over HTTPS (ASVS 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
BEHIND_PROXY = envbool("DJANGO_BEHIND_PROXY", PRODUCTION)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app write X-Forwarded-For; the client address is
# the entry the nearest one wrote. 0 means "use the connection's address".
CARECIRCLE_PROXY_HOPS = envint("CARECIRCLE_PROXY_HOPS", 1 if BEHIND_PROXY else 0)

# No CDN anywhere: government intranets are offline, and a third-party host would
# also receive children's data in its logs. ECharts sets style attributes from JS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Encryption at rest ---------------------------------------------------------
# CARECIRCLE_DATA_KEYS: comma-separated "key_id:base64(32 bytes)"; the first key
# encrypts, all of them decrypt, so keys rotate without downtime (`rotate_keys`).
CARECIRCLE_CIPHER = envstr("CARECIRCLE_CIPHER", "aes-256-gcm")
CARECIRCLE_DATA_KEYS = required("CARECIRCLE_DATA_KEYS")
CARECIRCLE_BLIND_INDEX_KEY = required("CARECIRCLE_BLIND_INDEX_KEY")

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "carecircle.accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["carecircle.accounts.api_auth.IsVerifiedStaff"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CareCircle 关爱圈 API",
    "DESCRIPTION": "Integration API: 12345 hotline, school rosters, national exports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # drf-spectacular serves the schema and docs to anyone by default (AllowAny).
    "SERVE_PERMISSIONS": ["carecircle.accounts.api_auth.IsVerifiedStaff"],
    # Several apps have a "kind" or a "status": the cases' own names keep the
    # components apart (and the schema free of hashed names such as KindCadEnum).
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "carecircle.cases.models.Kind",
        "CaseStatusEnum": "carecircle.cases.models.Status",
        "CaseRiskEnum": "carecircle.cases.models.Risk",
        "CaseSourceEnum": "carecircle.cases.models.Source",
        "CaseMemberRoleEnum": "carecircle.cases.models.CaseMember.Role",
        "VisitKindEnum": "carecircle.visits.models.Visit.Kind",
    },
}

# --- Background work -------------------------------------------------------------
# Without a broker, `manage.py run_worker` drains the outbox and runs periodic jobs;
# with one, Celery workers and beat do the same work from the same registry.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "carecircle@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.locmem.EmailBackend"
)
CARECIRCLE_EMAIL_ENABLED = bool(EMAIL_HOST)

# --- CareCircle policy knobs ------------------------------------------------------
CARECIRCLE_BREAK_GLASS_MINUTES = envint("CARECIRCLE_BREAK_GLASS_MINUTES", 60)
CARECIRCLE_DORMANT_DAYS = envint("CARECIRCLE_DORMANT_DAYS", 90)
CARECIRCLE_MIN_CELL = envint("CARECIRCLE_MIN_CELL", 5)
# More distinct children opened by one user within an hour than this raises an alert
# to the auditors and district administrators over that user (SECURITY.md AL-6).
CARECIRCLE_BROWSING_ALERT = envint("CARECIRCLE_BROWSING_ALERT", 50)

# Screening (README "Screening"): a deployment's own instrument files, cut-offs that
# replace the published ones (JSON), follow-up time limits, the code-guessing throttle.
if envstr("CARECIRCLE_INSTRUMENTS_DIR"):
    CARECIRCLE_INSTRUMENTS_DIR = envstr("CARECIRCLE_INSTRUMENTS_DIR")
if envstr("CARECIRCLE_INSTRUMENT_CUTOFFS"):
    CARECIRCLE_INSTRUMENT_CUTOFFS = envstr("CARECIRCLE_INSTRUMENT_CUTOFFS")
CARECIRCLE_SCREENING_ACK_HOURS = envint("CARECIRCLE_SCREENING_ACK_HOURS", 24)
CARECIRCLE_SCREENING_RED_DAYS = envint("CARECIRCLE_SCREENING_RED_DAYS", 3)
CARECIRCLE_SCREENING_YELLOW_DAYS = envint("CARECIRCLE_SCREENING_YELLOW_DAYS", 7)
CARECIRCLE_CODE_ATTEMPTS = envint("CARECIRCLE_CODE_ATTEMPTS", 10)
CARECIRCLE_CODE_ATTEMPTS_WINDOW = envint("CARECIRCLE_CODE_ATTEMPTS_WINDOW", 600)

# Visits (issue 5): how the due lists read screening results, the reminder
# and escalation of due visits, the time limits of the tasks a visit opens, and the
# private folder of visit photos (outside MEDIA_ROOT: no URL serves it). The days
# between visits per category are data (``visits.VisitRuleSet``), not settings.
CARECIRCLE_VISIT_RISK_DAYS = envint("CARECIRCLE_VISIT_RISK_DAYS", 180)
CARECIRCLE_VISIT_REMIND_DAYS = envint("CARECIRCLE_VISIT_REMIND_DAYS", 3)
CARECIRCLE_VISIT_FOLLOW_UP_DAYS = envint("CARECIRCLE_VISIT_FOLLOW_UP_DAYS", 7)
CARECIRCLE_VISIT_POLICE_REPORT_HOURS = envint("CARECIRCLE_VISIT_POLICE_REPORT_HOURS", 24)
CARECIRCLE_VISIT_PHOTO_DIR = envstr(
    "CARECIRCLE_VISIT_PHOTO_DIR", str(BASE_DIR / "var" / "visit-photos")
)
CARECIRCLE_VISIT_PHOTO_MAX_BYTES = envint("CARECIRCLE_VISIT_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT = envint("CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT", 6)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Axes would otherwise log usernames and IPs of every failed attempt.
        "axes": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

if PRODUCTION:
    # Documented deviation: none. `check --deploy` must pass with zero warnings.
    SILENCED_SYSTEM_CHECKS: list[str] = []

# Reports of harm (issue 6): see carecircle/tips/clocks.py and keywords.py.
CARECIRCLE_TIP_CLOCKS = envstr("CARECIRCLE_TIP_CLOCKS", "")
CARECIRCLE_TIP_KEYWORDS = envstr("CARECIRCLE_TIP_KEYWORDS", "")
CARECIRCLE_TIP_COMPLEX_WORKDAYS = envint("CARECIRCLE_TIP_COMPLEX_WORKDAYS", 15)
CARECIRCLE_TIP_DISPATCH_ACK = envstr("CARECIRCLE_TIP_DISPATCH_ACK", "1wd")
CARECIRCLE_TIP_POLICE_HOURS = envint("CARECIRCLE_TIP_POLICE_HOURS", 24)
CARECIRCLE_TIP_RECEIPT_ITERATIONS = envint("CARECIRCLE_TIP_RECEIPT_ITERATIONS", 20_000)
CARECIRCLE_TIP_FILE_DIR = envstr("CARECIRCLE_TIP_FILE_DIR", str(BASE_DIR / "var" / "tip-files"))
# Public page limits (SECURITY.md AN-2, AN-3).
CARECIRCLE_TIP_REPORTS_PER_HOUR = envint("CARECIRCLE_TIP_REPORTS_PER_HOUR", 10)
CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL = envint("CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL", 1000)
CARECIRCLE_TIP_RECEIPT_FAILURES = envint("CARECIRCLE_TIP_RECEIPT_FAILURES", 5)
CARECIRCLE_TIP_POW_BITS = envint("CARECIRCLE_TIP_POW_BITS", 16)
CARECIRCLE_TIP_MAX_FILES = envint("CARECIRCLE_TIP_MAX_FILES", 5)
CARECIRCLE_TIP_FILES_PER_REPORT_HOUR = envint("CARECIRCLE_TIP_FILES_PER_REPORT_HOUR", 30)
CARECIRCLE_TIP_IMAGE_MAX_BYTES = envint("CARECIRCLE_TIP_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
CARECIRCLE_TIP_VIDEO_MAX_BYTES = envint("CARECIRCLE_TIP_VIDEO_MAX_BYTES", 30 * 1024 * 1024)

# Cases (issue 7): hours a red-critical case has for its safety plan and the record
# that the guardian was told, before the supervisors are alerted.
CARECIRCLE_CASE_CRISIS_HOURS = envint("CARECIRCLE_CASE_CRISIS_HOURS", 24)
# Hours a red-critical case has to refer the child to a hospital (DOMAIN.md §9.3),
# and hours a receiving organisation has to accept or decline a referral, before
# the escalation.
CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS = envint("CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS", 48)
CARECIRCLE_REFERRAL_ACCEPT_HOURS = envint("CARECIRCLE_REFERRAL_ACCEPT_HOURS", 48)
