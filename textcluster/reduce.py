"""Optional dimensionality reduction between document vectors and clustering.

``make_reducer(name)`` returns a scikit-learn transformer, or None for ``"none"``.
"""
from __future__ import annotations

import logging

from sklearn.decomposition import PCA

from .errors import InputError

__all__ = ["make_reducer", "REDUCERS"]


class CappedPCA(PCA):
    """scikit-learn PCA whose integer ``n_components`` is capped at min(n_samples, n_features) in ``fit``.

    A corpus of 10 documents with ``reduce="pca"`` (50 components) then gives 10 components instead of a
    ValueError; the cap is logged. ``n_components_`` holds the number actually used.
    """

    def fit_transform(self, X, y=None):
        import numpy as np

        requested = self.n_components
        cap = min(np.shape(X)) if np.ndim(X) == 2 else None
        if isinstance(requested, (int, np.integer)) and not isinstance(requested, bool) and cap \
                and requested > cap:
            logging.getLogger(__name__).warning("PCA: %d components requested, %d samples x features allow "
                                                "%d; using %d", requested, np.shape(X)[0], cap, cap)
            self.n_components = cap
            try:
                return super().fit_transform(X, y)
            finally:
                self.n_components = requested
        return super().fit_transform(X, y)

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self


def _pca(n_components: int = 50, random_state: int | None = 0, **params):
    return CappedPCA(n_components=n_components, random_state=random_state, **params)


def _ae(n_components: int = 10, random_state: int | None = 0, **params):
    """Autoencoder reducer (:class:`textcluster.nn.AutoEncoder`); torch loads on first fit."""
    from .nn import AutoEncoder

    return AutoEncoder(n_components=n_components, random_state=random_state, **params)


def _vae(n_components: int = 10, random_state: int | None = 0, **params):
    """VAE reducer (:class:`textcluster.nn.VAE`, posterior mean as output); torch loads on first fit."""
    from .nn import VAE

    return VAE(n_components=n_components, random_state=random_state, **params)


#: reducer name -> factory(n_components=..., random_state=..., **params); other reducers register here.
REDUCERS: dict = {"none": None, "pca": _pca, "ae": _ae, "vae": _vae}


def make_reducer(name: str, *, random_state: int | None = 0, **params):
    """Build the reducer ``name`` (see :data:`REDUCERS`); None means no reduction."""
    if name not in REDUCERS:
        raise InputError(f"unknown reducer {name!r}; choose one of {', '.join(REDUCERS)}")
    factory = REDUCERS[name]
    return None if factory is None else factory(random_state=random_state, **params)
