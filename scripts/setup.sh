#!/usr/bin/env bash
# Installs Gongkai into the checkout's own virtual environment (.venv): nothing is written outside the checkout,
# so it works on a stock Debian/Ubuntu Python that refuses global pip installs (PEP 668).
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "setup: '$PY -m venv' failed. On Debian/Ubuntu install the venv module first: apt-get install python3-venv" >&2
    exit 1
  fi
fi
spec=.
[[ -n $extras ]] && spec=".[$extras]"
# Reinstall only when the project's dependency list changed since the last install.
stamp=.venv/.gongkai-installed
want=$(cat pyproject.toml | sha256sum | cut -c1-16)-$extras
if [[ ! -f $stamp ]] || ! grep -qx -- "$want" "$stamp"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  # rapidocr-onnxruntime pulls the GUI build of OpenCV, which shares the cv2 module with the headless one we
  # ask for and needs libGL.so.1; where that library is missing, the headless build is put back on top.
  if ! .venv/bin/python -c "import cv2" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps opencv-python-headless
  fi
  echo "$want" >"$stamp"
fi
