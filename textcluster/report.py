"""Write a fitted :class:`TextClusterer`'s results: assignments.csv, topics.json, metrics.json."""
from __future__ import annotations

import csv
import json
import resource
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from .metrics import external_scores, silhouette

__all__ = ["peak_rss_mb", "clustering_metrics", "write_results", "describe_choices"]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB); worker processes are reported separately."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024, 1)


def children_peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024, 1)


def clustering_metrics(X: np.ndarray, labels: np.ndarray, labels_true: Sequence | None, *,
                       random_state: int | None = 0) -> dict:
    """n_docs, n_clusters, noise_fraction, silhouette, and external scores when ``labels_true`` is given."""
    labels = np.asarray(labels)
    m: dict = {
        "n_docs": int(len(labels)),
        "n_clusters": int(len(np.unique(labels[labels >= 0]))),
        "noise_fraction": round(float((labels < 0).mean()), 6),
        "silhouette": silhouette(X, labels, random_state=random_state),
    }
    if labels_true is not None:
        known = np.array([lab is not None for lab in labels_true], dtype=bool)
        if known.all():
            m.update({k: round(v, 6) for k, v in external_scores(labels_true, labels).items()})
        elif known.any():  # labels on some documents only: score those, and say how many
            kept = [lab for lab in labels_true if lab is not None]
            m.update({k: round(v, 6) for k, v in external_scores(kept, labels[known]).items()})
            m["n_labelled"] = int(known.sum())
    return m


def describe_choices(model) -> dict:
    """What the fitted :class:`~textcluster.pipeline.TextClusterer` ``model`` chose by itself, and why:
    ``{"embedder": what ran, "reason": str, "n_tokens": int, "small_collection": bool, "word_vectors": {class:
    settings that were "auto"}, "clusterer": str, "note": str}``. Goes into metrics.json as ``choice``; the CLI
    prints the note (empty when there is nothing to say)."""
    from .embed.pooling import nested_embedders
    from .embed.sentence import SMALL_TOKENS

    parts = list(nested_embedders(model.embedder_))
    auto = next((p for p in parts if hasattr(p, "chosen_")), None)
    trainers = [p.word_embedder_ for p in parts if getattr(p, "word_embedder_", None) is not None]
    n_tokens = getattr(auto, "n_tokens_", None) or next((t.n_tokens_ for t in trainers if hasattr(t, "n_tokens_")),
                                                        None)
    out: dict = {"embedder": type(auto.embedder_ if auto else model.embedder_).__name__,
                 "reason": getattr(auto, "reason_", ""), "n_tokens": n_tokens,
                 "small_collection": bool(n_tokens is not None and n_tokens < SMALL_TOKENS),
                 "clusterer": getattr(model, "algorithm_", None)}
    for t in trainers:
        out.setdefault("word_vectors", {})[type(t).__name__] = {
            k.rstrip("_"): (round(v, 6) if isinstance(v, float) else v) for k in ("epochs_", "min_count_", "sample_")
            if (v := getattr(t, k, None)) is not None}
    out["note"] = out["reason"] if out["small_collection"] else ""
    return out


#: characters of each document's text in assignments.csv and topics.json
SNIPPET_CHARS = 120


def write_results(out: Path, *, ids: Sequence[str], labels: np.ndarray, labels_true: Sequence | None,
                  topics: list | None, metrics: dict, texts: Sequence[str] | None = None) -> None:
    """Write the result files into the (temporary) folder ``out``.

    ``assignments.csv``: id, cluster, label (with gold labels), topic (the cluster's label, with topics),
    text (the first :data:`SNIPPET_CHARS` characters on one line, with ``texts``); ``topics.json`` (skipped
    when ``topics`` is None): per topic its words and representative documents (id and text snippet);
    ``metrics.json``.
    """
    from .topics import text_snippet

    names = {t.cluster: t.label for t in topics} if topics else None
    with open(out / "assignments.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "cluster"] + (["label"] if labels_true is not None else [])
                   + (["topic"] if names is not None else []) + (["text"] if texts is not None else []))
        for i, (doc_id, c) in enumerate(zip(ids, labels)):
            w.writerow([doc_id, int(c)] + ([labels_true[i] if labels_true[i] is not None else ""]
                                           if labels_true is not None else [])
                       + ([names.get(int(c), "noise")] if names is not None else [])
                       + ([text_snippet(texts[i], SNIPPET_CHARS)] if texts is not None else []))
    if topics is not None:
        with open(out / "topics.json", "w", encoding="utf-8") as fh:
            json.dump([t.to_dict(ids, texts, SNIPPET_CHARS) for t in topics], fh, indent=1, ensure_ascii=False)
    with open(out / "metrics.json", "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, indent=1)
