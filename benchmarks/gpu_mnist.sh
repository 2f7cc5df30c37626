#!/usr/bin/env bash
# Full MNIST (70,000 images) deep-clustering benchmark on one GPU: ae-kmeans, idec, clustergan (seed 0),
# then dec and Fashion-MNIST while time allows. Writes JSON results and a log into "$OUT/".
#
#   bash benchmarks/gpu_mnist.sh                      # on the GPU machine, from the repository root
#   GPU_BENCH_N=2000 GPU_BENCH_DEVICE=cpu GPU_BENCH_EPOCH_SCALE=0.05 bash benchmarks/gpu_mnist.sh   # CPU smoke test
#
# Environment: OUT (default ./gpu-results), TEXTCLUSTER_DATA (default ./shared/data, else ../shared/data),
# GPU_BENCH_N (subset size, 0 = all), GPU_BENCH_DEVICE (default cuda), GPU_BENCH_EPOCH_SCALE (default 1),
# GPU_BENCH_DEADLINE (seconds after which optional runs are skipped, default 270), PYTHON (default python3).
set -uo pipefail

OUT="${OUT:-./gpu-results}"
mkdir -p "$OUT"
LOG="$OUT/gpu_mnist.log"
PY="${PYTHON:-python3}"
N="${GPU_BENCH_N:-0}"
DEVICE="${GPU_BENCH_DEVICE:-cuda}"
SCALE="${GPU_BENCH_EPOCH_SCALE:-1}"
DEADLINE="${GPU_BENCH_DEADLINE:-270}"
if [ -z "${TEXTCLUSTER_DATA:-}" ]; then
  if [ -d ./shared/data/mnist ]; then TEXTCLUSTER_DATA=./shared/data; else TEXTCLUSTER_DATA=../shared/data; fi
fi
export TEXTCLUSTER_DATA
exec > >(tee -a "$LOG") 2>&1
echo "== gpu_mnist.sh $(date -u +%FT%TZ) OUT=$OUT N=$N DEVICE=$DEVICE SCALE=$SCALE DATA=$TEXTCLUSTER_DATA"
T0=$(date +%s)

if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "torch missing: pip install torch==2.13.0"
  timeout 300 "$PY" -m pip install -q --retries 1 torch==2.13.0 || echo "WARNING: torch install failed"
fi
# Install the package; if the dependencies cannot be fetched, the benchmark still runs from the source
# tree (it needs only torch, numpy, scipy and scikit-learn; see benchmarks/deep.py).
# --no-build-isolation and --retries 0 keep an offline machine from waiting on the network.
timeout 180 "$PY" -m pip install -q --retries 0 --timeout 10 --no-build-isolation -e . 2>&1 | tail -3 \
  || echo "WARNING: pip install -e . failed; running from the source tree"
"$PY" - <<'PYEOF'
import torch, platform
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "-", "python", platform.python_version())
PYEOF
echo "setup took $(( $(date +%s) - T0 )) s"

run() {  # run NAME DATASET METHODS
  local name=$1 dataset=$2 methods=$3
  local elapsed=$(( $(date +%s) - T0 ))
  local left=$(( DEADLINE - elapsed ))
  if [ "$left" -le 0 ]; then echo "== $name skipped: past the ${DEADLINE}s deadline"; return; fi
  echo "== $name: $dataset [$methods] (elapsed ${elapsed}s)"
  "$PY" benchmarks/deep.py images --dataset "$dataset" --limit "$N" --methods "$methods" --seeds 0 \
      --device "$DEVICE" --epochs-scale "$SCALE" --deadline "$left" --json "$OUT/$name.json"
  echo "== $name exit $? after $(( $(date +%s) - T0 )) s"
}

# Required runs (no deadline), then optional ones while time is left.
DEADLINE_SAVED=$DEADLINE; DEADLINE=100000
run mnist_main mnist "kmeans,ae-kmeans,idec,clustergan"
DEADLINE=$DEADLINE_SAVED
run mnist_dec mnist "dec"
run mnist_n2d mnist "n2d"   # needs umap-learn on the device image; fails alone (reported) where absent
run fashion fashion-mnist "kmeans,ae-kmeans,idec,clustergan"
echo "== done in $(( $(date +%s) - T0 )) s; results: $(ls "$OUT")"
