#!/usr/bin/env bash
# Shared set-up for the README's two commands: makes .venv and installs the
# package with its extras, plus Debian's Graphviz (and what else the tests need)
# when missing. Sourced, not run: it leaves "$PY" pointing at the venv's python.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TINYGRAD_LITE_VENV:-$ROOT/.venv}"
EXTRAS="${TINYGRAD_LITE_EXTRAS:-dev,demos}"
# chromium + libatomic1: the browser test (Playwright's bundled node needs libatomic).
APT_PACKAGES="${TINYGRAD_LITE_APT:-graphviz chromium libatomic1}"

need_apt=()
for pkg in $APT_PACKAGES; do
  case "$pkg" in
    graphviz) command -v dot >/dev/null 2>&1 || need_apt+=("$pkg") ;;
    *) dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg") ;;
  esac
done
# Debian's python3 ships without venv/ensurepip until python3-venv is installed.
if [ ! -x "$VENV/bin/python" ] && ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  need_apt+=("python3-venv")
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "error: missing system packages: ${need_apt[*]}" >&2
    echo "run this once, then try again:" >&2
    echo "    sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo ">> creating virtual environment $VENV"
  if ! python3 -m venv "$VENV"; then
    rm -rf "$VENV"
    echo "error: 'python3 -m venv' failed; on Debian/Ubuntu run: sudo apt-get install -y python3-venv" >&2
    exit 1
  fi
fi
PY="$VENV/bin/python"
stamp="$VENV/.installed-$(cat "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)-$EXTRAS"
if [ ! -f "$stamp" ]; then
  echo ">> installing tinygrad-lite[$EXTRAS] into $VENV"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q -e "$ROOT[$EXTRAS]"
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
