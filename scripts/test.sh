#!/usr/bin/env bash
# Set up and run the whole test suite: once on SQLite, then again on PostgreSQL.
# Browser journeys run in headless Chromium (Debian's package); PostgreSQL is the server on
# 127.0.0.1:5432, started here if none is running. Nothing is skipped: a missing tool is installed
# (as root) or the run fails saying what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test: $*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  as_root || fail "$1 is needed and only root can install it (apt-get install $*)"
  echo "test: installing $* (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

./scripts/setup.sh

# --- Chromium for the browser journeys
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  apt_install chromium fonts-liberation
  CHROMIUM=$(command -v chromium) || fail "chromium was installed but is not on PATH"
fi
export OPENMASH_CHROMIUM="$CHROMIUM"

# --- PostgreSQL on 127.0.0.1:5432
PG_URL=${OPENMASH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/openmash}
pg_up() { .venv/bin/python scripts/pg_ready.py "$PG_URL" >/dev/null 2>&1; }
if ! pg_up; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
  if ls /etc/postgresql/*/main >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    as_root && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  if ! pg_up && as_root && command -v psql >/dev/null; then
    # Debian's cluster asks for a password over TCP: give the postgres role one, over the socket.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'openmash-test'\"" >/dev/null 2>&1 || true
    PG_URL=postgres://postgres:openmash-test@127.0.0.1:5432/openmash
  fi
  pg_up || fail "PostgreSQL is not answering on 127.0.0.1:5432 with $PG_URL; start it, or set OPENMASH_TEST_POSTGRES_URL"
fi

export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-artifacts
WORKERS=${OPENMASH_TEST_WORKERS:-2}
# loadgroup: the browser journeys share one worker, one server and one database.

echo "== SQLite"
DATABASE_URL= .venv/bin/python -m pytest -n "$WORKERS" --dist loadgroup -q "$@"
echo "== PostgreSQL ($PG_URL)"
DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -n "$WORKERS" --dist loadgroup -q "$@"
