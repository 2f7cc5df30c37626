"""Dimensionality reduction between document vectors and clustering (named in :mod:`textcluster.registry`).

Every reducer is a scikit-learn transformer: :class:`Passthrough` (nothing), :class:`CappedPCA`,
:class:`UMAPReducer`, :class:`NeighbourSmoother` (the default before KMeans); the autoencoder reducers live in :mod:`textcluster.nn`.
"""
from __future__ import annotations

import logging

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from .errors import InputError, check_fitted, check_number
from .neighbours import knn_cosine, place_by_neighbours, unit_rows
from .registry import LARGE_N

__all__ = ["Passthrough", "CappedPCA", "pca", "UMAPReducer", "NeighbourSmoother"]


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


def pca(**params) -> CappedPCA:
    """The ``pca`` reducer: 50 components (capped by the data)."""
    return CappedPCA(**{"n_components": 50, **params})


class Passthrough(TransformerMixin, BaseEstimator):
    """No reduction: ``transform(X)`` returns ``X`` as float32 (the ``"passthrough"`` reducer)."""

    def fit(self, X, y=None) -> "Passthrough":
        import numpy as np

        self.n_features_in_ = np.shape(X)[1] if np.ndim(X) == 2 else None
        return self

    def transform(self, X):
        import numpy as np

        check_fitted(self, "n_features_in_")
        return np.asarray(X, dtype=np.float32)


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

        check_fitted(self, "embedding_")
        X = np.asarray(X, dtype=np.float32)
        if self.embedding_ is self.train_ or self.embedding_.shape == self.train_.shape and \
                np.shares_memory(self.embedding_, self.train_):
            return X
        euclidean = self.metric == "euclidean"  # otherwise cosine
        T = self.train_ if euclidean else unit_rows(self.train_)
        t2 = (T * T).sum(1) if euclidean else None
        k = min(self.n_neighbors, len(T))
        out = np.empty((len(X), self.embedding_.shape[1]), dtype=np.float32)
        for s in range(0, len(X), 1024):
            if euclidean:  # distances (b, n)
                B = X[s:s + 1024]
                D = np.sqrt(np.maximum((B * B).sum(1)[:, None] + t2[None, :] - 2.0 * (B @ T.T), 0.0))
            else:
                D = 1.0 - unit_rows(X[s:s + 1024]) @ T.T
            idx = np.argpartition(D, k - 1, axis=1)[:, :k]
            out[s:s + 1024] = place_by_neighbours(idx, np.take_along_axis(D, idx, axis=1), self.embedding_)
        return out


class NeighbourSmoother(TransformerMixin, BaseEstimator):
    """Each document vector moved towards its nearest neighbours among the training vectors, before KMeans.

    ``y = unit(unit(x) + alpha * mean of the n_neighbors training vectors nearest to x)`` (cosine; a training
    document is among its own neighbours, so predicting the training documents reproduces their vectors). A
    document's near neighbours mostly share its topic while its own words are a noisy sample of it, so the
    mean pulls it towards its topic; this cheap graph smoothing raised the default's NMI on all five labelled
    corpora (docs/benchmarks.md, "How the default was chosen"). It is the default reducer before KMeans.

    Parameters
    ----------
    n_neighbors : int or "auto"
        "auto": ``min(10, max(2, n // (4 k)))``: at most a quarter of an average cluster (``k`` clusters of
        ``n`` documents), so small clusters keep their own neighbourhoods; 10 without ``k``.
    alpha : float
        Weight of the neighbours' mean against the vector itself.
    k : int or None
        Number of clusters (set by the TextClusterer).
    max_rows : int
        Above this many training rows the vectors pass unchanged: an exact neighbour search grows with the
        square of the collection (``skipped_`` says so). Default ``registry.LARGE_N``, where KMeans becomes
        MiniBatchKMeans.

    Attributes
    ----------
    train_ : float32 (m, d), the unit-length non-zero training vectors (m = 0 when skipped)
    n_neighbors_ : int
    skipped_ : bool
    """

    def __init__(self, *, n_neighbors: int | str = "auto", alpha: float = 1.0, k: int | None = None,
                 max_rows: int = LARGE_N):
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.k = k
        self.max_rows = max_rows

    def fit(self, X, y=None) -> "NeighbourSmoother":
        """Keep the unit-length non-zero rows of ``X`` (n, d) as the neighbours' reference set."""
        import numpy as np

        if self.n_neighbors != "auto" and (not isinstance(self.n_neighbors, (int, np.integer))
                                           or isinstance(self.n_neighbors, bool) or self.n_neighbors < 1):
            raise InputError(f"n_neighbors must be 'auto' or an int >= 1, got {self.n_neighbors!r}")
        check_number("alpha", self.alpha, minimum=0)
        if not hasattr(X, "shape"):  # a list of rows; arrays and memmaps are not copied here
            X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise InputError(f"expected a 2-d array of vectors, got shape {X.shape}")
        n, d = X.shape
        self.n_features_in_ = d
        self.skipped_ = n > self.max_rows
        if self.skipped_:
            logging.getLogger(__name__).info("neighbour smoothing skipped: %d rows > max_rows=%d", n, self.max_rows)
            self.train_ = np.zeros((0, d), dtype=np.float32)
            self.n_neighbors_ = 0
            return self
        X = np.asarray(X, dtype=np.float32)
        self.train_ = unit_rows(X[np.any(X != 0, axis=1)])
        if self.n_neighbors == "auto":
            nn = 10 if not self.k else min(10, max(2, n // (4 * int(self.k))))
        else:
            nn = int(self.n_neighbors)
        self.n_neighbors_ = min(nn, len(self.train_))
        return self

    def transform(self, X):
        """Smoothed vectors (m, d) float32 of ``X`` (m, d); zero rows stay zero."""
        import numpy as np

        check_fitted(self, "train_")
        X = np.asarray(X, dtype=np.float32)
        if self.skipped_ or self.n_neighbors_ < 1:
            return X
        out = np.zeros(X.shape, dtype=np.float32)
        rows = np.flatnonzero(np.any(X != 0, axis=1))
        for s in range(0, len(rows), 4096):
            r = rows[s:s + 4096]
            Q = unit_rows(X[r])
            idx, _ = knn_cosine(Q, self.train_, self.n_neighbors_, exclude_self=False)
            out[r] = unit_rows(Q + float(self.alpha) * self.train_[idx].mean(axis=1))
        return out
