"""Shift-tolerant UMAP + KMeans: the images default for small sets, where no encoder can be trained well.

Each image is blurred a little (Gaussian, sigma = ``blur`` x side / 28 pixels), and two images are as similar
as the best cosine between one and the other moved by up to ``shift`` pixels in each direction (9 positions
for ``shift=1``): a handwritten stroke one pixel to the side is the same stroke. UMAP (umap-learn) lays out
the resulting k-nearest-neighbour graph in ``n_components`` dimensions (``min_dist=0``, N2D's setting) and
KMeans clusters that layout. Nothing is trained, so 3,000 images take seconds; the cost grows with n^2
(every pair, 9 shifts), which is why ``textcluster images`` switches to N2D above ``MAX_ITEMS`` images.

Measured on the first 3,000 MNIST images (docs/benchmarks.md, issue 16): ACC 0.805 +- 0.002 (3 seeds) against
0.752 for UMAP on PCA-50 pixels, 0.675 for N2D's conv autoencoder (150 s) and 0.54 for KMeans on pixels.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .errors import InputError, ModelFileError, check_fitted, check_int, check_k, check_number
from .neighbours import place_by_neighbours, top_k_similar, unit_rows

__all__ = ["ShiftUMAPKMeans", "shift_knn", "MAX_ITEMS"]

#: ``textcluster images --method auto`` uses this method up to this many images, N2D above (the pair
#: comparisons grow with n^2: 34 s of the 52 s run on the first 20,000 MNIST images, 2 cores; ACC 0.825)
MAX_ITEMS = 20_000


def shift_knn(Q: np.ndarray, R: np.ndarray, shape: Sequence[int], shift: int, k: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``R`` (n, d) most similar to each row of ``Q`` (m, d), both flattened images of
    ``shape`` (c, h, w), where similarity = the best cosine between the reference and the query moved by
    ``dy, dx`` in [-shift, shift] pixels (zero-filled edges). Returns (indices (m, k) int64, distances
    1 - similarity (m, k) float32), nearest first."""
    c, h, w = (int(v) for v in shape)
    Ru = unit_rows(R)
    offsets = [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)]
    block = max(1, (1 << 24) // (len(offsets) * max(len(R), 1)))  # (shifts, block, n) of at most 64 MB
    idx = np.empty((len(Q), k), dtype=np.int64)
    dist = np.empty((len(Q), k), dtype=np.float32)
    for start in range(0, len(Q), block):
        imgs = Q[start:start + block].reshape(-1, c, h, w)
        padded = np.pad(imgs, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
        moved = np.concatenate([unit_rows(padded[:, :, shift + dy:shift + dy + h, shift + dx:shift + dx + w]
                                          .reshape(len(imgs), -1)) for dy, dx in offsets])
        S = (moved @ Ru.T).reshape(len(offsets), len(imgs), len(R)).max(axis=0)  # (b, n)
        idx[start:start + len(imgs)], dist[start:start + len(imgs)] = top_k_similar(S, k)
    return idx, dist


class ShiftUMAPKMeans(ClusterMixin, BaseEstimator):
    """UMAP of a shift-tolerant k-NN graph of the images, then KMeans (see the module docstring).

    Parameters
    ----------
    k : int
        Number of clusters.
    input_shape : (c, h, w) or None
        Image shape of the flattened rows; None, or images under 8 x 8 pixels: rows are plain features (no
        blur, no shifts: cosine neighbours).
    shift : int
        Largest move, in pixels, tried in each direction (0: plain cosine neighbours).
    blur : float
        Gaussian blur before comparing, as a fraction of side/28 pixels (1.0 = sigma 1 on 28x28 images).
    n_neighbors, n_components : int
        UMAP's neighbours and output dimensions.
    n_init : int
        KMeans restarts.
    random_state : int or None
        Seed of UMAP (single-threaded and reproducible with a seed) and KMeans.

    Attributes
    ----------
    train_ : float32 (n, d), the blurred training rows (new items are placed among them)
    embedding_ : float32 (n, n_components), their UMAP coordinates
    cluster_centers_ : float32 (k, n_components); labels_ : int64 (n,)
    """

    def __init__(self, k: int = 10, *, input_shape: Sequence[int] | None = None, shift: int = 1,
                 blur: float = 1.0, n_neighbors: int = 10, n_components: int = 10, n_init: int = 20,
                 random_state: int | None = 0, verbose: bool = False):
        self.k = k
        self.input_shape = input_shape
        self.shift = shift
        self.blur = blur
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose

    def _shape(self, d: int) -> tuple[int, int, int]:
        if self.input_shape is None:
            return (1, 1, d)
        shape = tuple(int(v) for v in self.input_shape)
        if len(shape) != 3 or int(np.prod(shape)) != d:
            raise InputError(f"input_shape {self.input_shape} does not match rows of {d} values")
        return shape

    def _is_image(self, d: int) -> bool:
        """Blur and shifts apply to images of at least 8 x 8 pixels; other rows are plain features."""
        return self.input_shape is not None and min(self._shape(d)[1:]) >= 8

    def _prepare(self, X) -> np.ndarray:
        """Rows (n, d) -> blurred rows (n, d) float32."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise InputError(f"expected rows of features (n, d), got an array of shape {X.shape}")
        c, h, w = self._shape(X.shape[1])
        sigma = float(self.blur) * min(h, w) / 28.0
        if not self._is_image(X.shape[1]) or sigma <= 0:
            return X
        from scipy.ndimage import gaussian_filter

        return gaussian_filter(X.reshape(-1, c, h, w), sigma=(0, 0, sigma, sigma)).reshape(len(X), -1)

    def _shift(self, d: int) -> int:
        return int(self.shift) if self._is_image(d) else 0

    def fit(self, X, y=None) -> "ShiftUMAPKMeans":
        import warnings

        from sklearn.cluster import KMeans

        from .nn.training import untrained_step

        check_int("shift", self.shift, minimum=0)
        check_number("blur", self.blur, minimum=0)
        check_int("n_neighbors", self.n_neighbors, minimum=2)
        check_int("n_components", self.n_components, minimum=1)
        P = self._prepare(X)
        check_k(self.k, len(P), "items")
        shape, shift = self._shape(P.shape[1]), self._shift(P.shape[1])
        nn = int(min(self.n_neighbors, len(P)))
        if len(P) < max(20, self.n_components + 2) or nn < 2:
            Z = unit_rows(P)  # too few items for UMAP: KMeans on the (blurred) rows
        else:
            try:
                import umap
            except ImportError:
                raise InputError("method shift-umap needs umap-learn: pip install umap-learn") from None
            with untrained_step(f"neighbours: {len(P)} items, shifts up to {shift} px", self.verbose):
                idx, dist = shift_knn(P, P, shape, shift, nn)
            with untrained_step(f"umap: {len(P)} items -> {self.n_components} dimensions", self.verbose), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Z = umap.UMAP(n_components=self.n_components, n_neighbors=nn, min_dist=0.0,
                              precomputed_knn=(idx, dist, None), random_state=self.random_state,
                              n_jobs=1 if self.random_state is not None else -1).fit_transform(P)
        self.train_ = P
        self.embedding_ = np.asarray(Z, dtype=np.float32)
        with untrained_step(f"kmeans: k={self.k}, {self.n_init} restarts", self.verbose):
            km = KMeans(self.k, n_init=self.n_init, random_state=self.random_state).fit(self.embedding_)
        self.labels_ = km.labels_.astype(np.int64)
        self.cluster_centers_ = km.cluster_centers_.astype(np.float32)
        return self

    def transform(self, X) -> np.ndarray:
        """Coordinates (m, n_components) of items X (m, d): the inverse-distance weighted mean of their
        ``n_neighbors`` nearest training items' coordinates (a training item maps to its own)."""
        check_fitted(self, "embedding_")
        P = self._prepare(X)
        if P.shape[1] != self.train_.shape[1]:
            raise InputError(f"items have {P.shape[1]} values, the model was fitted on {self.train_.shape[1]}")
        k = int(min(self.n_neighbors, len(self.train_)))
        idx, d = shift_knn(P, self.train_, self._shape(P.shape[1]), self._shift(P.shape[1]), k)
        return place_by_neighbours(idx, d, self.embedding_).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        Z = self.transform(X)
        d2 = (Z * Z).sum(1)[:, None] - 2.0 * Z @ self.cluster_centers_.T + (self.cluster_centers_ ** 2).sum(1)
        return d2.argmin(1).astype(np.int64)

    def save(self, path) -> Path:
        """config.json (class, parameters) and three .npy arrays, no pickle."""
        check_fitted(self, "embedding_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name in ("train_", "embedding_", "cluster_centers_"):
            np.save(path / f"{name.rstrip('_')}.npy", getattr(self, name))
        (path / "config.json").write_text(json.dumps({"format_version": 1, "class": type(self).__name__,
                                                      "params": self.get_params()}, indent=1))
        return path

    @classmethod
    def load(cls, path, *, device: str | None = None) -> "ShiftUMAPKMeans":
        """Read a folder written by :meth:`save` (``device`` is accepted for the common loader and unused)."""
        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
            params = {k: tuple(v) if isinstance(v, list) else v for k, v in config["params"].items()}
            model = cls(**params)
            arrays = {name: np.load(path / f"{name.rstrip('_')}.npy", allow_pickle=False)
                      for name in ("train_", "embedding_", "cluster_centers_")}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"cannot read a saved shift-umap model from {path}: {exc}") from None
        T, E, C = arrays["train_"], arrays["embedding_"], arrays["cluster_centers_"]
        if T.ndim != 2 or E.ndim != 2 or C.ndim != 2 or len(T) != len(E) or E.shape[1] != C.shape[1] \
                or not all(np.issubdtype(a.dtype, np.floating) and np.isfinite(a).all() for a in (T, E, C)):
            raise ModelFileError(f"{path}: the saved arrays do not fit together (train {T.shape}, embedding "
                                 f"{E.shape}, centres {C.shape})")
        model._shape(T.shape[1])  # input_shape must match the stored rows
        for name, a in arrays.items():
            setattr(model, name, a.astype(np.float32))
        return model


def shift_umap(**params) -> ShiftUMAPKMeans:
    """The registry's ``shift-umap`` method."""
    return ShiftUMAPKMeans(**params)


from .nn import MODELS  # noqa: E402  (textcluster.nn.load_model reads these folders too)

MODELS[ShiftUMAPKMeans.__name__] = ShiftUMAPKMeans
