"""Maps of document collections: a 2-D projection, an interactive HTML page, a PNG, word neighbourhoods.

This module writes the maps of a fitted model (:func:`write_maps`) and is where the map functions are
imported from; each part lives in :mod:`textcluster.maps`: the projections (:mod:`~textcluster.maps.projection`,
whose docstring describes the default ``method="graph"`` layout), the HTML map
(:mod:`~textcluster.maps.html_map`), the PNG map (:mod:`~textcluster.maps.png_map`) and word neighbourhoods
(:mod:`~textcluster.maps.words`).

The HTML map embeds plotly.js, so the file opens from disk without a server or network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import InputError
from .maps.html_map import map_figure, write_map_html
from .maps.png_map import write_map_png
from .maps.projection import PROJECTIONS, MapProjector, project
from .maps.words import plot_word_neighbourhood, word_neighbourhood

__all__ = ["MapProjector", "project", "map_figure", "write_map_html", "write_map_png", "write_maps",
           "word_neighbourhood", "plot_word_neighbourhood", "PROJECTIONS"]


def write_maps(model, out_dir, *, method: str = "graph", labels_true: Sequence | None = None,
               html: bool = True, png: bool = True, max_points: int = 50_000, random_state: int | None = 0,
               title: str | None = None) -> dict:
    """Project a fitted :class:`~textcluster.TextClusterer`'s document vectors and write ``map.html`` and
    ``map.png`` into ``out_dir``.

    Hover shows each document's id, its gold label (``labels_true``, optional) and a snippet of its text
    (when the model still holds ``texts_``). Collections larger than ``max_points`` are mapped on a random
    sample of that many documents (a page with more points gets slow to open).

    Returns
    -------
    dict
        ``coords`` (m, 2) float32, ``indices`` (m,) the documents drawn, ``seconds`` per step, ``files``.
    """
    import time

    out_dir = Path(out_dir)
    X = getattr(model, "embedding_", None)
    if X is None or not hasattr(model, "labels_"):
        raise InputError("the model is not fitted (or was loaded without its vectors); fit it before mapping")
    if not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise InputError(f"max_points must be a positive int, got {max_points!r}")
    n = len(model.labels_)
    rng = np.random.default_rng(random_state)
    indices = np.arange(n) if n <= max_points else np.sort(rng.choice(n, max_points, replace=False))
    labels = np.asarray(model.labels_)[indices]

    def pick(values):
        return None if values is None else [values[i] for i in indices]

    topic_labels = {t.cluster: t.label for t in model.topics_}
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    coords = project(np.asarray(X[indices] if n > max_points else X), method, random_state=random_state)
    seconds = {"project": round(time.perf_counter() - t0, 3)}
    files = []
    if html:
        t0 = time.perf_counter()
        files.append(write_map_html(out_dir / "map.html", coords, labels, topic_labels=topic_labels,
                                    texts=pick(getattr(model, "texts_", None)),
                                    ids=pick(getattr(model, "doc_ids_", None)), labels_true=pick(labels_true),
                                    title=title))
        seconds["html"] = round(time.perf_counter() - t0, 3)
    if png:
        t0 = time.perf_counter()
        files.append(write_map_png(out_dir / "map.png", coords, labels, topic_labels=topic_labels, title=title))
        seconds["png"] = round(time.perf_counter() - t0, 3)
    return {"coords": coords, "indices": indices, "seconds": seconds, "files": files}
