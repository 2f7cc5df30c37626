"""Word2Vec word vectors trained on the corpus with gensim."""
from __future__ import annotations

import logging
import math
from typing import Sequence

from sklearn.base import BaseEstimator

from ..cooccurrence import auto_min_count
from .skipgram import stable_hash

__all__ = ["Word2VecEmbedder", "auto_min_count", "auto_epochs", "auto_sample", "stable_hash"]

logger = logging.getLogger(__name__)


def auto_epochs(n_tokens: int, *, budget: float = 7.5e6, lo: int = 5, hi: int = 50) -> int:
    """Epochs so that small corpora still see about ``budget`` token updates (clipped to [lo, hi])."""
    return int(min(hi, max(lo, math.ceil(budget / max(n_tokens, 1)))))


def auto_sample(n_tokens: int, *, count: float = 100.0, lo: float = 1e-4, hi: float = 1e-3) -> float:
    """Down-sampling threshold for a corpus of ``n_tokens`` tokens: words more frequent than about ``count``
    occurrences are down-sampled (``count / n_tokens`` clipped to [lo, hi]). 1e-4 on large corpora halves
    skip-gram's work on stripped 20 Newsgroups at equal or better quality; on a few thousand tokens it would
    down-sample every word (480 demo documents: NMI 0.46 -> 0.11), hence gensim's 1e-3 there."""
    return float(min(hi, max(lo, count / max(n_tokens, 1))))


class Word2VecEmbedder(BaseEstimator):
    """Train gensim Word2Vec on token lists; the vectors end in ``wv_`` (gensim ``KeyedVectors``).

    Parameters
    ----------
    vector_size, window, negative : see :class:`gensim.models.Word2Vec` (window 10: topic clustering gains
        from wider contexts; docs/benchmarks.md).
    sg : int
        1 = skip-gram (default), 0 = CBOW.
    min_count, epochs, sample : int, int, float or "auto"
        "auto" scales with corpus size (:func:`auto_min_count`, :func:`auto_epochs`, :func:`auto_sample`).
    workers : int
        Training threads. ``workers=1`` (default) makes training fully deterministic for a seed;
        more threads are faster but the thread scheduling changes the result slightly.
    random_state : int or None
        Seed (gensim ``seed``); None draws one.
    """

    def __init__(self, *, vector_size: int = 100, window: int = 10, sg: int = 1, negative: int = 5,
                 sample: float | str = "auto", min_count: int | str = "auto", epochs: int | str = "auto",
                 workers: int = 1, random_state: int | None = 0):
        self.vector_size = vector_size
        self.window = window
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.min_count = min_count
        self.epochs = epochs
        self.workers = workers
        self.random_state = random_state

    def resolve_auto(self, n_tokens: int) -> dict:
        """``min_count``, ``epochs`` and ``sample`` for a corpus of ``n_tokens`` tokens ("auto" resolved)."""
        return {"min_count": auto_min_count(n_tokens) if self.min_count == "auto" else self.min_count,
                "epochs": auto_epochs(n_tokens) if self.epochs == "auto" else self.epochs,
                "sample": auto_sample(n_tokens) if self.sample == "auto" else self.sample}

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "Word2VecEmbedder":
        """Train on ``token_docs`` (n documents, each a list of tokens)."""
        from collections import Counter

        from ..errors import count_tokens, resolve_seed
        from .skipgram import train_skipgram

        n_tokens = count_tokens(token_docs)
        min_count, epochs, sample = self.resolve_auto(n_tokens).values()
        seed = resolve_seed(self.random_state)
        # Fall back to min_count=1 when the threshold would leave no vocabulary (tiny corpora).
        counts = Counter(t for d in token_docs for t in d)
        if isinstance(min_count, int) and not any(c >= min_count for c in counts.values()):
            min_count = 1
        logger.info("word2vec: %d tokens, %d types, min_count=%s, epochs=%s, sample=%.2g", n_tokens,
                    len(counts), min_count, epochs, sample)
        self.wv_ = train_skipgram(token_docs, vector_size=self.vector_size, window=self.window, sg=self.sg,
                                  negative=self.negative, sample=sample, min_count=min_count,
                                  epochs=epochs, workers=self.workers, seed=seed)
        self.min_count_ = int(min_count)
        self.epochs_ = int(epochs)
        self.sample_ = float(sample)
        self.n_tokens_ = n_tokens
        return self
