"""Optional dimensionality reduction between document vectors and clustering.

``make_reducer(name)`` returns a scikit-learn transformer, or None for ``"none"``.
"""
from __future__ import annotations

from sklearn.decomposition import PCA

from .errors import InputError

__all__ = ["make_reducer", "REDUCERS"]


def _pca(n_components: int = 50, random_state: int | None = 0, **params):
    return PCA(n_components=n_components, random_state=random_state, **params)


#: reducer name -> factory(n_components=..., random_state=..., **params); other reducers register here.
REDUCERS: dict = {"none": None, "pca": _pca}


def make_reducer(name: str, *, random_state: int | None = 0, **params):
    """Build the reducer ``name`` (see :data:`REDUCERS`); None means no reduction."""
    if name not in REDUCERS:
        raise InputError(f"unknown reducer {name!r}; choose one of {', '.join(REDUCERS)}")
    factory = REDUCERS[name]
    return None if factory is None else factory(random_state=random_state, **params)
