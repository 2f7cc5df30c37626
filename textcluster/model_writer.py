"""Writing a model directory (see :mod:`textcluster.persistence`): :class:`ModelWriter` encodes a fitted
estimator's parameters and fitted attributes into typed JSON specs, writing arrays (``.npy``), word vectors
(``.w2v``) and torch models (their own sub-folder) beside them and recording each file's SHA-256.
"""
from __future__ import annotations

import hashlib
import re
import types
from pathlib import Path
from typing import Any

import numpy as np

from . import safeload
from .errors import InputError

__all__ = ["ModelWriter", "class_path", "file_sha256"]

#: modules whose estimators the writer descends into (what it may save is safeload's allow-list)
_ALLOWED_MODULES = ("textcluster.", "sklearn.")
#: attributes that are not stored, per class name: training data, or state rebuilt on load (the hdbscan
#: model is refitted from the stored rows through hdbscan's public API: HDBSCANClusterer.rebuild_model)
_SKIP_STATE = {
    "TextClusterer": {"tokens_", "vectors_", "embedding_", "texts_"},
    "SpacyTokenizer": {"nlp_"},
    "HDBSCANClusterer": {"model_"},
}
_SKIP_PARAMS: dict = {}


class _Unsupported(InputError):
    pass


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file at ``path`` (the checksum a model config records for each of its files)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _plain(value: Any):
    """``value`` as plain JSON (numpy scalars converted), or raise TypeError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not np.isfinite(v):
            raise TypeError("non-finite float")
        return v
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def _is_fitted(est) -> bool:
    """True when ``est`` has fitted state (an unfitted stage given as a parameter is saved as parameters)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


def class_path(obj, *, nn: bool = False) -> str:
    """The allow-list name of ``obj``'s class (safeload.COMPONENTS); refuses classes that cannot be loaded."""
    name = safeload.component_name(obj, nn=nn)
    if name is None:
        raise _Unsupported(f"cannot save {type(obj).__module__}.{type(obj).__qualname__}: it is not one of the "
                           "components a saved model may hold")
    return name


class ModelWriter:
    """Encodes objects into JSON-able specs, writing arrays and word vectors into ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, str] = {}

    def _name(self, where: str, ext: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", where).strip("-.") or "array"
        name, i = f"{stem}{ext}", 1
        while name in self.files:
            i += 1
            name = f"{stem}-{i}{ext}"
        return name

    def _record(self, name: str) -> None:
        self.files[name] = file_sha256(self.root / name)

    def array(self, arr: np.ndarray, where: str) -> dict:
        if arr.dtype.hasobject:
            raise _Unsupported(f"cannot save {where}: an array of Python objects has no safe format")
        name = self._name(where, ".npy")
        np.save(self.root / name, arr, allow_pickle=False)  # keeps C/Fortran order: same BLAS sums
        self._record(name)
        return {"npy": name, "shape": list(arr.shape), "dtype": arr.dtype.str}

    def keyed_vectors(self, kv, where: str) -> dict:
        keys = [str(k) for k in kv.index_to_key]
        if any(re.search(r"\s", k) or not k for k in keys):
            # word2vec format separates words by whitespace: store such vocabularies as arrays
            return {"keyed_vectors": {"keys": self.array(np.asarray(keys, dtype=str), where + ".keys"),
                                      "vectors": self.array(np.asarray(kv.vectors), where + ".vectors")}}
        name = self._name(where, ".w2v")
        kv.save_word2vec_format(str(self.root / name), binary=True)
        self._record(name)
        return {"word2vec": name, "dtype": str(kv.vectors.dtype), "shape": list(kv.vectors.shape)}

    def encode(self, value: Any, where: str) -> dict:
        try:
            return {"json": _plain(value)}
        except TypeError:
            pass
        if isinstance(value, (float, np.floating)):  # inf / nan (finite floats are plain JSON)
            return {"float": repr(float(value))}
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            return {"set": _plain(sorted(value))}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"dict": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}}
        if isinstance(value, list):
            return {"list": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"dtype": np.dtype(value).name}
        if isinstance(value, np.dtype) and value.fields is None:
            return {"np_dtype": value.str}
        if isinstance(value, types.FunctionType):
            path = safeload.function_name(value)
            return {"function": path} if path else self._fail(value, where)
        mod = type(value).__module__
        if mod.startswith("gensim.models.keyedvectors"):
            return self.keyed_vectors(value, where)
        if type(value).__name__ == "Topic" and mod == "textcluster.topics":
            from dataclasses import asdict
            return {"topic": _plain({k: (list(map(list, v)) if k == "words" else v)
                                     for k, v in asdict(value).items()})}
        if mod.startswith("textcluster.nn") and hasattr(value, "save") and hasattr(type(value), "load") \
                and _is_fitted(value):
            # torch models of textcluster.nn write their own folder: weights.safetensors + config.json
            sub = self._name(where, "")
            value.save(self.root / sub)
            for f in sorted((self.root / sub).rglob("*")):
                if f.is_file():
                    self._record(f.relative_to(self.root).as_posix())
            return {"nn_model": sub, "class": class_path(value, nn=True)}
        if mod == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
            return {"torch": self.array(value.detach().cpu().numpy(), where)}
        if hasattr(value, "get_params") and (mod + ".").startswith(_ALLOWED_MODULES):
            return self.estimator(value, where)
        return self._fail(value, where)

    @staticmethod
    def _fail(value, where: str):
        raise _Unsupported(f"cannot save {where}: {type(value).__module__}.{type(value).__qualname__} has no "
                           "safe (pickle-free) format in textcluster yet")

    def estimator(self, est, where: str) -> dict:
        cls = type(est).__name__
        skip_p = _SKIP_PARAMS.get(cls, set())
        params = {k: self.encode(v, f"{where}.{k}") for k, v in est.get_params(deep=False).items()
                  if k not in skip_p}
        skip = _SKIP_STATE.get(cls, set())
        state = {}
        for k, v in vars(est).items():
            if k in params or k in skip_p or k in skip:
                continue
            state[k] = self.encode(v, f"{where}.{k}")
        return {"estimator": class_path(est), "params": params, "state": state}
