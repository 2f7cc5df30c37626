"""Same seed, same assignments: across separate processes with different PYTHONHASHSEED values.

What full determinism needs is written in docs/robustness.md: one ``random_state`` (the CLI's ``--seed``)
threaded through every stage, ``workers=1`` for gensim training (the default), and no dependence on
Python's per-process string hashing (textcluster hashes words with blake2b, never ``hash()``).
Different seeds are allowed to differ, and on this corpus they do.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: fits each configuration for seeds 0 and 1, prints the labels as JSON.
SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from textcluster import TextClusterer, read_corpus
configs = json.loads(sys.argv[1])
docs = [d.text for d in read_corpus(sys.argv[2])][::2]  # 240 documents keep the test quick
out = {}
for name, params in configs.items():
    for seed in (0, 1):
        model = TextClusterer(random_state=seed, **params).fit(docs)
        out[f"{name}/seed{seed}"] = {"labels": model.labels_.tolist(),
                                     "topics": [[w for w, _ in t.words] for t in model.topics_]}
print(json.dumps(out))
"""

FAST = {
    "ppmi-lsa-smooth-kmeans": {"k": 8, "embedder": "ppmi+tfidf-lsa"},  # the default's corpus path
    "word2vec-kmeans": {"k": 8, "embedder": "word2vec"},
    "word2vec-sif-hdbscan": {"embedder": "word2vec", "clusterer": "hdbscan"},
    "tfidf-lsa-pca-kmeans": {"k": 8, "embedder": "tfidf-lsa", "reducer": "pca"},
}


def _run(configs: dict, hash_seed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed,
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(configs), str(ROOT / "corpora" / "topics-en.jsonl")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _check(configs: dict) -> None:
    a = _run(configs, "1")
    b = _run(configs, "2")
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], f"{key}: same seed, different result across processes"
    for name in configs:
        assert a[f"{name}/seed0"]["labels"] != a[f"{name}/seed1"]["labels"], f"{name}: seed is ignored"


def test_same_seed_same_assignments_across_processes():
    _check(FAST)


@pytest.mark.slow
def test_same_seed_same_assignments_glove_deepwalk():
    from textcluster.registry import embedder_names

    configs = {f"{e}-kmeans": {"k": 8, "embedder": e} for e in ("glove", "deepwalk") if e in embedder_names()}
    if not configs:
        pytest.skip("GloVe / DeepWalk are not registered")
    _check(configs)
