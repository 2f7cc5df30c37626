"""GloVe on a GPU (device="auto" -> CUDA): CPU and CUDA agree on a small problem, and seconds per epoch on the
BENCHMARKS.md co-occurrence settings (window 10, min_count 5, 100-d, 15 epochs).

Runs where only torch, numpy, scipy and safetensors are installed (the package ``__init__`` is skipped, so
gensim and spaCy are not needed). TOKENS is a ``.json.gz`` with ``{"tokens": [[...], ...]}`` (blank spaCy
tokens, lower-cased, punctuation dropped: benchmarks/embedders.py's REF_TOKENIZER settings).

    python3 benchmarks/glove_gpu.py TOKENS.json.gz OUT.json
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


def main() -> None:
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
    d = json.load(gzip.open(sys.argv[1], "rt"))
    t = time.perf_counter()
    cc = CooccurrenceCounter(window=10, min_count=5).fit(d["tokens"])
    out["count_s"] = time.perf_counter() - t
    X = cc.matrix_.tocoo()
    out["nnz"], out["n_words"] = int(X.nnz), len(cc.words_)
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
