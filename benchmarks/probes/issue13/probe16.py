"""Issue 13 probe 16 (item 4): GloVe and DeepWalk word vectors on R8 (and any corpus given), alone and joined
with the cached tfidf-lsa block, beside ppmi, SIF pooling, KMeans; seed 0, the library defaults of each trainer."""
import json, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
from textcluster.registry import make_embedder

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}
for name in sys.argv[1].split(","):
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    lsa = np.load(f"{C}/{name}.tfidf-lsa.npy")
    print(json.dumps({"corpus": name, "variant": "tfidf-lsa", **score(labels, kmeans(lsa, K[name])[0])}), flush=True)
    for trainer in sys.argv[2].split(","):
        t = time.time()
        W = make_embedder(trainer, random_state=0).fit_transform(toks)
        dt = time.time() - t
        print(json.dumps({"corpus": name, "variant": trainer, "s": round(dt, 1), "alone": score(labels, kmeans(W, K[name])[0]),
                          "+lsa": score(labels, kmeans(concat(W, lsa), K[name])[0])}), flush=True)
