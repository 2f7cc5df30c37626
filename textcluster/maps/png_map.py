"""The static map: a PNG of the documents drawn with matplotlib (:func:`write_map_png`), CJK labels in an
installed CJK font."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import TextclusterWarning
from .style import check_map_inputs, topic_groups

__all__ = ["write_map_png"]


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

    coords, labels = check_map_inputs(coords, labels, {})
    n = len(coords)
    groups = topic_groups(labels, topic_labels)
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
    from ..atomic import atomic_file

    with atomic_file(path, "wb", what="map path") as fh:
        fig.savefig(fh, dpi=dpi, format="png")
    return Path(path)
