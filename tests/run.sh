#!/usr/bin/env bash
# The README's test command: set-up (venv, package, Debian packages), then
# formatting, lint, strict typing, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/setup.sh
echo ">> ruff format --check"; "$PY" -m ruff format --check tinygrad_lite tests demos benchmarks
echo ">> ruff check";          "$PY" -m ruff check tinygrad_lite tests demos benchmarks
echo ">> mypy --strict";       "$PY" -m mypy
echo ">> pytest";              "$PY" -m pytest "$@"
