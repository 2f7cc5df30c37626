"""Maps of document collections: a 2-D projection, an interactive HTML page, a PNG, word neighbourhoods.

The default projection (``method="graph"``) is a small UMAP-like layout in numpy (torch for large
k-nearest-neighbour searches): PCA to at most 50 dimensions, an exact cosine k-nearest-neighbour graph with
UMAP's fuzzy edge weights, then 100-200 batched gradient steps that pull graph neighbours together and push
random pairs apart. It laid out the 18,846 vectors of 20 Newsgroups in 4 s (5 CPU s) on two cores (see
docs/benchmarks.md). Larger collections are laid out on a random sample of ``max_layout_points`` and the
other points are placed at the weighted mean of their nearest laid-out neighbours. ``method="umap"`` uses umap-learn (``pip install umap-learn``), ``"tsne"`` scikit-learn's
t-SNE, ``"pca"`` the first two principal components.

The HTML map embeds plotly.js, so the file opens from disk without a server or network.
"""
from __future__ import annotations

import logging
import textwrap
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import InputError, TextclusterWarning

__all__ = ["MapProjector", "project", "map_figure", "write_map_html", "write_map_png", "write_maps",
           "word_neighbourhood", "plot_word_neighbourhood", "PROJECTIONS"]

logger = logging.getLogger(__name__)

#: names accepted by ``MapProjector(method=...)``.
PROJECTIONS = ("graph", "umap", "tsne", "pca")

# UMAP's curve 1 / (1 + a d^(2b)) for min_dist=0.1, spread=1 (umap.umap_.find_ab_params).
_A, _B = 1.577, 0.8951


def _normalise(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows become one extra unit axis (alike, far from the rest)."""
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    zero = norms[:, 0] == 0
    out = X / np.where(norms > 0, norms, 1)
    if zero.any():
        out = np.hstack([out, zero[:, None].astype(np.float32)])
    return out


def _knn_cosine(Q: np.ndarray, R: np.ndarray, k: int, *, exclude_self: bool, chunk: int = 4096
                ) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k nearest rows of ``R`` for each row of ``Q`` (both L2-normalised): one matmul + partition
    when small, else blocked torch matmul + top-k (multi-threaded, much faster than numpy's argpartition).

    Returns (indices (nq, k) int64, distances (nq, k) float32), nearest first; distance = 1 - cosine.
    """
    if len(Q) * len(R) <= 25_000_000:  # small: numpy, without importing torch
        S = Q @ R.T
        if exclude_self:
            np.fill_diagonal(S, -np.inf)
        part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(S, part, axis=1)
        order = np.argsort(-sims, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1).astype(np.int64), \
            np.maximum(1.0 - np.take_along_axis(sims, order, axis=1), 0.0).astype(np.float32)
    import torch

    Qt, Rt = torch.from_numpy(np.ascontiguousarray(Q, dtype=np.float32)), \
        torch.from_numpy(np.ascontiguousarray(R, dtype=np.float32))
    chunk = max(1, min(chunk, (1 << 24) // max(len(R), 1)))  # a (chunk, nr) block of at most 64 MB
    idx, sim = [], []
    with torch.no_grad():
        for start in range(0, len(Qt), chunk):
            S = Qt[start:start + chunk] @ Rt.T  # (c, nr) cosine similarities
            if exclude_self:
                rows = torch.arange(len(S))
                S[rows, rows + start] = -float("inf")
            v, i = torch.topk(S, k, dim=1, largest=True, sorted=True)
            idx.append(i)
            sim.append(v)
    return torch.cat(idx).numpy().astype(np.int64), np.maximum(1.0 - torch.cat(sim).numpy(), 0.0)


def _fuzzy_graph(knn_idx: np.ndarray, knn_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UMAP's fuzzy simplicial set: per-point bandwidth so weights sum to log2(k), then fuzzy union.

    Returns (heads, tails, weights) of the symmetric graph, each edge once.
    """
    from scipy.sparse import coo_matrix

    n, k = knn_idx.shape
    rho = knn_dist[:, 0:1]
    d = np.maximum(knn_dist - rho, 0.0).astype(np.float64)
    target = np.log2(k)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    sigma = np.ones(n)
    for _ in range(48):  # vectorised binary search for sigma
        s = np.exp(-d / sigma[:, None]).sum(axis=1)
        too_big = s > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    sigma = np.maximum(sigma, 1e-3 * max(float(d.mean()), 1e-12))
    w = np.exp(-d / sigma[:, None]).ravel()
    A = coo_matrix((w, (np.repeat(np.arange(n), k), knn_idx.ravel())), shape=(n, n)).tocsr()
    A.sum_duplicates()
    At = A.T.tocsr()
    G = (A + At - A.multiply(At)).tocoo()
    keep = G.row < G.col
    return G.row[keep].astype(np.int64), G.col[keep].astype(np.int64), G.data[keep].astype(np.float32)


def _graph_layout(P: np.ndarray, *, n_neighbors: int, n_epochs: int, negative: int, seed: int) -> np.ndarray:
    """Lay out the rows of ``P`` (n, d) in 2-D with UMAP's attraction/repulsion, one batch step per epoch.

    Every epoch samples each graph edge with probability equal to its weight, pulls its ends together and
    pushes both ends away from ``negative`` random points each (UMAP's gradients for min_dist=0.1, each
    term clipped to +-4), with a learning rate falling linearly from 1 to 0.
    """
    n = len(P)
    k = int(min(n_neighbors, n - 1))
    Pn = _normalise(P)
    knn_idx, knn_dist = _knn_cosine(Pn, Pn, k, exclude_self=True)
    heads, tails, weights = _fuzzy_graph(knn_idx, knn_dist)
    weights = weights / weights.max()
    rng = np.random.default_rng(seed)
    # Initialise with the first two principal components, scaled to a box of +-10 (UMAP's "pca" init).
    Y = _pca(Pn, 2)
    Y = 10.0 * Y / np.maximum(np.abs(Y).max(axis=0), 1e-12)
    Y += rng.normal(scale=1e-4, size=Y.shape).astype(np.float32)
    for epoch in range(n_epochs):
        alpha = 1.0 - epoch / n_epochs
        sample = rng.random(len(weights), dtype=np.float32) < weights
        h, t = heads[sample], tails[sample]
        diff = Y[h] - Y[t]
        d2 = np.maximum(np.einsum("ij,ij->i", diff, diff), 1e-12)
        d2b = d2 ** _B
        coeff = (-2.0 * _A * _B) * d2b / d2 / (1.0 + _A * d2b)
        g_att = np.clip(coeff[:, None] * diff, -4.0, 4.0)
        src = np.repeat(np.concatenate([h, t]), negative)
        neg = rng.integers(0, n, size=len(src))
        ndiff = Y[src] - Y[neg]
        nd2 = np.einsum("ij,ij->i", ndiff, ndiff)
        ncoeff = (2.0 * _B) / ((0.001 + nd2) * (1.0 + _A * nd2 ** _B))
        ncoeff[src == neg] = 0.0
        g_rep = np.clip(ncoeff[:, None] * ndiff, -4.0, 4.0)
        upd = np.empty_like(Y)
        for dim in range(2):
            upd[:, dim] = (np.bincount(h, g_att[:, dim], minlength=n) - np.bincount(t, g_att[:, dim], minlength=n)
                           + np.bincount(src, g_rep[:, dim], minlength=n))
        Y += alpha * np.clip(upd, -4.0, 4.0)
    return Y


def _place_by_neighbours(P_all: np.ndarray, P_ref: np.ndarray, Y_ref: np.ndarray, *, k: int = 10
                         ) -> np.ndarray:
    """2-D positions for rows of ``P_all``: similarity-weighted mean of their ``k`` nearest reference points."""
    both = _normalise(np.vstack([P_all, P_ref]))  # one call, so zero rows get the same extra axis
    idx, dist = _knn_cosine(both[:len(P_all)], both[len(P_all):], min(k, len(P_ref)), exclude_self=False)
    w = np.exp(-(dist - dist[:, :1]) / np.maximum(dist.std(axis=1, keepdims=True), 1e-6))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", w, Y_ref[idx]).astype(np.float32)


def _pca(X: np.ndarray, n_components: int) -> np.ndarray:
    """First ``n_components`` principal components by an eigendecomposition of the (d, d) covariance."""
    Xc = X.astype(np.float64) - X.mean(axis=0)
    vals, vecs = np.linalg.eigh(Xc.T @ Xc)
    vecs = vecs[:, ::-1][:, :n_components]
    vecs *= np.where(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])] < 0, -1, 1)  # fixed signs
    return (Xc @ vecs).astype(np.float32)


class MapProjector(TransformerMixin, BaseEstimator):
    """Project vectors to 2-D for a map.

    Parameters
    ----------
    method : {"graph", "umap", "tsne", "pca"}
        ``"graph"`` (default): a numpy UMAP-like layout, fast and dependency-free (see module docstring).
        ``"umap"``: umap-learn (``pip install umap-learn``). ``"tsne"``: scikit-learn t-SNE (slow on large
        collections). ``"pca"``: first two principal components (instant, crowded).
    n_neighbors : int
        Neighbours in the k-NN graph ("graph", "umap"); larger keeps more global structure.
    n_epochs : int or "auto"
        Layout steps ("graph"): "auto" = 200 up to 5,000 points, then fewer, down to 100 from 50,000.
    negative : int
        Random repulsion partners per edge and step ("graph").
    pca_components : int
        Vectors are first reduced to at most this many principal components.
    max_layout_points : int
        "graph"/"umap"/"tsne" lay out at most this many points (a random sample); the others are placed at
        the weighted mean of their nearest laid-out neighbours.
    random_state : int or None
        Seed for the sample, the initialisation and the layout steps.

    Attributes
    ----------
    embedding_ : float32 array (n, 2)
    method_ : str, the method used
    """

    def __init__(self, method: str = "graph", *, n_neighbors: int = 15, n_epochs: int | str = "auto",
                 negative: int = 3, pca_components: int = 50, max_layout_points: int = 30_000,
                 random_state: int | None = 0):
        self.method = method
        self.n_neighbors = n_neighbors
        self.n_epochs = n_epochs
        self.negative = negative
        self.pca_components = pca_components
        self.max_layout_points = max_layout_points
        self.random_state = random_state

    def _validate(self, X) -> np.ndarray:
        if self.method not in PROJECTIONS:
            raise InputError(f"method={self.method!r} is not a projection; choose one of {', '.join(PROJECTIONS)}")
        for name, lo in (("n_neighbors", 2), ("negative", 1), ("pca_components", 2), ("max_layout_points", 10)):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
                raise InputError(f"{name} must be an int >= {lo}, got {v!r}")
        if self.n_epochs != "auto" and (not isinstance(self.n_epochs, (int, np.integer)) or self.n_epochs < 1):
            raise InputError(f"n_epochs must be 'auto' or an int >= 1, got {self.n_epochs!r}")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) < 1:
            raise InputError(f"X must be a 2-D array with at least one row to project, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise InputError("X contains NaN or infinite values; clean or impute them before projecting")
        return X

    def fit(self, X, y=None) -> "MapProjector":
        """Compute the 2-D layout of ``X`` (n, d); result in ``embedding_`` (n, 2) float32."""
        X = self._validate(X)
        rng = np.random.default_rng(self.random_state)
        n, d = X.shape
        if d > self.pca_components and self.method != "pca":
            X = _pca(X, self.pca_components)
        if self.method == "pca" or d <= 2 or n < 5:  # a handful of points: a layout has nothing to learn
            Y = self._pca2(X)
        else:
            sample = np.sort(rng.choice(n, self.max_layout_points, replace=False)) \
                if n > self.max_layout_points else None
            Xs = X if sample is None else X[sample]
            Ys = self._layout(Xs, rng)
            Y = Ys if sample is None else _place_by_neighbours(X, Xs, Ys)
            if sample is not None:
                Y[sample] = Ys
        self.embedding_ = np.ascontiguousarray(Y, dtype=np.float32)
        self.method_ = self.method
        logger.info("map projection: %s of %d x %d vectors", self.method, n, d)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        return self.fit(X).embedding_

    @staticmethod
    def _pca2(X: np.ndarray) -> np.ndarray:
        if X.shape[1] <= 2:
            return np.pad(X, ((0, 0), (0, 2 - X.shape[1])))
        return _pca(X, 2)

    def _layout(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(X)
        seed = int(rng.integers(2**31 - 1))
        if self.method == "umap":
            try:
                import umap
            except ImportError as exc:
                raise InputError("method='umap' needs umap-learn: pip install umap-learn "
                                 "(or use the default method='graph')") from exc
            return umap.UMAP(n_neighbors=min(self.n_neighbors, n - 1), metric="cosine", random_state=seed,
                             n_jobs=1).fit_transform(X)  # a seed makes umap single-threaded anyway
        if self.method == "tsne":
            from sklearn.manifold import TSNE
            return TSNE(perplexity=min(30.0, (n - 1) / 3), init="pca", metric="cosine",
                        random_state=seed).fit_transform(X)
        epochs = self.n_epochs
        if epochs == "auto":  # 200 up to 5,000 points, ~135 at 20,000, 100 from 50,000
            epochs = int(max(100, min(200, 200 * (5_000 / n) ** 0.3)))
        return _graph_layout(X, n_neighbors=self.n_neighbors, n_epochs=int(epochs), negative=self.negative,
                             seed=seed)


def project(X, method: str = "graph", *, random_state: int | None = 0, **params) -> np.ndarray:
    """2-D coordinates (n, 2) float32 of the rows of ``X`` (n, d); see :class:`MapProjector`."""
    return MapProjector(method, random_state=random_state, **params).fit_transform(X)


# -- colours and labels ---------------------------------------------------------------------------------
_NOISE_COLOUR = "#bdbdbd"


def _palette(n: int) -> list[str]:
    """``n`` distinct hex colours: tab10 up to 10, tab20 up to 20, then tab20 + tab20b + tab20c, cycled."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if n <= 10:
        names = ["tab10"]
    elif n <= 20:
        names = ["tab20"]
    else:
        names = ["tab20", "tab20b", "tab20c"]
    colours = [to_hex(c) for name in names for c in colormaps[name].colors]
    return [colours[i % len(colours)] for i in range(n)]


def _groups(labels: np.ndarray, topic_labels: dict[int, str] | None) -> list[tuple[int, str, str]]:
    """(cluster, legend name, colour) per cluster, largest first, noise last."""
    ids, sizes = np.unique(labels, return_counts=True)
    order = sorted(zip(ids.tolist(), sizes.tolist()), key=lambda cs: (cs[0] < 0, -cs[1], cs[0]))
    colours = iter(_palette(sum(1 for c, _ in order if c >= 0)))
    out = []
    for c, size in order:
        if c < 0:
            out.append((c, f"noise ({size})", _NOISE_COLOUR))
            continue
        name = (topic_labels or {}).get(c, "")
        out.append((c, f"{c}: {_plain(name)} ({size})" if name else f"{c} ({size})", next(colours)))
    return out


def _check_map_inputs(coords, labels, n_other: dict[str, Sequence | None]) -> tuple[np.ndarray, np.ndarray]:
    coords = np.asarray(coords, dtype=np.float32)
    labels = np.asarray(labels)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise InputError(f"coords must have shape (n, 2), got {coords.shape}; project vectors first with project(X)")
    if labels.shape != (len(coords),):
        raise InputError(f"labels must have shape ({len(coords)},) like coords, got {labels.shape}")
    for name, values in n_other.items():
        if values is not None and len(values) != len(coords):
            raise InputError(f"{name} has {len(values)} entries but coords has {len(coords)} rows; pass one per point")
    return coords, labels.astype(np.int64)


def _plain(text: str) -> str:
    """``text`` safe for plotly's label markup: & escaped, < and > shown as ‹ and › (plotly.js prints an
    escaped &lt; literally in hover labels, and would read a bare < as the start of a tag)."""
    return str(text).replace("&", "&amp;").replace("<", "‹").replace(">", "›")


def _snippet(text: str, chars: int) -> str:
    """First ``chars`` characters of ``text`` on one line, made safe (:func:`_plain`), wrapped with <br>."""
    flat = " ".join(str(text).split())
    if len(flat) > chars:
        flat = flat[:chars].rstrip() + "…"
    return "<br>".join(_plain(line) for line in textwrap.wrap(flat, 70)) or "<i>(empty)</i>"


# -- interactive map --------------------------------------------------------------------------------------
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
    coords, labels = _check_map_inputs(coords, labels, {"texts": texts, "ids": ids, "labels_true": labels_true})
    n = len(coords)
    if title is None:
        title = f"{n:,} documents in {int((np.unique(labels) >= 0).sum())} topics"
    use_gl = n > 30_000 if webgl == "auto" else bool(webgl)
    Trace = go.Scattergl if use_gl else go.Scatter
    size = marker_size or float(np.clip(12 - 2 * np.log10(max(n, 1)), 3, 8))
    fig = go.Figure()
    for c, name, colour in _groups(labels, topic_labels):
        idx = np.flatnonzero(labels == c)
        hover = None
        if texts is not None or ids is not None or labels_true is not None:
            hover = []
            for i in idx:
                head = []
                if ids is not None:
                    head.append(f"id {_plain(ids[i])}")
                if labels_true is not None:
                    head.append(f"label {_plain(labels_true[i])}")
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
    from .atomic import atomic_file

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


# -- static map -------------------------------------------------------------------------------------------
def _cjk_font() -> str | None:
    """Name of an installed font with CJK glyphs (Noto Sans CJK, Source Han, WenQuanYi, ...), or None."""
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK", "Noto Serif CJK", "Source Han Sans", "WenQuanYi", "Droid Sans Fallback",
              "AR PL", "IPAGothic", "IPAexGothic", "Noto Sans SC", "Noto Sans JP", "Noto Sans KR", "NanumGothic")

    def find() -> str | None:
        names = sorted({f.name for f in font_manager.fontManager.ttflist})
        return next((name for w in wanted for name in names if name.startswith(w)), None)

    found = find()
    if found is None:  # matplotlib's font cache predates the font's installation: register the files
        keys = ("cjk", "wqy", "wenquanyi", "droidsansfallback", "sourcehan", "nanum", "ipag", "ukai", "uming")
        files = [f for f in font_manager.findSystemFonts()
                 if any(k in Path(f).name.lower().replace("-", "").replace("_", "") for k in keys)]
        files.sort(key=lambda f: ("sans" not in f.lower(), "regular" not in f.lower(), f))  # Sans Regular first
        for f in files[:4]:
            try:
                font_manager.fontManager.addfont(f)
            except (OSError, RuntimeError, ValueError):
                continue
        found = find()
    return found


def _needs_cjk(text: str) -> bool:
    """True when ``text`` has CJK / Hangul / kana characters (DejaVu Sans, matplotlib's default, has none)."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"
               or "\uff00" <= ch <= "\uffef" for ch in text)


def write_map_png(path, coords, labels, *, topic_labels: dict[int, str] | None = None, title: str | None = None,
                  annotate: int = 30, legend: int = 20, dpi: int = 100,
                  figsize: tuple[float, float] | None = None) -> Path:
    """A PNG of the map (matplotlib): points coloured by topic, the ``annotate`` largest topics labelled at
    their median position, a legend of the ``legend`` largest topics (cluster, label, size), a title (default:
    "N documents in K topics"), noise in light grey. Returns the path.

    Labels in Chinese, Japanese or Korean are drawn with an installed CJK font (Noto Sans CJK, e.g. Debian's
    ``fonts-noto-cjk``); without one, they are replaced by the cluster number (the legend says so) and a
    warning names the package to install.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, works without a display

    coords, labels = _check_map_inputs(coords, labels, {})
    n = len(coords)
    groups = _groups(labels, topic_labels)
    topics = [g for g in groups if g[0] >= 0]
    names = {c: (topic_labels or {}).get(c) or "" for c, _, _ in topics}
    family = None
    if any(_needs_cjk(v) for v in names.values()):
        cjk = _cjk_font()
        if cjk is not None:
            family = ["DejaVu Sans", cjk]  # matplotlib falls back glyph by glyph (>= 3.6)
        else:
            warnings.warn("map.png: no CJK font installed, so CJK topic labels are shown as cluster numbers "
                          "(install one, e.g. apt-get install fonts-noto-cjk); map.html shows them", TextclusterWarning)
            names = {c: "" if _needs_cjk(v) else v for c, v in names.items()}
    n_legend = min(legend, len(topics))
    if figsize is None:
        figsize = (12.0, 7.5) if n_legend else (9.0, 7.0)
    fig = Figure(figsize=figsize, dpi=dpi)
    ax = fig.add_subplot()
    size = float(np.clip(40 / np.sqrt(max(n, 1)) * 10, 0.5, 12))
    handles = {}
    for c, name, colour in groups[::-1]:  # noise and small topics first, so large topics stay visible
        idx = labels == c
        handles[c] = ax.scatter(coords[idx, 0], coords[idx, 1], s=size, c=colour, alpha=0.35 if c < 0 else 0.6,
                                linewidths=0, rasterized=True)
    text_kw = {"fontfamily": family} if family else {}
    for c, _, colour in topics[:annotate]:
        x, y = np.median(coords[labels == c], axis=0)
        ax.annotate(names[c] or str(c), (x, y), ha="center", va="center", fontsize=8, **text_kw,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "alpha": 0.8})
    if n >= 100:  # keep a few far outliers from shrinking the map
        lo, hi = np.percentile(coords, [0.2, 99.8], axis=0)
        pad = 0.04 * (hi - lo)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_axis_off()
    if n_legend:
        entries = [(handles[c], f"{c}: {names[c]} ({int((labels == c).sum())})" if names[c]
                    else f"cluster {c} ({int((labels == c).sum())})") for c, _, _ in topics[:n_legend]]
        if (labels < 0).any():
            entries.append((handles[-1], f"noise / empty ({int((labels < 0).sum())})"))
        title_legend = "topic (size)" if len(topics) <= n_legend else f"largest {n_legend} of {len(topics)} topics"
        leg = ax.legend([h for h, _ in entries], [t for _, t in entries], loc="center left",
                        bbox_to_anchor=(1.01, 0.5), fontsize=8, title=title_legend, title_fontsize=9,
                        frameon=False, markerscale=max(1.0, 6 / max(size, 0.1) ** 0.5), prop=(
                            {"family": family, "size": 8} if family else None))
        for h in leg.legend_handles:
            h.set_alpha(1)
    ax.set_title(title if title is not None else f"{n:,} documents in {len(topics)} topics")
    fig.tight_layout()
    from .atomic import atomic_file

    with atomic_file(path, "wb", what="map path") as fh:
        fig.savefig(fh, dpi=dpi, format="png")
    return Path(path)


# -- the maps of a fitted TextClusterer -----------------------------------------------------------------------
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


# -- words ------------------------------------------------------------------------------------------------
def word_neighbourhood(wv, word: str, *, topn: int = 30) -> tuple[list[str], list[float], np.ndarray]:
    """``word`` and its ``topn`` nearest words in ``wv`` (gensim KeyedVectors) with cosine similarities and 2-D
    PCA coordinates of their vectors. Returns (words (m,), similarities (m,), coords (m, 2)); the word first."""
    if not isinstance(word, str) or not word:
        raise InputError("word must be a non-empty string")
    if word not in wv.key_to_index:
        close = [w for w in wv.index_to_key[:50_000] if w.startswith(word[:3])][:5]
        raise InputError(f"word {word!r} is not in the vocabulary ({len(wv.index_to_key)} words)"
                         + (f"; similar entries: {', '.join(close)}" if close else "; try a more frequent word"))
    if not isinstance(topn, (int, np.integer)) or topn < 2:
        raise InputError(f"topn must be an int >= 2, got {topn!r}")
    if len(wv.index_to_key) < 3:
        raise InputError(f"the vocabulary has {len(wv.index_to_key)} words; a neighbourhood needs at least 3")
    near = wv.most_similar(word, topn=min(topn, len(wv.index_to_key) - 1))
    words = [word] + [w for w, _ in near]
    sims = [1.0] + [float(s) for _, s in near]
    V = _normalise(np.stack([wv[w] for w in words]))
    return words, sims, _pca(V, 2)


def plot_word_neighbourhood(wv, word: str, *, topn: int = 30, path=None, ax=None):
    """Scatter of ``word`` and its ``topn`` nearest words (2-D PCA of their vectors), each labelled, coloured
    by similarity. Draws on ``ax`` when given (e.g. in a notebook), writes a PNG when ``path`` is given.
    Returns the matplotlib Figure."""
    from matplotlib.figure import Figure

    words, sims, xy = word_neighbourhood(wv, word, topn=topn)
    if ax is None:
        fig = Figure(figsize=(7, 6), dpi=100)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    points = ax.scatter(xy[1:, 0], xy[1:, 1], c=sims[1:], cmap="viridis", s=30)
    ax.scatter(xy[:1, 0], xy[:1, 1], c="crimson", s=80, marker="*")
    for w, (x, y) in zip(words, xy):
        ax.annotate(w, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9,
                    fontweight="bold" if w == word else "normal")
    fig.colorbar(points, ax=ax, label="cosine similarity")
    ax.set_title(f"nearest words to {word!r}")
    ax.set_xticks([])
    ax.set_yticks([])
    if path is not None:
        fig.savefig(Path(path), bbox_inches="tight")
    return fig
