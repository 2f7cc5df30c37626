import os
import sys, time, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster.images import read_images
from textcluster.metrics import external_scores
from sklearn.decomposition import PCA
from sklearn.cluster import KMeans
import umap
from scipy.ndimage import gaussian_filter

S = read_images(os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + "/mnist", limit=3000)
X = S.X[:, 0]; y = S.labels
n = len(X)
def score(name, Z, t0):
    pred = KMeans(10, n_init=20, random_state=0).fit_predict(Z)
    m = external_scores(y, pred); print(f"{name}: ACC {m['acc']:.3f} NMI {m['nmi']:.3f} {time.time()-t0:.1f}s", flush=True)

def um(D=None, F=None, metric="cosine", nn=20):
    r = umap.UMAP(n_components=10, n_neighbors=nn, min_dist=0.0, metric=metric, random_state=0)
    return r.fit_transform(D if D is not None else F)

t0=time.time(); F = PCA(50, random_state=0).fit_transform(X.reshape(n,-1)); score("pca50-umap-cos", um(F=F), t0)
t0=time.time(); Xb = gaussian_filter(X, sigma=(0,1,1)); F = PCA(50, random_state=0).fit_transform(Xb.reshape(n,-1)); score("blur1-pca50-umap-cos", um(F=F), t0)

def shift_dist(X, r):
    A = X.reshape(n, -1); A = A / np.linalg.norm(A, axis=1, keepdims=True)
    best = np.full((n, n), -np.inf, dtype=np.float32)
    P = np.pad(X, ((0,0),(r,r),(r,r)))
    h, w = X.shape[1:]
    for dy in range(-r, r+1):
        for dx in range(-r, r+1):
            B = P[:, r+dy:r+dy+h, r+dx:r+dx+w].reshape(n, -1)
            B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-9)
            np.maximum(best, A @ B.T, out=best)
    S = np.maximum(best, best.T)
    return np.maximum(1 - S, 0)
for r in (1, 2):
    t0=time.time(); D = shift_dist(X, r); np.fill_diagonal(D, 0); print("dist", time.time()-t0)
    score(f"shift{r}-umap-precomp", um(D=D, metric="precomputed"), t0)
    Db = shift_dist(gaussian_filter(X, sigma=(0,1,1)), r); np.fill_diagonal(Db, 0)
    score(f"blur+shift{r}-umap-precomp", um(D=Db, metric="precomputed"), t0)
    from sklearn.cluster import SpectralClustering
    t0=time.time(); 
    pred = SpectralClustering(10, affinity="precomputed_nearest_neighbors", n_neighbors=10, random_state=0).fit_predict(D)
    m = external_scores(y, pred); print(f"shift{r}-spectral: ACC {m['acc']:.3f} NMI {m['nmi']:.3f} {time.time()-t0:.1f}s", flush=True)
