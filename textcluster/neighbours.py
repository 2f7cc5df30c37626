"""Exact cosine nearest neighbours, shared by the map layout and the neighbour-smoothing reducer."""
from __future__ import annotations

import numpy as np

__all__ = ["knn_cosine", "unit_rows", "top_k_similar", "place_by_neighbours"]


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` (n, d) -- or the vector ``X`` (d,) -- scaled to length 1 (zero rows stay zero), float32."""
    X = np.asarray(X, dtype=np.float32)
    n = np.linalg.norm(X, axis=-1, keepdims=True)
    return X / np.where(n > 0, n, 1).astype(np.float32)


def knn_cosine(Q: np.ndarray, R: np.ndarray, k: int, *, exclude_self: bool, chunk: int = 4096
                ) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k nearest rows of ``R`` for each row of ``Q`` (both L2-normalised; with ``exclude_self``,
    ``Q`` is ``R`` and a row is not its own neighbour): one matmul + partition when small, else blocked torch
    matmul + top-k (multi-threaded: 0.4 s against numpy's 1.4 s on 7,674 x 7,674, 2.4 s against 6.7 s on
    18,846 x 18,846, 2 cores).

    Returns (indices (nq, k) int64, distances (nq, k) float32), nearest first; distance = 1 - cosine.
    """
    if len(Q) * len(R) <= 25_000_000:  # small: numpy, without importing torch
        return _knn_numpy(Q, R, k, exclude_self, max(1, (1 << 24) // max(len(R), 1)))
    import torch

    Qt, Rt = torch.from_numpy(np.ascontiguousarray(Q, dtype=np.float32)), \
        torch.from_numpy(np.ascontiguousarray(R, dtype=np.float32))
    chunk = max(1, min(chunk, (1 << 24) // max(len(R), 1)))  # a (chunk, nr) block of at most 64 MB
    idx, sim = [], []
    with torch.no_grad():
        for start in range(0, len(Qt), chunk):
            S = Qt[start:start + chunk] @ Rt.T  # (c, nr) cosine similarities
            if exclude_self:
                rows = torch.arange(len(S))
                S[rows, rows + start] = -float("inf")
            v, i = torch.topk(S, k, dim=1, largest=True, sorted=True)
            idx.append(i)
            sim.append(v)
    return torch.cat(idx).numpy().astype(np.int64), np.maximum(1.0 - torch.cat(sim).numpy(), 0.0)


def _knn_numpy(Q: np.ndarray, R: np.ndarray, k: int, exclude_self: bool, chunk: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`knn_cosine` in numpy, ``chunk`` query rows at a time."""
    idx = np.empty((len(Q), k), dtype=np.int64)
    dist = np.empty((len(Q), k), dtype=np.float32)
    for start in range(0, len(Q), chunk):
        S = Q[start:start + chunk] @ R.T  # (c, nr) cosine similarities
        if exclude_self:
            rows = np.arange(len(S))
            S[rows, rows + start] = -np.inf
        idx[start:start + chunk], dist[start:start + chunk] = top_k_similar(S, k)
    return idx, dist


def top_k_similar(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries of each row of the cosine similarities ``S`` (b, n): (indices (b, k) int64,
    distances 1 - similarity (b, k) float32 clipped at 0), nearest first."""
    part = np.argpartition(-S, k - 1, axis=1)[:, :k]
    sims = np.take_along_axis(S, part, axis=1)
    order = np.argsort(-sims, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64), \
        np.maximum(1.0 - np.take_along_axis(sims, order, axis=1), 0.0).astype(np.float32)


def place_by_neighbours(idx: np.ndarray, dist: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Coordinates (m, c) of items from their neighbours' ``idx`` (m, k) at distances ``dist`` (m, k) among
    training items at ``coords`` (n, c): the inverse-distance weighted mean, where an (almost) identical
    training item (distance <= 1e-6) decides alone (so a training item maps to its own coordinates)."""
    w = 1.0 / np.maximum(dist, 1e-6)
    w[dist <= 1e-6] = 1e12
    return (w[:, :, None] * coords[idx]).sum(1) / w.sum(1, keepdims=True)
