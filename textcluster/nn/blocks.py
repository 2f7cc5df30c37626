"""Network builders shared by every deep model: one :class:`Encoder` / :class:`Decoder` pair.

Both work on *flat* float32 batches of shape (n, prod(shape)); the conv variant reshapes to
(n, c, h, w) internally, so callers never care which trunk is inside.

- ``arch="mlp"``: Linear layers of widths ``hidden`` (e.g. the DEC paper's d-500-500-2000-10).
- ``arch="conv"``: two stride-2 4x4 convolutions (``channels``, 32 and 64 by default), then Linear layers of
  widths ``hidden``;
  needs an image shape (c, h, w) with h and w divisible by 4 (MNIST 28x28, digits 8x8).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

__all__ = ["Encoder", "Decoder", "ClusterCentres", "mlp", "resolve_arch", "ACTIVATIONS"]

ACTIVATIONS = {"relu": lambda: nn.ReLU(), "leaky_relu": lambda: nn.LeakyReLU(0.2), "elu": lambda: nn.ELU()}
OUT_ACTIVATIONS = {"linear": None, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
_CONV_CHANNELS = (32, 64)


def mlp(dims: Sequence[int], *, activation: str = "relu", batchnorm: bool = False,
        last_activation: bool = False) -> nn.Sequential:
    """Linear layers ``dims[0] -> dims[1] -> ...``; activation (and BatchNorm) between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2 or last_activation:
            if batchnorm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def resolve_arch(arch: str, input_shape: Sequence[int] | None) -> str:
    """``"auto"`` -> ``"conv"`` for images of 16x16 or larger with sides divisible by 4, else ``"mlp"``."""
    if arch != "auto":
        return arch
    if input_shape is not None and len(input_shape) == 3:
        _, h, w = input_shape
        if h >= 16 and w >= 16 and h % 4 == 0 and w % 4 == 0:
            return "conv"
    return "mlp"


def _check_conv_shape(shape) -> tuple[int, int, int]:
    if shape is None or len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        raise ValueError(f"arch='conv' needs input_shape (channels, height, width) with height and width "
                         f"divisible by 4, got {shape}")
    return int(shape[0]), int(shape[1]), int(shape[2])


class Encoder(nn.Module):
    """Map flat inputs (n, d) to (n, out_dim).

    Parameters
    ----------
    in_shape : tuple of int
        (d,) for vectors, (c, h, w) for images (d = c*h*w).
    out_dim : int
        Output width (latent size; 2*latent for a VAE; latent + k for the ClusterGAN encoder).
    hidden : sequence of int
        Widths of the hidden Linear layers.
    arch : "mlp" or "conv"
    activation : "relu", "leaky_relu" or "elu"
    batchnorm : bool
        BatchNorm after hidden layers.
    channels : (int, int)
        Channels of the two conv layers (``arch="conv"``); (32, 64) by default, (64, 128) in ClusterGAN's paper.
    """

    def __init__(self, in_shape: Sequence[int], out_dim: int, hidden: Sequence[int] = (500, 500, 2000), *,
                 arch: str = "mlp", activation: str = "relu", batchnorm: bool = False,
                 channels: Sequence[int] = _CONV_CHANNELS):
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        self.in_dim = int(torch.tensor(self.in_shape).prod())
        self.arch = arch
        if arch == "conv":
            c, h, w = _check_conv_shape(self.in_shape)
            c1, c2 = (int(v) for v in channels)
            act = ACTIVATIONS[activation]
            self.trunk = nn.Sequential(nn.Conv2d(c, c1, 4, 2, 1), act(), nn.Conv2d(c1, c2, 4, 2, 1),
                                       *( [nn.BatchNorm2d(c2)] if batchnorm else []), act(), nn.Flatten())
            first = c2 * (h // 4) * (w // 4)
            self.head = mlp([first, *hidden, out_dim], activation=activation, batchnorm=batchnorm)
            if not hidden:  # flatten straight into the output layer
                self.head = nn.Linear(first, out_dim)
        elif arch == "mlp":
            self.trunk = nn.Identity()
            self.head = mlp([self.in_dim, *hidden, out_dim], activation=activation, batchnorm=batchnorm)
        else:
            raise ValueError(f"arch must be 'mlp' or 'conv', got {arch!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.arch == "conv":
            x = x.reshape(x.shape[0], *self.in_shape)
        return self.head(self.trunk(x))


class Decoder(nn.Module):
    """Map latent codes (n, latent_dim) to flat outputs (n, d); the mirror image of :class:`Encoder`.

    ``hidden`` is given in encoder order and reversed here. ``out_activation`` is "linear" (standardised
    data), "sigmoid" ([0, 1]) or "tanh" ([-1, 1]).
    """

    def __init__(self, latent_dim: int, out_shape: Sequence[int], hidden: Sequence[int] = (500, 500, 2000), *,
                 arch: str = "mlp", activation: str = "relu", batchnorm: bool = False,
                 out_activation: str = "linear", channels: Sequence[int] = _CONV_CHANNELS):
        super().__init__()
        self.out_shape = tuple(int(s) for s in out_shape)
        self.out_dim = int(torch.tensor(self.out_shape).prod())
        self.arch = arch
        rev = list(hidden)[::-1]
        out_act = OUT_ACTIVATIONS[out_activation]
        if arch == "conv":
            c, h, w = _check_conv_shape(self.out_shape)
            c1, c2 = (int(v) for v in channels)
            act = ACTIVATIONS[activation]
            self._grid = (c2, h // 4, w // 4)
            first = c2 * (h // 4) * (w // 4)
            self.head = mlp([latent_dim, *rev, first], activation=activation, batchnorm=batchnorm,
                            last_activation=True)
            self.trunk = nn.Sequential(nn.ConvTranspose2d(c2, c1, 4, 2, 1),
                                       *([nn.BatchNorm2d(c1)] if batchnorm else []), act(),
                                       nn.ConvTranspose2d(c1, c, 4, 2, 1), nn.Flatten())
        elif arch == "mlp":
            self.head = mlp([latent_dim, *rev, self.out_dim], activation=activation, batchnorm=batchnorm)
            self.trunk = nn.Identity()
        else:
            raise ValueError(f"arch must be 'mlp' or 'conv', got {arch!r}")
        self.out_act = out_act() if out_act is not None else nn.Identity()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.head(z)
        if self.arch == "conv":
            h = h.reshape(h.shape[0], *self._grid)
        return self.out_act(self.trunk(h))


class ClusterCentres(torch.nn.Module):
    """Holds the k x p centres as a trainable parameter."""

    def __init__(self, k: int, dim: int):
        super().__init__()
        self.centres = torch.nn.Parameter(torch.zeros(k, dim))
