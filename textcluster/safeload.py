"""What a saved model may contain: a fixed allow-list of components and sanity checks of every file.

Loading a model is reading data, never choosing code: a config names its components by keys of
:data:`COMPONENTS` / :data:`FUNCTIONS` (strings written as ``module:qualname``, but only ever looked up in
these tables, never imported), array files are checked against the shape and dtype the config declares
before they are read, word2vec and safetensors headers are checked against the file size, JSON nesting is
bounded. Every violation raises :class:`~textcluster.errors.ModelFileError`.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import stat
import struct
from pathlib import Path

import numpy as np

from .errors import ModelFileError

__all__ = ["component", "component_name", "function", "function_name", "npy_header", "check_word2vec",
           "check_safetensors", "check_depth", "check_settable", "check_spacy_model", "load_json",
           "regular_file_inside", "MAX_DEPTH"]

#: the classes a model config may name (public import locations; nothing else is ever built)
_CLASSES = [
    ("textcluster.pipeline", "TextClusterer"), ("textcluster.tokenize", "SpacyTokenizer"),
    ("textcluster.embed.pooling", "DocumentEmbedder"), ("textcluster.embed.pooling", "ConcatEmbedder"),
    ("textcluster.embed.word2vec", "Word2VecEmbedder"), ("textcluster.embed.glove", "GloVeEmbedder"),
    ("textcluster.embed.deepwalk", "DeepWalkEmbedder"), ("textcluster.embed.ppmi", "PpmiSvdEmbedder"),
    ("textcluster.embed.lsa", "TfidfLsaEmbedder"),
    ("textcluster.embed.pretrained", "PretrainedEmbedder"), ("textcluster.embed.sentence", "SentenceEmbedder"),
    ("textcluster.embed.sentence", "AutoEmbedder"), ("textcluster.reduce", "CappedPCA"),
    ("textcluster.reduce", "UMAPReducer"), ("textcluster.reduce", "NeighbourSmoother"),
    ("textcluster.reduce", "Passthrough"),
    ("textcluster.cluster", "KMeansClusterer"), ("textcluster.distributed", "DaskKMeansClusterer"),
    ("textcluster.cluster", "MiniBatchKMeansClusterer"), ("textcluster.cluster", "HDBSCANClusterer"),
    ("textcluster.refine", "SelfTrainingClusterer"), ("sklearn.linear_model", "LogisticRegression"),
    ("sklearn.cluster", "KMeans"), ("sklearn.cluster", "MiniBatchKMeans"), ("sklearn.decomposition", "PCA"),
    ("sklearn.decomposition", "TruncatedSVD"), ("sklearn.feature_extraction.text", "TfidfVectorizer"),
    ("sklearn.feature_extraction.text", "TfidfTransformer"),
    # torch models given as (unfitted) pipeline parameters: saved as parameters only
    ("textcluster.nn", "AutoEncoder"), ("textcluster.nn", "VAE"), ("textcluster.nn", "DEC"),
    ("textcluster.nn", "IDEC"), ("textcluster.nn", "ClusterGAN"),
]
#: torch models of textcluster.nn (stored in their own sub-folder: config.json + weights.safetensors)
NN_CLASSES = ("AutoEncoder", "VAE", "DEC", "IDEC", "ClusterGAN")
_FUNCTIONS = [("textcluster.embed.lsa", "_identity")]

#: deepest JSON nesting accepted in a model config (saved models use about 12 levels)
MAX_DEPTH = 64
_SAFE_KINDS = "biufU"  # bool, ints, floats, unicode (vocabularies); never objects
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_tables: dict[str, dict] = {}


def _table(kind: str) -> dict:
    if kind not in _tables:
        entries = {"classes": _CLASSES, "functions": _FUNCTIONS,
                   "nn": [("textcluster.nn", n) for n in NN_CLASSES]}[kind]
        table = {}
        for module, qual in entries:
            try:
                obj = getattr(importlib.import_module(module), qual)
            except (ImportError, AttributeError):  # optional dependency missing: the name stays unknown
                continue
            table[f"{obj.__module__}:{obj.__qualname__}"] = obj
        _tables[kind] = table
    return _tables[kind]


def component(name, *, nn: bool = False) -> type:
    """The class a config's component ``name`` stands for; ModelFileError for any name not in the table."""
    table = _table("nn" if nn else "classes")
    if not isinstance(name, str) or name not in table:
        raise ModelFileError(f"model config names {name!r}, which is not one of textcluster's saved components; "
                             "refusing to load it")
    return table[name]


def component_name(obj, *, nn: bool = False) -> str | None:
    """The table key of ``obj``'s class, or None when the class cannot be saved."""
    for name, cls in _table("nn" if nn else "classes").items():
        if type(obj) is cls:
            return name
    return None


def function(name):
    if not isinstance(name, str) or name not in _table("functions"):
        raise ModelFileError(f"model config names function {name!r}, which is not allowed; refusing to load it")
    return _table("functions")[name]


def function_name(fn) -> str | None:
    return next((n for n, f in _table("functions").items() if f is fn), None)


def check_settable(cls: type, key) -> None:
    """Refuse state keys that are not plain attribute names or that would shadow a method or property."""
    if not isinstance(key, str) or not _NAME.match(key) or key.startswith("__"):
        raise ModelFileError(f"model config sets attribute {key!r} of {cls.__name__}, which is not an attribute "
                             "name; refusing to load it")
    import inspect

    attr = inspect.getattr_static(cls, key, None)
    if attr is not None and (callable(attr) or hasattr(attr, "__get__")):
        raise ModelFileError(f"model config sets {cls.__name__}.{key}, which is a method or property of the "
                             "class; refusing to load it")


def check_depth(value, where: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > MAX_DEPTH:
            raise ModelFileError(f"{where} is nested more than {MAX_DEPTH} levels deep; the model is damaged")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)


def load_json(path: Path, *, max_bytes: int = 1 << 30):
    """Parse the JSON file ``path`` with bounded size and nesting."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ModelFileError(f"{path} is {size} bytes, more than a model config can be")
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is not valid JSON ({exc}); the model directory is damaged") from None
    except RecursionError:
        raise ModelFileError(f"{path} is nested too deeply; the model directory is damaged") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    check_depth(value, str(path))
    return value


def regular_file_inside(root: Path, path: Path) -> Path:
    """``path`` if it is a regular file (not a link) whose real location lies inside ``root``."""
    try:
        st = os.lstat(path)
    except OSError:
        raise ModelFileError(f"model file {path} is missing; the model directory is incomplete") from None
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if not stat.S_ISREG(st.st_mode) or os.path.commonpath([real_root, real]) != real_root:
        raise ModelFileError(f"model file {path} is not a regular file inside the model folder "
                             "(a link, device or folder); refusing to read it")
    return path


def _plain_dtype(dtype: np.dtype) -> bool:
    """Numbers, booleans, unicode, or records of those (hdbscan's trees); never Python objects."""
    if dtype.hasobject or dtype.subdtype is not None:
        return False
    if dtype.fields is not None:
        return all(_plain_dtype(f[0]) for f in dtype.fields.values())
    return dtype.kind in _SAFE_KINDS


def npy_header(path: Path, declared: dict) -> None:
    """Check an ``.npy`` header: plain dtype, size matching the file, and the shape/dtype the config declares."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
            if read is None:
                raise ValueError(f"unsupported .npy version {version}")
            shape, _, dtype = read(fh, max_header_size=10_000)
            offset = fh.tell()
    except (ValueError, OSError, SyntaxError, TypeError) as exc:
        raise ModelFileError(f"model file {path} is not a plain numeric array ({exc})") from None
    if not _plain_dtype(dtype):
        raise ModelFileError(f"model file {path} is not a plain numeric array (dtype {dtype})")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if offset + count * dtype.itemsize != path.stat().st_size:
        raise ModelFileError(f"model file {path} declares shape {shape} of {dtype}, which does not match its size "
                             f"({path.stat().st_size} bytes)")
    want_shape, want_dtype = declared.get("shape"), declared.get("dtype")
    if want_shape is not None and (not isinstance(want_shape, list) or tuple(want_shape) != tuple(shape)):
        raise ModelFileError(f"model file {path} has shape {tuple(shape)}, the config says {want_shape!r}")
    if want_dtype is not None and (not isinstance(want_dtype, str) or np.dtype(dtype).str != want_dtype):
        raise ModelFileError(f"model file {path} has dtype {dtype.str}, the config says {want_dtype!r}")


def check_word2vec(path: Path, declared: dict) -> None:
    """Check a binary word2vec header (``count dim``) against the file size and the declared shape."""
    try:
        with open(path, "rb") as fh:
            head = fh.readline(100).split()
        count, dim = int(head[0]), int(head[1])
    except (ValueError, IndexError, OSError):
        raise ModelFileError(f"model file {path} is not a valid word2vec file (bad header)") from None
    itemsize = 4  # gensim writes float32
    if count < 0 or dim < 1 or count * (dim * itemsize + 2) > path.stat().st_size:
        raise ModelFileError(f"model file {path} declares {count} vectors of {dim} dimensions, more than the "
                             f"file holds ({path.stat().st_size} bytes)")
    shape = declared.get("shape")
    if shape is not None and shape != [count, dim]:
        raise ModelFileError(f"model file {path} holds {count} x {dim} vectors, the config says {shape!r}")


_ST_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
              "BOOL": 1}


def check_safetensors(path: Path) -> dict:
    """Check a safetensors header (length, JSON, dtypes, shapes and offsets within the file); returns it."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > min(size - 8, 100 << 20):
                raise ValueError(f"header length {n} exceeds the file")
            header = json.loads(fh.read(n).decode("utf-8"))
    except (struct.error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"model file {path} is not a valid safetensors file ({exc})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"model file {path} is not a valid safetensors file (header is not an object)")
    data = size - 8 - n
    for name, t in header.items():
        if name == "__metadata__":
            continue
        ok = isinstance(t, dict) and t.get("dtype") in _ST_DTYPES and isinstance(t.get("shape"), list) \
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in t["shape"]) \
            and isinstance(t.get("data_offsets"), list) and len(t["data_offsets"]) == 2 \
            and all(isinstance(o, int) and not isinstance(o, bool) for o in t["data_offsets"])
        if ok:
            begin, end = t["data_offsets"]
            count = int(np.prod(t["shape"], dtype=object)) if t["shape"] else 1
            ok = 0 <= begin <= end <= data and end - begin == count * _ST_DTYPES[t["dtype"]]
        if not ok:
            raise ModelFileError(f"model file {path}: tensor {name!r} has a malformed entry in the safetensors "
                                 "header (dtype, shape or offsets)")
    return header


def check_spacy_model(model, lang) -> None:
    """The tokenizer of a saved model may use ``spacy.blank(lang)`` or an installed spaCy pipeline package."""
    if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}", lang):
        raise ModelFileError(f"model config has tokenizer language {lang!r}, which is not a language code")
    if model == "blank":
        return
    if not isinstance(model, str) or not _NAME.match(model):
        raise ModelFileError(f"model config names the spaCy pipeline {model!r}: only 'blank' or the name of an "
                             "installed spaCy pipeline package is accepted (no paths)")
    import spacy.util

    if model not in spacy.util.get_installed_models():
        raise ModelFileError(f"model config names the spaCy pipeline {model!r}, which is not an installed spaCy "
                             "pipeline package; install it or re-fit the model")
