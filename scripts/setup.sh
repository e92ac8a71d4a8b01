#!/usr/bin/env bash
# Set up everything on a fresh Debian machine with Python 3.11: a virtual
# environment in .venv with the pinned dependencies and the project itself,
# and (with --browser, as the tests need) Debian's Chromium, axe-core, and
# LiteLLM's proxy in a venv of its own (.venv-litellm) for the gateway test.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Python 3.11 is required (found $("$python" --version 2>&1))" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi
say "installing the pinned dependencies of requirements.txt into .venv (about a minute the first time)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
say "installing the project itself into .venv (editable)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .

if [ "${1:-}" = "--browser" ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "installing Chromium from Debian's packages for the browser tests"
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
    say "installing npm from Debian's packages for axe-core"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
  fi
  say "installing axe-core $AXE_VERSION from the npm registry into node_modules/"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --ignore-scripts "axe-core@$AXE_VERSION"
fi

# LiteLLM's proxy for tests/system/test_litellm_gateway.py, in its own venv: its
# dependencies must not mix with ours. Reinstalled only when the pins change.
if [ "${1:-}" = "--browser" ] && ! cmp -s requirements-litellm.txt .venv-litellm/requirements-litellm.txt; then
  say "installing LiteLLM's proxy (requirements-litellm.txt) into .venv-litellm for the gateway test (about 45 s and 500 MB the first time)"
  rm -rf .venv-litellm
  "$python" -m venv .venv-litellm
  .venv-litellm/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-litellm.txt
  cp requirements-litellm.txt .venv-litellm/requirements-litellm.txt
fi
say "ready"
