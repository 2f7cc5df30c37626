import os
import gzip, json, sys, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster.reduce import NeighbourSmoother
from textcluster.neighbours import knn_cosine, unit_rows
from textcluster.metrics import external_scores
from sklearn.cluster import KMeans
y = [str(json.loads(l)["label"]) for l in gzip.open(os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + "/20newsgroups/20newsgroups-stripped.jsonl.gz", "rt")]
V = unit_rows(np.load("/tmp/textcluster-probes-20ng.npy")); k = 20
def score(tag, Z, n_init=10):
    nm = [external_scores(y, KMeans(k, n_init=n_init, random_state=s).fit_predict(Z))["nmi"] for s in (0, 1, 2)]
    print(f"{tag}: {np.mean(nm):.3f} ({' '.join(f'{v:.3f}' for v in nm)})", flush=True)
S = NeighbourSmoother(k=k).fit(V).transform(V)
score("default smooth n_init 100", S, 100)
pass
idx, dist = knn_cosine(V, V, 30, exclude_self=False)
sim = 1 - dist
for nn in (10, 20, 30):
    for a in (1.0, 2.0):
        w = np.maximum(sim[:, :nn], 0) ** 2
        M = (w[:, :, None] * V[idx[:, :nn]]).sum(1) / np.maximum(w.sum(1, keepdims=True), 1e-12)
        score(f"sim^2-weighted nn={nn} alpha={a}", unit_rows(V + a * M))
# spherical kmeans from default init
def skm(Z, seed, iters=30):
    km = KMeans(k, n_init=10, random_state=seed).fit(Z); C = unit_rows(km.cluster_centers_)
    for _ in range(iters):
        lab = (Z @ C.T).argmax(1)
        C = unit_rows(np.stack([Z[lab == c].sum(0) if (lab == c).any() else C[c] for c in range(k)]))
    return lab
nm = [external_scores(y, skm(S, s))["nmi"] for s in (0, 1, 2)]
print("spherical kmeans on smoothed:", np.mean(nm), nm)
