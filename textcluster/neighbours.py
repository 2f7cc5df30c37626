"""Exact cosine nearest neighbours, shared by the map layout and the neighbour-smoothing reducer."""
from __future__ import annotations

import numpy as np

__all__ = ["knn_cosine", "unit_rows"]


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` (n, d) -- or the vector ``X`` (d,) -- scaled to length 1 (zero rows stay zero), float32."""
    X = np.asarray(X, dtype=np.float32)
    n = np.linalg.norm(X, axis=-1, keepdims=True)
    return X / np.where(n > 0, n, 1).astype(np.float32)


def knn_cosine(Q: np.ndarray, R: np.ndarray, k: int, *, exclude_self: bool, chunk: int = 4096
                ) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k nearest rows of ``R`` for each row of ``Q`` (both L2-normalised): one matmul + partition
    when small, else blocked torch matmul + top-k (multi-threaded, much faster than numpy's argpartition).

    Returns (indices (nq, k) int64, distances (nq, k) float32), nearest first; distance = 1 - cosine.
    """
    if len(Q) * len(R) <= 25_000_000:  # small: numpy, without importing torch
        S = Q @ R.T
        if exclude_self:
            np.fill_diagonal(S, -np.inf)
        part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(S, part, axis=1)
        order = np.argsort(-sims, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1).astype(np.int64), \
            np.maximum(1.0 - np.take_along_axis(sims, order, axis=1), 0.0).astype(np.float32)
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
