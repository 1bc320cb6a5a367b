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
"$VPY" main.py fetch-weights
