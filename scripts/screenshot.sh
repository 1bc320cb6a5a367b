#!/usr/bin/env bash
# Regenerate the README screenshot: the real window (Qt's xcb platform) under Xvfb, on the sample
# photo at x8 around the eyes, saved once every pane shows its final render.
# Needs xvfb-run and Qt's X11 libraries, e.g. on Debian/Ubuntu:
#   apt-get install -y xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
#     libxcb-shape0 libxcb-xinerama0 libxcb-image0 libxcb-render-util0 libxcb-randr0 libegl1 libgl1 \
#     libfontconfig1 libdbus-1-3 fonts-dejavu-core
# Usage: scripts/screenshot.sh [OUT.png]   (default docs/screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshot.png}
if ! command -v xvfb-run >/dev/null; then
  echo "error: xvfb-run not found; install the packages listed at the top of $0" >&2
  exit 1
fi
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x900x24" \
  .venv/bin/python main.py view resources/sample-astronaut.png \
  --zoom 8 --center 222,114 --layout three --precision fast --window-size 1500x640 --screenshot "$OUT"
