"""2-D projections of vectors for maps: :class:`MapProjector` and :func:`project`.

The default projection (``method="graph"``) is a small UMAP-like layout in numpy (torch for large
k-nearest-neighbour searches): PCA to at most 50 dimensions, an exact cosine k-nearest-neighbour graph with
UMAP's fuzzy edge weights, then 100-200 batched gradient steps that pull graph neighbours together and push
random pairs apart. It laid out the 18,846 vectors of 20 Newsgroups in 4 s (5 CPU s) on two cores (see
docs/benchmarks.md). Larger collections are laid out on a random sample of ``max_layout_points`` and the
other points are placed at the weighted mean of their nearest laid-out neighbours. ``method="umap"`` uses
umap-learn (``pip install umap-learn``), ``"tsne"`` scikit-learn's t-SNE, ``"pca"`` the first two principal
components.
"""
from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import InputError, check_int
from ..neighbours import knn_cosine

__all__ = ["MapProjector", "project", "normalise", "pca", "PROJECTIONS"]

logger = logging.getLogger(__name__)

#: names accepted by ``MapProjector(method=...)``.
PROJECTIONS = ("graph", "umap", "tsne", "pca")

# UMAP's curve 1 / (1 + a d^(2b)) for min_dist=0.1, spread=1 (umap.umap_.find_ab_params).
_A, _B = 1.577, 0.8951


def normalise(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows become one extra unit axis (alike, far from the rest)."""
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    zero = norms[:, 0] == 0
    out = X / np.where(norms > 0, norms, 1)
    if zero.any():
        out = np.hstack([out, zero[:, None].astype(np.float32)])
    return out


def _fuzzy_graph(knn_idx: np.ndarray, knn_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UMAP's fuzzy simplicial set: per-point bandwidth so weights sum to log2(k), then fuzzy union.

    Returns (heads, tails, weights) of the symmetric graph, each edge once.
    """
    from scipy.sparse import coo_matrix

    n, k = knn_idx.shape
    rho = knn_dist[:, 0:1]
    d = np.maximum(knn_dist - rho, 0.0).astype(np.float64)
    target = np.log2(k)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    sigma = np.ones(n)
    for _ in range(48):  # vectorised binary search for sigma
        s = np.exp(-d / sigma[:, None]).sum(axis=1)
        too_big = s > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    sigma = np.maximum(sigma, 1e-3 * max(float(d.mean()), 1e-12))
    w = np.exp(-d / sigma[:, None]).ravel()
    A = coo_matrix((w, (np.repeat(np.arange(n), k), knn_idx.ravel())), shape=(n, n)).tocsr()
    A.sum_duplicates()
    At = A.T.tocsr()
    G = (A + At - A.multiply(At)).tocoo()
    keep = G.row < G.col
    return G.row[keep].astype(np.int64), G.col[keep].astype(np.int64), G.data[keep].astype(np.float32)


def _graph_layout(P: np.ndarray, *, n_neighbors: int, n_epochs: int, negative: int, seed: int) -> np.ndarray:
    """Lay out the rows of ``P`` (n, d) in 2-D with UMAP's attraction/repulsion, one batch step per epoch.

    Every epoch samples each graph edge with probability equal to its weight, pulls its ends together and
    pushes both ends away from ``negative`` random points each (UMAP's gradients for min_dist=0.1, each
    term clipped to +-4), with a learning rate falling linearly from 1 to 0.
    """
    n = len(P)
    k = int(min(n_neighbors, n - 1))
    Pn = normalise(P)
    knn_idx, knn_dist = knn_cosine(Pn, Pn, k, exclude_self=True)
    heads, tails, weights = _fuzzy_graph(knn_idx, knn_dist)
    weights = weights / weights.max()
    rng = np.random.default_rng(seed)
    # Initialise with the first two principal components, scaled to a box of +-10 (UMAP's "pca" init).
    Y = pca(Pn, 2)
    Y = 10.0 * Y / np.maximum(np.abs(Y).max(axis=0), 1e-12)
    Y += rng.normal(scale=1e-4, size=Y.shape).astype(np.float32)
    for epoch in range(n_epochs):
        alpha = 1.0 - epoch / n_epochs
        sample = rng.random(len(weights), dtype=np.float32) < weights
        h, t = heads[sample], tails[sample]
        diff = Y[h] - Y[t]
        d2 = np.maximum(np.einsum("ij,ij->i", diff, diff), 1e-12)
        d2b = d2 ** _B
        coeff = (-2.0 * _A * _B) * d2b / d2 / (1.0 + _A * d2b)
        g_att = np.clip(coeff[:, None] * diff, -4.0, 4.0)
        src = np.repeat(np.concatenate([h, t]), negative)
        neg = rng.integers(0, n, size=len(src))
        ndiff = Y[src] - Y[neg]
        nd2 = np.einsum("ij,ij->i", ndiff, ndiff)
        ncoeff = (2.0 * _B) / ((0.001 + nd2) * (1.0 + _A * nd2 ** _B))
        ncoeff[src == neg] = 0.0
        g_rep = np.clip(ncoeff[:, None] * ndiff, -4.0, 4.0)
        upd = np.empty_like(Y)
        for dim in range(2):
            upd[:, dim] = (np.bincount(h, g_att[:, dim], minlength=n) - np.bincount(t, g_att[:, dim], minlength=n)
                           + np.bincount(src, g_rep[:, dim], minlength=n))
        Y += alpha * np.clip(upd, -4.0, 4.0)
    return Y


def _place_by_neighbours(P_all: np.ndarray, P_ref: np.ndarray, Y_ref: np.ndarray, *, k: int = 10
                         ) -> np.ndarray:
    """2-D positions for rows of ``P_all``: similarity-weighted mean of their ``k`` nearest reference points."""
    both = normalise(np.vstack([P_all, P_ref]))  # one call, so zero rows get the same extra axis
    idx, dist = knn_cosine(both[:len(P_all)], both[len(P_all):], min(k, len(P_ref)), exclude_self=False)
    w = np.exp(-(dist - dist[:, :1]) / np.maximum(dist.std(axis=1, keepdims=True), 1e-6))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", w, Y_ref[idx]).astype(np.float32)


def pca(X: np.ndarray, n_components: int) -> np.ndarray:
    """First ``n_components`` principal components by an eigendecomposition of the (d, d) covariance."""
    Xc = X.astype(np.float64) - X.mean(axis=0)
    vals, vecs = np.linalg.eigh(Xc.T @ Xc)
    vecs = vecs[:, ::-1][:, :n_components]
    vecs *= np.where(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])] < 0, -1, 1)  # fixed signs
    return (Xc @ vecs).astype(np.float32)


class MapProjector(TransformerMixin, BaseEstimator):
    """Project vectors to 2-D for a map.

    Parameters
    ----------
    method : {"graph", "umap", "tsne", "pca"}
        ``"graph"`` (default): a numpy UMAP-like layout, fast and dependency-free (see module docstring).
        ``"umap"``: umap-learn (``pip install umap-learn``). ``"tsne"``: scikit-learn t-SNE (slow on large
        collections). ``"pca"``: first two principal components (instant, crowded).
    n_neighbors : int
        Neighbours in the k-NN graph ("graph", "umap"); larger keeps more global structure.
    n_epochs : int or "auto"
        Layout steps ("graph"): "auto" = 200 up to 5,000 points, then fewer, down to 100 from 50,000.
    negative : int
        Random repulsion partners per edge and step ("graph").
    pca_components : int
        Vectors are first reduced to at most this many principal components.
    max_layout_points : int
        "graph"/"umap"/"tsne" lay out at most this many points (a random sample); the others are placed at
        the weighted mean of their nearest laid-out neighbours.
    random_state : int or None
        Seed for the sample, the initialisation and the layout steps.

    Attributes
    ----------
    embedding_ : float32 array (n, 2)
    method_ : str, the method used
    """

    def __init__(self, method: str = "graph", *, n_neighbors: int = 15, n_epochs: int | str = "auto",
                 negative: int = 3, pca_components: int = 50, max_layout_points: int = 30_000,
                 random_state: int | None = 0):
        self.method = method
        self.n_neighbors = n_neighbors
        self.n_epochs = n_epochs
        self.negative = negative
        self.pca_components = pca_components
        self.max_layout_points = max_layout_points
        self.random_state = random_state

    def _validate(self, X) -> np.ndarray:
        if self.method not in PROJECTIONS:
            raise InputError(f"method={self.method!r} is not a projection; choose one of {', '.join(PROJECTIONS)}")
        for name, lo in (("n_neighbors", 2), ("negative", 1), ("pca_components", 2), ("max_layout_points", 10)):
            check_int(name, getattr(self, name), minimum=lo)
        if self.n_epochs != "auto" and (not isinstance(self.n_epochs, (int, np.integer)) or self.n_epochs < 1):
            raise InputError(f"n_epochs must be 'auto' or an int >= 1, got {self.n_epochs!r}")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) < 1:
            raise InputError(f"X must be a 2-D array with at least one row to project, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise InputError("X contains NaN or infinite values; clean or impute them before projecting")
        return X

    def fit(self, X, y=None) -> "MapProjector":
        """Compute the 2-D layout of ``X`` (n, d); result in ``embedding_`` (n, 2) float32."""
        X = self._validate(X)
        rng = np.random.default_rng(self.random_state)
        n, d = X.shape
        if d > self.pca_components and self.method != "pca":
            X = pca(X, self.pca_components)
        if self.method == "pca" or d <= 2 or n < 5:  # a handful of points: a layout has nothing to learn
            Y = self._pca2(X)
        else:
            sample = np.sort(rng.choice(n, self.max_layout_points, replace=False)) \
                if n > self.max_layout_points else None
            Xs = X if sample is None else X[sample]
            Ys = self._layout(Xs, rng)
            Y = Ys if sample is None else _place_by_neighbours(X, Xs, Ys)
            if sample is not None:
                Y[sample] = Ys
        self.embedding_ = np.ascontiguousarray(Y, dtype=np.float32)
        self.method_ = self.method
        logger.info("map projection: %s of %d x %d vectors", self.method, n, d)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        return self.fit(X).embedding_

    @staticmethod
    def _pca2(X: np.ndarray) -> np.ndarray:
        if X.shape[1] <= 2:
            return np.pad(X, ((0, 0), (0, 2 - X.shape[1])))
        return pca(X, 2)

    def _layout(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(X)
        seed = int(rng.integers(2**31 - 1))
        if self.method == "umap":
            try:
                import umap
            except ImportError as exc:
                raise InputError("method='umap' needs umap-learn: pip install umap-learn "
                                 "(or use the default method='graph')") from exc
            return umap.UMAP(n_neighbors=min(self.n_neighbors, n - 1), metric="cosine", random_state=seed,
                             n_jobs=1).fit_transform(X)  # a seed makes umap single-threaded anyway
        if self.method == "tsne":
            from sklearn.manifold import TSNE
            return TSNE(perplexity=min(30.0, (n - 1) / 3), init="pca", metric="cosine",
                        random_state=seed).fit_transform(X)
        epochs = self.n_epochs
        if epochs == "auto":  # 200 up to 5,000 points, ~135 at 20,000, 100 from 50,000
            epochs = int(max(100, min(200, 200 * (5_000 / n) ** 0.3)))
        return _graph_layout(X, n_neighbors=self.n_neighbors, n_epochs=int(epochs), negative=self.negative,
                             seed=seed)


def project(X, method: str = "graph", *, random_state: int | None = 0, **params) -> np.ndarray:
    """2-D coordinates (n, 2) float32 of the rows of ``X`` (n, d); see :class:`MapProjector`."""
    return MapProjector(method, random_state=random_state, **params).fit_transform(X)
