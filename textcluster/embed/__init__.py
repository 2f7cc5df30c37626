"""Word and document embedders.

A *word embedder* learns gensim ``KeyedVectors`` from token lists (``fit(token_docs)`` sets ``wv_``);
:class:`DocumentEmbedder` pools those word vectors into document vectors. ``tfidf-lsa`` maps token
lists to document vectors directly. :func:`make_embedder` builds either from a name, or from the path of a
pretrained vectors file (GloVe / word2vec text or binary).
"""
from __future__ import annotations

import os

from ..errors import InputError
from .deepwalk import DeepWalkEmbedder
from .glove import GloVeEmbedder
from .lsa import TfidfLsaEmbedder
from .pooling import POOLING_METHODS, ConcatEmbedder, DocumentEmbedder, pool_vectors
from .pretrained import PretrainedEmbedder, load_vectors, nearest_words, save_vectors
from .word2vec import Word2VecEmbedder

__all__ = ["Word2VecEmbedder", "GloVeEmbedder", "DeepWalkEmbedder", "PretrainedEmbedder", "DocumentEmbedder",
           "TfidfLsaEmbedder", "pool_vectors", "make_embedder", "load_vectors", "save_vectors", "nearest_words",
           "is_vectors_path", "is_embedding_name", "ConcatEmbedder", "WORD_EMBEDDERS", "EMBEDDINGS",
           "POOLING_METHODS"]

#: name -> word-embedder class; other embedders register here.
WORD_EMBEDDERS: dict[str, type] = {"word2vec": Word2VecEmbedder, "glove": GloVeEmbedder,
                                   "deepwalk": DeepWalkEmbedder}
#: every name accepted by ``--embedding``.
EMBEDDINGS = tuple(WORD_EMBEDDERS) + ("tfidf-lsa",)


def make_embedder(name: str, *, pooling: str = "sif", random_state: int | None = 0, **params):
    """Build a document embedder from its name.

    Parameters
    ----------
    name : str
        One of :data:`EMBEDDINGS`, or the path of a pretrained vectors file (:class:`PretrainedEmbedder`), or
        several of those joined by ``+`` (e.g. ``"word2vec+tfidf-lsa"``): a :class:`ConcatEmbedder` of them,
        word embedders pooled with ``pooling``; ``params`` go to every word embedder of the combination.
    pooling : str
        Pooling of word vectors into document vectors (word embedders only).
    random_state : int or None
        Seed passed to the embedder.
    **params
        Parameters of the word embedder (e.g. ``vector_size``, ``epochs``) or of ``TfidfLsaEmbedder``.
    """
    if name == "tfidf-lsa":
        return TfidfLsaEmbedder(random_state=random_state, **params)
    if isinstance(name, str) and "+" in name and not is_vectors_path(name):
        parts = name.split("+")
        if len(parts) != len(set(parts)):
            raise InputError(f"embedding {name!r} names a part twice")
        return ConcatEmbedder([make_embedder(p, pooling=pooling, random_state=random_state,
                                             **(params if p in WORD_EMBEDDERS else {})) for p in parts])
    if name not in WORD_EMBEDDERS and is_vectors_path(name):
        if pooling not in POOLING_METHODS:
            raise InputError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
        return DocumentEmbedder(PretrainedEmbedder(name, random_state=random_state, **params), pooling=pooling)
    if name not in WORD_EMBEDDERS:
        raise InputError(f"unknown embedding {name!r}; choose one of {', '.join(EMBEDDINGS)} "
                         "or give the path of a GloVe/word2vec vectors file")
    if pooling not in POOLING_METHODS:
        raise InputError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
    return DocumentEmbedder(WORD_EMBEDDERS[name](random_state=random_state, **params), pooling=pooling)


def is_vectors_path(name) -> bool:
    """True when ``name`` is not an embedder name but an existing file (a pretrained vectors file)."""
    return isinstance(name, (str, os.PathLike)) and str(name) not in EMBEDDINGS and os.path.isfile(name)


def is_embedding_name(name) -> bool:
    """True for a name :func:`make_embedder` accepts: an embedder, a vectors file, or ``+``-joined ones."""
    if not isinstance(name, (str, os.PathLike)):
        return False
    name = str(name)
    if name in EMBEDDINGS or is_vectors_path(name):
        return True
    parts = name.split("+")
    return len(parts) > 1 and all(p in EMBEDDINGS or is_vectors_path(p) for p in parts)
