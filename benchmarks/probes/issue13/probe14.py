"""Issue 13 probe 14: what a neighbour graph adds before KMeans on the default's vectors (ppmi+tfidf-lsa, cached
seed-0 LSA block): KMeans on the vectors, on k-NN-smoothed vectors, and on a UMAP embedding; seed 0."""
import json, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
from textcluster.registry import make_embedder
from textcluster.maps.projection import _knn_cosine

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}


def smooth(X, k, alpha):
    idx, _ = _knn_cosine(X, X, k, exclude_self=True)
    Y = X + alpha * X[idx].mean(axis=1)
    return Y / np.linalg.norm(Y, axis=1, keepdims=True).clip(1e-12)


corpora = sys.argv[1].split(",")
variants = sys.argv[2].split(",")
for name in corpora:
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    lsa = np.load(f"{C}/{name}.tfidf-lsa.npy")
    W = make_embedder("ppmi", random_state=0).fit_transform(toks)
    X = concat(W, lsa)
    keep = np.any(X != 0, axis=1)
    for v in variants:
        t = time.time()
        if v == "base":
            Z = X
        elif v.startswith("w"):
            Z = concat(W, lsa, weights=[float(v[1:]), 1.0])
        elif v.startswith("smooth"):
            _, k, a = v.split("-")
            Z = np.zeros_like(X); Z[keep] = smooth(X[keep], int(k), float(a))
        elif v.startswith("umap"):
            import umap
            _, d, nn = v.split("-")
            Z = np.zeros((len(X), int(d)), np.float32)
            Z[keep] = umap.UMAP(n_components=int(d), n_neighbors=int(nn), min_dist=0.0, metric="cosine",
                                random_state=0).fit_transform(X[keep])
        dt = time.time() - t
        lab, _ = kmeans(Z, K[name], seed=0)
        if v.startswith("umap"):
            lab = np.where(keep, lab, -1)
        print(json.dumps({"corpus": name, "variant": v, "s": round(dt, 1), **score(labels, lab)}), flush=True)
