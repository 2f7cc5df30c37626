"""Pretrained word vectors (GloVe text files, word2vec text and binary files) in gensim ``KeyedVectors``;
export of word vectors in word2vec format; nearest neighbours of a word."""
from __future__ import annotations

import gzip
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InputError

__all__ = ["load_vectors", "detect_format", "save_vectors", "nearest_words", "PretrainedEmbedder",
           "VECTOR_FORMATS"]

logger = logging.getLogger(__name__)

#: formats :func:`load_vectors` reads: GloVe text (no header), word2vec text, word2vec binary.
VECTOR_FORMATS = ("auto", "glove", "word2vec", "word2vec-binary")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def detect_format(path: str | os.PathLike) -> str:
    """Guess the format of a vectors file: ``"word2vec-binary"``, ``"word2vec"`` (text with a ``count dim``
    header) or ``"glove"`` (text, no header)."""
    path = Path(path)
    with _open(path) as fh:
        head = fh.readline(4096)
        rest = fh.read(4096)
    parts = head.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        try:
            rest.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A binary file's first vector is raw float32 bytes; a text file is UTF-8 up to the cut-off.
            if exc.start < len(rest) - 4:
                return "word2vec-binary"
        return "word2vec-binary" if b"\x00" in rest else "word2vec"
    return "glove"


def load_vectors(path: str | os.PathLike, *, format: str = "auto", limit: int | None = None):
    """Load word vectors into gensim ``KeyedVectors``.

    Parameters
    ----------
    path : str or Path
        A GloVe text file (``word v1 ... vd`` per line, no header), a word2vec text file (first line
        ``count dim``) or a word2vec binary file; ``.gz`` is read transparently.
    format : {"auto", "glove", "word2vec", "word2vec-binary"}
        "auto" looks at the file (:func:`detect_format`).
    limit : int, optional
        Read only the first ``limit`` vectors.

    Returns
    -------
    gensim KeyedVectors (V, d)
    """
    from gensim.models import KeyedVectors

    path = Path(path)
    if format not in VECTOR_FORMATS:
        raise InputError(f"unknown vectors format {format!r}; choose one of {', '.join(VECTOR_FORMATS)}")
    if not path.is_file():
        raise InputError(f"vectors file {str(path)!r} does not exist (give a GloVe or word2vec file)")
    fmt = detect_format(path) if format == "auto" else format
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-binary",
                                               no_header=fmt == "glove", limit=limit, unicode_errors="replace")
    except (ValueError, EOFError, UnicodeDecodeError, IndexError) as exc:
        raise InputError(f"cannot read {str(path)!r} as {fmt} vectors ({exc}); check the file or pass "
                         "format='glove' | 'word2vec' | 'word2vec-binary'") from None
    if len(kv) == 0:
        raise InputError(f"vectors file {str(path)!r} holds no vectors")
    kv.vectors = np.ascontiguousarray(kv.vectors, dtype=np.float32)
    logger.info("loaded %d %d-d vectors from %s (%s)", len(kv), kv.vector_size, path, fmt)
    return kv


def save_vectors(kv, path: str | os.PathLike, *, binary: bool = False, inputs=()) -> Path:
    """Write ``kv`` (gensim KeyedVectors) in word2vec format (text by default), atomically, through
    :func:`textcluster.atomic.atomic_path` (never over one of ``inputs``, a device or a model file)."""
    from ..atomic import atomic_path

    if len(kv) == 0:
        raise InputError("no word vectors to save (fit an embedder first)")
    with atomic_path(path, inputs=inputs, what="--save-vectors") as tmp:
        kv.save_word2vec_format(str(tmp), binary=binary, write_header=True)
    return Path(path)


def nearest_words(kv, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The ``topn`` words most cosine-similar to ``word`` as (word, similarity), most similar first."""
    if not isinstance(topn, (int, np.integer)) or topn < 1:
        raise InputError(f"topn must be a positive int, got {topn!r}")
    if word not in kv.key_to_index:
        raise InputError(f"word {word!r} is not in the vocabulary of {len(kv)} words (it may have been "
                         "filtered by min_count, lemmatized or lower-cased)")
    return [(w, float(s)) for w, s in kv.most_similar(word, topn=int(topn))]


class PretrainedEmbedder(BaseEstimator):
    """Word vectors from a file instead of training: ``fit`` loads them and counts out-of-vocabulary words.

    Parameters
    ----------
    path : str or Path
        GloVe / word2vec text or binary file.
    format : {"auto", "glove", "word2vec", "word2vec-binary"}
    limit : int, optional
        Read only the first ``limit`` vectors.
    random_state : ignored
        Accepted so that every word embedder takes the same arguments.

    Attributes
    ----------
    wv_ : gensim KeyedVectors
    n_tokens_, n_oov_tokens_ : int, corpus tokens and those without a vector
    n_types_, n_oov_types_ : int, distinct corpus words and those without a vector
    oov_rate_ : float, ``n_oov_tokens_ / n_tokens_``
    top_oov_ : list of (word, count), the 20 most frequent missing words
    """

    def __init__(self, path: str | os.PathLike | None = None, *, format: str = "auto", limit: int | None = None,
                 random_state: int | None = None):
        self.path = path
        self.format = format
        self.limit = limit
        self.random_state = random_state

    def fit(self, token_docs: Sequence[Sequence[str]] = (), y=None) -> "PretrainedEmbedder":
        """Load the vectors and count which tokens of ``token_docs`` (n token lists) have none."""
        if self.path is None:
            raise InputError("PretrainedEmbedder needs path= (a GloVe or word2vec vectors file)")
        self.wv_ = load_vectors(self.path, format=self.format, limit=self.limit)
        counts = Counter(t for doc in token_docs for t in doc)
        known = self.wv_.key_to_index
        oov = {w: c for w, c in counts.items() if w not in known}
        self.n_tokens_ = int(sum(counts.values()))
        self.n_types_ = len(counts)
        self.n_oov_tokens_ = int(sum(oov.values()))
        self.n_oov_types_ = len(oov)
        self.oov_rate_ = self.n_oov_tokens_ / self.n_tokens_ if self.n_tokens_ else 0.0
        self.top_oov_ = sorted(oov.items(), key=lambda wc: (-wc[1], wc[0]))[:20]
        if self.n_tokens_ and self.n_oov_tokens_:
            logger.info("pretrained vectors: %d of %d tokens (%.1f %%, %d distinct words) have no vector",
                        self.n_oov_tokens_, self.n_tokens_, 100 * self.oov_rate_, self.n_oov_types_)
        return self
