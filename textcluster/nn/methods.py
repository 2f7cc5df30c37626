"""Named clustering methods for feature rows and images (what ``textcluster images`` / ``table`` run)."""
from __future__ import annotations

from typing import Sequence

__all__ = ["METHODS", "make_method"]

#: method names accepted by ``--method``.
METHODS = ("ae-kmeans", "vae-kmeans", "n2d", "dec", "idec", "clustergan", "kmeans")


def make_method(name: str, *, k: int, random_state: int | None = 0, device: str = "auto",
                input_shape: Sequence[int] | None = None, verbose: bool = False, **params):
    """Build the clusterer ``name`` (see :data:`METHODS`).

    Parameters
    ----------
    name : str
        "ae-kmeans" / "vae-kmeans" (encoder + KMeans on the codes), "n2d" (autoencoder, UMAP of the codes,
        KMeans: McConville et al. 2020), "dec", "idec", "clustergan", or "kmeans"
        (scikit-learn KMeans on the raw features, the baseline).
    k : int
        Number of clusters.
    input_shape : (channels, height, width), optional
        Image shape of the feature rows (lets the deep models use the conv trunk).
    **params
        Further estimator parameters (``max_epochs``, ``batch_size``, ``checkpoint_dir``, ...); ``None``
        values are dropped so callers can pass unset options through.
    """
    from ..errors import InputError

    params = {key: v for key, v in params.items() if v is not None}
    if name == "kmeans":
        from ..cluster import KMeansClusterer

        return KMeansClusterer(k, random_state=random_state)
    common = dict(random_state=random_state, device=device, input_shape=input_shape, verbose=verbose, **params)
    if name in ("ae-kmeans", "vae-kmeans"):
        from .autoencoder import AutoEncoderKMeans

        common.pop("pretrain_epochs", None)
        return AutoEncoderKMeans(k, reducer=name.split("-")[0], **common)
    if name == "n2d":
        from .autoencoder import AutoEncoderKMeans

        common.pop("pretrain_epochs", None)
        return AutoEncoderKMeans(k, reducer="ae", **{"manifold": "umap", **common})
    if name in ("dec", "idec"):
        from .dec import DEC, IDEC

        return (DEC if name == "dec" else IDEC)(k, **common)
    if name == "clustergan":
        from .clustergan import ClusterGAN

        common.pop("pretrain_epochs", None)
        return ClusterGAN(k, **common)
    raise InputError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
