"""Clusterers (named in :mod:`textcluster.registry`): KMeans (scikit-learn) and HDBSCAN (the ``hdbscan`` package).

Every clusterer is a scikit-learn estimator: ``fit(X)`` sets ``labels_`` (shape (n,), -1 = noise)
and ``predict(X_new)`` assigns new points.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .errors import InputError, check_fitted, check_k, check_vectors as _check_X

__all__ = ["KMeansClusterer", "HDBSCANClusterer", "MiniBatchKMeansClusterer", "assign_to_nearest",
           "nearest_centroid"]

logger = logging.getLogger(__name__)


def _centroids(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.unique(labels[labels >= 0])
    return ids, np.stack([X[labels == c].mean(axis=0) for c in ids]) if len(ids) else np.zeros((0, X.shape[1]))


def nearest_centroid(X: np.ndarray, C: np.ndarray, *, chunk: int = 4096) -> np.ndarray:
    """Index of the nearest row of ``C`` (k, d) for each row of ``X`` (n, d), in chunks to bound memory."""
    out = np.empty(len(X), dtype=np.int64)
    for s in range(0, len(X), chunk):
        out[s:s + chunk] = ((X[s:s + chunk, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(1)
    return out


def assign_to_nearest(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Give each noise point (label -1) the label of the nearest cluster centroid (Euclidean)."""
    labels = labels.copy()
    noise = labels < 0
    ids, C = _centroids(X, labels)
    if noise.any() and len(ids):
        labels[noise] = ids[nearest_centroid(X[noise], C)]
    return labels


class KMeansClusterer(ClusterMixin, BaseEstimator):
    """KMeans with ``k`` clusters (scikit-learn, k-means++ init, ``n_init`` restarts)."""

    def __init__(self, k: int = 10, *, n_init: int = 10, max_iter: int = 300, random_state: int | None = 0):
        self.k = k
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None) -> "KMeansClusterer":
        from sklearn.cluster import KMeans

        X = _check_X(X)
        check_k(self.k, X.shape[0])
        with warnings.catch_warnings():
            # Duplicate points (e.g. many empty documents) can leave fewer distinct clusters than k.
            warnings.filterwarnings("ignore", message=".*distinct clusters.*")
            self.model_ = KMeans(self.k, n_init=self.n_init, max_iter=self.max_iter,
                                 random_state=self.random_state).fit(X)
        self.labels_ = self.model_.labels_.astype(np.int64)
        self.cluster_centers_ = self.model_.cluster_centers_.astype(np.float32)
        return self

    def predict(self, X) -> np.ndarray:
        check_fitted(self, "model_")
        return self.model_.predict(_check_X(X)).astype(np.int64)


class HDBSCANClusterer(ClusterMixin, BaseEstimator):
    """HDBSCAN density clustering (the ``hdbscan`` package); finds the number of clusters itself.

    Parameters
    ----------
    min_cluster_size : int or "auto"
        Smallest cluster; "auto" = max(5, round(0.005 * n)), so it scales with the collection.
    min_samples : int, "auto" or None
        Density smoothing; "auto" = min(10, min_cluster_size) (with hdbscan's own default, min_cluster_size,
        large collections merge into one or two clusters); None = hdbscan's default.
    assign_noise : bool
        Reassign noise points (-1) to the nearest cluster centroid after fitting.
    max_fit_samples : int or None
        Above this many points, HDBSCAN is fitted on a random sample of this size (drawn with
        ``random_state``) and the other points get ``hdbscan.approximate_predict`` labels, in batches: memory
        and time stay bounded. None = always fit on every point. ``fit_samples_`` records the size used.
    """

    def __init__(self, *, min_cluster_size: int | str = "auto", min_samples: int | str | None = "auto",
                 cluster_selection_method: str = "eom", assign_noise: bool = False,
                 max_fit_samples: int | None = 50_000, random_state: int | None = 0):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.assign_noise = assign_noise
        self.max_fit_samples = max_fit_samples
        self.random_state = random_state  # draws the fitting sample; HDBSCAN itself is deterministic

    def fit(self, X, y=None) -> "HDBSCANClusterer":
        import hdbscan

        X = _check_X(X)
        n_all = X.shape[0]
        m = self.max_fit_samples
        if m is not None and (not isinstance(m, (int, np.integer)) or m < 3):
            raise InputError(f"max_fit_samples must be None or an int >= 3, got {m!r}")
        sample = None
        if m is not None and n_all > m:
            sample = np.sort(np.random.default_rng(self.random_state).choice(n_all, int(m), replace=False))
        Xfit = X if sample is None else X[sample]
        n = Xfit.shape[0]
        mcs = max(5, round(0.005 * n)) if self.min_cluster_size == "auto" else int(self.min_cluster_size)
        mcs = max(2, min(mcs, n))
        if n < 3:
            raise InputError(f"HDBSCAN needs at least 3 documents, got {n}")
        ms = min(10, mcs) if self.min_samples == "auto" else self.min_samples
        min_samples = None if ms is None else max(1, min(int(ms), n - 1))
        self.min_cluster_size_, self.min_samples_ = mcs, min_samples
        self.fit_X_ = np.ascontiguousarray(Xfit, dtype=np.float32)
        self.rebuild_model()
        self.fit_samples_ = n
        if sample is None:
            raw = self.model_.labels_.astype(np.int64)
            self.probabilities_ = self.model_.probabilities_.astype(np.float32)  # cluster membership strength
        else:
            logger.info("hdbscan: fitted on %d of %d points, approximate_predict for the rest", n, n_all)
            raw = np.empty(n_all, dtype=np.int64)
            self.probabilities_ = np.empty(n_all, dtype=np.float32)
            rest = np.setdiff1d(np.arange(n_all), sample)
            raw[sample] = self.model_.labels_
            self.probabilities_[sample] = self.model_.probabilities_
            for s in range(0, len(rest), 50_000):
                idx = rest[s:s + 50_000]
                lab, prob = hdbscan.approximate_predict(self.model_, X[idx].astype(np.float64))
                raw[idx], self.probabilities_[idx] = lab, prob
        self.noise_fraction_ = float((raw < 0).mean())
        self.labels_ = assign_to_nearest(X, raw) if self.assign_noise else raw
        ids, C = _centroids(X, self.labels_)
        self.cluster_ids_, self.cluster_centers_ = ids, C.astype(np.float32)
        return self

    def rebuild_model(self) -> "HDBSCANClusterer":
        """(Re)build ``model_``, the ``hdbscan.HDBSCAN`` fitted on ``fit_X_`` with prediction data, through
        hdbscan's public API; HDBSCAN is deterministic, so a loaded model (which stores ``fit_X_``, never
        hdbscan's own objects) predicts exactly as the fitted one."""
        import hdbscan

        check_fitted(self, "fit_X_")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=(FutureWarning, DeprecationWarning))
            self.model_ = hdbscan.HDBSCAN(min_cluster_size=int(self.min_cluster_size_),
                                          min_samples=None if self.min_samples_ is None else int(self.min_samples_),
                                          cluster_selection_method=self.cluster_selection_method,
                                          prediction_data=True).fit(self.fit_X_.astype(np.float64))
        return self

    def predict(self, X) -> np.ndarray:
        """Labels of new points via ``hdbscan.approximate_predict`` (-1 = noise unless ``assign_noise``)."""
        import hdbscan

        check_fitted(self, "model_")
        X = _check_X(X)
        labels, _ = hdbscan.approximate_predict(self.model_, X.astype(np.float64))
        labels = labels.astype(np.int64)
        if self.assign_noise and (labels < 0).any() and len(self.cluster_ids_):
            noise = labels < 0
            labels[noise] = self.cluster_ids_[nearest_centroid(X[noise], self.cluster_centers_)]
        return labels


class MiniBatchKMeansClusterer(ClusterMixin, BaseEstimator):
    """KMeans on mini-batches (scikit-learn ``MiniBatchKMeans``): time and memory grow with the batch, not n.

    Used automatically instead of KMeans above :data:`LARGE_N` documents (see :func:`textcluster.registry.resolve_clusterer`).
    Accepts a memory-mapped ``X``; labels are computed in chunks at the end.
    """

    def __init__(self, k: int = 10, *, batch_size: int = 4096, n_init: int = 3, max_iter: int = 100,
                 max_no_improvement: int = 10, random_state: int | None = 0):
        self.k = k
        self.batch_size = batch_size
        self.n_init = n_init
        self.max_iter = max_iter
        self.max_no_improvement = max_no_improvement
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None) -> "MiniBatchKMeansClusterer":
        """Fit on ``X`` (n, d); ``sample_weight`` (n,), optional: rows of weight 0 do not move the centres
        (they are still labelled)."""
        from sklearn.cluster import MiniBatchKMeans

        X = _check_X(X)
        check_k(self.k, X.shape[0] if sample_weight is None else int(np.count_nonzero(sample_weight)))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*distinct clusters.*")
            self.model_ = MiniBatchKMeans(self.k, batch_size=self.batch_size, n_init=self.n_init,
                                          max_iter=self.max_iter, max_no_improvement=self.max_no_improvement,
                                          compute_labels=False, random_state=self.random_state
                                          ).fit(X, sample_weight=sample_weight)
        self.cluster_centers_ = self.model_.cluster_centers_.astype(np.float32)
        self.labels_ = self.predict(X)
        return self

    def predict(self, X) -> np.ndarray:
        check_fitted(self, "model_")
        X = _check_X(X)
        out = np.empty(len(X), dtype=np.int64)
        for s in range(0, len(X), 65_536):
            out[s:s + 65_536] = self.model_.predict(X[s:s + 65_536])
        return out
