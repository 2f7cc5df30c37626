"""Issue 13 probe 9: the new default embedder (word2vec w10, auto sample, + tfidf-lsa) at fewer epochs, 2 seeds."""
import json, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, kmeans, score
from textcluster.registry import make_embedder, DEFAULT_EMBEDDER

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}
for name in sys.argv[1].split(","):
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    for epochs in sys.argv[2].split(","):
        for seed in (0, 1):
            t = time.time()
            emb = make_embedder(DEFAULT_EMBEDDER, random_state=seed, **({} if epochs == "auto" else {"epochs": int(epochs)}))
            X = emb.fit_transform(toks)
            dt = time.time() - t
            lab, _ = kmeans(X, K[name], seed=seed)
            w = emb.embedders_[0].word_embedder_
            print(json.dumps({"corpus": name, "epochs": w.epochs_, "sample": w.sample_, "seed": seed, "embed_s": round(dt, 1), **score(labels, lab)}), flush=True)
