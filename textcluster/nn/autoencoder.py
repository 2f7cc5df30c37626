"""Autoencoder (MSE reconstruction) as a scikit-learn transformer, and autoencoder + KMeans as a clusterer."""
from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np
from ._lazy import torch
from sklearn.base import ClusterMixin, TransformerMixin

from .base import DeepEstimator
from .training import Checkpointer, auto_epochs, forward_macs, train_epochs

__all__ = ["AutoEncoder", "AutoEncoderKMeans", "auto_hidden", "auto_epochs", "ae_cost", "pretrain_autoencoder"]

logger = logging.getLogger(__name__)


def auto_hidden(hidden, n_features: int) -> tuple[int, ...]:
    """``"auto"``: the DEC paper's 500-500-2000 trunk for wide inputs (> 256 features), 128-128-256 otherwise."""
    if hidden == "auto":
        return (500, 500, 2000) if n_features > 256 else (128, 128, 256)
    return tuple(int(h) for h in hidden)


def ae_cost(encoder: torch.nn.Module, decoder: torch.nn.Module, Xt: torch.Tensor, latent_dim: int) -> int:
    """Forward multiply-accumulates per item of ``decoder(encoder(x))`` (for the "auto" compute budget)."""
    return forward_macs(encoder, Xt[:1]) + forward_macs(decoder, torch.zeros(1, latent_dim, device=Xt.device))


def pretrain_autoencoder(encoder: torch.nn.Module, decoder: torch.nn.Module, Xt: torch.Tensor, *, epochs: int,
                         batch_size: int, lr: float, weight_decay: float, device: torch.device,
                         checkpointer: Checkpointer, verbose: bool, phase: str = "autoencoder",
                         noise: float = 0.0) -> list[dict]:
    """Train ``decoder(encoder(x)) ~ x`` with Adam on MSE; ``noise`` adds Gaussian input corruption."""
    from .losses import reconstruction_loss

    params = list(encoder.parameters()) + list(decoder.parameters())
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

    def step(idx):
        x = Xt[idx]
        x_in = x + noise * torch.randn_like(x) if noise > 0 else x
        terms = reconstruction_loss(x, decoder(encoder(x_in)))
        opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        opt.step()
        return {"recon": terms["recon"].detach()}

    return train_epochs(step, len(Xt), max_epochs=epochs, batch_size=batch_size, device=device,
                        modules={"encoder": encoder, "decoder": decoder}, optimizers={"adam": opt}, phase=phase,
                        checkpointer=checkpointer, verbose=verbose)


class AutoEncoder(TransformerMixin, DeepEstimator):
    """Deterministic autoencoder trained on mean squared reconstruction error; ``transform`` gives the code.

    Parameters
    ----------
    n_components : int
        Size of the code (latent dimension).
    hidden : "auto" or sequence of int
        Hidden widths of the encoder (the decoder mirrors them); see :func:`auto_hidden`.
    arch : "auto", "mlp" or "conv"
        "auto" picks the conv trunk for images of 16x16 pixels or more.
    input_shape : tuple (channels, height, width), optional
        Image shape of the flat feature rows (needed for ``arch="conv"``; inferred from 3-D/4-D input).
    scaling : "standard", "minmax" or "none"
        Input scaling; "standard" centres each feature and divides by one global standard deviation.
    noise : float
        Standard deviation of Gaussian noise added to scaled inputs during training (denoising AE).
    max_epochs : int or "auto"
        Training epochs; "auto" = the ``BUDGETS["autoencoder"]`` of the device (:func:`~textcluster.nn.training.auto_epochs`):
        on CPU at most 1,500 minibatch steps, fewer for costly networks (a compute cap), at most 100 epochs;
        on CUDA about 50,000 steps (the DEC papers' schedule).
    batch_size, lr, weight_decay : training settings (Adam).
    device : str
        "auto" (CUDA when present), "cpu", "cuda", "cuda:1", ...
    random_state : int or None
        Seeds torch's RNGs inside a forked RNG context (the global state is left untouched).
    verbose : bool
        Progress bar with the loss terms on stderr.
    checkpoint_dir, checkpoint_every, resume :
        Save training state every ``checkpoint_every`` epochs into ``checkpoint_dir``; ``resume`` continues.

    Attributes
    ----------
    encoder_, decoder_ : torch.nn.Module
    history_ : list of dict, per-epoch mean loss terms
    n_epochs_ : int, epochs trained
    """

    _modules = ("encoder_", "decoder_")

    def __init__(self, n_components: int = 10, *, hidden: str | Sequence[int] = "auto", arch: str = "auto",
                 input_shape: Sequence[int] | None = None, scaling: str = "standard", noise: float = 0.0,
                 max_epochs: int | str = "auto", batch_size: int = 256, lr: float = 1e-3,
                 weight_decay: float = 0.0, device: str = "auto", random_state: int | None = 0,
                 verbose: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 10,
                 resume: bool = False):
        self.n_components = n_components
        self.hidden = hidden
        self.arch = arch
        self.input_shape = input_shape
        self.scaling = scaling
        self.noise = noise
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    _out_factor = 1  # the VAE's encoder outputs mean and log-variance

    def _build_modules(self) -> None:
        from .blocks import Decoder, Encoder

        hidden = auto_hidden(self.hidden, self.n_features_in_)
        self.encoder_ = Encoder(self.input_shape_, self._out_factor * self.n_components, hidden, arch=self.arch_)
        self.decoder_ = Decoder(self.n_components, self.input_shape_, hidden, arch=self.arch_)

    def _check_params(self) -> None:
        from ..errors import InputError

        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise InputError(f"n_components must be a positive integer, got {self.n_components!r}")
        if self.max_epochs != "auto":
            self._check_common()

    def fit(self, X, y=None) -> "AutoEncoder":
        """Train on X (n_samples, n_features) or images (n, h, w) / (n, c, h, w)."""
        self._check_params()
        X = self._validate(X, fitting=True)
        self._setup(X)
        self.device_ = self._device()
        with self._seeded(self.device_):
            self._build_modules()
            self.encoder_.to(self.device_)
            self.decoder_.to(self.device_)
            Xt = self._to_tensor(X, self.device_)
            epochs = auto_epochs(self.max_epochs, len(X), self.batch_size, device=self.device_,
                                 cost=ae_cost(self.encoder_, self.decoder_, Xt, self.n_components))
            self.history_ = self._train(Xt, epochs)
        self.n_epochs_ = len(self.history_)
        return self

    def _train(self, Xt: torch.Tensor, epochs: int) -> list[dict]:
        return pretrain_autoencoder(self.encoder_, self.decoder_, Xt, epochs=epochs, batch_size=self.batch_size,
                                    lr=self.lr, weight_decay=self.weight_decay, device=self.device_,
                                    checkpointer=self._checkpointer(), verbose=self.verbose, noise=self.noise)

    def transform(self, X) -> np.ndarray:
        """Codes of X: float32 (n_samples, n_components)."""
        X = self._validate(X, fitting=False)
        return self._batched(self.encoder_, X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Reconstruct inputs (n, n_features) from codes Z (n, n_components), in the original scale."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        Z = torch.from_numpy(np.asarray(Z, dtype=np.float32)).to(self.device_)
        self.decoder_.eval()
        with torch.no_grad():
            out = self.decoder_(Z).cpu().numpy()
        return out * self.scale_ + self.mean_


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
        from ..errors import InputError, check_int
        from ..reduce import UMAPReducer

        if self.manifold in (None, "none"):
            return None
        if self.manifold != "umap":
            raise InputError(f"manifold must be 'none' or 'umap', got {self.manifold!r}")
        check_int("manifold_neighbors", self.manifold_neighbors, minimum=2)
        dims = max(2, min(int(self.k), int(self.n_components)))
        return UMAPReducer(n_components=dims, n_neighbors=self.manifold_neighbors, min_dist=0.0,
                           metric="euclidean", random_state=self.random_state)

    def _make_reducer(self):
        from ..errors import InputError
        from .vae import VAE

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

        from ..errors import InputError

        if not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise InputError(f"k must be a positive integer, got {self.k!r}")
        X = np.asarray(X, dtype=np.float32)
        if len(X) < self.k:
            raise InputError(f"fewer items ({len(X)}) than clusters (k={self.k}); lower k")
        manifold = self._make_manifold()
        self.reducer_ = self._make_reducer().fit(X)
        Z = self.reducer_.transform(X)
        self.manifold_ = None
        if manifold is not None:
            self.manifold_ = manifold.fit(Z)
            Z = self.manifold_.embedding_
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
