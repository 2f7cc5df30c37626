import os
import sys, time, numpy as np, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster.images import read_images
from textcluster.metrics import external_scores
from sklearn.cluster import KMeans
import umap
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits

def shift_sim(X, r):
    n = len(X); A = X.reshape(n, -1); A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-9)
    best = np.full((n, n), -np.inf, dtype=np.float32)
    P = np.pad(X, ((0,0),(r,r),(r,r))); h, w = X.shape[1:]
    for dy in range(-r, r+1):
        for dx in range(-r, r+1):
            B = P[:, r+dy:r+dy+h, r+dx:r+dx+w].reshape(n, -1)
            B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-9)
            np.maximum(best, A @ B.T, out=best)
    S = np.maximum(best, best.T); D = np.maximum(1 - S, 0); np.fill_diagonal(D, 0); return D

def run(name, X, y, k, r, blur, nn, seed):
    t0 = time.time()
    Xb = gaussian_filter(X, sigma=(0, blur, blur)) if blur else X
    D = shift_sim(Xb, r) if r else None
    if D is None:
        Z = umap.UMAP(n_components=10, n_neighbors=nn, min_dist=0.0, metric="cosine", random_state=seed).fit_transform(Xb.reshape(len(X), -1))
    else:
        Z = umap.UMAP(n_components=10, n_neighbors=nn, min_dist=0.0, metric="precomputed", random_state=seed).fit_transform(D)
    pred = KMeans(k, n_init=20, random_state=seed).fit_predict(Z)
    m = external_scores(y, pred)
    print(f"{name} r={r} blur={blur} nn={nn} seed={seed}: ACC {m['acc']:.3f} NMI {m['nmi']:.3f} {time.time()-t0:.1f}s", flush=True)

umap.UMAP(n_components=2).fit_transform(np.random.rand(100, 5))  # jit warm-up
M = read_images(os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + "/mnist", limit=3000); F = read_images(os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + "/fashion-mnist", limit=3000)
d = load_digits(); DX = (d.data / 16.0).reshape(-1, 8, 8).astype(np.float32)
for seed in (0, 1, 2):
    for r, blur in ((1, 1.0), (2, 1.0), (1, 0)):
        run("mnist", M.X[:, 0], M.labels, 10, r, blur, 20, seed)
for nn in (10, 30):
    run("mnist", M.X[:, 0], M.labels, 10, 1, 1.0, nn, 0)
for seed in (0, 1):
    for r, blur in ((0, 0), (1, 1.0), (1, 0)):
        run("fashion", F.X[:, 0], F.labels, 10, r, blur, 20, seed)
        run("digits", DX, d.target, 10, r, blur * 0.5, 20, seed)
