"""Clustering quality: external scores against labels (NMI, ARI, AMI, ACC, V-measure) and silhouette."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

__all__ = ["cluster_accuracy", "external_scores", "silhouette"]


def cluster_accuracy(labels_true: Sequence, labels_pred: Sequence) -> float:
    """Best one-to-one matching accuracy between clusters and classes (Hungarian algorithm).

    Noise (-1) is treated as one more cluster. Unmatched clusters count as errors.
    """
    _, t = np.unique(np.asarray(labels_true, dtype=object).astype(str), return_inverse=True)
    _, p = np.unique(np.asarray(labels_pred), return_inverse=True)
    C = np.zeros((p.max() + 1, t.max() + 1), dtype=np.int64)
    np.add.at(C, (p, t), 1)
    rows, cols = linear_sum_assignment(-C)
    return float(C[rows, cols].sum() / len(t))


def external_scores(labels_true: Sequence, labels_pred: Sequence) -> dict[str, float]:
    """NMI (arithmetic), ARI, AMI, ACC, homogeneity, completeness and V-measure; noise = one cluster."""
    t = np.asarray(labels_true, dtype=object).astype(str)
    p = np.asarray(labels_pred)
    h, c, v = skm.homogeneity_completeness_v_measure(t, p)
    return {
        "nmi": float(skm.normalized_mutual_info_score(t, p)),
        "ari": float(skm.adjusted_rand_score(t, p)),
        "ami": float(skm.adjusted_mutual_info_score(t, p)),
        "acc": cluster_accuracy(t, p),
        "homogeneity": float(h),
        "completeness": float(c),
        "v_measure": float(v),
    }


def silhouette(X: np.ndarray, labels: Sequence, *, sample_size: int = 5000, metric: str = "cosine",
               random_state: int | None = 0) -> float | None:
    """Mean silhouette (cosine by default) of the non-noise points, on a sample of at most ``sample_size``.

    Returns None when it is undefined (fewer than 2 clusters, or every point its own cluster).
    """
    from sklearn.utils import check_random_state

    labels = np.asarray(labels)
    X = X if isinstance(X, np.ndarray) else np.asarray(X)
    keep = np.flatnonzero(labels >= 0)
    n_clusters = len(np.unique(labels[keep]))
    if n_clusters < 2 or n_clusters >= len(keep):
        return None
    # the sample silhouette_score would draw (the same permutation), taken here so that only the sampled
    # rows are copied (X may be a large memmap); sklearn samples without stratification, so a tiny sample
    # can hit one cluster only
    rows = keep[check_random_state(random_state).permutation(len(keep))[:min(sample_size, len(keep))]]
    Xs, ls = np.asarray(X[rows]), labels[rows]
    if metric == "cosine" and not any(np.any(X[s:s + 65_536][labels[s:s + 65_536] >= 0])
                                      for s in range(0, len(X), 65_536)):
        return None
    from sklearn import config_context

    try:
        with config_context(working_memory=64):  # distances in chunks of 64 MB (sklearn's default: 1 GB)
            return float(skm.silhouette_score(Xs, ls, metric=metric))
    except ValueError:
        return None
