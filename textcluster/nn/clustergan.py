"""ClusterGAN (Mukherjee et al. 2019): a GAN whose latent code is [Gaussian noise z_n, one-hot cluster z_c],
plus an encoder that inverts the generator; items are clustered by KMeans on their encoding [z_n, softmax z_c]
(as the reference implementation evaluates it) or by the argmax of the z_c part.

Losses per minibatch (Adam, betas (0.5, 0.9)):
- generator + encoder: non-saturating GAN loss + ``beta_n`` * MSE(E_n(G(z)), z_n) + ``beta_c`` * CE(E_c(G(z)), c);
- discriminator: real vs generated (binary cross-entropy on logits).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from ._lazy import F, torch
from sklearn.base import ClusterMixin, TransformerMixin

from .base import DeepEstimator
from .training import auto_epochs, forward_macs, train_epochs

__all__ = ["ClusterGAN"]


class ClusterGAN(ClusterMixin, TransformerMixin, DeepEstimator):
    """ClusterGAN clusterer.

    Parameters
    ----------
    k : int
        Number of clusters (size of the one-hot code).
    latent_dim : int
        Size of the Gaussian part z_n (30 in the paper for MNIST).
    sigma : float
        Standard deviation of z_n (0.1 in the paper, small so that clusters stay separated).
    beta_n, beta_c : float
        Weights of the encoder's noise-recovery (MSE) and cluster-recovery (cross-entropy) terms.
    hidden : "auto" or sequence of int
        Hidden widths of all three networks; "auto" = (1024,) after the conv trunk, (256, 256) for MLPs.
    arch, input_shape : as :class:`~textcluster.nn.AutoEncoder` ("auto": conv for images >= 16x16).
    scaling : str
        Input scaling; "minmax" maps data to [-1, 1] to match the generator's tanh output.
    max_epochs : int or "auto"
        Epochs ("auto": ``BUDGETS["clustergan"]`` of the device: on CPU at most 8,000 critic steps and 300
        epochs, fewer for costly networks; on CUDA 40,000 critic steps, about 37 epochs of MNIST).
    batch_size, lr, weight_decay : Adam settings (both optimizers).
    gan_loss : "wgan-gp" or "standard"
        "wgan-gp" (the reference implementation's): Wasserstein critic with a gradient penalty (weight
        ``gp_weight``), the generator and encoder updated once per ``n_critic`` critic steps; "standard":
        the non-saturating GAN loss on logits, one generator step per discriminator step.
    n_critic, gp_weight : int, float
        Critic steps per generator step and gradient-penalty weight (``gan_loss="wgan-gp"`` only).
    assign : "kmeans" or "argmax"
        How items get clusters: "kmeans" (the reference implementation's evaluation) runs KMeans (``n_init``
        restarts) on the encoded ``[z_n, softmax(z_c)]`` and new items go to the nearest centre; "argmax" takes
        the largest entry of the encoded one-hot part.
    conv_channels : (int, int)
        Channels of the conv layers (``arch="conv"``): the paper's MNIST networks, (64, 128) -- generator
        FC 1024, FC 7x7x128, up-conv 64, up-conv 1; discriminator and encoder conv 64, conv 128, FC 1024.
    device, random_state, verbose, checkpoint_dir, checkpoint_every, resume : as AutoEncoder.

    Attributes
    ----------
    generator_, discriminator_, encoder_ : torch.nn.Module
    labels_ : int64 (n,)
    history_ : list of per-epoch loss terms
    n_epochs_ : int
    """

    _modules = ("generator_", "discriminator_", "encoder_")
    _arrays = ("mean_", "scale_", "cluster_centers_")
    _default_scaling = "minmax"

    def __init__(self, k: int = 10, *, latent_dim: int = 30, sigma: float = 0.1, beta_n: float = 10.0,
                 beta_c: float = 10.0, hidden: str | Sequence[int] = "auto", arch: str = "auto",
                 input_shape: Sequence[int] | None = None, scaling: str = "minmax", max_epochs: int | str = "auto",
                 batch_size: int = 64, lr: float = 1e-4, weight_decay: float = 2.5e-5, gan_loss: str = "wgan-gp",
                 n_critic: int = 5, gp_weight: float = 10.0, conv_channels: Sequence[int] = (64, 128),
                 assign: str = "kmeans", n_init: int = 20, device: str = "auto",
                 random_state: int | None = 0, verbose: bool = False, checkpoint_dir: str | None = None,
                 checkpoint_every: int = 10, resume: bool = False):
        self.k = k
        self.latent_dim = latent_dim
        self.sigma = sigma
        self.beta_n = beta_n
        self.beta_c = beta_c
        self.hidden = hidden
        self.arch = arch
        self.input_shape = input_shape
        self.scaling = scaling
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.gan_loss = gan_loss
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.conv_channels = conv_channels
        self.assign = assign
        self.n_init = n_init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _build_modules(self) -> None:
        from .blocks import Decoder, Encoder

        if self.hidden == "auto":
            hidden = (1024,) if self.arch_ == "conv" else (256, 256)
        else:
            hidden = tuple(int(h) for h in self.hidden)
        shape, zdim = self.input_shape_, self.latent_dim + self.k
        ch = tuple(int(c) for c in self.conv_channels)
        self.generator_ = Decoder(zdim, shape, hidden, arch=self.arch_, batchnorm=True, out_activation="tanh",
                                  channels=ch)
        self.discriminator_ = Encoder(shape, 1, hidden, arch=self.arch_, activation="leaky_relu", channels=ch)
        self.encoder_ = Encoder(shape, zdim, hidden, arch=self.arch_, activation="leaky_relu", channels=ch)

    def _sample(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        dev = self.device_
        zn = self.sigma * torch.randn(n, self.latent_dim, device=dev)
        idx = torch.randint(0, self.k, (n,), device=dev)
        return zn, idx, F.one_hot(idx, self.k).float()

    def fit(self, X, y=None) -> "ClusterGAN":
        """Train on X (n_samples, n_features) or images; sets ``labels_``."""
        from ..errors import InputError
        from .losses import (clustergan_encoder_terms, gan_discriminator_loss, gan_generator_loss,
                             wgan_critic_loss)

        X = self._validate(X, fitting=True)
        if not isinstance(self.k, (int, np.integer)) or self.k < 2:
            raise InputError(f"k must be an integer >= 2, got {self.k!r}")
        if self.sigma <= 0:
            raise InputError(f"sigma must be > 0, got {self.sigma!r}")
        if self.gan_loss not in ("wgan-gp", "standard"):
            raise InputError(f"gan_loss must be 'wgan-gp' or 'standard', got {self.gan_loss!r}")
        if not isinstance(self.n_critic, (int, np.integer)) or self.n_critic < 1:
            raise InputError(f"n_critic must be a positive integer, got {self.n_critic!r}")
        if self.assign not in ("kmeans", "argmax"):
            raise InputError(f"assign must be 'kmeans' or 'argmax', got {self.assign!r}")
        self._setup(X)
        self.device_ = dev = self._device()
        with self._seeded(dev):
            self._build_modules()
            for name in self._modules:
                getattr(self, name).to(dev)
            Xt = self._to_tensor(X, dev)
            G, D, E = self.generator_, self.discriminator_, self.encoder_
            betas = (0.5, 0.9)
            opt_ge = torch.optim.Adam(list(G.parameters()) + list(E.parameters()), lr=self.lr, betas=betas,
                                      weight_decay=self.weight_decay)
            opt_d = torch.optim.Adam(D.parameters(), lr=self.lr, betas=betas)

            wgan = self.gan_loss == "wgan-gp"
            counter = {"n": 0}

            def generator_step(n: int) -> dict:
                zn, c, onehot = self._sample(n)
                x_gen = G(torch.cat([zn, onehot], 1))
                enc = E(x_gen)
                inv = clustergan_encoder_terms(zn, c, enc[:, :self.latent_dim], enc[:, self.latent_dim:])
                g = -D(x_gen).mean() if wgan else gan_generator_loss(D(x_gen))
                loss_ge = g + self.beta_n * inv["zn"] + self.beta_c * inv["zc"]
                opt_ge.zero_grad(set_to_none=True)
                loss_ge.backward()
                opt_ge.step()
                return {"g": g.detach(), "zn": inv["zn"].detach(), "zc": inv["zc"].detach()}

            def step(idx):
                x = Xt[idx]
                with torch.no_grad():
                    zn, _, onehot = self._sample(len(idx))
                    x_gen = G(torch.cat([zn, onehot], 1))
                if wgan:
                    d = wgan_critic_loss(D, x, x_gen, self.gp_weight)
                else:
                    d = gan_discriminator_loss(D(x), D(x_gen))
                opt_d.zero_grad(set_to_none=True)
                d["loss"].backward()
                opt_d.step()
                counter["n"] += 1
                terms = {"d": d["d"].detach()}
                if not wgan or counter["n"] % self.n_critic == 0:
                    counter["last"] = generator_step(len(idx))
                return {**terms, **counter.get("last", {})}

            z1 = torch.zeros(1, self.latent_dim + self.k, device=dev)
            g_cost, d_cost, e_cost = forward_macs(G, z1), forward_macs(D, Xt[:1]), forward_macs(E, Xt[:1])
            # a critic step: G forward, D on real + fake + the gradient penalty; every n_critic: G, E and D again
            cost = g_cost + 3 * d_cost + (g_cost + e_cost + d_cost) / (self.n_critic if wgan else 1)
            epochs = auto_epochs(self.max_epochs, len(X), self.batch_size, phase="clustergan", device=dev,
                                 cost=cost)
            self.history_ = train_epochs(step, len(X), max_epochs=epochs, batch_size=self.batch_size, device=dev,
                                         modules={"generator": G, "discriminator": D, "encoder": E},
                                         optimizers={"ge": opt_ge, "d": opt_d}, phase="clustergan",
                                         checkpointer=self._checkpointer(), verbose=self.verbose, drop_last=True)
        self.n_epochs_ = len(self.history_)
        Z = self.transform(X)
        if self.assign == "kmeans":
            from sklearn.cluster import KMeans

            km = KMeans(self.k, n_init=self.n_init, random_state=self.random_state).fit(Z)
            self.cluster_centers_ = km.cluster_centers_.astype(np.float32)
        else:  # centres of the argmax clusters (for reference; prediction uses the argmax)
            lab = Z[:, self.latent_dim:].argmax(1)
            self.cluster_centers_ = np.stack([Z[lab == c].mean(0) if (lab == c).any() else np.zeros(Z.shape[1])
                                              for c in range(self.k)]).astype(np.float32)
        self.labels_ = self._assign(Z)
        return self

    def _assign(self, Z: np.ndarray) -> np.ndarray:
        if self.assign == "argmax" or not hasattr(self, "cluster_centers_"):  # (models saved before "kmeans")
            return Z[:, self.latent_dim:].argmax(1).astype(np.int64)
        d = ((Z[:, None, :] - self.cluster_centers_[None]) ** 2).sum(-1)
        return d.argmin(1).astype(np.int64)

    def transform(self, X) -> np.ndarray:
        """Encoded [z_n, softmax(z_c)]: float32 (n_samples, latent_dim + k)."""
        def enc(x):
            e = self.encoder_(x)
            return torch.cat([e[:, :self.latent_dim], e[:, self.latent_dim:].softmax(1)], 1)
        return self._batched(enc, self._validate(X, fitting=False))

    def predict(self, X) -> np.ndarray:
        """Cluster of each item (see ``assign``), int64 (n_samples,)."""
        return self._assign(self.transform(X))

    def generate(self, n: int, cluster: int | None = None) -> np.ndarray:
        """Draw ``n`` items (in the input scale) from cluster ``cluster`` (random clusters when None)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        with self._seeded(self.device_), torch.no_grad():
            self.generator_.eval()
            zn, idx, onehot = self._sample(n)
            if cluster is not None:
                onehot = F.one_hot(torch.full((n,), int(cluster), device=self.device_), self.k).float()
            x = self.generator_(torch.cat([zn, onehot], 1)).cpu().numpy()
        return x * self.scale_ + self.mean_
