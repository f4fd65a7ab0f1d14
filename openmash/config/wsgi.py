import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings.local")

application = get_wsgi_application()

from openmash.reports.facts import warm_on_start  # noqa: E402 - needs the application's settings

warm_on_start()  # the report blocks, read while the server starts taking requests (ADR 0015)
