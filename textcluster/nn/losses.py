"""Loss functions of the deep models; each returns a dict of named terms, ``"loss"`` being the total.

The named terms feed the training loop's progress bar and the models' ``history_``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["reconstruction_loss", "vae_loss", "soft_assignment", "target_distribution", "dec_loss",
           "idec_loss", "gan_discriminator_loss", "gan_generator_loss", "wgan_critic_loss",
           "clustergan_encoder_terms"]


def reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean squared error over all entries: ``{"loss", "recon"}``."""
    recon = F.mse_loss(x_hat, x)
    return {"loss": recon, "recon": recon}


def vae_loss(x: torch.Tensor, x_hat: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float = 1.0) -> dict[str, torch.Tensor]:
    """Gaussian VAE objective per item: summed squared error + ``beta`` * KL(q(z|x) || N(0, I)).

    Shapes: x, x_hat (n, d); mu, logvar (n, latent). Returns ``{"loss", "recon", "kl"}`` (per-item means).
    """
    recon = 0.5 * ((x_hat - x) ** 2).sum(1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def soft_assignment(z: torch.Tensor, centers: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """DEC's Student-t kernel q_ij between embeddings z (n, p) and centres (k, p); rows sum to 1."""
    d2 = torch.cdist(z, centers).pow(2)
    q = (1.0 + d2 / alpha).pow(-(alpha + 1.0) / 2.0)
    return q / q.sum(1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target p_ij = (q_ij^2 / f_j) / sum_j'(q_ij'^2 / f_j'), f_j = sum_i q_ij."""
    w = q.pow(2) / q.sum(0, keepdim=True)
    return w / w.sum(1, keepdim=True)


def dec_loss(q: torch.Tensor, p: torch.Tensor) -> dict[str, torch.Tensor]:
    """KL(P || Q), batch mean: ``{"loss", "kl"}``."""
    kl = (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(1).mean()
    return {"loss": kl, "kl": kl}


def idec_loss(x: torch.Tensor, x_hat: torch.Tensor, q: torch.Tensor, p: torch.Tensor,
              gamma: float = 0.1) -> dict[str, torch.Tensor]:
    """IDEC: reconstruction MSE + ``gamma`` * KL(P || Q): ``{"loss", "recon", "kl"}``."""
    recon = F.mse_loss(x_hat, x)
    kl = dec_loss(q, p)["kl"]
    return {"loss": recon + gamma * kl, "recon": recon, "kl": kl}


def gan_discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> dict[str, torch.Tensor]:
    """Non-saturating GAN discriminator loss on logits: ``{"loss", "d"}``."""
    d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    return {"loss": d, "d": d}


def gan_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss on the discriminator's logits for generated items."""
    return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


def wgan_critic_loss(critic: torch.nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor,
                     gp_weight: float = 10.0) -> dict[str, torch.Tensor]:
    """WGAN-GP critic loss (Gulrajani et al. 2017): mean critic(fake) - mean critic(real) + ``gp_weight`` *
    mean (||grad critic(x_hat)|| - 1)^2 at random interpolates x_hat; x_real, x_fake (n, d) flat batches.
    Returns ``{"loss", "d"}`` ("d" = the Wasserstein estimate real - fake)."""
    eps = torch.rand(x_real.shape[0], 1, device=x_real.device, dtype=x_real.dtype)
    x_hat = (eps * x_real + (1 - eps) * x_fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    w = critic(x_real).mean() - critic(x_fake).mean()
    return {"loss": -w + gp_weight * gp, "d": w.detach()}


def clustergan_encoder_terms(zn: torch.Tensor, zc_idx: torch.Tensor, zn_hat: torch.Tensor,
                             zc_logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """ClusterGAN's inversion terms: MSE on the noise part, cross-entropy on the cluster code."""
    return {"zn": F.mse_loss(zn_hat, zn), "zc": F.cross_entropy(zc_logits, zc_idx)}
