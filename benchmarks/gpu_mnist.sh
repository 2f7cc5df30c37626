#!/usr/bin/env bash
# Full MNIST (70,000 images) and Fashion-MNIST deep-clustering benchmark on one GPU, in one short lease.
#
# Five jobs run at once on the one GPU (each is launch-bound: small networks, batches of 64-256), each a
# `benchmarks/deep.py images` process with its own settings, a wall-clock budget (training stops at an
# epoch boundary when it is spent, and the row says so) and its own JSON + log, packed at the end into
# "$OUT/gpu_mnist_results.tgz" (the device tool returns at most 8 files):
#   idec_mlp   IDEC, the paper's 784-500-500-2000-10 MLP, 200 pretraining + at most 100 clustering epochs;
#              its KMeans start (init_kmeans) is AE + KMeans on that autoencoder
#   idec_conv  IDEC on the library's default conv trunk (100 + at most 100 epochs), then DEC if time is left
#   clustergan ClusterGAN, batch 64 (the paper's), as many epochs as the budget allows (at most 300)
#   ae_kmeans  KMeans on raw pixels, AE + KMeans (conv, 100 epochs)
#   fashion    Fashion-MNIST: KMeans on pixels, IDEC (MLP, 200 + 100)
# Timings of concurrent jobs share the GPU and 16 CPU cores: they are not solo timings.
#
#   bash benchmarks/gpu_mnist.sh                      # on the GPU machine, from the repository root
#   GPU_BENCH_N=1000 GPU_BENCH_DEVICE=cpu GPU_BENCH_BUDGET=40 bash benchmarks/gpu_mnist.sh   # CPU smoke test
#
# Environment: OUT (default ./gpu-results), TEXTCLUSTER_DATA (default ./.gpu-data, else ../shared/data),
# GPU_BENCH_N (subset size, 0 = all), GPU_BENCH_DEVICE (default cuda), GPU_BENCH_BUDGET (seconds of training
# per job, default 400), PYTHON (default python3). Needs only torch, numpy, scipy, scikit-learn, safetensors
# (no install step: the device image has no network; deep.py runs from the source tree).
set -uo pipefail

OUT="${OUT:-./gpu-results}"
mkdir -p "$OUT"
PY="${PYTHON:-python3}"
N="${GPU_BENCH_N:-0}"
DEVICE="${GPU_BENCH_DEVICE:-cuda}"
BUDGET="${GPU_BENCH_BUDGET:-400}"
WORK="$(mktemp -d)"
if [ -z "${TEXTCLUSTER_DATA:-}" ]; then
  if [ -d ./.gpu-data/mnist ]; then TEXTCLUSTER_DATA=./.gpu-data; else TEXTCLUSTER_DATA=../shared/data; fi
fi
export TEXTCLUSTER_DATA PYTHONUNBUFFERED=1 OMP_NUM_THREADS=3 MKL_NUM_THREADS=3
T0=$(date +%s)
echo "== gpu_mnist.sh $(date -u +%FT%TZ) OUT=$OUT N=$N DEVICE=$DEVICE BUDGET=${BUDGET}s DATA=$TEXTCLUSTER_DATA"
"$PY" - <<'PYEOF'
import platform, torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "-", "python", platform.python_version())
PYEOF
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

job() {  # job NAME DATASET METHODS PARAMS_JSON
  local name=$1 dataset=$2 methods=$3 params=$4
  timeout $(( BUDGET + 120 )) "$PY" benchmarks/deep.py images --dataset "$dataset" --limit "$N" \
      --methods "$methods" --seeds 0 --device "$DEVICE" --threads 3 --deadline "$BUDGET" --params "$params" \
      --log-epochs --json "$WORK/$name.json" >"$WORK/$name.log" 2>&1
  echo "== $name exit $? after $(( $(date +%s) - T0 )) s"
}

job idec_mlp mnist idec '{"idec": {"arch": "mlp", "pretrain_epochs": 200, "max_epochs": 100}}' &
job idec_conv mnist idec,dec '{"idec": {"pretrain_epochs": 100, "max_epochs": 100},
                               "dec": {"pretrain_epochs": 100, "max_epochs": 100}}' &
job clustergan mnist clustergan '{"clustergan": {"max_epochs": 300, "batch_size": 64}}' &
job ae_kmeans mnist kmeans,ae-kmeans '{"ae-kmeans": {"max_epochs": 100}}' &
job fashion fashion-mnist kmeans,idec '{"idec": {"arch": "mlp", "pretrain_epochs": 200, "max_epochs": 100}}' &
wait
echo "== done in $(( $(date +%s) - T0 )) s"
tar -C "$WORK" -czf "$OUT/gpu_mnist_results.tgz" .
for f in "$WORK"/*.json; do
  "$PY" -c "import json,sys; [print(json.dumps({'job': sys.argv[1].rsplit('/',1)[-1][:-5], **{k: r.get(k) for k in ('dataset','method','acc','nmi','ari','seconds','epochs','init_kmeans','cut_by_time_limit','gpu_peak_mb')}})) for r in json.load(open(sys.argv[1]))['rows']]" "$f"
done
