"""Class-based TF-IDF (c-TF-IDF) of clusters: document-term counts (words, optionally bigrams of adjacent
tokens), the c-TF-IDF weights and each cluster's top terms. Used by :mod:`textcluster.topics` (which
re-exports these names) and by the streaming path.

Terms are unigrams, or bigrams written ``"word word"`` (two adjacent tokens of the filtered token lists).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack

from .errors import InputError

__all__ = ["ctfidf_matrix", "ctfidf_weights", "ctfidf_words", "top_terms", "BIGRAM_MODES"]

#: ``bigrams`` values: False (words only), True (every bigram seen >= min count), "auto" (collocations only)
BIGRAM_MODES = (False, True, "auto")


# -- document-term counts ---------------------------------------------------------------------------------
def _encode(token_docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vocab (V,) str, doc index (N,), word index (N,)) of every token, in corpus order."""
    index: dict[str, int] = {}
    get = index.setdefault
    word_idx: list[int] = []
    lengths = np.fromiter((len(d) for d in token_docs), dtype=np.int64, count=len(token_docs))
    for doc in token_docs:
        word_idx.extend(get(t, len(index)) for t in doc)
    vocab = np.array(list(index), dtype=object)
    doc_idx = np.repeat(np.arange(len(token_docs), dtype=np.int64), lengths)
    return vocab, doc_idx, np.asarray(word_idx, dtype=np.int64)


def _bigrams(doc_idx: np.ndarray, word_idx: np.ndarray, V: int, mode, *, min_count: int | None = None,
             min_npmi: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chosen bigrams: (pairs (B, 2) word indices, doc index of each occurrence, bigram column of each)."""
    empty = (np.zeros((0, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if mode is False or len(word_idx) < 2:
        return empty
    same = doc_idx[1:] == doc_idx[:-1]
    a, b, d = word_idx[:-1][same], word_idx[1:][same], doc_idx[1:][same]
    if len(a) == 0:
        return empty
    key = a * V + b
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    n_tokens = len(word_idx)
    mc = min_count if min_count is not None else max(3, int(round(2e-6 * n_tokens)))
    keep = counts >= mc
    if mode == "auto":
        # Collocations: normalised PMI of the pair over token positions (gensim Phrases' npmi scorer).
        unigram = np.bincount(word_idx, minlength=V).astype(np.float64)
        pa, pb = unigram[uniq // V] / n_tokens, unigram[uniq % V] / n_tokens
        pab = counts / len(a)
        with np.errstate(divide="ignore"):
            npmi = np.log(pab / (pa * pb)) / -np.log(pab)
        keep &= npmi >= min_npmi
    cols = np.full(len(uniq), -1, dtype=np.int64)
    cols[keep] = np.arange(int(keep.sum()))
    col = cols[inverse]
    occ = col >= 0
    pairs = np.stack([uniq[keep] // V, uniq[keep] % V], axis=1)
    return pairs, d[occ], col[occ]


def _doc_term(token_docs, bigrams=False) -> tuple[csr_matrix, np.ndarray, int]:
    """Document-term count matrix (n, V [+ B]), its terms, and V (the first V columns are words)."""
    vocab, doc_idx, word_idx = _encode(token_docs)
    n, V = len(token_docs), len(vocab)
    D = csr_matrix((np.ones(len(word_idx)), (doc_idx, word_idx)), shape=(n, V))
    pairs, bd, bc = _bigrams(doc_idx, word_idx, V, bigrams)
    if len(pairs):
        B = csr_matrix((np.ones(len(bd)), (bd, bc)), shape=(n, len(pairs)))
        D = hstack([D, B], format="csr")
        vocab = np.concatenate([vocab, np.array([f"{vocab[i]} {vocab[j]}" for i, j in pairs], dtype=object)])
    D.sum_duplicates()
    return D, vocab, V


def ctfidf_matrix(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, bigrams=False
                  ) -> tuple[np.ndarray, csr_matrix, np.ndarray]:
    """Class-based TF-IDF (BERTopic's c-TF-IDF) of every cluster.

    Each cluster's documents are joined into one; ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with
    ``A`` the mean number of words per cluster and ``f(t)`` the frequency of ``t`` over all clusters
    (``|c|`` and ``A`` count words, not bigrams, so bigrams never change the scores of words).

    Parameters
    ----------
    token_docs : n token lists
    labels : (n,) cluster labels, -1 = noise (kept as a cluster of its own)
    bigrams : False, True or "auto"
        Add bigrams of adjacent tokens: all frequent ones (True) or only collocations ("auto": NPMI of the
        pair >= 0.3), each seen at least ``max(3, 2e-6 * n_tokens)`` times.

    Returns
    -------
    ids : (c,) cluster labels, sorted
    W : sparse (c, T) c-TF-IDF weights
    terms : (T,) the terms
    """
    if bigrams not in BIGRAM_MODES:
        raise InputError(f"bigrams must be one of False, True, 'auto'; got {bigrams!r}")
    labels = np.asarray(labels)
    if len(labels) != len(token_docs):
        raise InputError(f"labels has {len(labels)} entries for {len(token_docs)} documents")
    ids, inverse = np.unique(labels, return_inverse=True)
    D, vocab, n_words = _doc_term(token_docs, bigrams)
    onehot = csr_matrix((np.ones(len(labels)), (inverse, np.arange(len(labels)))), shape=(len(ids), len(labels)))
    T = (onehot @ D).astype(np.float64).tocsr()  # (c, T) term counts per cluster
    return ids, ctfidf_weights(T, df=np.diff(D.tocsc().indptr), n_docs=len(token_docs), n_words=n_words), vocab


def ctfidf_weights(T: csr_matrix, *, df: np.ndarray, n_docs: int, n_words: int | None = None) -> csr_matrix:
    """c-TF-IDF weights (c, T) from term counts per cluster ``T`` (c, T) and document frequencies ``df`` (T,).

    ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))``; ``|c|`` and ``A`` count the first ``n_words`` columns
    only (the words, not the bigrams after them), so adding bigrams leaves every word's score unchanged. Terms
    of very few documents (typos, names, junk) would top the clusters of short or empty documents: a term
    must occur in 2 documents (5 from 1,000 documents on) to describe a topic. Used by the in-memory and the
    streaming (token cache) paths alike.
    """
    T = T.tocsr().astype(np.float64)
    totals = np.asarray(T[:, :n_words].sum(axis=1)).ravel() if n_words is not None else \
        np.asarray(T.sum(axis=1)).ravel()
    freq = np.asarray(T.sum(axis=0)).ravel()
    idf = np.log(1.0 + (totals.mean() if len(totals) else 0.0) / np.maximum(freq, 1))
    W = T.multiply(1.0 / np.maximum(totals, 1)[:, None]).multiply(idf[None, :]).tocsr()
    rare = np.asarray(df) < (2 if n_docs < 1000 else 5)
    if rare.any() and not rare.all():
        W = W.multiply((~rare).astype(np.float64)[None, :]).tocsr()
        W.eliminate_zeros()
    return W


def _dedupe(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Drop a bigram whose words both rank above it, and a word already inside a higher-ranked bigram."""
    out, words = [], set()
    for term, s in ranked:
        parts = term.split(" ")
        if all(p in words for p in parts):
            continue
        out.append((term, s))
        words.update(parts)
    return out


def ctfidf_words(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, top_n: int = 10,
                 bigrams=False) -> dict[int, list[tuple[str, float]]]:
    """Top ``top_n`` c-TF-IDF terms per cluster (see :func:`ctfidf_matrix`); noise (-1) included.

    With bigrams, a word already contained in a higher-ranked bigram is not repeated, and a bigram whose
    two words already rank above it is dropped.

    Returns {cluster label: [(term, score), ...]} for every label in ``labels``.
    """
    ids, W, vocab = ctfidf_matrix(token_docs, labels, bigrams=bigrams)
    return top_terms(ids, W, vocab, top_n=top_n, dedupe=bigrams is not False)


def top_terms(ids: np.ndarray, W: csr_matrix, vocab: np.ndarray, *, top_n: int = 10, dedupe: bool = False
              ) -> dict[int, list[tuple[str, float]]]:
    """The ``top_n`` highest-weighted terms of each row of ``W`` (c, T): {ids[row]: [(term, weight), ...]};
    ties broken by the term, so the result is deterministic. ``dedupe``: see :func:`ctfidf_words`."""
    vocab = np.asarray(vocab, dtype=object)
    out: dict[int, list[tuple[str, float]]] = {}
    for row, c in enumerate(ids):
        cols = W.indices[W.indptr[row]:W.indptr[row + 1]]
        score = W.data[W.indptr[row]:W.indptr[row + 1]]
        keep = score > 0
        cols, score = cols[keep], score[keep]
        order = np.lexsort((vocab[cols].astype(str), -score))[:top_n * 3]  # ties by term: deterministic
        ranked = [(str(vocab[cols[j]]), float(score[j])) for j in order]
        out[int(c)] = (_dedupe(ranked) if dedupe else ranked)[:top_n]
    return out
