"""Issue 13 probe: what clusters the default's document vectors better than smoothing + KMeans?"""
import gzip, json, sys, time, os
import numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster.pipeline import TextClusterer
from textcluster.reduce import NeighbourSmoother
from textcluster.neighbours import knn_cosine, unit_rows
from textcluster.metrics import external_scores
from sklearn.cluster import KMeans
from scipy.sparse import coo_matrix
from sklearn.manifold import spectral_embedding

D = os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + ""
CORPORA = {"20ng": f"{D}/20newsgroups/20newsgroups-stripped.jsonl.gz", "r8": f"{D}/reuters_r8/reuters_r8.jsonl.gz",
           "gn": f"{D}/googlenews_ts/googlenews_ts.jsonl.gz"}
which = sys.argv[1:] or list(CORPORA)
for name in which:
    rows = [json.loads(l) for l in gzip.open(CORPORA[name], "rt")]
    texts, y = [r["text"] for r in rows], [str(r["label"]) for r in rows]
    k = len(set(y))
    cache = f"/tmp/textcluster-probes-{name}.npy"
    if os.path.exists(cache):
        V = np.load(cache)
    else:
        m = TextClusterer(k=k, reducer="none", n_process=2).fit(texts)
        V = np.asarray(m.vectors_, dtype=np.float32); np.save(cache, V)
    V = unit_rows(V)
    def score(tag, Z, seeds=(0, 1, 2)):
        nm = [external_scores(y, KMeans(k, n_init=10, random_state=s).fit_predict(Z))["nmi"] for s in seeds]
        print(f"{name} {tag}: NMI {np.mean(nm):.3f} ({' '.join(f'{v:.3f}' for v in nm)})", flush=True)
    t = time.time(); S = NeighbourSmoother(k=k).fit(V).transform(V); score("smooth (default)", S)
    for nn in (10, 15):
        idx, dist = knn_cosine(V, V, nn, exclude_self=True)
        n = len(V)
        W = coo_matrix((np.maximum(1 - dist.ravel(), 0), (np.repeat(np.arange(n), nn), idx.ravel())), shape=(n, n)).tocsr()
        W = W.maximum(W.T)
        for dims in (k, 2 * k):
            E = spectral_embedding(W, n_components=dims, random_state=0, drop_first=True)
            score(f"spectral nn={nn} dims={dims}", unit_rows(E))
            score(f"spectral nn={nn} dims={dims} + smoothed concat", np.hstack([unit_rows(E), S]))
