"""GloVe on a GPU (device="auto" -> CUDA): CPU and CUDA agree on a small problem, and seconds per epoch on the
BENCHMARKS.md co-occurrence settings (window 10, min_count 5, 100-d, 15 epochs).

Runs where only torch, numpy, scipy and safetensors are installed (the package ``__init__`` is skipped, so
gensim and spaCy are not needed). TOKENS is a ``.json.gz`` with ``{"tokens": [[...], ...]}`` (blank spaCy
tokens, lower-cased, punctuation dropped: benchmarks/embedders.py's REF_TOKENIZER settings).

    python3 benchmarks/glove_gpu.py TOKENS.json.gz OUT.json            # GPU (device="auto")
    python3 benchmarks/glove_gpu.py TOKENS.json.gz OUT.json --cpu      # CPU: 1 and all threads, 2 epochs
                                                                       # each, plus the vectorised walks
"""
import gzip
import json
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for name, sub in (("textcluster", "textcluster"), ("textcluster.embed", "textcluster/embed")):
    module = types.ModuleType(name)
    module.__path__ = [str(ROOT / sub)]
    sys.modules[name] = module

import torch  # noqa: E402

from textcluster.cooccurrence import CooccurrenceCounter  # noqa: E402
from textcluster.embed.glove import resolve_device, train_glove  # noqa: E402


def count_reference_matrix(tokens_path: str, out: dict):
    """The BENCHMARKS.md co-occurrence matrix (window 10, min_count 5) of a tokens file; records count_s, nnz,
    n_words in ``out``; returns the counter and its matrix as COO."""
    d = json.load(gzip.open(tokens_path, "rt"))
    t = time.perf_counter()
    cc = CooccurrenceCounter(window=10, min_count=5).fit(d["tokens"])
    out["count_s"] = time.perf_counter() - t
    X = cc.matrix_.tocoo()
    out["nnz"], out["n_words"] = int(X.nnz), len(cc.words_)
    return cc, X


def cpu_main() -> None:
    """CPU seconds per epoch (1 thread and all threads) and walk throughput on the same matrix."""
    import os

    import scipy.sparse as sp

    from textcluster.embed.deepwalk import random_walks

    out = {"cpu_count": os.cpu_count()}
    cc, X = count_reference_matrix(sys.argv[1], out)
    for workers in (1, os.cpu_count()):
        t = time.perf_counter()
        res = train_glove(X.row, X.col, X.data, len(cc.words_), vector_size=100, epochs=2, batch_size=262144,
                          seed=0, device="cpu", workers=workers)
        out[f"threads{workers}"] = {"seconds_per_epoch": res["seconds_per_epoch"], "total_s": time.perf_counter() - t}
        print(json.dumps(out), flush=True)
    A = sp.triu(cc.matrix_, k=1)
    A = (A + A.T).tocsr()
    A.sort_indices()
    t = time.perf_counter()
    walks = random_walks(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(np.float64),
                         walks_per_node=10, walk_length=40, rng=0)
    sec = time.perf_counter() - t
    out["walks"] = {"steps": int(walks.shape[0] * 39), "seconds": sec, "edges": int(A.nnz // 2)}
    print(json.dumps(out))
    Path(sys.argv[2]).write_text(json.dumps(out, indent=1))


def main() -> None:
    if "--cpu" in sys.argv:
        return cpu_main()
    out = {"device_auto": str(resolve_device("auto")),
           "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 300 * 300, 20000))
    r, c = keys // 300, keys % 300
    v = rng.integers(1, 50, len(keys)).astype(float)
    a = train_glove(r, c, v, 300, vector_size=16, epochs=5, batch_size=4096, seed=1, device="cpu")
    b = train_glove(r, c, v, 300, vector_size=16, epochs=5, batch_size=4096, seed=1, device="auto")
    out["max_abs_diff_W"] = float(np.abs(a["W"] - b["W"]).max())
    out["loss_cpu"], out["loss_auto"] = a["losses"], b["losses"]
    cc, X = count_reference_matrix(sys.argv[1], out)
    for bs in (262144, 1048576):
        t = time.perf_counter()
        res = train_glove(X.row, X.col, X.data, len(cc.words_), vector_size=100, epochs=15, batch_size=bs, seed=0,
                          device="auto")
        out[f"bs{bs}"] = {"total_s": time.perf_counter() - t, "seconds_per_epoch": res["seconds_per_epoch"],
                          "losses": res["losses"]}
    print(json.dumps(out))
    Path(sys.argv[2]).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
