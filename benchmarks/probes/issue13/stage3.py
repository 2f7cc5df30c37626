"""Refinement probes on cached document vectors: iterative classification (Rakib-style) and DEC-style self-training."""
import sys, time, os, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import normalized_mutual_info_score as NMI

def ident(t): return t

def tfidf(toks):
    n = len(toks); md = 5 if n >= 5000 else 2
    return TfidfVectorizer(analyzer=ident, lowercase=False, sublinear_tf=True, min_df=md, max_df=0.5).fit_transform(toks)

def iterclass(X, T, lab0, k, rounds=5, keep=0.6, feats="tfidf", seed=0, y=None, tag=""):
    """each round: per cluster keep the `keep` fraction closest to its centroid (outlier removal), train a linear
    classifier on them, reassign every other doc; training docs keep their label."""
    lab = lab0.copy(); valid = lab >= 0
    hist = []
    F = T if feats == "tfidf" else X
    for r in range(rounds):
        train = np.zeros(len(lab), bool)
        for c in range(k):
            idx = np.where(lab == c)[0]
            if len(idx) == 0: continue
            mu = X[idx].mean(0); s = X[idx] @ mu
            m = max(1, int(round(keep * len(idx))))
            train[idx[np.argsort(-s)[:m]]] = True
        clf = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=30, tol=None, random_state=seed) if F.shape[0] > 5000 else LogisticRegression(C=10, max_iter=300)
        clf.fit(F[train], lab[train])
        pred = clf.predict(F[valid])
        new = lab.copy(); new[valid] = pred; new[train] = lab[train]
        changed = float((new[valid] != lab[valid]).mean())
        drift = float(NMI(lab0[valid], new[valid]))
        lab = new
        h = {"round": r + 1, "nmi": round(float(NMI(y, lab)), 4), "changed": round(changed, 4), "nmi_vs_start": round(drift, 4), "clusters": int(len(set(lab[valid])))}
        hist.append(h)
    return lab, hist

def dec_centroids(X, km, iters=10, alpha=1.0, y=None):
    """DEC target distribution with fixed vectors: Q student-t, P = Q^2/f, centroids <- P-weighted means."""
    keep = np.any(X != 0, axis=1); Z = X[keep]
    mu = km.cluster_centers_.copy(); hist = []; lab_prev = None
    lab0 = km.labels_
    for it in range(iters):
        d2 = np.maximum((Z ** 2).sum(1)[:, None] - 2 * Z @ mu.T + (mu ** 2).sum(1)[None], 0)
        q = (1 + d2 / alpha) ** (-(alpha + 1) / 2); q /= q.sum(1, keepdims=True)
        p = q ** 2 / q.sum(0); p /= p.sum(1, keepdims=True)
        mu = (p.T @ Z) / p.sum(0)[:, None]
        lab = np.full(len(X), -1); lab[keep] = q.argmax(1)
        hist.append({"iter": it + 1, "nmi": round(float(NMI(y, lab)), 4), "changed_vs_start": round(float((q.argmax(1) != lab0).mean()), 4)})
    return lab, hist

def dec_linear(X, km, k, epochs=150, update=10, lr=1e-3, y=None, seed=0):
    import torch
    torch.manual_seed(seed)
    keep = np.any(X != 0, axis=1); Z = torch.tensor(X[keep], dtype=torch.float32)
    d = Z.shape[1]
    W = torch.nn.Parameter(torch.eye(d)); mu = torch.nn.Parameter(torch.tensor(km.cluster_centers_, dtype=torch.float32))
    opt = torch.optim.Adam([W, mu], lr=lr); hist = []; lab0 = km.labels_
    def Q():
        H = Z @ W; d2 = torch.cdist(H, mu) ** 2
        q = 1 / (1 + d2); return q / q.sum(1, keepdim=True)
    for e in range(epochs):
        if e % update == 0:
            with torch.no_grad():
                q = Q(); p = q ** 2 / q.sum(0); p = p / p.sum(1, keepdim=True)
        q = Q(); loss = (p * (torch.log(p + 1e-12) - torch.log(q + 1e-12))).sum(1).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        if (e + 1) % 30 == 0:
            with torch.no_grad(): a = Q().argmax(1).numpy()
            lab = np.full(len(X), -1); lab[keep] = a
            hist.append({"epoch": e + 1, "nmi": round(float(NMI(y, lab)), 4), "changed_vs_start": round(float((a != lab0).mean()), 4)})
    return lab, hist

if __name__ == "__main__":
    vec = sys.argv[1]  # e.g. "w2v-sif+tfidf-lsa"
    for name in sys.argv[2:]:
        texts, y, lang = load(name); k = len(set(y))
        toks, _ = tokens(name, texts, lang)
        blocks = [np.load(f"{CACHE}/{name}.{b}.npy") for b in vec.split("+")]
        X = concat(*blocks) if len(blocks) > 1 else unit(blocks[0]).astype(np.float32)
        t = time.time(); lab0, km = kmeans(X, k, 0); tk = time.time() - t
        base = score(y, lab0)
        record(name, f"{vec} | kmeans", **base, kmeans_s=round(tk, 1))
        T = tfidf(toks)
        for keep in [float(x) for x in os.environ.get('KEEPS', '0.5,0.8').split(',')]:
            t = time.time(); lab, hist = iterclass(X, T, lab0, k, rounds=5, keep=keep, y=y)
            record(name, f"{vec} | iterclass tfidf keep={keep}", **score(y, lab), seconds=round(time.time() - t, 1), rounds=hist)
        if os.environ.get('DENSE'):
          t = time.time(); lab, hist = iterclass(X, T, lab0, k, rounds=3, keep=0.5, feats="dense", y=y)
          record(name, f"{vec} | iterclass dense keep=0.5", **score(y, lab), seconds=round(time.time() - t, 1), rounds=hist)
        t = time.time(); lab, hist = dec_centroids(X, km, iters=10, y=y)
        record(name, f"{vec} | dec-centroids", **score(y, lab), seconds=round(time.time() - t, 1), iters=hist)
        t = time.time(); lab, hist = dec_linear(X, km, k, y=y)
        record(name, f"{vec} | dec-linear", **score(y, lab), seconds=round(time.time() - t, 1), iters=hist)
