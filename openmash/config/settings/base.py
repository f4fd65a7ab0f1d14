"""Settings shared by every environment.

Environment-specific modules (local, production, test) import from here and override. Anything a
council changes per installation comes from the environment, never from an edited file.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = BASE_DIR / "openmash"
VAR_DIR = Path(os.environ.get("OPENMASH_VAR_DIR") or BASE_DIR / "var")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "openmash.core",
    "openmash.accounts",
    "openmash.agencies",
    "openmash.audit",
    "openmash.people",
    "openmash.referrals",
    "openmash.information_requests",
    "openmash.sharing",
    "openmash.access",
    "openmash.board",
    "openmash.escalation",
    "openmash.reports",
    "openmash.api",
]

MIDDLEWARE = [
    "openmash.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openmash.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Messages before the idle timeout, which tells the user why they were signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "openmash.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openmash.accounts.middleware.LoginRequiredMiddleware",
    "openmash.core.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "openmash.config.urls"
ASGI_APPLICATION = "openmash.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "openmash.config.jinja2.environment",
            "autoescape": True,
        },
    },
    {
        # Only for Django's own machinery (e.g. the CSRF failure page); every OpenMASH page is Jinja2.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]


def _database():
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=0)
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "openmash.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers (boards, lists) run while a writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing half-way with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The sign-in methods, tried in order. Single sign-on with the council's identity provider (OIDC)
# is added here as another backend; lockout lives in accounts.services.account_sign_in.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:home"

# Sign-in protection: after this many failures in a row an account is locked for the lockout period.
OPENMASH_LOCKOUT_THRESHOLD = int(os.environ.get("OPENMASH_LOCKOUT_THRESHOLD", "5"))
OPENMASH_LOCKOUT_MINUTES = int(os.environ.get("OPENMASH_LOCKOUT_MINUTES", "15"))
# Sessions end after this many minutes without a request (council laptops are shared and left open).
OPENMASH_SESSION_IDLE_MINUTES = int(os.environ.get("OPENMASH_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = 12 * 60 * 60  # hard upper bound on a session, whatever the activity
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"  # display zone; storage is UTC
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # production sets it for collectstatic; elsewhere files come from the finders
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# The hub's own name and the referral reference prefix (MASH-2026-000123).
OPENMASH_HUB_NAME = os.environ.get("OPENMASH_HUB_NAME", "Multi-Agency Safeguarding Hub")
OPENMASH_REFERENCE_PREFIX = os.environ.get("OPENMASH_REFERENCE_PREFIX", "MASH")
# Reports: counts from 1 to this minus one are hidden from analysts and in their exports (ADR 0015).
REPORTS_SUPPRESSION_THRESHOLD = int(os.environ.get("REPORTS_SUPPRESSION_THRESHOLD", "5"))
# Read every stored report block into memory when the web server starts, in the background, so the
# first report after a restart does not wait for them (ADR 0015, "Reading blocks"). "0" turns it off.
REPORTS_WARM_ON_START = os.environ.get("REPORTS_WARM_ON_START", "1") != "0"
OPENMASH_DISPLAY_TIMEZONE = "Europe/London"

# Live boards (docs/adr/0009-live-boards.md): the event stream's heartbeat, and how often each web worker
# looks for changes committed by another worker on SQLite (PostgreSQL is told at once, by NOTIFY).
OPENMASH_BOARD_HEARTBEAT_SECONDS = float(os.environ.get("OPENMASH_BOARD_HEARTBEAT_SECONDS", "15"))
OPENMASH_BOARD_POLL_SECONDS = float(os.environ.get("OPENMASH_BOARD_POLL_SECONDS", "0.2"))

# Escalation email (run_clock, docs/adr/0010-escalation.md): Django's SMTP backend, configured from the
# environment. Emails carry no personal data: a reference, the agency, the time left and a link.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OpenMASH <openmash@localhost>")
# The address people use to reach the service: links in emails are built on it.
OPENMASH_BASE_URL = os.environ.get("OPENMASH_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# run_clock: seconds between passes, and how long a claim may stay unfinished before another process
# takes the work over (a process killed half-way must not leave a notice unsent for ever).
OPENMASH_CLOCK_INTERVAL_SECONDS = int(os.environ.get("OPENMASH_CLOCK_INTERVAL_SECONDS", "15"))
OPENMASH_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("OPENMASH_CLAIM_TIMEOUT_SECONDS", "600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

CSRF_FAILURE_VIEW = "openmash.core.views.csrf_failure"
