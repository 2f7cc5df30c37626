"""Library helpers for exploring and regrouping a fitted :class:`~textcluster.pipeline.TextClusterer`.

pandas tables of assignments and topics, finding the topic of a query, the documents of a topic, merging
topics down to a target count, reassigning noise, and the topic hierarchy. ``TextClusterer`` exposes each
as a method (``model.to_frame()``, ``model.find_topic("query")``, ...); the functions here do the work.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError
from .neighbours import unit_rows
from .topics import TopicHierarchy, cluster_sums, extract_topics, merge_labels, topic_hierarchy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["compute_topics", "update_topic_centroids", "assignments_frame", "topics_frame", "find_topic",
           "topic_documents", "reduce_topics", "reassign_noise", "model_hierarchy", "apply_label_changes"]

logger = logging.getLogger(__name__)


def _need(model, *names: str, why: str) -> None:
    model._check_fitted()
    missing = [n for n in names if getattr(model, n, None) is None]
    if missing:
        raise InputError(f"{why} needs the training documents ({', '.join(missing)}), which a loaded model "
                         "does not keep; call it on the fitted model before saving, or re-fit")


def compute_topics(model) -> list:
    """Topics of ``model.labels_`` from its training tokens and vectors (what ``fit`` stores in ``topics_``)."""
    return extract_topics(model.tokens_, model.labels_, model.embedding_, top_n=model.top_n_words,
                          n_representatives=model.n_representatives,
                          bigrams=getattr(model, "topic_bigrams", False),
                          membership=getattr(model.clusterer_, "probabilities_", None))


def update_topic_centroids(model) -> None:
    """Store the mean training vector of each non-noise cluster: ``topic_ids_`` (c,), ``topic_centroids_`` (c, d)."""
    X, labels = model.embedding_, np.asarray(model.labels_)
    ids = np.unique(labels[labels >= 0])
    sums, counts, _ = cluster_sums(X, np.where(labels >= 0, np.searchsorted(ids, labels), -1), len(ids))
    C = sums / np.maximum(counts, 1)[:, None]
    model.topic_ids_, model.topic_centroids_ = ids.astype(np.int64), C.astype(np.float32)


def apply_label_changes(model, labels: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Apply merges (``label_map_``) and noise reassignment (``noise_centroids_``) to raw predictions."""
    from .cluster import nearest_centroid

    labels = np.asarray(labels, dtype=np.int64)
    lm = getattr(model, "label_map_", None)
    if lm is not None and len(lm):
        labels = merge_labels(labels, {int(a): int(b) for a, b in lm})
    C = getattr(model, "noise_centroids_", None)
    if C is not None and len(C) and (labels < 0).any():
        noise = labels < 0
        labels[noise] = model.noise_centroid_labels_[nearest_centroid(np.asarray(Z, np.float32)[noise], C)]
    return labels


def _topic_names(model) -> dict[int, str]:
    return {t.cluster: t.label for t in model.topics_}


def assignments_frame(model, *, snippet: int | None = 200) -> "pd.DataFrame":
    """One row per training document: ``id``, ``cluster``, ``topic`` (label), ``probability`` (HDBSCAN),
    and ``text`` (first ``snippet`` characters; None = whole text) when the texts are kept."""
    import pandas as pd

    model._check_fitted()
    labels = model.labels_
    names = _topic_names(model)
    ids = getattr(model, "doc_ids_", None)
    df = pd.DataFrame({"id": ids if ids is not None else np.arange(len(labels)).astype(str),
                       "cluster": labels, "topic": [names.get(int(c), "noise") for c in labels]})
    prob = getattr(model.clusterer_, "probabilities_", None)
    if prob is not None and len(prob) == len(labels):
        df["probability"] = prob
    texts = getattr(model, "texts_", None)
    if texts is not None:
        df["text"] = [t if snippet is None else t[:snippet] for t in texts]
    return df


def topics_frame(model) -> "pd.DataFrame":
    """One row per topic (largest first, noise last): ``cluster``, ``label``, ``size``, ``share``, ``words``
    (the top terms, comma-separated), ``scores`` and ``representative_ids``."""
    import pandas as pd

    model._check_fitted()
    ids = getattr(model, "doc_ids_", None)
    n = len(model.labels_)
    rows = [{"cluster": t.cluster, "label": t.label, "size": t.size, "share": t.size / n,
             "words": ", ".join(w for w, _ in t.words), "scores": [round(s, 6) for _, s in t.words],
             "representative_ids": [ids[i] if ids is not None else i for i in t.representatives]}
            for t in model.topics_]
    return pd.DataFrame(rows, columns=["cluster", "label", "size", "share", "words", "scores",
                                       "representative_ids"])


def find_topic(model, query: str, *, top_n: int = 5) -> "pd.DataFrame":
    """Topics closest to ``query`` (a word or phrase): its vector in the model's space against each topic's
    mean vector (cosine). Columns ``cluster``, ``label``, ``size``, ``similarity``, best first."""
    import pandas as pd

    model._check_fitted()
    if not isinstance(query, str) or not query.strip():
        raise InputError("query must be a non-empty string, e.g. find_topic('space')")
    q = model.transform([query])[0]
    if not np.any(q):
        raise InputError(f"none of the words of query {query!r} are in the model's vocabulary; try other or "
                         "more common words")
    if getattr(model, "topic_centroids_", None) is None:
        raise InputError("this model has no topic centroids; re-fit it")
    sims = unit_rows(model.topic_centroids_) @ unit_rows(q)
    order = np.argsort(-sims, kind="stable")[:top_n]
    sizes = {t.cluster: t.size for t in model.topics_}
    names = _topic_names(model)
    return pd.DataFrame([{"cluster": int(model.topic_ids_[i]), "label": names.get(int(model.topic_ids_[i]), ""),
                          "size": sizes.get(int(model.topic_ids_[i]), 0), "similarity": float(sims[i])}
                         for i in order], columns=["cluster", "label", "size", "similarity"])


def topic_documents(model, cluster: int, *, n: int | None = 10, snippet: int | None = None) -> "pd.DataFrame":
    """Documents of ``cluster`` (-1 = noise), most central first: ``id``, ``similarity`` (cosine to the
    cluster mean) and ``text`` when kept; ``n`` = None lists them all."""
    import pandas as pd

    model._check_fitted()
    labels = model.labels_
    if int(cluster) not in set(labels.tolist()):
        raise InputError(f"cluster {cluster} does not exist; clusters are "
                         f"{sorted(set(labels.tolist()))[:20]}")
    idx = np.flatnonzero(labels == int(cluster))
    sims = None
    X = getattr(model, "embedding_", None)
    if X is not None:
        Xn = unit_rows(X[idx])
        sims = Xn @ unit_rows(Xn.mean(axis=0))
        idx, sims = idx[np.argsort(-sims, kind="stable")], np.sort(sims)[::-1]
    idx = idx[:n] if n is not None else idx
    ids = getattr(model, "doc_ids_", None)
    df = pd.DataFrame({"id": [ids[i] for i in idx] if ids is not None else idx.astype(str)})
    if sims is not None:
        df["similarity"] = sims[:len(idx)]
    texts = getattr(model, "texts_", None)
    if texts is not None:
        df["text"] = [texts[i] if snippet is None else texts[i][:snippet] for i in idx]
    return df


def model_hierarchy(model) -> TopicHierarchy:
    """The :class:`~textcluster.topics.TopicHierarchy` of the model's topics."""
    _need(model, "tokens_", why="the topic hierarchy")
    return topic_hierarchy(model.tokens_, model.labels_, bigrams=getattr(model, "topic_bigrams", False),
                           topics=model.topics_)


def reduce_topics(model, n_topics: int):
    """Merge the model's topics down to ``n_topics`` by cutting the topic hierarchy (c-TF-IDF similarity).

    Updates ``labels_``, ``topics_`` and the topic centroids; ``predict`` maps new documents the same way.
    Noise stays noise. Returns the model.
    """
    _need(model, "tokens_", "embedding_", why="reduce_topics")
    h = model_hierarchy(model)
    if len(h.clusters) <= n_topics:
        logger.info("reduce_topics: %d topics already <= %d; nothing merged", len(h.clusters), n_topics)
        return model
    mapping = h.cut(n_topics)
    lm = getattr(model, "label_map_", None)
    # compose with earlier merges: raw clusterer label -> current label -> merged label
    raw_to_cur = {int(a): int(b) for a, b in lm} if lm is not None and len(lm) else \
        {int(c): int(c) for c in h.clusters}
    model.label_map_ = np.array([[raw, mapping.get(cur, cur)] for raw, cur in raw_to_cur.items()], dtype=np.int64)
    if getattr(model, "noise_centroid_labels_", None) is not None:
        model.noise_centroid_labels_ = merge_labels(model.noise_centroid_labels_, mapping)
    model.labels_ = merge_labels(model.labels_, mapping)
    model.topics_ = compute_topics(model)
    update_topic_centroids(model)
    logger.info("reduce_topics: %d -> %d topics", len(h.clusters), model.n_clusters_)
    return model


def reassign_noise(model):
    """Give each noise document (-1) the cluster of the nearest cluster mean (Euclidean, in the space the
    clusterer saw); ``predict`` then does the same for new documents. Returns the model."""
    from .cluster import assign_to_nearest

    _need(model, "embedding_", why="reassign_noise")
    if not (model.labels_ < 0).any() or not (model.labels_ >= 0).any():
        return model
    update_topic_centroids(model)
    model.noise_centroids_ = model.topic_centroids_.copy()
    model.noise_centroid_labels_ = model.topic_ids_.copy()
    model.labels_ = assign_to_nearest(model.embedding_, model.labels_)
    if getattr(model, "tokens_", None) is not None:
        model.topics_ = compute_topics(model)
    update_topic_centroids(model)
    return model
