"""Benchmark data loaders: MNIST, Fashion-MNIST (idx .gz files), scikit-learn digits, 20 Newsgroups (JSONL).

Files are read from an explicit path, or from the data directory in ``$TEXTCLUSTER_DATA`` (layout:
``mnist/``, ``fashion-mnist/``, ``20newsgroups/``). Nothing is downloaded.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import InputError
from .images import ImageSet, read_images

__all__ = ["data_dir", "load_mnist", "load_fashion_mnist", "load_digits", "load_20newsgroups"]


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """``path`` if given, else ``$TEXTCLUSTER_DATA``; an InputError names the fix when neither exists."""
    p = path if path is not None else os.environ.get("TEXTCLUSTER_DATA")
    if p is None:
        raise InputError("no data directory: pass path=... or set TEXTCLUSTER_DATA to the folder holding "
                         "mnist/, fashion-mnist/ and 20newsgroups/")
    p = Path(p)
    if not p.exists():
        raise InputError(f"data directory not found: {p}")
    return p


def _idx_set(sub: str, path, split: str, limit: int | None) -> ImageSet:
    base = Path(path) if path is not None and Path(path).name == sub else data_dir(path) / sub
    if not base.exists():
        raise InputError(f"{sub} files not found in {base}")
    if split not in ("all", "train", "test"):
        raise InputError(f"split must be 'all', 'train' or 'test', got {split!r}")
    if split == "all":
        ds = read_images(base)
    else:
        stem = "train" if split == "train" else "t10k"
        f = base / f"{stem}-images-idx3-ubyte.gz"
        ds = read_images(f if f.exists() else base / f"{stem}-images-idx3-ubyte")
    if limit is not None:
        ds = ImageSet(ds.X[:limit], ds.ids[:limit], None if ds.labels is None else ds.labels[:limit])
    return ds


def load_mnist(path: str | os.PathLike | None = None, *, split: str = "all", limit: int | None = None) -> ImageSet:
    """MNIST: X float32 (n, 1, 28, 28) in [0, 1], labels int (n,); 70,000 items for ``split="all"``
    (train then test). ``path``: the data directory or its ``mnist/`` folder."""
    return _idx_set("mnist", path, split, limit)


def load_fashion_mnist(path: str | os.PathLike | None = None, *, split: str = "all",
                       limit: int | None = None) -> ImageSet:
    """Fashion-MNIST, same layout and scaling as :func:`load_mnist`."""
    return _idx_set("fashion-mnist", path, split, limit)


def load_digits() -> ImageSet:
    """scikit-learn's 8x8 digits (1,797 items, bundled with scikit-learn): X (n, 1, 8, 8) in [0, 1]."""
    from sklearn.datasets import load_digits as _ld

    d = _ld()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    return ImageSet(X, [str(i) for i in range(len(X))], d.target.astype(np.int64))


def load_20newsgroups(path: str | os.PathLike | None = None, *, stripped: bool = True,
                      limit: int | None = None):
    """20 Newsgroups JSONL (stripped of headers/footers/quotes by default) as a textcluster Corpus."""
    from .corpus import read_corpus

    name = "20newsgroups-stripped.jsonl.gz" if stripped else "20newsgroups.jsonl.gz"
    p = Path(path) if path is not None and str(path).endswith(".gz") else data_dir(path) / "20newsgroups" / name
    if not p.exists():
        raise InputError(f"20 Newsgroups file not found: {p}")
    corpus = read_corpus(p, text_field="text", label_field="label", id_field="id")
    if limit is None:
        return corpus
    from itertools import islice
    return list(islice(iter(corpus), limit))
