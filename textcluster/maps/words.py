"""Word neighbourhoods: a word and its nearest words in word-vector space, laid out in 2-D."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .projection import normalise, pca

__all__ = ["word_neighbourhood", "plot_word_neighbourhood"]


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
    V = normalise(np.stack([wv[w] for w in words]))
    return words, sims, pca(V, 2)


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
