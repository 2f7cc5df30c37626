"""Word and document embedders.

A *word embedder* learns gensim ``KeyedVectors`` from token lists (``fit(token_docs)`` sets ``wv_``);
:class:`DocumentEmbedder` pools those word vectors into document vectors. ``tfidf-lsa`` maps token
lists to document vectors directly. :func:`make_embedder` builds either from a name.
"""
from __future__ import annotations

from ..errors import InputError
from .lsa import TfidfLsaEmbedder
from .pooling import POOLING_METHODS, DocumentEmbedder, pool_vectors
from .word2vec import Word2VecEmbedder

__all__ = ["Word2VecEmbedder", "DocumentEmbedder", "TfidfLsaEmbedder", "pool_vectors", "make_embedder",
           "WORD_EMBEDDERS", "EMBEDDINGS", "POOLING_METHODS"]

#: name -> word-embedder class; other embedders register here.
WORD_EMBEDDERS: dict[str, type] = {"word2vec": Word2VecEmbedder}
#: every name accepted by ``--embedding``.
EMBEDDINGS = tuple(WORD_EMBEDDERS) + ("tfidf-lsa",)


def make_embedder(name: str, *, pooling: str = "mean", random_state: int | None = 0, **params):
    """Build a document embedder from its name.

    Parameters
    ----------
    name : str
        One of :data:`EMBEDDINGS`.
    pooling : str
        Pooling of word vectors into document vectors (word embedders only).
    random_state : int or None
        Seed passed to the embedder.
    **params
        Parameters of the word embedder (e.g. ``vector_size``, ``epochs``) or of ``TfidfLsaEmbedder``.
    """
    if name == "tfidf-lsa":
        return TfidfLsaEmbedder(random_state=random_state, **params)
    if name not in WORD_EMBEDDERS:
        raise InputError(f"unknown embedding {name!r}; choose one of {', '.join(EMBEDDINGS)}")
    if pooling not in POOLING_METHODS:
        raise InputError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
    return DocumentEmbedder(WORD_EMBEDDERS[name](random_state=random_state, **params), pooling=pooling)
