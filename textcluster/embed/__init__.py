"""Word and document embedders.

A *word embedder* learns gensim ``KeyedVectors`` from token lists (``fit(token_docs)`` sets ``wv_``);
:class:`DocumentEmbedder` pools those word vectors into document vectors. ``tfidf-lsa`` maps token
lists to document vectors directly. :func:`textcluster.registry.make_embedder` builds either from a name, or
from the path of a pretrained vectors file (GloVe / word2vec text or binary).
"""
from __future__ import annotations

from .deepwalk import DeepWalkEmbedder
from .glove import GloVeEmbedder
from .lsa import TfidfLsaEmbedder
from .ppmi import PpmiSvdEmbedder
from .pooling import POOLING_METHODS, ConcatEmbedder, DocumentEmbedder, pool_vectors
from .pretrained import PretrainedEmbedder, load_vectors, nearest_words, save_vectors
from .sentence import AutoEmbedder, SentenceEmbedder
from .word2vec import Word2VecEmbedder

__all__ = ["Word2VecEmbedder", "GloVeEmbedder", "DeepWalkEmbedder", "PretrainedEmbedder", "DocumentEmbedder",
           "TfidfLsaEmbedder", "pool_vectors", "load_vectors", "save_vectors", "nearest_words", "ConcatEmbedder",
           "POOLING_METHODS", "AutoEmbedder", "SentenceEmbedder", "PpmiSvdEmbedder"]
