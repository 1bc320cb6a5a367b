#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv, the package with its test extra,
# and the verified official weights in models/. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch first, pinned, so that no range pulls a multi-GB build we do not need:
# on the project's machines this is the CPU build on disk; elsewhere pip picks the usual wheel.
if ! "$VPY" -c "import torch" 2>/dev/null; then
  "$VPY" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
fi
"$VPY" -m pip install -q -e ".[test]"
# The package is installed editable, so pip compiles none of its modules: compile them once here
# (with PYTHONDONTWRITEBYTECODE set, as in many containers, every start would compile them again).
"$VPY" -m compileall -q liif_viewer >/dev/null
# The viewer and its tests need Qt's GUI library, which links a few system libraries (EGL/GL,
# fontconfig, xkbcommon); the tests run on Qt's offscreen platform, so no display is needed.
# Install them only when Qt cannot load and this is root on a Debian-like system.
if ! "$VPY" -c "import PySide6.QtGui" 2>/dev/null; then
  QT_LIBS="libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $QT_LIBS; } >/dev/null \
      || echo "warning: could not install Qt's system libraries ($QT_LIBS)" >&2
  else
    echo "warning: PySide6 cannot load; install these system libraries for the viewer: $QT_LIBS" >&2
  fi
fi
"$VPY" main.py fetch-weights
