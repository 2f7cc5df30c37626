"""The interactive map: a plotly scatter of documents (:func:`map_figure`) written as an HTML page that opens
from disk (:func:`write_map_html`); the page embeds or sits beside plotly.js, so it needs no server or network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError
from .style import check_map_inputs, plain, topic_groups

__all__ = ["map_figure", "write_map_html"]


def _wrap(flat: str, width: int) -> list[str]:
    """Greedy lines of at most ``width`` characters from single-space-separated ``flat`` (a word longer than a
    line is cut); the same lines as ``textwrap.wrap(break_on_hyphens=False)`` for words of at most ``width``
    characters, at a fraction of its cost (one call per document on the map)."""
    lines: list[str] = []
    line = ""
    for word in flat.split(" ") if flat else ():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _snippet(text: str, chars: int) -> str:
    """First ``chars`` characters of ``text`` on one line, made safe (:func:`plain`), wrapped with <br>."""
    flat = " ".join(str(text).split())
    if len(flat) > chars:
        flat = flat[:chars].rstrip() + "…"
    return "<br>".join(plain(line) for line in _wrap(flat, 70)) or "<i>(empty)</i>"


def map_figure(coords, labels, *, topic_labels: dict[int, str] | None = None, texts: Sequence[str] | None = None,
               ids: Sequence | None = None, labels_true: Sequence | None = None, title: str | None = None,
               snippet_chars: int = 120, marker_size: float | None = None, webgl: bool | str = "auto"):
    """An interactive plotly scatter of documents, one legend entry (trace) per topic and one for noise.

    Parameters
    ----------
    coords : array (n, 2)
        2-D positions (:func:`project`).
    labels : int array (n,)
        Cluster of each point, -1 = noise.
    topic_labels : dict {cluster: short label}, optional
        Shown in the legend and on hover.
    texts, ids, labels_true : sequences of n items, optional
        Hover shows the id, the gold label and the first ``snippet_chars`` characters of the text.
    webgl : bool or "auto"
        Draw with WebGL (``Scattergl``) or SVG (``Scatter``); "auto" uses WebGL above 30,000 points only,
        because SVG works everywhere (also in browsers without GPU or WebGL).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise InputError("the HTML map needs plotly: pip install 'textcluster[viz]'") from exc
    coords, labels = check_map_inputs(coords, labels, {"texts": texts, "ids": ids, "labels_true": labels_true})
    n = len(coords)
    if title is None:
        title = f"{n:,} documents in {int((np.unique(labels) >= 0).sum())} topics"
    use_gl = n > 30_000 if webgl == "auto" else bool(webgl)
    Trace = go.Scattergl if use_gl else go.Scatter
    size = marker_size or float(np.clip(12 - 2 * np.log10(max(n, 1)), 3, 8))
    fig = go.Figure()
    for c, name, colour in topic_groups(labels, topic_labels):
        idx = np.flatnonzero(labels == c)
        hover = None
        if texts is not None or ids is not None or labels_true is not None:
            hover = []
            for i in idx:
                head = []
                if ids is not None:
                    head.append(f"id {plain(ids[i])}")
                if labels_true is not None:
                    head.append(f"label {plain(labels_true[i])}")
                line = " · ".join(head)
                body = _snippet(texts[i], snippet_chars) if texts is not None else ""
                hover.append(line + ("<br>" if line and body else "") + body)
        fig.add_trace(Trace(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name, text=hover,
            marker={"size": size, "color": colour, "opacity": 0.45 if c < 0 else 0.75, "line": {"width": 0}},
            hovertemplate="<b>%{fullData.name}</b><br>%{text}<extra></extra>" if hover is not None
            else "<b>%{fullData.name}</b><extra></extra>"))
    fig.update_layout(title=title, template="plotly_white", legend={"itemsizing": "constant", "title": "topic"},
                      xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
                      hoverlabel={"align": "left"}, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10})
    return fig


def write_map_html(path, coords, labels, *, plotlyjs: str = "directory", **kw) -> Path:
    """Write :func:`map_figure` as an HTML page that opens from disk, without a server or network.

    ``plotlyjs="directory"`` (default) writes plotly.js (4.8 MB) once as ``plotly.min.js`` beside the page,
    which loads it with a relative ``<script src>``: several maps in one folder share one copy and the page
    itself holds only the points (keep the two files together when moving the page). ``"inline"`` embeds
    plotly.js in the page (one self-contained file, 4.8 MB larger). ``kw`` goes to :func:`map_figure`.
    Returns the path.
    """
    from ..atomic import atomic_file

    if plotlyjs not in ("directory", "inline"):
        raise InputError(f"plotlyjs must be 'directory' or 'inline', got {plotlyjs!r}")
    path = Path(path)
    fig = map_figure(coords, labels, **kw)
    config = {"responsive": True, "displaylogo": False}
    with atomic_file(path, "w", encoding="utf-8", what="map path") as fh:
        fig.write_html(fh, include_plotlyjs=True if plotlyjs == "inline" else "directory", full_html=True,
                       config=config)
    if plotlyjs == "directory":  # plotly writes the bundle itself only when given a path, not a file
        from plotly.offline import get_plotlyjs

        js = path.parent / "plotly.min.js"
        if not js.is_file():
            with atomic_file(js, "w", encoding="utf-8", what="map path") as fh:
                fh.write(get_plotlyjs())
    return path
