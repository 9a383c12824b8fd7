#!/usr/bin/env bash
# Install what the tests need and run the whole suite (lint, migrations check, pytest).
# The database is chosen by DATABASE_URL (SQLite when unset). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2> >(grep -v "is ignored" >&2)

# Browser tests drive Debian's chromium (never a downloaded browser).
# A Chinese font makes the screenshots readable (the tests pass without it).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy\|noto.*cjk"; then
  echo "Installing Debian's chromium (and a Chinese font) for the browser tests…"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi

export JICENG_DATA_DIR=${JICENG_DATA_DIR:-$(mktemp -d)}
echo "== ruff"
.venv/bin/ruff check src tests bench
echo "== django checks (database: ${DATABASE_URL:-sqlite})"
DJANGO_SETTINGS_MODULE=jiceng.settings .venv/bin/python -m django check
DJANGO_SETTINGS_MODULE=jiceng.settings .venv/bin/python -m django makemigrations --check --dry-run >/dev/null \
  || { echo "models changed without a migration: run 'jiceng makemigrations'"; exit 1; }
echo "== pytest (database: ${DATABASE_URL:-sqlite}, ${JICENG_TEST_WORKERS:-2} processes)"
.venv/bin/pytest -n "${JICENG_TEST_WORKERS:-2}" "$@"
