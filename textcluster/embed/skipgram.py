"""The one gensim skip-gram/CBOW trainer shared by Word2Vec (sentences = documents) and DeepWalk (sentences =
random walks)."""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ..errors import InputError, check_int

__all__ = ["train_skipgram", "resolve_seed"]

logger = logging.getLogger(__name__)


def resolve_seed(random_state: int | None) -> int:
    """The int seed for ``random_state`` (None draws a fresh one)."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise InputError(f"random_state must be an int or None, got {random_state!r}")
    return int(random_state)


def train_skipgram(sentences: Sequence[Sequence[str]], *, vector_size: int = 100, window: int = 5, sg: int = 1,
                   negative: int = 5, sample: float = 1e-3, min_count: int = 1, epochs: int = 5, workers: int = 1,
                   seed: int = 0, alpha: float = 0.025, min_alpha: float = 0.0001):
    """Train gensim ``Word2Vec`` on ``sentences`` and return the model's ``KeyedVectors``.

    Parameters
    ----------
    sentences : sequence of token lists (re-iterable; gensim makes ``epochs + 1`` passes)
    vector_size, window, sg, negative, sample, min_count, epochs, alpha, min_alpha :
        see :class:`gensim.models.Word2Vec`.
    workers : int
        Threads; 1 makes the result a pure function of ``seed`` (more threads change the update order).
    seed : int
        gensim seed; words are hashed with :func:`textcluster.embed.word2vec.stable_hash` so that the
        initial vectors do not depend on Python's per-process hash salt.

    Returns
    -------
    gensim KeyedVectors (V, vector_size), words ordered by decreasing frequency, ``count`` set.
    """
    from gensim.models import Word2Vec

    from .word2vec import stable_hash

    for name, v, lo in (("vector_size", vector_size, 1), ("window", window, 1), ("workers", workers, 1),
                        ("negative", negative, 0), ("epochs", epochs, 1), ("min_count", min_count, 1)):
        check_int(name, v, minimum=lo)
    model = Word2Vec(vector_size=int(vector_size), window=int(window), sg=int(sg), negative=int(negative),
                     sample=float(sample), min_count=int(min_count), workers=int(workers), seed=int(seed),
                     alpha=alpha, min_alpha=min_alpha, hashfxn=stable_hash)
    model.build_vocab(sentences)
    if len(model.wv) == 0:
        raise InputError(f"no word occurs min_count={min_count} times; lower min_count")
    model.train(sentences, total_examples=model.corpus_count, epochs=int(epochs))
    logger.info("skip-gram: %d sentences, %d words, %d epochs", model.corpus_count, len(model.wv), epochs)
    return model.wv
