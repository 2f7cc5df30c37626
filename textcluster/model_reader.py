"""Reading a model directory (see :mod:`textcluster.persistence`): :class:`ModelReader` decodes the specs
:class:`~textcluster.model_writer.ModelWriter` wrote, checking every file's place, checksum and header before it
is read and building objects only from :mod:`textcluster.safeload`'s allow-list; derived state that is not
stored (the spaCy pipeline, the hdbscan model) is rebuilt.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import safeload
from .errors import ModelFileError
from .model_writer import file_sha256

__all__ = ["ModelReader"]


class ModelReader:
    """Decodes specs written by :class:`~textcluster.model_writer.ModelWriter`, verifying each file's checksum and header first."""

    def __init__(self, root: Path, files: dict):
        self.root = root
        self.files = files

    def _path(self, name: str) -> Path:
        parts = name.split("/") if isinstance(name, str) else []
        if not isinstance(name, str) or name not in self.files or "\\" in name \
                or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise ModelFileError(f"model config refers to {name!r}, which is not among its checksummed files")
        path = safeload.regular_file_inside(self.root, self.root / name)
        if not isinstance(self.files[name], str) or file_sha256(path) != self.files[name]:
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
