"""The torch encoder core: shared Encoder/Decoder blocks, losses, one training loop, and the deep models.

Only torch, numpy and scikit-learn are used here (never spaCy, gensim or typer).
"""
from .autoencoder import AutoEncoder
from .base import DeepEstimator, resolve_device
from .clustergan import ClusterGAN
from .dec import DEC, IDEC
from .training import Checkpointer, StopTraining, time_limit, train_epochs
from .vae import VAE

__all__ = ["AutoEncoder", "VAE", "DEC", "IDEC", "ClusterGAN", "Encoder", "Decoder",
           "DeepEstimator", "resolve_device", "train_epochs", "Checkpointer", "StopTraining", "time_limit", "MODELS",
           "load_model"]

#: class name -> class, used by :func:`load_model` (models built on this core, e.g.
#: :class:`textcluster.encoder_kmeans.AutoEncoderKMeans`, add themselves).
MODELS: dict[str, type] = {c.__name__: c for c in (AutoEncoder, VAE, DEC, IDEC, ClusterGAN)}


def __getattr__(name: str):
    if name in ("Encoder", "Decoder"):  # torch modules: imported on first use
        from . import blocks
        return getattr(blocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_model(path, *, device: str | None = None):
    """Load any model written by ``.save(path)`` (reads ``path/config.json`` to pick the class)."""
    import json
    from pathlib import Path

    from ..errors import InputError

    try:
        name = json.loads((Path(path) / "config.json").read_text())["class"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read a saved model from {path}: {exc}") from None
    if name not in MODELS:
        raise InputError(f"{path}: unknown model class {name!r}")
    return MODELS[name].load(path, device=device)
