#!/usr/bin/env bash
# The installed program, as a user gets it from `pip install .` / `pipx install .`: build the wheel, install it
# (not editable) into a fresh virtual environment in a temporary folder outside the checkout, and run the
# commands from there. The weights are never downloaded: the check hands over the checkout's verified file,
# first through LIIF_VIEWER_WEIGHTS, then as a copy in the user cache folder (a temporary XDG_CACHE_HOME).
# Called by .ci/run after the tests (~1 min on a quiet machine; torch and the other wheels come from pip's cache).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
BUILD_PY=.venv/bin/python
[ -x "$BUILD_PY" ] || BUILD_PY=$PY
WEIGHTS=$ROOT/models/edsr-baseline-liif.pth
[ -f "$WEIGHTS" ] || { echo "wheel check: $WEIGHTS is missing; run ./scripts/setup.sh first" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/liif-viewer-wheel-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
step() { echo "wheel check [${SECONDS} s]: $*" >&2; }

step "building the wheel"
"$BUILD_PY" -m pip wheel --no-deps -q -w "$TMP/dist" . 2>&1 | grep -v "^WARNING: Location" >&2 || true
WHEEL=$(ls "$TMP"/dist/liif_viewer-*.whl)
step "installing $(basename "$WHEEL") into a fresh venv in $TMP"
"$PY" -m venv "$TMP/venv"
V=$TMP/venv/bin
{ "$V/python" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}" && "$V/python" -m pip install -q "$WHEEL"; } 2>&1 \
  | grep -v "^WARNING: Location" >&2 || true

cd "$TMP"  # outside the checkout from here on
unset PYTHONPATH
export QT_QPA_PLATFORM=offscreen XDG_CACHE_HOME=$TMP/cache XDG_CONFIG_HOME=$TMP/config
"$V/python" - "$ROOT" <<'PY'
import sys
from pathlib import Path

import liif_viewer
from liif_viewer.locations import is_checkout, sample_image

root = Path(sys.argv[1]).resolve()
assert root not in Path(liif_viewer.__file__).resolve().parents, f"imported from the checkout: {liif_viewer.__file__}"
assert not is_checkout() and sample_image().is_file(), sample_image()
from PIL import Image

Image.open(sample_image()).crop((200, 180, 264, 228)).save("in.png")  # 64x48, a small input keeps this quick
PY
step "python -m liif_viewer --help"
"$V/python" -m liif_viewer --help >/dev/null
step "upscale, weights from LIIF_VIEWER_WEIGHTS"
LIIF_VIEWER_WEIGHTS=$WEIGHTS "$V/liif-viewer" upscale in.png -o up.png --scale 2 --fast
step "export, weights from the user cache folder"
mkdir -p "$XDG_CACHE_HOME/liif-viewer/models"
cp "$WEIGHTS" "$XDG_CACHE_HOME/liif-viewer/models/"
"$V/liif-viewer" fetch-weights | grep -q "weights ready: $XDG_CACHE_HOME/liif-viewer/models/edsr-baseline-liif.pth"
"$V/liif-viewer" export in.png --region 8,8,32,24 --size 96x72 -o export.png
step "view --screenshot (offscreen)"
"$V/liif-viewer" view in.png --window-size 600x300 --screenshot shot.png  # small: the sample's 512 px take long
step "a batch export and install-desktop (into a temporary XDG_DATA_HOME)"
"$V/liif-viewer" export in.png up.png -o batch --scale 2 --method nearest
XDG_DATA_HOME=$TMP/share "$V/liif-viewer" install-desktop
grep -qxF "Exec=$V/liif-viewer view %F" "$TMP/share/applications/liif-viewer.desktop"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$TMP/share/applications/liif-viewer.desktop"
fi
"$V/python" - <<'PY'
from PIL import Image

for name, size in (("up.png", (128, 96)), ("export.png", (96, 72)), ("shot.png", (600, 300)),
                   ("batch/in_x2.png", (128, 96)), ("batch/up_x2.png", (256, 192))):
    with Image.open(name) as img:
        assert img.size == size, (name, img.size)
PY
step "passed"
