"""What the HTML and the PNG map share: topic colours, legend names, checks of the map's inputs."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["topic_groups", "check_map_inputs", "plain"]

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


def topic_groups(labels: np.ndarray, topic_labels: dict[int, str] | None) -> list[tuple[int, str, str]]:
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
        out.append((c, f"{c}: {plain(name)} ({size})" if name else f"{c} ({size})", next(colours)))
    return out


def check_map_inputs(coords, labels, n_other: dict[str, Sequence | None]) -> tuple[np.ndarray, np.ndarray]:
    """``coords`` as float32 (n, 2) and ``labels`` as int64 (n,); InputError unless they and every sequence in
    ``n_other`` (name: values or None) have one entry per point."""
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


def plain(text: str) -> str:
    """``text`` safe for plotly's label markup: & escaped, < and > shown as ‹ and › (plotly.js prints an
    escaped &lt; literally in hover labels, and would read a bare < as the start of a tag)."""
    return str(text).replace("&", "&amp;").replace("<", "‹").replace(">", "›")
