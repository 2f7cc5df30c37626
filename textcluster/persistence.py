"""Save and load a fitted :class:`~textcluster.pipeline.TextClusterer` without pickle.

A model directory holds

- ``config.json``: ``{"format": "textcluster-model", "format_version": N, ...}``, the model's parameters,
  every fitted attribute in a small typed JSON encoding, and the SHA-256 of every array file;
- ``*.npy``: numeric arrays (read back with ``np.load(allow_pickle=False)``);
- ``*.w2v``: word vectors in the binary word2vec format (gensim ``KeyedVectors``);
- a sub-folder per torch model of :mod:`textcluster.nn` (e.g. an autoencoder reducer), written by its own
  ``save``: ``weights.safetensors`` + ``config.json`` (checksummed here too).

Loading never unpickles and never runs code from the directory: objects are rebuilt only from the fixed
allow-list of :mod:`textcluster.safeload` (component names in the config are keys of that table, never
imported), with JSON parameters; state keys may not shadow methods; every file must be a regular file inside
the folder, match its checksum, and (arrays, word2vec and safetensors files) match the shape and dtype the
config declares before it is read; finally the loaded components are checked against each other (vector
sizes, centre shapes, label counts) on a probe document. Any violation raises
:class:`~textcluster.errors.ModelFileError`. Derived state that
cannot be stored safely (the spaCy pipeline, the hdbscan model) is rebuilt from stored data.

Not stored: the training texts, their tokens and vectors (``tokens_``, ``vectors_``, ``embedding_``,
``texts_``); a loaded model predicts, describes its topics and lists the training ids and labels, but helpers
that need the training texts say so.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import types
from pathlib import Path
from typing import Any

import numpy as np

from . import safeload
from .errors import InputError, ModelFileError

__all__ = ["save_model", "load_model", "FORMAT_NAME", "FORMAT_VERSION", "CONFIG_NAME"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "textcluster-model"
#: bump when the layout changes incompatibly; older versions are refused with a clear message.
#: 2: the pipeline's stages are parameters (embedder / reducer / clusterer), "no reducer" is a Passthrough.
FORMAT_VERSION = 2
CONFIG_NAME = "config.json"

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


def _class_path(obj, *, nn: bool = False) -> str:
    """The allow-list name of ``obj``'s class (safeload.COMPONENTS); refuses classes that cannot be loaded."""
    name = safeload.component_name(obj, nn=nn)
    if name is None:
        raise _Unsupported(f"cannot save {type(obj).__module__}.{type(obj).__qualname__}: it is not one of the "
                           "components a saved model may hold")
    return name


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
            return {"nn_model": sub, "class": _class_path(value, nn=True)}
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
        return {"estimator": _class_path(est), "params": params, "state": state}

class _Reader:
    """Decodes specs written by :class:`_Writer`, verifying each file's checksum and header first."""

    def __init__(self, root: Path, files: dict):
        self.root = root
        self.files = files

    def _path(self, name: str) -> Path:
        parts = name.split("/") if isinstance(name, str) else []
        if not isinstance(name, str) or name not in self.files or "\\" in name \
                or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise ModelFileError(f"model config refers to {name!r}, which is not among its checksummed files")
        path = safeload.regular_file_inside(self.root, self.root / name)
        if not isinstance(self.files[name], str) or _sha256(path) != self.files[name]:
            raise ModelFileError(f"model file {path} does not match its checksum (truncated, corrupted or "
                                 "modified); re-save the model")
        return path

    @staticmethod
    def _kind(spec: dict, key: str, kind: type):
        value = spec[key]
        if not isinstance(value, kind):
            raise ModelFileError(f"model config has a malformed {key!r} entry (expected a JSON "
                                 f"{'object' if kind is dict else 'list' if kind is list else 'string'})")
        return value

    def decode(self, spec: dict):
        if not isinstance(spec, dict) or len(spec) == 0:
            raise ModelFileError("model config is malformed (an attribute has no type tag)")
        if "json" in spec:
            return spec["json"]
        if "float" in spec:
            if spec["float"] not in ("inf", "-inf", "nan"):
                raise ModelFileError(f"model config has a malformed float {spec['float']!r}")
            return float(spec["float"])
        if "tuple" in spec:
            return tuple(self.decode(s) for s in self._kind(spec, "tuple", list))
        if "list" in spec:
            return [self.decode(s) for s in self._kind(spec, "list", list)]
        if "set" in spec:
            items = self._kind(spec, "set", list)
            if not all(isinstance(v, (str, int, float, bool)) or v is None for v in items):
                raise ModelFileError("model config has a malformed set (only plain values may be members)")
            return set(items)
        if "dict" in spec:
            return {k: self.decode(s) for k, s in self._kind(spec, "dict", dict).items()}
        if "npy" in spec:
            path = self._path(spec["npy"])
            safeload.npy_header(path, spec)
            try:
                return np.load(path, allow_pickle=False)
            except ValueError as exc:
                raise ModelFileError(f"model file {path} is not a plain numeric array ({exc})") from None
        if "dtype" in spec and len(spec) == 1:
            return self._dtype(spec["dtype"]).type
        if "np_dtype" in spec:
            return self._dtype(spec["np_dtype"])
        if "function" in spec:
            return safeload.function(spec["function"])
        if "word2vec" in spec:
            from gensim.models import KeyedVectors

            path = self._path(spec["word2vec"])
            safeload.check_word2vec(path, spec)
            try:
                kv = KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="strict")
            except Exception as exc:  # gensim raises assorted errors on malformed files
                raise ModelFileError(f"model file {path} is not a valid word2vec file ({exc})") from None
            if spec.get("dtype") is not None and kv.vectors.dtype != self._dtype(spec["dtype"]):
                kv.vectors = kv.vectors.astype(spec["dtype"])
            return kv
        if "keyed_vectors" in spec:
            from gensim.models import KeyedVectors

            parts = self._kind(spec, "keyed_vectors", dict)
            keys = self.decode(parts.get("keys"))
            vectors = self.decode(parts.get("vectors"))
            if not (isinstance(keys, np.ndarray) and keys.ndim == 1 and isinstance(vectors, np.ndarray)
                    and vectors.ndim == 2 and len(keys) == len(vectors) and vectors.dtype.kind == "f"):
                raise ModelFileError("model's word vectors do not match their vocabulary (shapes or dtype)")
            kv = KeyedVectors(vectors.shape[1], count=len(keys), dtype=vectors.dtype)
            kv.add_vectors([str(k) for k in keys], vectors)
            return kv
        if "topic" in spec:
            from .topics import Topic

            d = dict(self._kind(spec, "topic", dict))
            d["words"] = [(str(w), float(s)) for w, s in d.get("words", [])]
            return Topic(**d)
        if "nn_model" in spec:
            return self._nn_model(spec)
        if "torch" in spec:
            import torch

            return torch.from_numpy(np.array(self.decode(spec["torch"])))
        if "estimator" in spec:
            return self.estimator(spec)
        raise ModelFileError(f"model config has an attribute of unknown type {sorted(spec)}; "
                             "it was written by a newer textcluster")

    @staticmethod
    def _dtype(name) -> np.dtype:
        try:
            dtype = np.dtype(name) if isinstance(name, str) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in "biuf" or dtype.fields is not None:
            raise ModelFileError(f"model config names dtype {name!r}, which is not a plain numeric type")
        return dtype

    def _nn_model(self, spec: dict):
        """A torch model's sub-folder: exactly config.json + weights.safetensors, both checked before loading."""
        cls = safeload.component(spec.get("class"), nn=True)
        sub = spec.get("nn_model")
        wanted = {f"{sub}/config.json", f"{sub}/weights.safetensors"}
        inside = {f for f in self.files if isinstance(sub, str) and f.startswith(f"{sub}/")}
        if not isinstance(sub, str) or inside != wanted:
            raise ModelFileError(f"model config names a neural component {spec.get('class')!r} without exactly its "
                                 "config.json and weights.safetensors files")
        config = safeload.load_json(self._path(f"{sub}/config.json"))
        safeload.check_safetensors(self._path(f"{sub}/weights.safetensors"))
        params, state = (config.get(k) if isinstance(config, dict) else None for k in ("params", "state"))
        if not isinstance(params, dict) or not isinstance(state, dict) or config.get("class") != cls.__name__:
            raise ModelFileError(f"the config of neural component {sub} is malformed or names another class")
        unknown = (set(params) - set(cls._get_param_names())) | (set(state) - set(cls._state))
        if unknown:
            raise ModelFileError(f"the config of neural component {sub} sets unknown fields {sorted(unknown)}")
        if params.get("checkpoint_dir") is not None or params.get("resume"):
            raise ModelFileError(f"the config of neural component {sub} names a checkpoint folder; a saved model "
                                 "never reads or writes checkpoints")
        return cls.load(self.root / sub)

    def estimator(self, spec: dict, instance=None):
        cls = safeload.component(spec.get("estimator"))
        params_spec = spec.get("params", {})
        state_spec = spec.get("state", {})
        if not isinstance(params_spec, dict) or not isinstance(state_spec, dict):
            raise ModelFileError(f"model config entry of {spec['estimator']} is malformed (params/state)")
        unknown = set(params_spec) - set(cls._get_param_names())
        if unknown:
            raise ModelFileError(f"model config gives {spec['estimator']} unknown parameters {sorted(unknown)}")
        if instance is None:
            params = {k: self.decode(v) for k, v in params_spec.items()}
            try:
                instance = cls(**params)
            except TypeError as exc:
                raise ModelFileError(f"cannot rebuild {spec['estimator']} from the saved parameters ({exc}); "
                                     "the model was saved by another textcluster version, re-fit it") from None
        for k, v in state_spec.items():
            safeload.check_settable(cls, k)
            instance.__dict__[k] = self.decode(v)
        _after_load(instance)
        return instance


def _after_load(obj) -> None:
    """Rebuild derived state that is not stored (spaCy pipeline, the hdbscan model)."""
    name = type(obj).__name__
    if name == "SpacyTokenizer":  # the spaCy pipeline is built on first use, with the saved segmenter
        safeload.check_spacy_model(obj.model, obj.lang)
        _check_segmenter(obj)
    elif name == "HDBSCANClusterer" and type(obj).__module__ == "textcluster.cluster" and \
            "fit_X_" in vars(obj):  # a fitted one (the unfitted stage given as a parameter has no state)
        X = obj.fit_X_
        if not isinstance(X, np.ndarray) or X.ndim != 2 or len(X) < 3 or not np.isfinite(X).all():
            raise ModelFileError("model's HDBSCAN training rows are missing or malformed; the model is damaged")
        obj.rebuild_model()


def _check_segmenter(tok) -> None:
    """A saved tokenizer's word segmenter (``segmenter_``): one that fits its language. Models saved before
    textcluster had segmenters have none: they split Chinese into characters and Japanese with SudachiPy."""
    from .tokenize import SEGMENTERS

    choices = SEGMENTERS.get(tok.lang, ()) if tok.model == "blank" else ()
    if "segmenter_" not in vars(tok):
        if "n_split_" in vars(tok):  # fitted, saved by an older version
            tok.segmenter_ = {"zh": "char", "ja": "sudachi"}.get(tok.lang, "spacy") if choices else "spacy"
        return
    if tok.segmenter_ not in (choices or ("spacy",)):
        raise ModelFileError(f"model config gives the tokenizer the word segmenter {tok.segmenter_!r}, which is "
                             f"not one for language {tok.lang!r}; the model directory is damaged or was edited")


def save_model(model, path: str | os.PathLike) -> Path:
    """Write the fitted ``model`` to the directory ``path`` (replaced atomically; created if missing): a
    ``TextClusterer``, or any estimator on the allow-list (e.g. the ``kmeans`` method of ``textcluster
    images``/``table``), in the one model format.

    Raises
    ------
    InputError
        When the model is not fitted, or holds a component without a safe (pickle-free) format.
    """
    from . import __version__
    from .atomic import atomic_dir

    from sklearn.utils.validation import check_is_fitted

    model._check_fitted() if hasattr(model, "_check_fitted") else check_is_fitted(model)
    path = Path(path)
    with atomic_dir(path, what="model path", allow_model=True) as tmp:
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
    """The validated ``config.json`` of the model directory ``path`` (ModelFileError when it is not one)."""
    path = _model_dir(path)
    cfg_path = path / CONFIG_NAME
    if not path.is_dir():
        raise ModelFileError(f"model directory {path} does not exist (save one with TextClusterer.save or "
                             "`textcluster cluster --out DIR`, which writes DIR/model)")
    if not cfg_path.is_file():
        raise ModelFileError(f"{path} is not a textcluster model directory (no {CONFIG_NAME}); "
                             "pass the model folder, e.g. DIR/model")
    config = safeload.load_json(safeload.regular_file_inside(path, cfg_path))
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{cfg_path} is not a textcluster model config (format field missing or foreign)")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{cfg_path} has no valid format_version; the model directory is damaged")
    if version < FORMAT_VERSION:
        raise ModelFileError(f"model {path} was saved in format version {version} by textcluster "
                             f"{config.get('textcluster_version', '?')}; this textcluster reads version "
                             f"{FORMAT_VERSION} only: re-fit and save the model with this version")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"model {path} was saved in format version {version} by a newer textcluster "
                             f"({config.get('textcluster_version', '?')}); upgrade textcluster to load it")
    files = config.get("files")
    if not isinstance(files, dict) or not isinstance(config.get("model"), dict) \
            or not all(isinstance(v, str) for v in files.values()):
        raise ModelFileError(f"{cfg_path} is missing its model or files section; the model directory is damaged")
    return config


def load_model(path: str | os.PathLike, cls: type):
    """Load a model saved by :func:`save_model`; returns a fitted ``cls`` (``TextClusterer``).

    Raises
    ------
    ModelFileError
        (a subclass of InputError) for anything wrong with the directory: missing or foreign, another format
        version, a file failing its checksum or lying outside the folder, a component outside the allow-list,
        an array whose shape or dtype does not fit the model. Nothing else escapes (no SystemExit).
    """
    path = _model_dir(path)
    try:
        config = read_config(path)
        if not hasattr(cls, "_fit_tokens"):  # a plain estimator (not a TextClusterer)
            spec = config["model"]
            if spec.get("estimator") != _class_path(cls.__new__(cls)):
                raise ModelFileError(f"{path} holds a {spec.get('estimator')!r}, not a {cls.__name__}")
            return _Reader(path, config["files"]).estimator(spec)
        model = _rebuild(path, config, cls)
        _check_consistency(model)
        return model
    except ModelFileError:
        raise
    except InputError as exc:
        raise ModelFileError(f"model {path}: {exc}") from None
    except (Exception, RecursionError, MemoryError) as exc:  # anything a damaged file provokes in a loader
        raise ModelFileError(f"model {path} could not be loaded ({type(exc).__name__}: {exc}); "
                             "the directory is damaged or from another version") from None


def _rebuild(path: Path, config: dict, TextClusterer: type):
    spec = config["model"]
    if spec.get("estimator") != _class_path(TextClusterer.__new__(TextClusterer)):
        raise ModelFileError(f"{path} holds a {spec.get('estimator')!r}, not a TextClusterer")
    reader = _Reader(path, config["files"])
    params_spec = spec.get("params", {})
    if not isinstance(params_spec, dict) or set(params_spec) - set(TextClusterer._get_param_names()):
        raise ModelFileError(f"{path}: the model's parameters are malformed or unknown")
    # Validate the component names against the registries before anything is rebuilt.
    params = {k: reader.decode(v) for k, v in params_spec.items()}
    safeload.check_spacy_model(params.get("spacy_model", "blank"), params.get("lang", "en"))
    model = TextClusterer(**params)
    model._build()
    return reader.estimator(spec, instance=model)


def _embedders(obj, depth: int = 0):
    """``obj`` and the embedders nested in it (ConcatEmbedder parts, DocumentEmbedder's word embedder)."""
    yield obj
    if depth < 3:
        for child in [getattr(obj, "word_embedder_", None), getattr(obj, "embedder_", None),
                      *(getattr(obj, "embedders_", None) or [])]:
            if child is not None:
                yield from _embedders(child, depth + 1)


def _check_consistency(model) -> None:
    """Check the loaded components against each other on a probe document (vector sizes, centres, labels)."""
    def fail(what: str):
        raise ModelFileError(f"model's {what}; the model directory is damaged or was edited")

    from .tokenize import SpacyTokenizer
    from .topics import Topic

    if not isinstance(model.tokenizer_, SpacyTokenizer) or not hasattr(model.embedder_, "transform") \
            or not hasattr(model.clusterer_, "predict") or not (model.reducer_ is None
                                                               or hasattr(model.reducer_, "transform")):
        fail("components are not a tokenizer, embedder, reducer and clusterer")
    def plain_int(v) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    if not isinstance(getattr(model, "topics_", None), list) or not all(
            isinstance(t, Topic) and plain_int(t.cluster) and plain_int(t.size) and isinstance(t.label, str)
            for t in model.topics_):
        fail("topics are malformed")
    if not isinstance(getattr(model, "doc_ids_", None), list) or not all(isinstance(i, str) for i in model.doc_ids_):
        fail("document ids are malformed")
    probe: list[str] = []
    for e in _embedders(model.embedder_):
        wv = getattr(e, "wv_", None)
        if wv is not None:
            size = getattr(e, "vector_size", None)
            if wv.vectors.ndim != 2 or len(wv.index_to_key) != len(wv.vectors) or \
                    (isinstance(size, int) and wv.vectors.shape[1] != size):
                fail(f"word vectors have shape {wv.vectors.shape}, not ({len(wv.index_to_key)}, {size})")
            probe += list(wv.index_to_key[:5])
        weights = getattr(e, "word_weights_", None)
        inner = getattr(e, "word_embedder_", None)
        if weights is not None and inner is not None and getattr(inner, "wv_", None) is not None \
                and np.shape(weights) != (len(inner.wv_),):
            fail(f"word weights have shape {np.shape(weights)}, not ({len(inner.wv_)},)")
        vocab = getattr(getattr(e, "vectorizer_", None), "vocabulary_", None)
        if isinstance(vocab, dict):
            probe += sorted(vocab, key=str)[:5]
    X = np.asarray(model.embedder_.transform([probe, []]))
    Z = X if model.reducer_ is None else np.asarray(model.reducer_.transform(X))
    if Z.ndim != 2 or len(Z) != 2 or not np.isfinite(Z).all():
        fail(f"components do not fit together (a probe document gave vectors of shape {Z.shape})")
    labels = np.asarray(model.clusterer_.predict(Z))
    for obj in (model.clusterer_, getattr(model.clusterer_, "model_", None)):
        centres = getattr(obj, "cluster_centers_", None)
        # deep clusterers (DEC, ClusterGAN) keep their centres in their own code space, not in Z's
        if centres is None or type(obj).__module__.startswith("textcluster.nn"):
            continue
        centres = np.asarray(centres)
        if centres.ndim != 2 or (len(centres) and centres.shape[1] != Z.shape[1]) or not np.isfinite(centres).all():
            fail(f"cluster centres have shape {centres.shape}, the vectors have {Z.shape[1]} dimensions")
    k = getattr(model.clusterer_, "k", None)
    centres = getattr(model.clusterer_, "cluster_centers_", None)
    if isinstance(k, int) and centres is not None and type(model.clusterer_).__name__.endswith("KMeansClusterer") \
            and len(centres) != k:
        fail(f"{len(centres)} cluster centres do not match k={k}")
    own = np.asarray(model.labels_)
    if own.ndim != 1 or own.dtype.kind not in "iu" or len(own) != len(model.doc_ids_):
        fail(f"labels ({own.shape}) do not match its {len(model.doc_ids_)} document ids")
    ids, cents = getattr(model, "topic_ids_", None), getattr(model, "topic_centroids_", None)
    if cents is not None and (np.ndim(cents) != 2 or np.shape(cents) != (len(ids), Z.shape[1])):
        fail(f"topic centroids have shape {np.shape(cents)}, not ({len(ids)}, {Z.shape[1]})")
    _check_arrays(model, fail)
    from .frames import apply_label_changes

    apply_label_changes(model, labels, Z)
    predicted = np.asarray(model.predict([" ".join(probe), ""]))  # the whole path, tokenizer included
    if predicted.shape != (2,) or predicted.dtype.kind not in "iu":
        fail(f"predictions are malformed ({predicted!r})")


#: fitted arrays that must hold finite numbers, and those that are cluster labels / ids
_FINITE = {"cluster_centers_", "pc_", "topic_centroids_", "word_weights_", "components_", "mean_",
           "noise_centroids_"}
_INTEGER = {"labels_", "topic_ids_", "cluster_ids_", "noise_centroid_labels_"}


def _check_arrays(model, fail) -> None:
    """dtype, rank and finiteness of every fitted array of the components, and their counts against each other."""
    n_docs = len(model.doc_ids_)
    seen = set()

    def walk(obj, where: str, depth: int = 0):
        if id(obj) in seen or depth > 4 or not hasattr(obj, "__dict__"):
            return
        seen.add(id(obj))
        for key, value in vars(obj).items():
            name = f"{where}.{key}"
            if isinstance(value, np.ndarray):
                kind, size = value.dtype.kind, value.dtype.itemsize
                if (kind == "f" and size < 4) or (kind in "iu" and size < 4) or kind in "cOSUVMm":
                    if value.dtype.fields is None:
                        fail(f"array {name} has dtype {value.dtype}, which textcluster never saves")
                if key in _FINITE and (kind != "f" or not np.isfinite(value).all()):
                    fail(f"array {name} is not finite floating point")
                if key in _INTEGER and (kind not in "iu" or value.ndim != 1):
                    fail(f"array {name} ({value.dtype}, shape {value.shape}) is not a vector of cluster ids")
                if key == "labels_" and where in ("model", "model.clusterer_") and len(value) != n_docs:
                    fail(f"{name} has {len(value)} entries for {n_docs} documents")
            elif hasattr(value, "get_params") or isinstance(value, list) and value and hasattr(value[0], "get_params"):
                for i, child in enumerate(value if isinstance(value, list) else [value]):
                    walk(child, f"{name}" + (f".{i}" if isinstance(value, list) else ""), depth + 1)
        k = getattr(obj, "n_clusters", None)
        centres = getattr(obj, "cluster_centers_", None)
        if isinstance(k, int) and isinstance(centres, np.ndarray) and len(centres) != k:
            fail(f"{where} has {len(centres)} cluster centres for n_clusters={k}")
    walk(model, "model")
    inner_labels = getattr(getattr(model.clusterer_, "model_", None), "labels_", None)
    outer = np.shape(getattr(model.clusterer_, "labels_", None))
    # the inner KMeans was fitted without the empty documents; the clusterer's labels_ were widened to all
    n_empty = getattr(model, "n_empty_docs_", 0)
    fits = {outer}
    if len(outer) == 1 and isinstance(n_empty, (int, np.integer)) and not isinstance(n_empty, bool):
        fits.add((outer[0] - int(n_empty),))
    if type(model.clusterer_).__name__ == "KMeansClusterer" and inner_labels is not None \
            and np.shape(inner_labels) not in fits:
        fail("KMeans labels do not match the clusterer's")
    ids = getattr(model, "topic_ids_", None)
    if ids is not None and not set(np.asarray(ids).tolist()) <= set(np.asarray(model.labels_).tolist()):
        fail("topic ids are not among the cluster labels")
    pc = getattr(model.embedder_, "pc_", None)
    inner = getattr(getattr(model.embedder_, "word_embedder_", None), "wv_", None)
    if pc is not None and inner is not None and (np.ndim(pc) not in (1, 2) or np.shape(pc)[-1] != inner.vectors.shape[1]):
        fail(f"principal component shape {np.shape(pc)} does not fit {inner.vectors.shape[1]}-d word vectors")
