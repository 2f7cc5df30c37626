#!/usr/bin/env bash
# Set up, then run the test suite (offline; slow and GPU tests are opt-in: -m slow / -m gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TEXTCLUSTER_DATA=${TEXTCLUSTER_DATA:-$(cd .. && pwd)/shared/data}
.venv/bin/python -m pytest -q "$@"
