"""Word vectors from the truncated SVD of a shifted positive PMI matrix (Levy, Goldberg & Dagan 2015).

Skip-gram with negative sampling implicitly factorises the shifted PMI matrix of word-context pairs; this
trainer factorises it explicitly: window co-occurrences (:class:`~textcluster.cooccurrence.CooccurrenceCounter`,
every word within ``window`` counted once, as skip-gram's window does), PPMI with context-distribution smoothing
(``alpha`` 0.75) shifted by ``log(shift)``, then a seeded randomized SVD, ``U * S ** eig_power``. On these
2-core machines it replaces skip-gram in the default pipeline because it is 6-30x faster with the same or
better clusters (docs/benchmarks.md, "How the default was chosen"), it is deterministic for a seed with any
number of BLAS threads (gensim's skip-gram is only with one worker thread), and it has no epochs to choose.
"""
from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..cooccurrence import fit_counter, keyed_vectors, ppmi
from ..errors import InputError, check_int, check_number, count_tokens, resolve_seed

__all__ = ["PpmiSvdEmbedder"]

logger = logging.getLogger(__name__)


class PpmiSvdEmbedder(BaseEstimator):
    """Word vectors ``U_k * S_k ** eig_power`` of the SVD of the shifted PPMI matrix; they end in ``wv_``.

    Parameters
    ----------
    vector_size : int
        Dimension d (fewer when the vocabulary has at most d words; the rest is zero).
    window : int
        Symmetric context window.
    weighting : {"uniform", "harmonic"}
        A pair ``k`` words apart counts 1 (skip-gram's window) or ``1/k`` (GloVe's).
    min_count : int or "auto"
        Minimum word frequency ("auto" scales with corpus size, as for Word2Vec).
    max_vocab : int, optional
        Keep at most this many words.
    alpha : float
        Context-distribution smoothing exponent.
    shift : float
        PMI values below ``log(shift)`` are dropped (skip-gram's ``negative`` plays this role).
    eig_power : float
        Weight of the singular values in the word vectors (0.5: symmetric split of ``S``).
    n_iter : int
        Power iterations of the randomized SVD.
    random_state : int or None
        Seed of the randomized SVD; None draws one.

    Attributes
    ----------
    wv_ : gensim KeyedVectors, V words x d
    counts_ : int64 array (V,), word frequencies
    nnz_ : int, non-zero PPMI entries
    n_tokens_, min_count_ : int
    seconds_ : dict, wall seconds of ``cooccurrence`` and ``svd``
    """

    def __init__(self, *, vector_size: int = 100, window: int = 10, weighting: str = "uniform",
                 min_count: int | str = "auto", max_vocab: int | None = None, alpha: float = 0.75,
                 shift: float = 3.0, eig_power: float = 0.5, n_iter: int = 5, random_state: int | None = 0):
        self.vector_size = vector_size
        self.window = window
        self.weighting = weighting
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.alpha = alpha
        self.shift = shift
        self.eig_power = eig_power
        self.n_iter = n_iter
        self.random_state = random_state

    def _validate(self) -> None:
        for name in ("vector_size", "window", "n_iter"):
            check_int(name, getattr(self, name))
        if self.weighting not in ("uniform", "harmonic"):
            raise InputError(f"weighting must be 'uniform' or 'harmonic', got {self.weighting!r}")
        check_number("alpha", self.alpha, minimum=0, strict=True)
        check_number("shift", self.shift, minimum=1)
        check_number("eig_power", self.eig_power, minimum=0)

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "PpmiSvdEmbedder":
        """Count the co-occurrences of ``token_docs`` (n token lists) and factorise their shifted PPMI."""
        from sklearn.utils.extmath import randomized_svd

        self._validate()
        t0 = time.perf_counter()
        n_tokens = count_tokens(token_docs)
        counter = fit_counter(token_docs, window=self.window, min_count=self.min_count, n_tokens=n_tokens,
                              max_vocab=self.max_vocab, weighting=self.weighting)
        t1 = time.perf_counter()
        M = ppmi(counter.matrix_, alpha=float(self.alpha), shift=float(self.shift))
        n_words, d = len(counter.words_), int(self.vector_size)
        vectors = np.zeros((n_words, d), dtype=np.float32)
        k = min(d, n_words - 1)
        if M.nnz and k >= 1:
            U, S, _ = randomized_svd(M, k, n_iter=int(self.n_iter), random_state=resolve_seed(self.random_state))
            vectors[:, :k] = U * S ** float(self.eig_power)
        elif n_words:  # one word, or no pair above the shift: every word its own unit direction would be arbitrary
            logger.warning("ppmi: no co-occurring word pairs above the shift; word vectors are zero")
        self.wv_ = keyed_vectors(counter.words_, vectors, counter.counts_)
        self.counts_ = counter.counts_
        self.nnz_ = int(M.nnz)
        self.n_tokens_ = int(n_tokens)
        self.min_count_ = int(counter.min_count)
        self.seconds_ = {"cooccurrence": round(t1 - t0, 3), "svd": round(time.perf_counter() - t1, 3)}
        logger.info("ppmi: %d tokens, %d words, %d PPMI entries, %.2f s", n_tokens, n_words, M.nnz,
                    time.perf_counter() - t0)
        return self
