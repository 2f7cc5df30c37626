"""Helpers of the TextClusterer's stages: shared parameters set on nested estimators, a clusterer fitted
without the empty documents, a stage's cache key, empty-row counts."""
from __future__ import annotations

import inspect

import numpy as np

from . import registry
from .errors import InputError

__all__ = ["set_shared", "fit_without_empty", "stage_key", "count_empty"]


def set_shared(est, shared: dict) -> None:
    """Set every parameter named like a key of ``shared`` on ``est`` and its nested estimators (also those
    held in a list parameter, e.g. the blocks of a ConcatEmbedder)."""
    params = est.get_params(deep=False)
    est.set_params(**{k: v for k, v in shared.items() if k in params})
    for value in params.values():
        for inner in (value if isinstance(value, (list, tuple)) else [value]):
            if registry.is_estimator(inner):
                set_shared(inner, shared)


def fit_without_empty(clusterer, Z: np.ndarray, X: np.ndarray, n_empty: int) -> np.ndarray:
    """Fit ``clusterer`` on the rows of ``Z`` whose document vector (``X``) is not zero; return labels (n,)
    with -1 (noise) for the empty documents (no text or no known word).

    Empty documents carry no topic: clustered, they all land on one spot and pull a real topic towards it
    (in 20 Newsgroups 515 empty posts joined the uuencoded ones). The clusterer's ``labels_`` (and
    ``probabilities_``) are widened to all n documents, empty ones -1 (probability 0). A clusterer whose
    ``fit`` takes ``sample_weight`` (MiniBatchKMeans, which runs on large collections) is fitted on every row
    with weight 0 for the empty ones instead: no copy of a large ``Z``.
    """
    if not n_empty or n_empty >= len(Z):
        clusterer.fit(Z)
        return clusterer.labels_
    keep = np.concatenate([np.any(X[s:s + 65_536], axis=1) for s in range(0, len(X), 65_536)])
    k = getattr(clusterer, "n_clusters", None) or getattr(clusterer, "k", None)
    if isinstance(k, (int, np.integer)) and keep.sum() < k:
        raise InputError(f"only {int(keep.sum())} of {len(Z)} documents have a known word, fewer than the "
                         f"clusters (k={k}); lower k")
    if "sample_weight" in inspect.signature(clusterer.fit).parameters:
        clusterer.fit(Z, sample_weight=keep.astype(np.float64))
        labels = np.array(clusterer.labels_)
        labels[~keep] = -1
        clusterer.labels_ = labels
        return labels
    clusterer.fit(Z[keep])
    labels = np.full(len(Z), -1, dtype=np.asarray(clusterer.labels_).dtype)
    labels[keep] = clusterer.labels_
    clusterer.labels_ = labels
    prob = getattr(clusterer, "probabilities_", None)
    if prob is not None and len(prob) == int(keep.sum()):
        full = np.zeros(len(Z), dtype=np.asarray(prob).dtype)
        full[keep] = prob
        clusterer.probabilities_ = full
    return labels


def stage_key(est) -> tuple:
    """A hashable description of an unfitted stage: its class and every (nested) parameter value."""
    params = est.get_params(deep=True)
    return (type(est).__qualname__,) + tuple((k, type(v).__qualname__ if registry.is_estimator(v) else repr(v))
                                            for k, v in sorted(params.items()))


def count_empty(X) -> int:
    """Rows of ``X`` (n, d) that are all zero: documents with no known word."""
    X = np.asarray(X)
    if X.ndim != 2:
        return 0
    return sum(int((~np.any(X[s:s + 65_536] != 0, axis=1)).sum()) for s in range(0, len(X), 65_536))
