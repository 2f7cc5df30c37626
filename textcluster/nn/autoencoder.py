"""Autoencoder (MSE reconstruction) as a scikit-learn transformer (autoencoder + KMeans: ``textcluster.encoder_kmeans``)."""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from ._lazy import torch
from sklearn.base import TransformerMixin

from .base import DeepEstimator
from .training import Checkpointer, auto_epochs, forward_macs, train_epochs

__all__ = ["AutoEncoder", "auto_hidden", "auto_epochs", "ae_cost", "pretrain_autoencoder"]

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
