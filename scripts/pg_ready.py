"""Exit 0 if the PostgreSQL server in the URL given accepts a connection (used by test.sh)."""

import sys

import psycopg

url = sys.argv[1]
# Connect to the maintenance database: the test database itself is created by the test run.
base, _, _ = url.rpartition("/")
try:
    with psycopg.connect(base + "/postgres", connect_timeout=3) as conn:
        conn.execute("SELECT 1")
except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
    print(exc, file=sys.stderr)
    sys.exit(1)
