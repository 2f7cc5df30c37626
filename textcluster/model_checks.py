"""Load-time checks of a model rebuilt by :func:`textcluster.persistence.load_model`: its components against
each other on a probe document (vector sizes, centre shapes, label counts) and every fitted array's dtype, rank
and finiteness. A violation raises :class:`~textcluster.errors.ModelFileError`.
"""
from __future__ import annotations

import numpy as np

from .embed.pooling import nested_embedders
from .errors import ModelFileError

__all__ = ["check_consistency"]


def check_consistency(model) -> None:
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
    for e in nested_embedders(model.embedder_):
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
