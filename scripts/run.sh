#!/usr/bin/env bash
# Set up, migrate, load the demo data and run OpenMASH at http://127.0.0.1:8000 (SQLite in var/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-openmash.config.settings.local}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
echo
echo "OpenMASH is running at http://$HOST:$PORT/ – sign in as manager, practitioner, police-rep or admin"
echo "(password: openmash-demo). Press Ctrl+C to stop."
exec .venv/bin/uvicorn openmash.config.asgi:application --host "$HOST" --port "$PORT" --no-access-log
