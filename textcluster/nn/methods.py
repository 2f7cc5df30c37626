"""Factories of the text pipeline's autoencoder reducers (named in :mod:`textcluster.registry`)."""
from __future__ import annotations

# -- factories named by textcluster.registry ------------------------------------------------------------------
def ae_reducer(**params):
    """The text pipeline's ``ae`` reducer: a 10-d :class:`AutoEncoder`."""
    from .autoencoder import AutoEncoder
    return AutoEncoder(**{"n_components": 10, **params})


def vae_reducer(**params):
    """The text pipeline's ``vae`` reducer: a 10-d :class:`VAE` with ``beta`` 0.01 (the class's own default
    is 1): on pooled document vectors the full KL weight collapses most latent dimensions (20 Newsgroups,
    KMeans NMI 0.394 vs 0.453 unreduced), while 0.01 keeps the clusters (0.452 vs 0.450, 3 seeds)."""
    from .vae import VAE
    return VAE(**{"n_components": 10, "beta": 0.01, **params})
