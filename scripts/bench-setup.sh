#!/usr/bin/env bash
# Install the optional benchmark packages (Splink with DuckDB, recordlinkage and what they need:
# requirements/bench.txt) into .venv/, for scripts/bench_splink.py and scripts/bench_febrl.py.
# They are not part of the service or its tests. requirements/lock.txt is applied as constraints,
# so no package the service uses changes version. Safe to run again: skipped when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "bench-setup: $*" >&2; exit 1; }

[ -x .venv/bin/python ] || fail ".venv/ does not exist: run scripts/setup.sh first"

stamp() { cat "$@" | sha256sum | cut -c1-16; }

mkdir -p var
bench_stamp=$(stamp requirements/bench.txt requirements/lock.txt)
if [ "$(cat var/.bench-deps 2>/dev/null)" != "$bench_stamp" ] \
  || ! .venv/bin/python -c 'import splink, duckdb, recordlinkage' 2>/dev/null; then
  echo "bench-setup: installing the benchmark packages"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements/lock.txt -r requirements/bench.txt
  echo "$bench_stamp" > var/.bench-deps
fi
.venv/bin/python -c 'import splink, duckdb, recordlinkage; print(f"bench-setup: splink {splink.__version__}, duckdb {duckdb.__version__}, recordlinkage {recordlinkage.__version__}")'
