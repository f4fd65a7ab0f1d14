"""Settings for the test suite. DATABASE_URL chooses SQLite (default) or PostgreSQL."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret-key-not-for-any-real-installation-0123456789"
DEBUG = False
# Argon2 at full strength makes the suite slow; the hasher itself is tested with the real settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
WHITENOISE_AUTOREFRESH = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Tests read blocks when they need them; no thread reads them behind a test's back.
REPORTS_WARM_ON_START = False
