"""Issue 13 probe 12: NMI after each self-training round (refined-kmeans, keep 0.8, C 1) with its drift (ARI to the
start), to judge a drift guard; seed 0, cached word2vec(window 10)+tfidf-lsa vectors."""
import json, sys
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, score
from textcluster.refine import SelfTrainingClusterer

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}
for name in sys.argv[1].split(","):
    texts, labels, lang = load(name)
    X = concat(np.load(f"{C}/{name}.w2v-sif-win10.npy"), np.load(f"{C}/{name}.tfidf-lsa.npy"))
    keep = np.any(X != 0, axis=1)
    for r in range(0, 6):
        m = SelfTrainingClusterer(k=K[name], rounds=r, tol=0.0, random_state=0).fit(X[keep])
        lab = np.full(len(X), -1); lab[keep] = m.labels_
        h = m.history_[-1] if m.history_ else {}
        print(json.dumps({"corpus": name, "round": r, "nmi": score(labels, lab)["nmi"],
                          "ari_to_start": h.get("agreement_with_start", 1.0)}), flush=True)
