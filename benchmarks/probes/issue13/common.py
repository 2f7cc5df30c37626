import gzip, json, os, pickle, time, fcntl
import numpy as np
from sklearn.cluster import KMeans
from textcluster.metrics import external_scores

D = "/work/shared/data"
CORPORA = {
    "20ng": (f"{D}/20newsgroups/20newsgroups-stripped.jsonl.gz", "en"),
    "r8": (f"{D}/reuters_r8/reuters_r8.jsonl.gz", "en"),
    "googlenews": (f"{D}/googlenews_ts/googlenews_ts.jsonl.gz", "en"),
    "tweet": (f"{D}/tweet/tweet.jsonl.gz", "en"),
    "topics-en": ("/work/main/corpora/topics-en.jsonl", "en"),
    "topics-de": ("/work/main/corpora/topics-de.jsonl", "de"),
}
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = f"{HERE}/cache"
RES = f"{HERE}/results.json"


def load(name):
    path, lang = CORPORA[name]
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt") as f:
        recs = [json.loads(l) for l in f if l.strip()]
    texts = [r["text"] for r in recs]
    labels = np.array([str(r["label"]) for r in recs])
    return texts, labels, lang


def tokens(name, texts, lang):
    p = f"{CACHE}/{name}.tokens.pkl"
    if os.path.exists(p):
        return pickle.load(open(p, "rb")), None
    from textcluster import SpacyTokenizer
    t = time.time()
    toks = SpacyTokenizer(lang=lang).fit().transform(texts)
    dt = time.time() - t
    pickle.dump(toks, open(p, "wb"))
    return toks, dt


def vec_cache(name, key, fn):
    p = f"{CACHE}/{name}.{key}.npy"
    if os.path.exists(p):
        return np.load(p), None
    t = time.time()
    X = np.asarray(fn(), dtype=np.float32)
    dt = time.time() - t
    np.save(p, X)
    return X, dt


def unit(X):
    X = np.asarray(X, dtype=np.float64).copy()
    n = np.linalg.norm(X, axis=1); ok = n > 0
    X[ok] /= n[ok, None]
    return X


def concat(*blocks, weights=None):
    w = weights or [1.0] * len(blocks)
    return unit(np.hstack([unit(b) * np.sqrt(wi) for b, wi in zip(blocks, w)])).astype(np.float32)


def kmeans(X, k, seed=0, n_init=10, drop_empty=True):
    """like the library: zero rows get -1 and are left out."""
    X = np.asarray(X)
    keep = np.any(X != 0, axis=1) if drop_empty else np.ones(len(X), bool)
    km = KMeans(k, n_init=n_init, random_state=seed).fit(X[keep])
    lab = np.full(len(X), -1); lab[keep] = km.labels_
    return lab, km


def score(labels, pred):
    s = external_scores(labels, pred)
    return {"nmi": round(s["nmi"], 4), "acc": round(s["acc"], 4), "ari": round(s["ari"], 4)}


def record(corpus, pipeline, **vals):
    with open(RES + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        R = json.load(open(RES)) if os.path.exists(RES) else {}
        R.setdefault(corpus, {})[pipeline] = vals
        json.dump(R, open(RES + ".tmp", "w"), indent=1); os.replace(RES + ".tmp", RES)
    print(f"{corpus:11s} {pipeline:45s} " + " ".join(f"{k}={v}" for k, v in vals.items()), flush=True)
