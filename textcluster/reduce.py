"""Optional dimensionality reduction between document vectors and clustering.

``make_reducer(name)`` returns a scikit-learn transformer, or None for ``"none"``.
"""
from __future__ import annotations

import logging

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from .errors import InputError

__all__ = ["make_reducer", "REDUCERS", "UMAPReducer", "resolve_reducer"]


class CappedPCA(PCA):
    """scikit-learn PCA whose integer ``n_components`` is capped at min(n_samples, n_features) in ``fit``.

    A corpus of 10 documents with ``reduce="pca"`` (50 components) then gives 10 components instead of a
    ValueError; the cap is logged. ``n_components_`` holds the number actually used.
    """

    def fit_transform(self, X, y=None):
        import numpy as np

        requested = self.n_components
        cap = min(np.shape(X)) if np.ndim(X) == 2 else None
        if isinstance(requested, (int, np.integer)) and not isinstance(requested, bool) and cap \
                and requested > cap:
            logging.getLogger(__name__).warning("PCA: %d components requested, %d samples x features allow "
                                                "%d; using %d", requested, np.shape(X)[0], cap, cap)
            self.n_components = cap
            try:
                return super().fit_transform(X, y)
            finally:
                self.n_components = requested
        return super().fit_transform(X, y)

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self


def _pca(n_components: int = 50, random_state: int | None = 0, **params):
    return CappedPCA(n_components=n_components, random_state=random_state, **params)


def _ae(n_components: int = 10, random_state: int | None = 0, **params):
    """Autoencoder reducer (:class:`textcluster.nn.AutoEncoder`); torch loads on first fit."""
    from .nn import AutoEncoder

    return AutoEncoder(n_components=n_components, random_state=random_state, **params)


def _vae(n_components: int = 10, random_state: int | None = 0, beta: float = 0.01, **params):
    """VAE reducer (:class:`textcluster.nn.VAE`, posterior mean as output); torch loads on first fit.

    ``beta`` defaults to 0.01 here (the VAE class's own default is 1): on pooled document vectors the full KL
    weight collapses most latent dimensions (20 Newsgroups, KMeans NMI 0.394 vs 0.453 unreduced), while
    0.01 keeps the clusters (0.452 vs 0.450, mean of 3 seeds; docs/benchmarks.md).
    """
    from .nn import VAE

    return VAE(n_components=n_components, random_state=random_state, beta=beta, **params)


class UMAPReducer(TransformerMixin, BaseEstimator):
    """UMAP (umap-learn) down to a few dimensions, the usual preparation for density clustering (HDBSCAN).

    New points are placed at the distance-weighted mean of the coordinates of their ``n_neighbors`` nearest
    training points (cosine, or Euclidean with ``metric="euclidean"``); a training point maps to its own coordinates. The fitted state is therefore two
    arrays, saved without pickle, and predicting the training documents reproduces their coordinates.

    Parameters
    ----------
    n_components, n_neighbors, min_dist, metric : see :class:`umap.UMAP` (BERTopic's defaults: 5, 15, 0.0, cosine).
    random_state : int or None
        Seed; with a seed umap runs single-threaded and is reproducible.

    Attributes
    ----------
    train_ : float32 array (n, d) -- the training vectors
    embedding_ : float32 array (n, n_components) -- their UMAP coordinates (``train_`` itself when the
        collection is too small for UMAP, under 20 points)
    """

    def __init__(self, *, n_components: int = 5, n_neighbors: int = 15, min_dist: float = 0.0,
                 metric: str = "cosine", random_state: int | None = 0):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state

    def fit(self, X, y=None) -> "UMAPReducer":
        import warnings

        import numpy as np

        X = np.asarray(X, dtype=np.float32)
        self.train_ = X
        if X.shape[0] < max(20, self.n_components + 2):
            logging.getLogger(__name__).warning("UMAP skipped: %d points are too few; clustering the vectors "
                                                "as they are", X.shape[0])
            self.embedding_ = X
            return self
        try:
            import umap
        except ImportError:
            raise InputError("reduce='umap' needs umap-learn: pip install umap-learn") from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = umap.UMAP(n_components=self.n_components, n_neighbors=min(self.n_neighbors, X.shape[0] - 1),
                              min_dist=self.min_dist, metric=self.metric, random_state=self.random_state,
                              n_jobs=1 if self.random_state is not None else -1)
            self.embedding_ = np.asarray(model.fit_transform(X), dtype=np.float32)
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).embedding_

    def transform(self, X):
        """Coordinates (m, n_components) of new vectors X (m, d)."""
        import numpy as np

        X = np.asarray(X, dtype=np.float32)
        if self.embedding_ is self.train_ or self.embedding_.shape == self.train_.shape and \
                np.shares_memory(self.embedding_, self.train_):
            return X
        def unit(A):
            n = np.linalg.norm(A, axis=1, keepdims=True)
            return A / np.where(n > 0, n, 1)
        euclidean = self.metric == "euclidean"  # otherwise cosine
        T = self.train_ if euclidean else unit(self.train_)
        t2 = (T * T).sum(1) if euclidean else None
        k = min(self.n_neighbors, len(T))
        out = np.empty((len(X), self.embedding_.shape[1]), dtype=np.float32)
        for s in range(0, len(X), 1024):
            if euclidean:  # distances (b, n)
                B = X[s:s + 1024]
                D = np.sqrt(np.maximum((B * B).sum(1)[:, None] + t2[None, :] - 2.0 * (B @ T.T), 0.0))
            else:
                D = 1.0 - unit(X[s:s + 1024]) @ T.T
            idx = np.argpartition(D, k - 1, axis=1)[:, :k]
            d = np.take_along_axis(D, idx, axis=1)
            w = 1.0 / np.maximum(d, 1e-6)
            w[d <= 1e-6] = 1e12  # an (almost) identical training point decides alone
            out[s:s + 1024] = (w[:, :, None] * self.embedding_[idx]).sum(1) / w.sum(1, keepdims=True)
        return out


def _umap(n_components: int = 5, random_state: int | None = 0, **params):
    return UMAPReducer(n_components=n_components, random_state=random_state, **params)


#: reducer name -> factory(n_components=..., random_state=..., **params); other reducers register here.
REDUCERS: dict = {"none": None, "pca": _pca, "umap": _umap, "ae": _ae, "vae": _vae}


def resolve_reducer(name: str, algorithm: str) -> str:
    """``"auto"`` -> ``"umap"`` for density clustering (HDBSCAN finds little structure in 100-d pooled vectors:
    2 clusters on 20 Newsgroups), ``"none"`` for the other algorithms; any other name unchanged."""
    if name != "auto":
        return name
    return "umap" if algorithm == "hdbscan" else "none"


def make_reducer(name: str, *, random_state: int | None = 0, **params):
    """Build the reducer ``name`` (see :data:`REDUCERS`); None means no reduction."""
    if name not in REDUCERS:
        raise InputError(f"unknown reducer {name!r}; choose one of {', '.join(REDUCERS)}")
    factory = REDUCERS[name]
    return None if factory is None else factory(random_state=random_state, **params)
