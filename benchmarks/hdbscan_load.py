"""Loading a saved HDBSCAN model: stored prediction index vs recomputing it (hdbscan's generate_prediction_data).

Synthetic data shaped like 20 Newsgroups document vectors (18,846 x 100, 20 Gaussian blobs + uniform noise),
seed 0; both loads of the same saved model in one process, median of 3.

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/hdbscan_load.py
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from textcluster.cluster import HDBSCANClusterer  # noqa: E402
from textcluster.model_reader import ModelReader  # noqa: E402
from textcluster.model_writer import ModelWriter  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    n, d = 18_846, 100
    centres = rng.normal(0, 1, (20, d))
    X = np.concatenate([centres[rng.integers(0, 20, n - 1000)] + rng.normal(0, 0.35, (n - 1000, d)),
                        rng.uniform(-3, 3, (1000, d))]).astype(np.float32)
    cl = HDBSCANClusterer().fit(X)
    with tempfile.TemporaryDirectory() as tmp:
        w = ModelWriter(Path(tmp))
        spec = w.encode(cl, "c")
        stored, recomputed = [], []
        for _ in range(3):
            t = time.perf_counter()
            a = ModelReader(Path(tmp), w.files).decode(spec)
            stored.append(time.perf_counter() - t)
            legacy = json.loads(json.dumps(spec))
            legacy["state"]["model_"]["state"].pop("_prediction_data")  # what format 1 before b2fffcb wrote
            t = time.perf_counter()
            b = ModelReader(Path(tmp), w.files).decode(legacy)
            recomputed.append(time.perf_counter() - t)
        Y = X[:2000]
        same = bool(np.array_equal(a.predict(Y), b.predict(Y)))
    print(json.dumps({"n": n, "d": d, "clusters": int(len(np.unique(cl.labels_[cl.labels_ >= 0]))),
                      "load_stored_s": round(statistics.median(stored), 2),
                      "load_recomputed_s": round(statistics.median(recomputed), 2), "same_predictions": same}))


if __name__ == "__main__":
    main()
