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

This module holds the format's entry points (:func:`save_model`, :func:`load_model`, :func:`read_config`); the
encoding is :mod:`textcluster.model_writer` / :mod:`textcluster.model_reader`, the load-time checks of the
rebuilt model :mod:`textcluster.model_checks`.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from . import safeload
from .errors import InputError, ModelFileError
from .model_checks import check_consistency
from .model_reader import ModelReader
from .model_writer import ModelWriter, class_path

__all__ = ["save_model", "load_model", "FORMAT_NAME", "FORMAT_VERSION", "CONFIG_NAME"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "textcluster-model"
#: bump when the layout changes incompatibly; older versions are refused with a clear message.
#: 2: the pipeline's stages are parameters (embedder / reducer / clusterer), "no reducer" is a Passthrough.
FORMAT_VERSION = 2
CONFIG_NAME = "config.json"


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
        w = ModelWriter(tmp)
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
            if spec.get("estimator") != class_path(cls.__new__(cls)):
                raise ModelFileError(f"{path} holds a {spec.get('estimator')!r}, not a {cls.__name__}")
            return ModelReader(path, config["files"]).estimator(spec)
        model = _rebuild(path, config, cls)
        check_consistency(model)
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
    if spec.get("estimator") != class_path(TextClusterer.__new__(TextClusterer)):
        raise ModelFileError(f"{path} holds a {spec.get('estimator')!r}, not a TextClusterer")
    reader = ModelReader(path, config["files"])
    params_spec = spec.get("params", {})
    if not isinstance(params_spec, dict) or set(params_spec) - set(TextClusterer._get_param_names()):
        raise ModelFileError(f"{path}: the model's parameters are malformed or unknown")
    # Validate the component names against the registries before anything is rebuilt.
    params = {k: reader.decode(v) for k, v in params_spec.items()}
    safeload.check_spacy_model(params.get("spacy_model", "blank"), params.get("lang", "en"))
    model = TextClusterer(**params)
    model._build()
    return reader.estimator(spec, instance=model)
