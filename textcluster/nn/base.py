"""What every deep model shares: device choice, local seeding, input checks and scaling, batched
inference, and saving/loading weights with safetensors + a JSON config (never pickle)."""
from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from ._lazy import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .training import Checkpointer

__all__ = ["DeepEstimator", "resolve_device", "FORMAT_VERSION"]

logger = logging.getLogger(__name__)
FORMAT_VERSION = 1


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else goes to ``torch.device``."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        from ..errors import InputError
        raise InputError(f"device={device!r} but CUDA is not available; use device='cpu' or 'auto'")
    return dev


class DeepEstimator(BaseEstimator):
    """Mixin base of the torch models (not used directly).

    Subclasses define ``_modules`` (names of fitted ``nn.Module`` attributes), ``_arrays`` (fitted numpy
    arrays), ``_state`` (JSON-able fitted attributes), ``_build_modules()`` and ``_fit_core(Xt)``.
    """

    _modules: tuple[str, ...] = ()
    _arrays: tuple[str, ...] = ("mean_", "scale_")
    _state: tuple[str, ...] = ("n_features_in_", "input_shape_", "arch_", "history_", "n_epochs_")
    _default_scaling = "standard"

    # -- helpers -------------------------------------------------------------------------------------
    def _device(self) -> torch.device:
        return resolve_device(self.device)

    @contextlib.contextmanager
    def _seeded(self, device: torch.device) -> Iterator[None]:
        """Fork torch's RNGs (CPU and the used GPU), seed them from ``random_state``, restore on exit."""
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            seed = self.random_state if self.random_state is not None else \
                int(np.random.default_rng().integers(2 ** 31))
            torch.manual_seed(int(seed))
            yield

    def _checkpointer(self) -> Checkpointer:
        return Checkpointer(getattr(self, "checkpoint_dir", None), getattr(self, "checkpoint_every", 10),
                            getattr(self, "resume", False))

    def _validate(self, X, *, fitting: bool) -> np.ndarray:
        from ..errors import InputError

        X = np.asarray(X, dtype=np.float32)
        if X.ndim > 2:  # images (n, h, w) or (n, c, h, w): flatten, remember the shape
            if fitting and getattr(self, "input_shape", None) is None:
                self._image_shape = (1, *X.shape[1:]) if X.ndim == 3 else tuple(X.shape[1:])
            X = X.reshape(X.shape[0], -1)
        if X.ndim != 2 or X.shape[0] == 0:
            raise InputError(f"expected a non-empty 2-D array (n_samples, n_features), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise InputError("input contains NaN or infinite values; impute or drop them first")
        if not fitting:
            check_is_fitted(self)
            if X.shape[1] != self.n_features_in_:
                raise InputError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        return X

    def _setup(self, X: np.ndarray) -> None:
        """Set shape, architecture and scaling from the training data."""
        from ..errors import InputError

        self.n_features_in_ = int(X.shape[1])
        shape = getattr(self, "input_shape", None) or getattr(self, "_image_shape", None)
        if shape is not None:
            shape = tuple(int(s) for s in shape)
            if len(shape) == 2:
                shape = (1, *shape)
            if int(np.prod(shape)) != X.shape[1]:
                raise InputError(f"input_shape={shape} does not match {X.shape[1]} features")
        self.input_shape_ = list(shape) if shape is not None else [X.shape[1]]
        from .blocks import resolve_arch

        try:
            self.arch_ = resolve_arch(self.arch, shape)
            if self.arch_ == "conv" and (shape is None or len(shape) != 3 or shape[1] % 4 or shape[2] % 4):
                raise ValueError
        except (ValueError, KeyError):
            raise InputError(f"arch={self.arch!r} needs input_shape=(channels, height, width) with sides "
                             f"divisible by 4; got {shape}. Use arch='mlp'") from None
        scaling = getattr(self, "scaling", self._default_scaling)
        if scaling == "standard":  # centre each feature, divide by one global spread (keeps relative scales)
            self.mean_ = X.mean(0).astype(np.float32)
            s = float(np.sqrt(((X - self.mean_) ** 2).mean()))
            self.scale_ = np.array([s if s > 0 else 1.0], dtype=np.float32)
        elif scaling == "minmax":  # to [-1, 1] with one global min and max
            lo, hi = float(X.min()), float(X.max())
            self.mean_ = np.full(X.shape[1], (lo + hi) / 2, dtype=np.float32)
            self.scale_ = np.array([(hi - lo) / 2 if hi > lo else 1.0], dtype=np.float32)
        elif scaling == "none":
            self.mean_ = np.zeros(X.shape[1], np.float32)
            self.scale_ = np.ones(1, np.float32)
        else:
            raise InputError(f"scaling must be 'standard', 'minmax' or 'none', got {scaling!r}")

    def _to_tensor(self, X: np.ndarray, device: torch.device) -> torch.Tensor:
        return torch.from_numpy((X - self.mean_) / self.scale_).to(device)

    def _check_common(self) -> None:
        from ..errors import InputError

        for name in ("max_epochs", "batch_size"):
            v = getattr(self, name, 1)
            if not isinstance(v, (int, np.integer)) or v < (0 if name == "max_epochs" else 1):
                raise InputError(f"{name} must be a positive integer, got {v!r}")
        if getattr(self, "lr", 1.0) <= 0:
            raise InputError(f"lr must be > 0, got {self.lr!r}")

    def _batched(self, fn: Callable[[torch.Tensor], torch.Tensor], X: np.ndarray,
                 batch_size: int | None = None) -> np.ndarray:
        """Apply ``fn`` to scaled batches of ``X`` in eval mode without gradients; float32 numpy out."""
        device = self.device_
        for name in self._modules:
            getattr(self, name).eval()
        bs = batch_size or max(1024, getattr(self, "batch_size", 256))
        out = []
        with torch.no_grad():
            for s in range(0, len(X), bs):
                out.append(fn(self._to_tensor(X[s:s + bs], device)).float().cpu())
        return torch.cat(out).numpy()

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``path/config.json`` (class, parameters, fitted state) and ``path/weights.safetensors``."""
        from safetensors.torch import save_file

        check_is_fitted(self)
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {}
        for name in self._modules:
            for k, v in getattr(self, name).state_dict().items():
                tensors[f"{name}.{k}"] = v.detach().cpu().contiguous()
        for name in self._arrays:
            tensors[f"array.{name}"] = torch.from_numpy(np.ascontiguousarray(getattr(self, name)))
        params = {k: (str(v) if isinstance(v, os.PathLike) else v) for k, v in self.get_params().items()}
        config = {"format_version": FORMAT_VERSION, "class": type(self).__name__, "params": params,
                  "state": {k: getattr(self, k) for k in self._state if hasattr(self, k)}}
        save_file(tensors, str(path / "weights.safetensors"))
        (path / "config.json").write_text(json.dumps(config, indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> "DeepEstimator":
        """Rebuild a model written by :meth:`save` (on ``device``, default: the saved setting)."""
        from safetensors.torch import load_file

        from ..errors import InputError

        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read a saved model from {path}: {exc}") from None
        if config.get("format_version") != FORMAT_VERSION:
            raise InputError(f"{path}: unsupported model format {config.get('format_version')!r}")
        if config["class"] != cls.__name__:
            from . import MODELS
            if config["class"] not in MODELS:
                raise InputError(f"{path}: unknown model class {config['class']!r}")
            return MODELS[config["class"]].load(path, device=device)
        params = config["params"]
        for k, v in params.items():
            if isinstance(v, list):
                params[k] = tuple(v)
        if device is not None:
            params["device"] = device
        model = cls(**params)
        for k, v in config["state"].items():
            setattr(model, k, v)
        tensors = load_file(str(path / "weights.safetensors"))
        for name in cls._arrays:
            if f"array.{name}" in tensors:  # absent in models saved before the array existed
                setattr(model, name, tensors[f"array.{name}"].numpy())
        model.device_ = model._device()
        model._build_modules()
        for name in cls._modules:
            module = getattr(model, name)
            prefix = f"{name}."
            module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            module.to(model.device_).eval()
        return model

    def _build_modules(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
