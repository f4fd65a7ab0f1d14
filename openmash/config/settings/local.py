"""Settings for running the service on one machine with demo data (the README's first command)."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"


def _local_secret_key():
    # A per-checkout key kept out of the repository, so two demo installations never share one.
    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _local_secret_key()

# The demo has no mail server: escalation emails are printed by run_clock (console backend) unless
# EMAIL_HOST names a real SMTP server (or EMAIL_BACKEND is set explicitly).
if not os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
