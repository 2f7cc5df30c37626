"""Self-training refinement of a clustering (iterative classification, after Rakib et al. 2020, "Enhancement of
short text clustering by iterative classification").

A base clusterer labels the vectors; then, for a few rounds, a linear classifier is trained on each cluster's most
central documents only (the ones the clustering is surest of) and relabels every document. Drift -- the
classifier slowly rewriting the clustering into something else -- is the known failure, so every round records
how many documents moved and how far the labels are from the start (``history_``), and the loop stops when
fewer than ``tol`` of the documents move.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone

from .errors import InputError, check_fitted, check_vectors

__all__ = ["SelfTrainingClusterer"]


class SelfTrainingClusterer(ClusterMixin, BaseEstimator):
    """A clusterer followed by rounds of self-training (registered as ``refined-kmeans`` with KMeans as base).

    Parameters
    ----------
    base : estimator, optional
        The clusterer whose labels are refined (default :class:`~textcluster.cluster.KMeansClusterer`).
    k : int
        Clusters (passed to ``base``).
    rounds : int
        Most self-training rounds (0 = the base clustering unchanged).
    keep : float in (0, 1]
        Fraction of each cluster, the documents nearest its centroid, that trains the classifier.
    C : float
        Inverse regularisation of the logistic regression.
    tol : float
        Stop when fewer than this fraction of documents change cluster in a round.
    random_state : int or None

    Attributes
    ----------
    labels_ : int array (n,)
    base_ : the fitted base clusterer
    classifier_ : fitted :class:`sklearn.linear_model.LogisticRegression`, or None when no round ran
    history_ : list of {"round", "changed", "agreement_with_start"} (fraction of documents moved in the round;
        adjusted Rand index between this round's labels and the base clustering's)
    """

    def __init__(self, base=None, *, k: int = 10, rounds: int = 3, keep: float = 0.8, C: float = 1.0,
                 tol: float = 0.005, random_state: int | None = 0):
        self.base = base
        self.k = k
        self.rounds = rounds
        self.keep = keep
        self.C = C
        self.tol = tol
        self.random_state = random_state

    def _base(self):
        from .cluster import KMeansClusterer

        est = KMeansClusterer() if self.base is None else clone(self.base)
        params = est.get_params(deep=False)
        est.set_params(**{p: v for p, v in (("k", self.k), ("random_state", self.random_state)) if p in params})
        return est

    def fit(self, X, y=None) -> "SelfTrainingClusterer":
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import adjusted_rand_score

        X = check_vectors(X)
        if not (isinstance(self.rounds, int) and self.rounds >= 0):
            raise InputError(f"rounds must be an int >= 0, got {self.rounds!r}")
        if not (isinstance(self.keep, (int, float)) and 0 < self.keep <= 1):
            raise InputError(f"keep must be in (0, 1], got {self.keep!r}")
        self.base_ = self._base().fit(X)
        start = labels = np.asarray(self.base_.labels_, dtype=np.int64)
        self.classifier_, self.history_ = None, []
        for r in range(1, self.rounds + 1):
            train = _central(X, labels, self.keep)
            if len(np.unique(labels[train])) < 2:
                break
            clf = LogisticRegression(C=self.C, max_iter=300, random_state=self.random_state)
            new = clf.fit(X[train], labels[train]).predict(X).astype(np.int64)
            changed = float((new != labels).mean())
            self.classifier_, labels = clf, new
            self.history_.append({"round": r, "changed": round(changed, 6),
                                  "agreement_with_start": round(float(adjusted_rand_score(start, new)), 6)})
            if changed < self.tol:
                break
        self.labels_ = labels
        return self

    def predict(self, X) -> np.ndarray:
        check_fitted(self, "base_")
        X = check_vectors(X)
        if self.classifier_ is None:
            return np.asarray(self.base_.predict(X), dtype=np.int64)
        return self.classifier_.predict(X).astype(np.int64)


def _central(X: np.ndarray, labels: np.ndarray, keep: float) -> np.ndarray:
    """Indices of the ``keep`` fraction of each cluster nearest its mean (Euclidean; on unit-length document
    vectors the same order as cosine similarity to the centroid), at least one per cluster."""
    chosen = []
    for c in np.unique(labels[labels >= 0]):
        idx = np.flatnonzero(labels == c)
        dist = ((X[idx] - X[idx].mean(axis=0)) ** 2).sum(axis=1)
        n = max(1, int(round(keep * len(idx))))
        chosen.append(idx[np.argsort(dist, kind="stable")[:n]])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
