import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files as a synchronous file iterator; under ASGI Django warns about it on
# every file. It is harmless (the file is read in a worker thread), and a reverse proxy serves static
# files in production, so the warning is silenced rather than repeated for every stylesheet.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings.local")

application = get_asgi_application()

from openmash.reports.facts import warm_on_start  # noqa: E402 - needs the application's settings

warm_on_start()  # the report blocks, read while the server starts taking requests (ADR 0015)
