"""Save and load a fitted :class:`~textcluster.pipeline.TextClusterer` without pickle.

A model directory holds

- ``config.json``: ``{"format": "textcluster-model", "format_version": N, ...}``, the model's parameters,
  every fitted attribute in a small typed JSON encoding, and the SHA-256 of every array file;
- ``*.npy``: numeric arrays (read back with ``np.load(allow_pickle=False)``);
- ``*.w2v``: word vectors in the binary word2vec format (gensim ``KeyedVectors``);
- a sub-folder per torch model of :mod:`textcluster.nn` (e.g. an autoencoder reducer), written by its own
  ``save``: ``weights.safetensors`` + ``config.json`` (checksummed here too).

Loading never unpickles and never runs code from the directory: objects are rebuilt only from classes of
``textcluster``, ``sklearn`` and ``hdbscan`` named in the config (anything else is refused), with JSON
parameters, and every array file is checked against its checksum before it is read. Derived state that
cannot be stored safely (the spaCy pipeline, hdbscan's prediction index) is rebuilt from stored data.

Not stored: the training texts, their tokens and vectors (``tokens_``, ``vectors_``, ``embedding_``,
``texts_``); a loaded model predicts, describes its topics and lists the training ids and labels, but helpers
that need the training texts say so.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re
import types
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["save_model", "load_model", "FORMAT_NAME", "FORMAT_VERSION", "CONFIG_NAME"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "textcluster-model"
#: bump when the layout changes incompatibly; older versions are refused with a clear message.
#: 2: the pipeline's stages are parameters (embedder / reducer / clusterer), "no reducer" is a Passthrough.
FORMAT_VERSION = 2
CONFIG_NAME = "config.json"

#: modules whose classes / functions a config may name (never anything else)
_ALLOWED_MODULES = ("textcluster.", "sklearn.", "hdbscan.")
#: attributes that are not stored, per class name: training data, or state rebuilt on load
_SKIP_STATE = {
    "TextClusterer": {"tokens_", "vectors_", "embedding_", "texts_"},
    "SpacyTokenizer": {"nlp_"},
    "HDBSCAN": {"_prediction_data", "_branch_detection_data", "_relative_validity"},
}
_SKIP_PARAMS = {"HDBSCAN": {"memory"}}  # joblib cache: default (no caching) is used on load


class _Unsupported(InputError):
    pass


def _sha256(path: Path) -> str:
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


def _class_path(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(path: str):
    """Import ``module:qualname`` from an allowed module (textcluster, sklearn, hdbscan) only."""
    module, _, qual = path.partition(":")
    if not qual or not (module + ".").startswith(_ALLOWED_MODULES) or "<" in qual:
        raise InputError(f"model config names {path!r}, which is not a textcluster, scikit-learn or hdbscan "
                         "object; refusing to load it")
    try:
        obj = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise InputError(f"model config names {path!r}, which this installation does not have; "
                         "install the textcluster version that saved the model or re-fit it") from None
    # Only objects *defined* in an allowed module: "textcluster.atomic:shutil.rmtree" is reachable by
    # attribute access but belongs to the standard library, so it is refused.
    if not (str(getattr(obj, "__module__", None)) + ".").startswith(_ALLOWED_MODULES):
        raise InputError(f"model config names {path!r}, which is not a textcluster, scikit-learn or hdbscan "
                         "object; refusing to load it")
    return obj


class _Writer:
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
        self.files[name] = _sha256(self.root / name)

    def array(self, arr: np.ndarray, where: str) -> dict:
        if arr.dtype.hasobject:
            raise _Unsupported(f"cannot save {where}: an array of Python objects has no safe format")
        name = self._name(where, ".npy")
        np.save(self.root / name, arr, allow_pickle=False)  # keeps C/Fortran order: same BLAS sums
        self._record(name)
        return {"npy": name}

    def keyed_vectors(self, kv, where: str) -> dict:
        keys = [str(k) for k in kv.index_to_key]
        if any(re.search(r"\s", k) or not k for k in keys):
            # word2vec format separates words by whitespace: store such vocabularies as arrays
            return {"keyed_vectors": {"keys": self.array(np.asarray(keys, dtype=str), where + ".keys"),
                                      "vectors": self.array(np.asarray(kv.vectors), where + ".vectors")}}
        name = self._name(where, ".w2v")
        kv.save_word2vec_format(str(self.root / name), binary=True)
        self._record(name)
        return {"word2vec": name, "dtype": str(kv.vectors.dtype)}

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
            path = f"{value.__module__}:{value.__qualname__}"
            if value.__module__.startswith("textcluster.") and "<" not in value.__qualname__:
                return {"function": path}
            return self._fail(value, where)
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
            return {"nn_model": sub, "class": _class_path(value)}
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
        if cls == "HDBSCAN" and getattr(est, "_prediction_data", None) is not None:
            spec = self._hdbscan_prediction(est._prediction_data, f"{where}.prediction")
            if spec is not None:
                state["_prediction_data"] = spec
        return {"estimator": _class_path(est), "params": params, "state": state}

    def _hdbscan_prediction(self, pdata, where: str) -> dict | None:
        """hdbscan's prediction index as arrays (its KD-tree core distances are slow to recompute in high
        dimensions); None when this hdbscan version's layout is not the known one (then rebuilt on load)."""
        known = {"raw_data", "tree", "core_distances", "dist_metric", "cluster_map", "reverse_cluster_map",
                 "cluster_tree", "max_lambdas", "leaf_max_lambdas", "exemplars"}
        if set(vars(pdata)) != known:
            return None

        def mapping(d, name, dtype):
            keys = np.array(list(d.keys()), dtype=np.int64)
            return {"keys": self.array(keys, f"{where}.{name}.keys"),
                    "values": self.array(np.array(list(d.values()), dtype=dtype), f"{where}.{name}.values")}
        ex = pdata.exemplars
        d = pdata.raw_data.shape[1]
        return {"hdbscan_prediction": {
            "tree": type(pdata.tree).__name__.lower(),
            "core_distances": self.array(pdata.core_distances, f"{where}.core_distances"),
            "cluster_map": mapping(pdata.cluster_map, "cluster_map", np.int64),
            "reverse_cluster_map": mapping(pdata.reverse_cluster_map, "reverse_cluster_map", np.int64),
            "max_lambdas": mapping(pdata.max_lambdas, "max_lambdas", np.float64),
            "leaf_max_lambdas": mapping(pdata.leaf_max_lambdas, "leaf_max_lambdas", np.float64),
            "exemplar_sizes": self.array(np.array([len(e) for e in ex], dtype=np.int64), f"{where}.exemplar_sizes"),
            "exemplars": self.array(np.concatenate(ex) if ex else np.zeros((0, d)), f"{where}.exemplars")}}


class _Reader:
    """Decodes specs written by :class:`_Writer`, verifying each file's checksum first."""

    def __init__(self, root: Path, files: dict):
        self.root = root
        self.files = files

    def _path(self, name: str) -> Path:
        parts = name.split("/") if isinstance(name, str) else []
        if not isinstance(name, str) or name not in self.files or "\\" in name \
                or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise InputError(f"model config refers to {name!r}, which is not among its checksummed files")
        path = self.root / name
        if not path.is_file():
            raise InputError(f"model file {path} is missing; the model directory is incomplete")
        if _sha256(path) != self.files[name]:
            raise InputError(f"model file {path} does not match its checksum (truncated, corrupted or "
                             "modified); re-save the model")
        return path

    def decode(self, spec: dict):
        if not isinstance(spec, dict) or len(spec) == 0:
            raise InputError("model config is malformed (an attribute has no type tag)")
        if "json" in spec:
            return spec["json"]
        if "float" in spec:
            if spec["float"] not in ("inf", "-inf", "nan"):
                raise InputError(f"model config has a malformed float {spec['float']!r}")
            return float(spec["float"])
        if "tuple" in spec:
            return tuple(self.decode(s) for s in spec["tuple"])
        if "list" in spec:
            return [self.decode(s) for s in spec["list"]]
        if "set" in spec:
            return set(spec["set"])
        if "dict" in spec:
            return {k: self.decode(s) for k, s in spec["dict"].items()}
        if "npy" in spec:
            path = self._path(spec["npy"])
            try:
                return np.load(path, allow_pickle=False)
            except ValueError as exc:
                raise InputError(f"model file {path} is not a plain numeric array ({exc})") from None
        if "dtype" in spec and len(spec) == 1:
            return np.dtype(spec["dtype"]).type
        if "np_dtype" in spec:
            return np.dtype(spec["np_dtype"])
        if "function" in spec:
            fn = _resolve(spec["function"])
            if not isinstance(fn, types.FunctionType) or not spec["function"].startswith("textcluster."):
                raise InputError(f"model config names function {spec['function']!r}, which is not allowed")
            return fn
        if "word2vec" in spec:
            from gensim.models import KeyedVectors

            path = self._path(spec["word2vec"])
            try:
                kv = KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="strict")
            except Exception as exc:  # gensim raises assorted errors on malformed files
                raise InputError(f"model file {path} is not a valid word2vec file ({exc})") from None
            if spec.get("dtype") and kv.vectors.dtype != np.dtype(spec["dtype"]):
                kv.vectors = kv.vectors.astype(spec["dtype"])
            return kv
        if "keyed_vectors" in spec:
            from gensim.models import KeyedVectors

            keys = self.decode(spec["keyed_vectors"]["keys"])
            vectors = self.decode(spec["keyed_vectors"]["vectors"])
            kv = KeyedVectors(vectors.shape[1], count=len(keys), dtype=vectors.dtype)
            kv.add_vectors([str(k) for k in keys], vectors)
            return kv
        if "topic" in spec:
            from .topics import Topic

            d = dict(spec["topic"])
            d["words"] = [(str(w), float(s)) for w, s in d.get("words", [])]
            return Topic(**d)
        if "nn_model" in spec:
            cls = _resolve(spec["class"])
            sub = spec["nn_model"]
            inside = [f for f in self.files if f.startswith(f"{sub}/")]
            if not spec["class"].startswith("textcluster.nn") or f"{sub}/config.json" not in inside:
                raise InputError(f"model config names a neural component {spec['class']!r} without its files")
            for f in inside:
                self._path(f)  # checksum of every file of the component before its loader reads them
            return cls.load(self.root / sub)
        if "torch" in spec:
            import torch

            return torch.from_numpy(np.array(self.decode(spec["torch"])))
        if "hdbscan_prediction" in spec:
            dec = {k: (v if k == "tree" else {kk: self.decode(vv) for kk, vv in v.items()} if "keys" in v
                       else self.decode(v)) for k, v in spec["hdbscan_prediction"].items()}
            return {"__hdbscan_prediction__": dec}
        if "estimator" in spec:
            return self.estimator(spec)
        raise InputError(f"model config has an attribute of unknown type {sorted(spec)}; "
                         "it was written by a newer textcluster")

    def estimator(self, spec: dict, instance=None):
        cls = _resolve(spec["estimator"])
        if not isinstance(cls, type) or not hasattr(cls, "get_params"):
            raise InputError(f"model config names {spec['estimator']!r}, which is not an estimator class")
        if instance is None:
            params = {k: self.decode(v) for k, v in spec.get("params", {}).items()}
            try:
                instance = cls(**params)
            except TypeError as exc:
                raise InputError(f"cannot rebuild {spec['estimator']} from the saved parameters ({exc}); "
                                 "the model was saved by another textcluster version, re-fit it") from None
        for k, v in spec.get("state", {}).items():
            instance.__dict__[k] = self.decode(v)
        _after_load(instance)
        return instance


def _after_load(obj) -> None:
    """Rebuild derived state that is not stored (spaCy pipeline, hdbscan prediction index)."""
    name = type(obj).__name__
    if name == "SpacyTokenizer":
        obj.fit()
    elif name == "HDBSCAN" and type(obj).__module__.startswith("hdbscan"):
        stored = obj.__dict__.get("_prediction_data")
        obj._prediction_data = None
        obj._branch_detection_data = None
        obj._relative_validity = None
        if getattr(obj, "_raw_data", None) is None or getattr(obj, "_condensed_tree", None) is None:
            return
        if isinstance(stored, dict) and "__hdbscan_prediction__" in stored:
            obj._prediction_data = _hdbscan_prediction_data(obj, stored["__hdbscan_prediction__"])
        else:
            obj.generate_prediction_data()


def _hdbscan_prediction_data(model, d: dict):
    """Rebuild hdbscan's ``PredictionData`` from stored arrays (only its KD/ball tree is rebuilt)."""
    from hdbscan.dist_metrics import DistanceMetric
    from hdbscan.prediction import PredictionData

    trees = PredictionData._tree_type_map
    if d["tree"] not in trees:
        raise InputError(f"model config names an unknown hdbscan tree type {d['tree']!r}")
    raw = np.asarray(model._raw_data, dtype=np.float64)
    kw = dict(model._metric_kwargs or {})
    p = PredictionData.__new__(PredictionData)
    p.raw_data = raw
    p.tree = trees[d["tree"]](raw, metric=model.metric, **kw)
    p.core_distances = d["core_distances"]
    p.dist_metric = DistanceMetric.get_metric(model.metric, **kw)
    as_map = lambda m, cast: {int(k): cast(v) for k, v in zip(m["keys"].tolist(), m["values"])}  # noqa: E731
    p.cluster_map = as_map(d["cluster_map"], int)
    p.reverse_cluster_map = as_map(d["reverse_cluster_map"], int)
    p.max_lambdas = as_map(d["max_lambdas"], np.float64)
    p.leaf_max_lambdas = as_map(d["leaf_max_lambdas"], np.float64)
    tree = model._condensed_tree
    p.cluster_tree = tree[tree["child_size"] > 1]
    sizes = d["exemplar_sizes"].tolist()
    p.exemplars = np.split(d["exemplars"], np.cumsum(sizes)[:-1]) if sizes else []
    if len(p.core_distances) != len(raw):
        raise InputError("model's hdbscan prediction data does not match its training points; re-save the model")
    return p


def save_model(model, path: str | os.PathLike) -> Path:
    """Write the fitted ``model`` to the directory ``path`` (replaced atomically; created if missing).

    Raises
    ------
    InputError
        When the model is not fitted, or holds a component without a safe (pickle-free) format.
    """
    from . import __version__
    from .atomic import atomic_dir

    model._check_fitted()
    path = Path(path)
    with atomic_dir(path) as tmp:
        w = _Writer(tmp)
        spec = w.estimator(model, "model")
        config = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "textcluster_version": __version__,
                  "model": spec, "files": dict(sorted(w.files.items()))}
        with open(tmp / CONFIG_NAME, "w", encoding="utf-8") as fh:
            json.dump(config, fh, indent=1, ensure_ascii=False, allow_nan=False)
    logger.info("saved model to %s (%d array files)", path, len(w.files))
    return path


def _model_dir(path: str | os.PathLike) -> Path:
    """``path``, or ``path/model`` when ``path`` is a ``textcluster cluster`` output folder."""
    path = Path(path)
    if not (path / CONFIG_NAME).is_file() and (path / "model" / CONFIG_NAME).is_file():
        return path / "model"
    return path


def read_config(path: str | os.PathLike) -> dict:
    """The validated ``config.json`` of the model directory ``path``."""
    path = _model_dir(path)
    cfg_path = path / CONFIG_NAME
    if not path.is_dir():
        raise InputError(f"model directory {path} does not exist (save one with TextClusterer.save or "
                         "`textcluster cluster --out DIR`, which writes DIR/model)")
    if not cfg_path.is_file():
        raise InputError(f"{path} is not a textcluster model directory (no {CONFIG_NAME}); "
                         "pass the model folder, e.g. DIR/model")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{cfg_path} is not valid JSON ({exc}); the model directory is damaged") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise InputError(f"{cfg_path} is not a textcluster model config (format field missing or foreign)")
    version = config.get("format_version")
    if not isinstance(version, int):
        raise InputError(f"{cfg_path} has no valid format_version; the model directory is damaged")
    if version < FORMAT_VERSION:
        raise InputError(f"model {path} was saved in format version {version} by textcluster "
                         f"{config.get('textcluster_version', '?')}; this textcluster reads version "
                         f"{FORMAT_VERSION} only: re-fit and save the model with this version")
    if version > FORMAT_VERSION:
        raise InputError(f"model {path} was saved in format version {version} by a newer textcluster "
                         f"({config.get('textcluster_version', '?')}); upgrade textcluster to load it")
    if not isinstance(config.get("files"), dict) or not isinstance(config.get("model"), dict):
        raise InputError(f"{cfg_path} is missing its model or files section; the model directory is damaged")
    return config


def load_model(path: str | os.PathLike, cls: type):
    """Load a model saved by :func:`save_model`; returns a fitted ``cls`` (``TextClusterer``).

    Raises
    ------
    InputError
        Missing or foreign directory, other format version, a file failing its checksum, or a config naming
        anything but textcluster / scikit-learn / hdbscan classes.
    """
    path = _model_dir(path)
    config = read_config(path)
    spec = config["model"]
    if spec.get("estimator") != _class_path(cls.__new__(cls)):
        raise InputError(f"{path} holds a {spec.get('estimator')!r}, not a {cls.__name__}")
    reader = _Reader(path, config["files"])
    # Validate the component names against the registries before anything is rebuilt.
    params = {k: reader.decode(v) for k, v in spec.get("params", {}).items()}
    try:
        model = cls(**params)
        model._build()
    except TypeError as exc:
        raise InputError(f"cannot rebuild the model from {path} ({exc}); re-fit it with this version") from None
    try:
        return reader.estimator(spec, instance=model)
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"model {path} could not be loaded ({type(exc).__name__}: {exc}); "
                         "the directory is damaged or from another version") from None
