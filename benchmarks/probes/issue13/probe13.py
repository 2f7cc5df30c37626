"""Issue 13 probe 13: PPMI + truncated SVD word vectors (Levy, Goldberg & Dagan 2015) in place of skip-gram:
speed and quality of the default's word-vector block (SIF-pooled, joined with the cached tfidf-lsa block), seed 0."""
import json, pickle, sys, time
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
from gensim.models import KeyedVectors
from sklearn.utils.extmath import randomized_svd
from textcluster.cooccurrence import CooccurrenceCounter, ppmi
from textcluster.embed.pooling import DocumentEmbedder
from textcluster.embed.word2vec import auto_min_count

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8}


class Fitted:
    def __init__(self, kv): self.wv_ = kv


def ppmi_svd(toks, *, window=10, weighting="uniform", alpha=0.75, dim=100, p=0.5, shift=1.0, min_count=None, seed=0):
    n = sum(map(len, toks))
    cc = CooccurrenceCounter(window=window, min_count=min_count or auto_min_count(n), weighting=weighting).fit(toks)
    M = ppmi(cc.matrix_, alpha=alpha, shift=shift)
    k = min(dim, M.shape[0] - 1)
    U, S, _ = randomized_svd(M, k, n_iter=5, random_state=seed)
    V = (U * S ** p).astype(np.float32)
    kv = KeyedVectors(V.shape[1]); kv.add_vectors(cc.words_, V)
    return kv


VARIANTS = {
    "u-w10": {}, "h-w10": dict(weighting="harmonic"), "u-w5": dict(window=5), "u-w10-p0": dict(p=0.0),
    "u-w10-p1": dict(p=1.0), "u-w10-d300": dict(dim=300), "u-w10-a1": dict(alpha=1.0), "u-w10-shift5": dict(shift=5.0), "u-w10-shift2": dict(shift=2.0), "u-w10-shift3": dict(shift=3.0), "u-w10-shift10": dict(shift=10.0),
    "u-w10-shift5-d200": dict(shift=5.0, dim=200),
}
corpora = sys.argv[1].split(",")
variants = sys.argv[2].split(",") if len(sys.argv) > 2 else list(VARIANTS)
seeds = [int(x) for x in sys.argv[3].split(",")] if len(sys.argv) > 3 else [0]
for name in corpora:
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    lsa = np.load(f"{C}/{name}.tfidf-lsa.npy")
    for v, seed in [(v, s) for v in variants for s in seeds]:
        t = time.time()
        kv = ppmi_svd(toks, seed=seed, **VARIANTS[v])
        W = DocumentEmbedder(Fitted(kv), pooling="sif", refit=False).fit_transform(toks)
        dt = time.time() - t
        lab, _ = kmeans(concat(W, lsa), K[name], seed=seed)
        lab2, _ = kmeans(W, K[name], seed=seed)
        print(json.dumps({"corpus": name, "variant": v, "seed": seed, "s": round(dt, 1), "V": len(kv.index_to_key),
                          "ppmi+lsa": score(labels, lab), "ppmi": score(labels, lab2)["nmi"]}), flush=True)
