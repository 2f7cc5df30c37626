#!/usr/bin/env bash
# Create .venv (if missing) and install textcluster with its test, plotting, sentence-model and CJK (zh/ja word
# segmentation) extras.
# torch is installed first, pinned, so pip takes the local CPU build instead of a multi-GB CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# pip runs only when pyproject.toml or this script changed since the last successful install (a stamp in
# .venv holds their hash) or when .venv's textcluster does not come from this checkout (e.g. a moved clone).
STAMP=.venv/.textcluster-setup
KEY=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
HERE=$(pwd -P)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] && (cd / && "$HERE/.venv/bin/python" -c \
    "import sys, textcluster; sys.exit(not textcluster.__file__.startswith(sys.argv[1]))" "$HERE/") 2>/dev/null; then
  echo "setup: .venv is up to date (pyproject.toml unchanged; rm $STAMP to reinstall)"
else
  rm -f "$STAMP"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e ".[dev,viz,sentence,cjk]"
  echo "$KEY" > "$STAMP"
fi
# Root only: headless chromium for tests/test_map_browser.py (the HTML map opened in a real browser) and a
# CJK font for map.png labels in Chinese/Japanese/Korean (without it they fall back to cluster numbers).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=""
  command -v chromium >/dev/null || missing="chromium"
  [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -q CJK || missing="$missing fonts-noto-cjk"
  if [ -n "$missing" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) || echo "setup: could not install$missing (optional)"
  fi
fi
