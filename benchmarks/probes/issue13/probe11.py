"""Issue 13 probe 11: SelfTrainingClusterer (refined-kmeans) vs KMeans on the cached default-like vectors, seed 0."""
import json, sys
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, score
from textcluster.cluster import KMeansClusterer
from textcluster.refine import SelfTrainingClusterer

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}
for name in sys.argv[1].split(","):
    texts, labels, lang = load(name)
    X = concat(np.load(f"{C}/{name}.w2v-sif-win10.npy"), np.load(f"{C}/{name}.tfidf-lsa.npy"))
    keep = np.any(X != 0, axis=1)
    def full(lab):
        out = np.full(len(X), -1); out[keep] = lab; return out
    base = KMeansClusterer(K[name], random_state=0).fit(X[keep])
    print(json.dumps({"corpus": name, "method": "kmeans", **score(labels, full(base.labels_))}), flush=True)
    for kp in (0.5, 0.8):
        for Cc in (1.0, 10.0):
            r = SelfTrainingClusterer(k=K[name], rounds=5, keep=kp, C=Cc, random_state=0).fit(X[keep])
            print(json.dumps({"corpus": name, "method": f"refined keep={kp} C={Cc}", **score(labels, full(r.labels_)), "history": r.history_}), flush=True)
