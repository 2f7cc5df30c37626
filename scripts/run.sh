#!/usr/bin/env bash
# Set up, then cluster the shipped demo corpus (480 short English documents, 8 topics).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/textcluster cluster corpora/topics-en.jsonl --k 8 --out results/demo "$@"
