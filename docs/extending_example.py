"""A new clusterer for textcluster: one class with the scikit-learn contract, one registry line."""
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from textcluster import TextClusterer, read_corpus, registry
from textcluster.errors import check_fitted


class FarthestFirstClusterer(ClusterMixin, BaseEstimator):
    """Farthest-first traversal (Gonzalez 1985): k well-spread centres; each point joins its nearest one."""

    def __init__(self, k: int = 10, *, random_state: int | None = 0):
        self.k = k                        # the TextClusterer sets k and random_state on every stage
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float32)
        centres = [int(np.random.default_rng(self.random_state).integers(len(X)))]
        dist = np.linalg.norm(X - X[centres[0]], axis=1)
        for _ in range(self.k - 1):
            centres.append(int(dist.argmax()))
            dist = np.minimum(dist, np.linalg.norm(X - X[centres[-1]], axis=1))
        self.cluster_centers_ = X[centres]
        self.labels_ = self.predict(X)
        return self

    def predict(self, X):
        check_fitted(self, "cluster_centers_")
        return ((np.asarray(X)[:, None, :] - self.cluster_centers_[None]) ** 2).sum(-1).argmin(1)


registry.register("clusterer", "farthest-first", FarthestFirstClusterer)
corpus = read_corpus(Path(__file__).resolve().parents[1] / "corpora" / "topics-en.jsonl")
model = TextClusterer(k=8, clusterer="farthest-first").fit(corpus)
print(model.to_frame("topics")[["cluster", "label", "size"]])
