"""DEC (Xie et al. 2016) and IDEC (Guo et al. 2017) on the shared encoder core.

1. Pretrain an autoencoder on reconstruction (MSE).
2. KMeans on the codes initialises k centres.
3. Minimise KL(P || Q) between the Student-t soft assignment Q and the sharpened target P (recomputed on
   all items at the start of every epoch); stop when fewer than ``tol`` of the labels change between two
   target updates. IDEC keeps the reconstruction loss (weight 1) beside ``gamma`` * KL, so the embedding
   does not drift away from the data.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from ._lazy import torch
from sklearn.base import ClusterMixin, TransformerMixin

from .autoencoder import ae_cost, auto_hidden, pretrain_autoencoder
from .base import DeepEstimator
from .training import StopTraining, auto_epochs, forward_macs, train_epochs

__all__ = ["DEC", "IDEC"]

logger = logging.getLogger(__name__)


class DEC(ClusterMixin, TransformerMixin, DeepEstimator):
    """Deep Embedded Clustering.

    Parameters
    ----------
    k : int
        Number of clusters.
    n_components : int
        Embedding size (10 in the papers).
    hidden, arch, input_shape, scaling, noise : as :class:`~textcluster.nn.AutoEncoder`.
    pretrain_epochs : int or "auto"
        Autoencoder epochs ("auto": ``BUDGETS["autoencoder"]`` of the device -- on CPU at most 1,500 steps,
        fewer for costly networks, at most 100 epochs; on CUDA about 50,000 steps, the papers' schedule).
    max_epochs : int or "auto"
        Most clustering epochs ("auto": ``BUDGETS["cluster"]`` -- CPU at most 1,000 steps, capped by compute;
        CUDA about 20,000 steps); training usually stops earlier on ``tol``.
    tol : float
        Stop when the fraction of items changing cluster between target updates falls below this.
    alpha : float
        Degrees of freedom of the Student-t kernel.
    batch_size, lr : Adam settings (pretraining uses ``lr``).
    cluster_lr : float, optional
        Adam step of the clustering phase; default ``lr`` for IDEC and ``lr / 10`` for DEC, whose KL-only
        objective can otherwise drift into a degenerate solution.
    n_init : int
        KMeans restarts for the initial centres.
    device, random_state, verbose, checkpoint_dir, checkpoint_every, resume : as AutoEncoder.

    Attributes
    ----------
    labels_ : int64 (n,)
    cluster_centers_ : float32 (k, n_components), in embedding space
    n_epochs_ : dict, epochs used per phase ({"pretrain": ..., "cluster": ...})
    history_ : dict of per-epoch loss terms per phase
    delta_label_ : float, the last label-change fraction
    """

    _modules = ("encoder_", "decoder_", "centres_")
    _state = ("n_features_in_", "input_shape_", "arch_", "history_", "n_epochs_", "delta_label_")
    _gamma_reconstruction = False

    def __init__(self, k: int = 10, *, n_components: int = 10, hidden: str | Sequence[int] = "auto",
                 arch: str = "auto", input_shape: Sequence[int] | None = None, scaling: str = "standard",
                 noise: float = 0.0, pretrain_epochs: int | str = "auto", max_epochs: int | str = "auto",
                 tol: float = 0.001, alpha: float = 1.0, batch_size: int = 256, lr: float = 1e-3,
                 cluster_lr: float | None = None, n_init: int = 20, device: str = "auto",
                 random_state: int | None = 0, verbose: bool = False, checkpoint_dir: str | None = None,
                 checkpoint_every: int = 10, resume: bool = False):
        self.k = k
        self.n_components = n_components
        self.hidden = hidden
        self.arch = arch
        self.input_shape = input_shape
        self.scaling = scaling
        self.noise = noise
        self.pretrain_epochs = pretrain_epochs
        self.max_epochs = max_epochs
        self.tol = tol
        self.alpha = alpha
        self.batch_size = batch_size
        self.lr = lr
        self.cluster_lr = cluster_lr
        self.n_init = n_init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _build_modules(self) -> None:
        from .blocks import ClusterCentres, Decoder, Encoder

        hidden = auto_hidden(self.hidden, self.n_features_in_)
        self.encoder_ = Encoder(self.input_shape_, self.n_components, hidden, arch=self.arch_)
        self.decoder_ = Decoder(self.n_components, self.input_shape_, hidden, arch=self.arch_)
        self.centres_ = ClusterCentres(self.k, self.n_components)

    def _check_params(self, n: int) -> None:
        from ..errors import InputError, check_k

        check_k(self.k, n, "items")
        if not (0 <= self.tol < 1):
            raise InputError(f"tol must be in [0, 1), got {self.tol!r}")
        if self.alpha <= 0:
            raise InputError(f"alpha must be > 0, got {self.alpha!r}")

    def _loss(self, x, z, q, p):
        from .losses import dec_loss

        return dec_loss(q, p)

    def fit(self, X, y=None) -> "DEC":
        """Cluster X (n_samples, n_features) or images (n, h, w) / (n, c, h, w); sets ``labels_``."""
        from sklearn.cluster import KMeans

        X = self._validate(X, fitting=True)
        self._check_params(len(X))
        self._setup(X)
        self.device_ = dev = self._device()
        ckpt = self._checkpointer()
        with self._seeded(dev):
            self._build_modules()
            for name in self._modules:
                getattr(self, name).to(dev)
            Xt = self._to_tensor(X, dev)
            pre_epochs = auto_epochs(self.pretrain_epochs, len(X), self.batch_size, device=dev,
                                     cost=ae_cost(self.encoder_, self.decoder_, Xt, self.n_components))
            hist_pre = pretrain_autoencoder(self.encoder_, self.decoder_, Xt, epochs=pre_epochs,
                                            batch_size=self.batch_size, lr=self.lr, weight_decay=0.0,
                                            device=dev, checkpointer=ckpt, verbose=self.verbose,
                                            phase="pretrain", noise=self.noise)
            Z = self._batched(self.encoder_, X)
            km = KMeans(self.k, n_init=self.n_init, random_state=self.random_state).fit(Z)
            with torch.no_grad():
                self.centres_.centres.copy_(torch.from_numpy(km.cluster_centers_.astype(np.float32)))
            self.kmeans_labels_ = km.labels_.astype(np.int64)
            hist_cl = self._cluster(X, Xt, ckpt)
        self.history_ = {"pretrain": hist_pre, "cluster": hist_cl}
        self.n_epochs_ = {"pretrain": len(hist_pre), "cluster": len(hist_cl)}
        self.labels_ = self.predict(X)
        self.cluster_centers_ = self.centres_.centres.detach().cpu().numpy().astype(np.float32)
        return self

    def _cluster(self, X: np.ndarray, Xt: torch.Tensor, ckpt) -> list[dict]:
        from .losses import soft_assignment, target_distribution

        dev = self.device_
        params = list(self.encoder_.parameters()) + list(self.centres_.parameters())
        if self._gamma_reconstruction:
            params += list(self.decoder_.parameters())
        # DEC alone (no reconstruction term) collapses clusters with a large step: default lr / 10 there.
        lr = self.cluster_lr or (self.lr if self._gamma_reconstruction else self.lr / 10)
        opt = torch.optim.Adam(params, lr=lr)
        state = {"p": None, "pred": None}
        self.delta_label_ = 1.0

        def on_epoch_start(epoch: int) -> None:
            q = torch.from_numpy(self._batched(self._soft, X)).to(dev)
            pred = q.argmax(1)
            if state["pred"] is not None:
                self.delta_label_ = float((pred != state["pred"]).float().mean())
                if self.delta_label_ < self.tol:
                    raise StopTraining(f"label change {self.delta_label_:.5f} < tol {self.tol}")
            state["p"], state["pred"] = target_distribution(q), pred

        def step(idx):
            x = Xt[idx]
            z = self.encoder_(x)
            q = soft_assignment(z, self.centres_.centres, self.alpha)
            terms = self._loss(x, z, q, state["p"][idx])
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            return {k: v.detach() for k, v in terms.items() if k != "loss" or len(terms) > 2}

        cost = (ae_cost(self.encoder_, self.decoder_, Xt, self.n_components) if self._gamma_reconstruction
                else forward_macs(self.encoder_, Xt[:1]))
        epochs = auto_epochs(self.max_epochs, len(X), self.batch_size, phase="cluster", device=dev, cost=cost)
        modules = {"encoder": self.encoder_, "decoder": self.decoder_, "centres": self.centres_}
        return train_epochs(step, len(X), max_epochs=epochs, batch_size=self.batch_size, device=dev,
                            modules=modules, optimizers={"adam": opt}, phase="cluster",
                            on_epoch_start=on_epoch_start, checkpointer=ckpt, verbose=self.verbose)

    def _soft(self, x: torch.Tensor) -> torch.Tensor:
        from .losses import soft_assignment

        return soft_assignment(self.encoder_(x), self.centres_.centres, self.alpha)

    def transform(self, X) -> np.ndarray:
        """Embeddings (n_samples, n_components)."""
        return self._batched(self.encoder_, self._validate(X, fitting=False))

    def predict_proba(self, X) -> np.ndarray:
        """Soft assignments Q (n_samples, k); rows sum to 1."""
        return self._batched(self._soft, self._validate(X, fitting=False))

    def predict(self, X) -> np.ndarray:
        """Cluster of each item: argmax of the soft assignment, int64 (n_samples,)."""
        return self.predict_proba(X).argmax(1).astype(np.int64)


class IDEC(DEC):
    """Improved DEC: the clustering phase keeps the reconstruction loss (``loss = recon + gamma * KL``).

    Parameters as :class:`DEC`, plus ``gamma`` (weight of the clustering KL term, 0.1 in the paper).
    """

    _gamma_reconstruction = True

    def __init__(self, k: int = 10, *, gamma: float = 0.1, n_components: int = 10,
                 hidden: str | Sequence[int] = "auto", arch: str = "auto", input_shape: Sequence[int] | None = None,
                 scaling: str = "standard", noise: float = 0.0, pretrain_epochs: int | str = "auto",
                 max_epochs: int | str = "auto", tol: float = 0.001, alpha: float = 1.0, batch_size: int = 256,
                 lr: float = 1e-3, cluster_lr: float | None = None, n_init: int = 20, device: str = "auto",
                 random_state: int | None = 0, verbose: bool = False, checkpoint_dir: str | None = None,
                 checkpoint_every: int = 10, resume: bool = False):
        super().__init__(k, n_components=n_components, hidden=hidden, arch=arch, input_shape=input_shape,
                         scaling=scaling, noise=noise, pretrain_epochs=pretrain_epochs, max_epochs=max_epochs,
                         tol=tol, alpha=alpha, batch_size=batch_size, lr=lr, cluster_lr=cluster_lr, n_init=n_init,
                         device=device, random_state=random_state, verbose=verbose, checkpoint_dir=checkpoint_dir,
                         checkpoint_every=checkpoint_every, resume=resume)
        self.gamma = gamma

    def _check_params(self, n: int) -> None:
        from ..errors import InputError

        super()._check_params(n)
        if self.gamma < 0:
            raise InputError(f"gamma must be >= 0, got {self.gamma!r}")

    def _loss(self, x, z, q, p):
        from .losses import idec_loss

        return idec_loss(x, self.decoder_(z), q, p, self.gamma)
