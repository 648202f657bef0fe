#!/usr/bin/env bash
# The README's main command: set-up (venv, package, Debian packages), then the
# seed notebook's 2-1 network (`tinygrad-lite seed`; files go to out/).
set -euo pipefail
cd "$(dirname "$0")/.."
# The demos need Graphviz and the demos extra only (no browser, no dev tools).
TINYGRAD_LITE_APT="${TINYGRAD_LITE_APT:-graphviz}" source .ci/setup.sh
tinygrad-lite seed "$@"
