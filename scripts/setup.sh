#!/usr/bin/env bash
# Set up everything on a fresh Debian machine with Python 3.11: a virtual
# environment in .venv with the pinned dependencies and the project itself,
# and (with --browser) Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Python 3.11 is required (found $("$python" --version 2>&1))" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .

if [ "${1:-}" = "--browser" ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing Chromium from Debian's packages for the browser tests..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# axe-core for the gallery's accessibility test, from the npm registry into the
# git-ignored node_modules/ (never committed, never served to users).
AXE_VERSION=4.14.1
if [ "${1:-}" = "--browser" ] && ! grep -qs "\"version\": \"$AXE_VERSION\"" node_modules/axe-core/package.json; then
  if ! command -v npm >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing npm from Debian's packages for axe-core..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
  fi
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --ignore-scripts "axe-core@$AXE_VERSION"
fi
