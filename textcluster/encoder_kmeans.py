"""Encoder + KMeans methods for images and tables: autoencoder or VAE codes, optionally a UMAP manifold (N2D),
then KMeans. Composes the torch encoder core (:mod:`textcluster.nn`) with the UMAP reducer and scikit-learn,
so it lives above both; the registry names its three methods (``ae-kmeans``, ``vae-kmeans``, ``n2d``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import ClusterMixin

from .nn import MODELS
from .nn._lazy import torch
from .nn.autoencoder import AutoEncoder
from .nn.base import DeepEstimator
from .nn.training import untrained_step

__all__ = ["AutoEncoderKMeans", "ae_kmeans", "vae_kmeans", "n2d"]


class AutoEncoderKMeans(ClusterMixin, DeepEstimator):
    """"Deep clustering" baseline: train an :class:`AutoEncoder` (or a VAE), then KMeans on the codes.

    With ``manifold="umap"`` this is N2D ("not too deep" clustering, McConville et al. 2020): UMAP learns the
    local manifold of the codes (``k`` dimensions, ``min_dist=0``, Euclidean) and KMeans clusters that
    embedding instead of the codes themselves. New items are placed in the UMAP space by their nearest
    training codes (:class:`~textcluster.reduce.UMAPReducer`), so the fitted model is still arrays only.

    Parameters
    ----------
    k : int
        Number of clusters.
    reducer : "ae" or "vae"
        Which encoder to train.
    n_init : int
        KMeans restarts.
    manifold : "none" or "umap"
        "umap": cluster a UMAP embedding of the codes (N2D) rather than the codes.
    manifold_neighbors : int
        UMAP's ``n_neighbors`` for ``manifold="umap"`` (N2D uses 20 for MNIST-sized data).
    beta : float
        KL weight of the VAE (``reducer="vae"`` only). 0.01 by default, not the textbook 1: for clustering, the
        full KL weight collapses latent dimensions (digits with the CLI defaults: ACC 0.699 at beta 1, 0.757
        at 0.1, 0.773 at 0.01, 3 seeds; the text reducer uses 0.01 for the same reason).
    **other parameters : as :class:`AutoEncoder`.

    Attributes
    ----------
    reducer_ : AutoEncoder or VAE
    manifold_ : UMAPReducer or None
    labels_ : int64 (n,)
    cluster_centers_ : float32 (k, n_components), in code space (UMAP space with ``manifold="umap"``)
    """

    def __init__(self, k: int = 10, *, reducer: str = "ae", n_components: int = 10,
                 hidden: str | Sequence[int] = "auto", arch: str = "auto", input_shape: Sequence[int] | None = None,
                 scaling: str = "standard", noise: float = 0.0, beta: float = 0.01, max_epochs: int | str = "auto",
                 batch_size: int = 256, lr: float = 1e-3, n_init: int = 20, manifold: str = "none",
                 manifold_neighbors: int = 20, device: str = "auto", random_state: int | None = 0,
                 verbose: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 10,
                 resume: bool = False):
        self.k = k
        self.reducer = reducer
        self.n_components = n_components
        self.hidden = hidden
        self.arch = arch
        self.input_shape = input_shape
        self.scaling = scaling
        self.noise = noise
        self.beta = beta
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_init = n_init
        self.manifold = manifold
        self.manifold_neighbors = manifold_neighbors
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _make_manifold(self):
        """The UMAP step of N2D (None without one): ``k`` dimensions (at least 2, at most the code size)."""
        from .errors import InputError, check_int
        from .reduce import UMAPReducer

        if self.manifold in (None, "none"):
            return None
        if self.manifold != "umap":
            raise InputError(f"manifold must be 'none' or 'umap', got {self.manifold!r}")
        check_int("manifold_neighbors", self.manifold_neighbors, minimum=2)
        dims = max(2, min(int(self.k), int(self.n_components)))
        return UMAPReducer(n_components=dims, n_neighbors=self.manifold_neighbors, min_dist=0.0,
                           metric="euclidean", random_state=self.random_state)

    def _make_reducer(self):
        from .errors import InputError
        from .nn.vae import VAE

        common = dict(n_components=self.n_components, hidden=self.hidden, arch=self.arch,
                      input_shape=self.input_shape, scaling=self.scaling, max_epochs=self.max_epochs,
                      batch_size=self.batch_size, lr=self.lr, device=self.device, random_state=self.random_state,
                      verbose=self.verbose, checkpoint_dir=self.checkpoint_dir,
                      checkpoint_every=self.checkpoint_every, resume=self.resume)
        if self.reducer == "ae":
            return AutoEncoder(noise=self.noise, **common)
        if self.reducer == "vae":
            return VAE(beta=self.beta, **common)
        raise InputError(f"reducer must be 'ae' or 'vae', got {self.reducer!r}")

    def fit(self, X, y=None) -> "AutoEncoderKMeans":
        from sklearn.cluster import KMeans

        from .errors import check_k

        X = np.asarray(X, dtype=np.float32)
        check_k(self.k, len(X), "items")
        manifold = self._make_manifold()
        self.reducer_ = self._make_reducer().fit(X)
        Z = self.reducer_.transform(X)
        self.manifold_ = None
        if manifold is not None:
            with untrained_step(f"umap: {len(Z)} codes -> {manifold.n_components} dimensions", self.verbose):
                self.manifold_ = manifold.fit(Z)
            Z = self.manifold_.embedding_
        with untrained_step(f"kmeans: k={self.k}, {self.n_init} restarts", self.verbose):
            self.kmeans_ = KMeans(self.k, n_init=self.n_init, random_state=self.random_state).fit(Z)
        self.labels_ = self.kmeans_.labels_.astype(np.int64)
        self.cluster_centers_ = self.kmeans_.cluster_centers_.astype(np.float32)
        self.embedding_ = Z
        self.n_epochs_ = self.reducer_.n_epochs_
        self.history_ = self.reducer_.history_
        return self

    @property
    def device_(self):
        """The torch device of the trained (or loaded) encoder."""
        return self.reducer_.device_

    def transform(self, X) -> np.ndarray:
        """Codes of X (n, n_components), or their UMAP coordinates (n, dims) with ``manifold="umap"``."""
        Z = self.reducer_.transform(X)
        return Z if self.manifold_ is None else self.manifold_.transform(Z)

    def predict(self, X) -> np.ndarray:
        Z = torch.from_numpy(np.ascontiguousarray(self.transform(X), dtype=np.float32))
        return torch.cdist(Z, torch.from_numpy(self.cluster_centers_)).argmin(1).numpy().astype(np.int64)

    def save(self, path):
        """Save the encoder (safetensors + JSON) and the KMeans centres."""
        from pathlib import Path

        path = Path(path)
        self.reducer_.save(path / "reducer")
        np.save(path / "cluster_centers.npy", self.cluster_centers_)
        if self.manifold_ is not None:
            np.save(path / "manifold_train.npy", self.manifold_.train_)
            np.save(path / "manifold_embedding.npy", self.manifold_.embedding_)
        import json
        (path / "config.json").write_text(json.dumps({"format_version": 1, "class": type(self).__name__,
                                                      "params": self.get_params()}, indent=1))
        return path

    @classmethod
    def load(cls, path, *, device: str | None = None) -> "AutoEncoderKMeans":
        import json
        from pathlib import Path

        path = Path(path)
        config = json.loads((path / "config.json").read_text())
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in config["params"].items()}
        if device is not None:
            params["device"] = device
        model = cls(**params)
        model.reducer_ = type(model._make_reducer()).load(path / "reducer", device=device)
        model.cluster_centers_ = np.load(path / "cluster_centers.npy", allow_pickle=False)
        model.manifold_ = model._make_manifold()
        if model.manifold_ is not None:
            model.manifold_.train_ = np.load(path / "manifold_train.npy", allow_pickle=False)
            model.manifold_.embedding_ = np.load(path / "manifold_embedding.npy", allow_pickle=False)
        model.n_epochs_ = model.reducer_.n_epochs_
        model.history_ = model.reducer_.history_
        return model


MODELS[AutoEncoderKMeans.__name__] = AutoEncoderKMeans  # textcluster.nn.load_model reads these folders too


def ae_kmeans(**params) -> AutoEncoderKMeans:
    """Autoencoder, then KMeans on the codes."""
    return AutoEncoderKMeans(**{"reducer": "ae", **params})


def vae_kmeans(**params) -> AutoEncoderKMeans:
    """VAE (beta 0.01), then KMeans on the posterior means."""
    return AutoEncoderKMeans(**{"reducer": "vae", **params})


def n2d(**params) -> AutoEncoderKMeans:
    """N2D: autoencoder, UMAP of the codes, KMeans (McConville et al. 2020)."""
    return AutoEncoderKMeans(**{"reducer": "ae", "manifold": "umap", **params})
