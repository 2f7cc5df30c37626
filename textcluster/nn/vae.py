"""Variational autoencoder with a ``beta`` weight on the KL term; ``transform`` returns the latent mean."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from ._lazy import torch

from .autoencoder import AutoEncoder
from .training import train_epochs

__all__ = ["VAE"]


class VAE(AutoEncoder):
    """Gaussian VAE (encoder -> mean and log-variance, reparameterised sample, decoder -> reconstruction).

    Objective per item: 0.5 * ||x - x_hat||^2 + ``beta`` * KL(q(z|x) || N(0, I)) on the scaled inputs.
    ``transform`` gives the posterior mean (n, n_components), which is what downstream clustering uses.
    Other parameters and attributes as :class:`~textcluster.nn.AutoEncoder`.

    Parameters
    ----------
    beta : float
        Weight of the KL term (beta-VAE); smaller keeps more detail, larger a smoother latent space.
    """

    _out_factor = 2

    def __init__(self, n_components: int = 10, *, beta: float = 1.0, hidden: str | Sequence[int] = "auto",
                 arch: str = "auto", input_shape: Sequence[int] | None = None, scaling: str = "standard",
                 max_epochs: int | str = "auto", batch_size: int = 256, lr: float = 1e-3,
                 weight_decay: float = 0.0, device: str = "auto", random_state: int | None = 0,
                 verbose: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 10,
                 resume: bool = False):
        super().__init__(n_components, hidden=hidden, arch=arch, input_shape=input_shape, scaling=scaling,
                         max_epochs=max_epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                         device=device, random_state=random_state, verbose=verbose, checkpoint_dir=checkpoint_dir,
                         checkpoint_every=checkpoint_every, resume=resume)
        self.beta = beta
        del self.noise

    noise = 0.0  # not a VAE parameter; the class attribute satisfies the shared code path

    def _check_params(self) -> None:
        from ..errors import InputError

        super()._check_params()
        if not self.beta >= 0:
            raise InputError(f"beta must be >= 0, got {self.beta!r}")

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder_(x).chunk(2, dim=1)
        return mu, logvar.clamp(-20.0, 10.0)

    def _train(self, Xt: torch.Tensor, epochs: int) -> list[dict]:
        from .losses import vae_loss

        params = list(self.encoder_.parameters()) + list(self.decoder_.parameters())
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)

        def step(idx):
            x = Xt[idx]
            mu, logvar = self._encode(x)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            terms = vae_loss(x, self.decoder_(z), mu, logvar, self.beta)
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            return {k: v.detach() for k, v in terms.items()}

        return train_epochs(step, len(Xt), max_epochs=epochs, batch_size=self.batch_size, device=self.device_,
                            modules={"encoder": self.encoder_, "decoder": self.decoder_}, optimizers={"adam": opt},
                            phase="vae", checkpointer=self._checkpointer(), verbose=self.verbose)

    def transform(self, X) -> np.ndarray:
        """Posterior means: float32 (n_samples, n_components)."""
        X = self._validate(X, fitting=False)
        return self._batched(lambda x: self._encode(x)[0], X)
