#!/usr/bin/env bash
# Set up everything OpenMASH needs in this checkout: .venv/ with the pinned Python packages,
# node_modules/ with the pinned front-end packages, and the compiled stylesheet.
# Safe to run again: each step is skipped when what it depends on has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "setup: $*" >&2; exit 1; }

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || fail "Python 3.11 or newer is needed (python3 was not found)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "Python 3.11 or newer is needed; found $("$PYTHON" --version 2>&1)"
command -v npm >/dev/null || fail "Node.js and npm are needed for the front-end packages (npm was not found)"

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "setup: installing python3-venv"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      fail "could not create a virtual environment: install the python3-venv package"
    fi
  fi
fi

stamp() { cat "$@" | sha256sum | cut -c1-16; }

mkdir -p var
py_stamp=$(stamp pyproject.toml requirements/lock.txt)
if [ "$(cat var/.python-deps 2>/dev/null)" != "$py_stamp" ]; then
  echo "setup: installing Python packages"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[test]'
  echo "$py_stamp" > var/.python-deps
fi

node_stamp=$(stamp package.json package-lock.json)
if [ "$(cat var/.node-deps 2>/dev/null)" != "$node_stamp" ] || [ ! -d node_modules/govuk-frontend ]; then
  echo "setup: installing front-end packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_stamp" > var/.node-deps
fi

css_stamp=$(stamp openmash/static_src/*.scss package-lock.json)
if [ "$(cat var/.css 2>/dev/null)" != "$css_stamp" ] || [ ! -f openmash/static/build/openmash.css ]; then
  echo "setup: compiling the stylesheet"
  mkdir -p openmash/static/build
  npx --no-install sass --quiet --no-source-map --style=compressed --load-path=node_modules \
    openmash/static_src/openmash.scss openmash/static/build/openmash.css
  echo "$css_stamp" > var/.css
fi
