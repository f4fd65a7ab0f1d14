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
# Live boards: each screen holds an event stream open, which would keep uvicorn waiting for ever on Ctrl+C
# or a restart. After 5 s the streams are ended; the boards reconnect by themselves (docs/adr/0009).
export UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=${UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN:-5}
echo
echo "OpenMASH is running at http://$HOST:$PORT/ – sign in as manager, practitioner, police-rep or admin"
echo "(password: openmash-demo). Press Ctrl+C to stop."

# Escalation (docs/adr/0010-escalation.md): run_clock sends warnings and breach notices beside the web
# server, and stops when it stops (Ctrl+C, a TERM signal, or the server failing to start).
export OPENMASH_BASE_URL=${OPENMASH_BASE_URL:-http://$HOST:$PORT}
clock_pid="" web_pid=""
trap 'kill ${web_pid:-} ${clock_pid:-} 2>/dev/null || true' INT TERM
trap 'kill ${clock_pid:-} 2>/dev/null || true' EXIT
.venv/bin/python manage.py run_clock &
clock_pid=$!

.venv/bin/uvicorn openmash.config.asgi:application --host "$HOST" --port "$PORT" --no-access-log &
web_pid=$!
wait "$web_pid" || wait "$web_pid" || true  # after Ctrl+C the first wait returns at once; the second waits for the shutdown
