#!/usr/bin/env bash
# The README's main command: set-up (venv, package, Debian packages), then the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/setup.sh
"$PY" demos/engine_tour.py "$@"
