import sys, numpy as np, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster.datasets import load_digits
from textcluster.nn.clustergan import ClusterGAN
from textcluster.metrics import external_scores
from sklearn.cluster import KMeans
ds = load_digits()
X = ds.X.reshape(len(ds.X), -1); y = ds.labels
for seed in (0, 1, 2):
    t = time.time()
    m = ClusterGAN(10, input_shape=ds.X.shape[1:], lr=1e-3, random_state=seed, device="cpu").fit(X)
    Z = m.transform(X); L = m.latent_dim
    res = {"kmeans[zn,zc] (default)": m.labels_, "argmax zc": Z[:, L:].argmax(1)}
    for tag, F in (("kmeans zc", Z[:, L:]), ("kmeans zn", Z[:, :L]), ("kmeans [zn, 3*zc]", np.hstack([Z[:, :L], 3 * Z[:, L:]]))):
        res[tag] = KMeans(10, n_init=20, random_state=seed).fit_predict(F)
    print(seed, f"{time.time()-t:.0f}s", {k: round(external_scores(y, v)["acc"], 3) for k, v in res.items()}, flush=True)
