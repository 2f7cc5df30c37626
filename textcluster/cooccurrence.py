"""Vocabulary and sparse word co-occurrence counts, shared by GloVe and DeepWalk.

Counting is vectorised: each chunk of documents becomes one flat array of word ids, every window offset
``d = 1..window`` pairs ``ids[:-d]`` with ``ids[d:]`` (masked where the pair would cross a document
boundary) with weight ``1/d`` (or 1), and the chunk's pairs are summed into a sparse matrix. Memory is
bounded by the matrix plus one chunk, not by the corpus.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from .errors import InputError, check_token_docs, count_tokens

__all__ = ["build_vocabulary", "count_cooccurrences", "CooccurrenceCounter", "ppmi", "auto_min_count", "fit_counter",
           "keyed_vectors"]

logger = logging.getLogger(__name__)


def build_vocabulary(token_docs: Sequence[Sequence[str]], *, min_count: int = 1,
                     max_vocab: int | None = None) -> tuple[list[str], np.ndarray]:
    """Words seen at least ``min_count`` times, most frequent first (ties broken alphabetically).

    Parameters
    ----------
    token_docs : sequence of n token lists
    min_count : int
        Minimum corpus frequency.
    max_vocab : int, optional
        Keep at most this many words (the most frequent).

    Returns
    -------
    words : list of V str
    counts : int64 array (V,), corpus frequency of each word
    """
    check_token_docs(token_docs)
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise InputError(f"min_count must be an int >= 1, got {min_count!r}")
    if max_vocab is not None and (not isinstance(max_vocab, (int, np.integer)) or max_vocab < 1):
        raise InputError(f"max_vocab must be None or an int >= 1, got {max_vocab!r}")
    counts = Counter()
    for doc in token_docs:
        counts.update(doc)
    items = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
    if max_vocab is not None:
        items = items[:max_vocab]
    return [w for w, _ in items], np.array([c for _, c in items], dtype=np.int64)


def _encode(token_docs, key_to_index: dict, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Known-word ids of documents ``start:stop`` as one flat array, plus each id's document number."""
    get = key_to_index.get
    ids, lens = [], []
    for doc in token_docs[start:stop] if hasattr(token_docs, "__getitem__") else list(token_docs)[start:stop]:
        row = [j for j in map(get, doc) if j is not None]
        ids.extend(row)
        lens.append(len(row))
    ids_arr = np.asarray(ids, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    return ids_arr, doc_of


def count_cooccurrences(token_docs: Sequence[Sequence[str]], key_to_index: dict, *, window: int = 10,
                        weighting: str = "harmonic", symmetric: bool = True,
                        chunk_tokens: int = 1_000_000) -> sp.csr_matrix:
    """Sparse word-word co-occurrence matrix within a window, never crossing documents.

    Out-of-vocabulary tokens are dropped before windowing (as the reference GloVe ``cooccur`` does).

    Parameters
    ----------
    token_docs : sequence of n token lists
    key_to_index : dict word -> row (V words)
    window : int
        Context words on each side.
    weighting : {"harmonic", "uniform"}
        ``harmonic``: a pair ``d`` positions apart adds ``1/d``; ``uniform``: adds 1.
    symmetric : bool
        Count left and right contexts (X is symmetric); otherwise only right contexts (``X[i, j]``: ``j``
        follows ``i``).
    chunk_tokens : int
        Approximate number of tokens encoded and counted at a time (bounds the temporary memory).

    Returns
    -------
    X : float32 CSR matrix (V, V), sorted indices, no explicit zeros.
    """
    check_token_docs(token_docs)
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise InputError(f"window must be an int >= 1, got {window!r}")
    if weighting not in ("harmonic", "uniform"):
        raise InputError(f"weighting must be 'harmonic' or 'uniform', got {weighting!r}")
    V = len(key_to_index)
    total = sp.csr_matrix((V, V), dtype=np.float64)
    n = len(token_docs)
    start = 0
    while start < n:
        # Grow the chunk by documents until it holds about chunk_tokens tokens.
        stop, size = start, 0
        while stop < n and (size < chunk_tokens or stop == start):
            size += len(token_docs[stop])
            stop += 1
        ids, doc_of = _encode(token_docs, key_to_index, start, stop)
        start = stop
        if len(ids) < 2:
            continue
        rows, cols, vals = [], [], []
        for d in range(1, min(window, len(ids) - 1) + 1):
            same = doc_of[:-d] == doc_of[d:]
            if not same.any():
                break
            rows.append(ids[:-d][same])
            cols.append(ids[d:][same])
            vals.append(np.full(int(same.sum()), 1.0 / d if weighting == "harmonic" else 1.0))
        if not rows:
            continue
        r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        del rows, cols, vals
        chunk = sp.coo_matrix((v, (r, c)), shape=(V, V)).tocsr()  # tocsr sums duplicate pairs
        total = total + chunk
    if symmetric:
        total = total + total.T.tocsr()
    X = total.astype(np.float32).tocsr()
    X.eliminate_zeros()
    X.sort_indices()
    return X


def ppmi(X: sp.spmatrix, *, alpha: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """Positive pointwise mutual information of a co-occurrence matrix (context distribution smoothed).

    ``PPMI(i, j) = max(0, log(X_ij * sum(X) / (row_i * col_j^alpha / sum(col^alpha) * sum(X))) - log(shift))``.

    Parameters
    ----------
    X : sparse (V, V) non-negative counts
    alpha : float
        Context smoothing exponent (Levy et al. 2015); 1 = plain PMI.
    shift : float
        Subtract ``log(shift)`` (shifted PPMI); 1 = no shift.

    Returns
    -------
    float32 CSR (V, V), entries <= 0 removed.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    if X.sum() <= 0:
        return sp.csr_matrix(X.shape, dtype=np.float32)
    row = np.asarray(X.sum(axis=1)).ravel()
    col = np.asarray(X.sum(axis=0)).ravel() ** alpha
    p_col = col / col.sum()
    coo = X.tocoo()
    # log(p_ij / (p_i * p_c(j))) with p_ij = x / total, p_i = row / total: the totals cancel.
    vals = np.log(coo.data) - np.log(row[coo.row]) - np.log(p_col[coo.col]) - np.log(shift)
    keep = vals > 0
    out = sp.csr_matrix((vals[keep].astype(np.float32), (coo.row[keep], coo.col[keep])), shape=X.shape)
    out.sort_indices()
    return out


class CooccurrenceCounter(BaseEstimator):
    """Vocabulary + sparse co-occurrence matrix of a tokenized corpus.

    Parameters
    ----------
    window : int
        Symmetric context window.
    min_count : int
        Minimum word frequency.
    max_vocab : int, optional
        Cap on the vocabulary size (most frequent words kept).
    weighting : {"harmonic", "uniform"}
        Distance weighting of a pair (``1/d`` or 1).
    chunk_tokens : int
        Tokens counted at a time.

    Attributes
    ----------
    words_ : list of V str, most frequent first
    key_to_index_ : dict word -> row
    counts_ : int64 array (V,)
    matrix_ : float32 CSR (V, V), symmetric
    n_tokens_ : int, tokens of the corpus (before the vocabulary filter)
    """

    def __init__(self, *, window: int = 10, min_count: int = 5, max_vocab: int | None = None,
                 weighting: str = "harmonic", chunk_tokens: int = 1_000_000):
        self.window = window
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.weighting = weighting
        self.chunk_tokens = chunk_tokens

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "CooccurrenceCounter":
        """Count the vocabulary and co-occurrences of ``token_docs`` (n token lists)."""
        self.n_tokens_ = count_tokens(token_docs)
        self.words_, self.counts_ = build_vocabulary(token_docs, min_count=self.min_count,
                                                     max_vocab=self.max_vocab)
        if not self.words_:
            raise InputError(f"no word occurs min_count={self.min_count} times; lower min_count")
        self.key_to_index_ = {w: i for i, w in enumerate(self.words_)}
        self.matrix_ = count_cooccurrences(token_docs, self.key_to_index_, window=self.window,
                                           weighting=self.weighting, chunk_tokens=self.chunk_tokens)
        logger.info("co-occurrence: %d tokens, %d words, %d non-zero entries", self.n_tokens_, len(self.words_),
                    self.matrix_.nnz)
        return self


def auto_min_count(n_tokens: int) -> int:
    """Minimum word frequency for a corpus of ``n_tokens`` tokens: 2 for small corpora, up to 5."""
    return 2 if n_tokens < 200_000 else 3 if n_tokens < 1_000_000 else 5


def fit_counter(token_docs: Sequence[Sequence[str]], *, window: int, min_count: int | str, n_tokens: int,
                max_vocab: int | None = None, weighting: str = "harmonic") -> CooccurrenceCounter:
    """A fitted :class:`CooccurrenceCounter` of ``token_docs`` (n token lists, ``n_tokens`` tokens), as the
    word-vector trainers use it: ``min_count="auto"`` follows :func:`auto_min_count` and falls back to 1 when
    no word reaches it (tiny corpora); a given ``min_count`` that leaves no word is an error."""
    auto = min_count == "auto"
    counter = CooccurrenceCounter(window=window, min_count=int(auto_min_count(n_tokens) if auto else min_count),
                                  max_vocab=max_vocab, weighting=weighting)
    try:
        return counter.fit(token_docs)
    except InputError:
        if not auto:
            raise
        return counter.set_params(min_count=1).fit(token_docs)


def keyed_vectors(words: Sequence[str], vectors: np.ndarray, counts: Sequence[int]):
    """gensim ``KeyedVectors`` of ``words`` (V,) with ``vectors`` (V, d) and each word's corpus ``counts``."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors, dtype=np.float32)
    kv = KeyedVectors(vector_size=int(vectors.shape[1]))
    kv.add_vectors(list(words), vectors)
    for w, c in zip(words, counts):
        kv.set_vecattr(w, "count", int(c))
    return kv
