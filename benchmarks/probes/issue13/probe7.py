"""Issue 13 probe 7: word2vec speed/quality variants (joined with the cached tfidf-lsa block), seed 0."""
import json, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
from textcluster.registry import make_embedder

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}
VARIANTS = {
    "sg-w10": dict(window=10),
    "cbow-w10": dict(window=10, sg=0),
    "sg-w10-s1e-4": dict(window=10, sample=1e-4),
    "cbow-w10-s1e-4": dict(window=10, sg=0, sample=1e-4),
    "sg-w10-ep3": dict(window=10, epochs=3),
    "sg-w10-s1e-5": dict(window=10, sample=1e-5),
    "sg-w10-s1e-4-d64": dict(window=10, sample=1e-4, vector_size=64),
    "sg-w5-s1e-4": dict(window=5, sample=1e-4),
}
corpora = sys.argv[1].split(",")
variants = sys.argv[2].split(",") if len(sys.argv) > 2 else list(VARIANTS)
for name in corpora:
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    lsa = np.load(f"{C}/{name}.tfidf-lsa.npy")
    ntok = sum(map(len, toks))
    for v in variants:
        t = time.time()
        emb = make_embedder("word2vec", random_state=0, **VARIANTS[v])
        W = emb.fit_transform(toks)
        dt = time.time() - t
        lab, _ = kmeans(concat(W, lsa), K[name], seed=0)
        lab2, _ = kmeans(W, K[name], seed=0)
        print(json.dumps({"corpus": name, "variant": v, "tokens": ntok, "w2v_s": round(dt, 1),
                          "epochs": emb.word_embedder_.epochs_, "w2v+lsa": score(labels, lab), "w2v": score(labels, lab2)["nmi"]}), flush=True)
