"""The pipeline's stages fed from a :class:`~textcluster.cache.TokenCache` instead of token lists.

Word2Vec trains from the cache's counts and blocks, a :class:`~textcluster.embed.pooling.DocumentEmbedder`
gets its weights from the cache's statistics and pools block by block into a float32 memmap, and topics
are c-TF-IDF over per-cluster counts summed from the cache. The arithmetic is the stages' own (pooling,
``DocumentEmbedder.set_weights`` / ``fit_component`` / ``finish``, :func:`~textcluster.topics.ctfidf_weights`);
only the reading differs. What :meth:`TextClusterer.fit_corpus <textcluster.pipeline.TextClusterer.fit_corpus>`
runs.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from scipy.sparse import csr_matrix

from .cache import BLOCK_DOCS, TokenCache
from .errors import InputError, check_int, resolve_seed

__all__ = ["train_word2vec_from_cache", "pool_token_ids", "pool_block", "embed_from_cache", "cluster_word_counts",
           "topics_from_cache", "BlockMapper"]

logger = logging.getLogger(__name__)


# -- word vectors and pooling ---------------------------------------------------------------------------------
def train_word2vec_from_cache(embedder, cache: TokenCache, *, corpus_file: bool | str = "auto"):
    """Fit a :class:`~textcluster.embed.word2vec.Word2VecEmbedder` from the cache.

    The vocabulary comes from the cache's counts (no scanning pass); training reads either the cache as
    a token-list iterable (blocks of documents in a seeded random order, see
    :class:`~textcluster.embed.skipgram.ShuffledSentences`) or, with ``corpus_file`` (``"auto"``: when ``embedder.workers > 1``), gensim's
    ``corpus_file`` mode on the cache's LineSentence file, whose readers scale over cores. Sets the
    embedder's ``wv_``, ``min_count_``, ``epochs_``, ``sample_``, ``n_tokens_`` as its own ``fit`` does; returns it.
    """
    from gensim.models import Word2Vec

    from .embed.word2vec import stable_hash

    if cache.n_tokens == 0:
        raise InputError("no tokens left after tokenization: every document is empty or filtered out")
    p = embedder
    for name, lo in (("vector_size", 1), ("window", 1), ("workers", 1), ("negative", 0)):
        check_int(name, getattr(p, name), minimum=lo)
    min_count, epochs, sample = p.resolve_auto(cache.n_tokens).values()
    min_count, epochs = int(min_count), int(epochs)
    if not (cache.counts >= min_count).any():
        min_count = 1
    seed = resolve_seed(p.random_state)
    use_file = (p.workers > 1) if corpus_file == "auto" else bool(corpus_file)
    model = Word2Vec(vector_size=int(p.vector_size), window=int(p.window), sg=int(p.sg), negative=int(p.negative),
                     sample=float(sample), min_count=min_count, workers=int(p.workers), seed=seed,
                     hashfxn=stable_hash)
    model.build_vocab_from_freq(dict(zip(cache.words, cache.counts.tolist())), corpus_count=cache.n_docs)
    logger.info("word2vec from cache: %d tokens, %d words kept, min_count=%d, epochs=%d, corpus_file=%s",
                cache.n_tokens, len(model.wv), min_count, epochs, use_file)
    if use_file:
        model.train(corpus_file=str(cache.line_sentence()), total_words=cache.n_tokens, epochs=epochs)
    else:
        from .embed.skipgram import ShuffledSentences

        model.train(ShuffledSentences(cache, seed, block_size=4096), total_examples=cache.n_docs, epochs=epochs)
    p.wv_ = model.wv
    p.min_count_, p.epochs_, p.sample_, p.n_tokens_ = min_count, epochs, float(sample), cache.n_tokens
    return p


def pool_token_ids(word_idx: np.ndarray, lengths: np.ndarray, vectors: np.ndarray,
                   weights: np.ndarray | None = None, *, normalize: bool = True) -> np.ndarray:
    """Weighted mean word vector of each document, from word-vector row ids.

    The id-level form of :func:`textcluster.embed.pooling.pool_vectors` (same arithmetic).

    Parameters
    ----------
    word_idx : int array (n_tokens,)
        Row of ``vectors`` of each token, documents back to back; -1 = unknown word (skipped).
    lengths : int array (n,)
        Tokens per document.
    vectors : array (V, d); weights : array (V,), optional

    Returns
    -------
    X : float32 array (n, d); documents with no known word are zero.
    """
    from .embed.pooling import pool_ids

    n = len(lengths)
    doc_idx = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keep = word_idx >= 0
    return pool_ids(doc_idx[keep], word_idx[keep], n, vectors, weights, normalize=normalize)


def pool_block(flat: np.ndarray, lengths: np.ndarray, remap: np.ndarray, vectors: np.ndarray,
                weights, normalize: bool) -> np.ndarray:
    return pool_token_ids(remap[flat], lengths, vectors, weights, normalize=normalize)


#: A block mapper pools blocks ``(flat, lengths)`` with shared ``(remap, vectors, weights, normalize)`` and
#: yields the pooled arrays in order.
BlockMapper = Callable[[Iterable[tuple[np.ndarray, np.ndarray]], tuple], Iterator[np.ndarray]]


def _local_blocks(blocks, shared) -> Iterator[np.ndarray]:
    for flat, lengths in blocks:
        yield pool_block(flat, lengths, *shared)


def embed_from_cache(doc_embedder, cache: TokenCache, out: str | os.PathLike | None = None, *,
                     block_mapper: BlockMapper | None = None, block_docs: int = BLOCK_DOCS,
                     progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Fit ``doc_embedder`` on the cache and write every document's vector, block by block.

    Parameters
    ----------
    doc_embedder : DocumentEmbedder, TfidfLsaEmbedder, a ConcatEmbedder of them, or another embedder
        Fitted in place, with the stage's own arithmetic, so it can ``transform`` new documents:

        - :class:`~textcluster.embed.pooling.DocumentEmbedder`: word vectors trained on the cache (Word2Vec by
          :func:`train_word2vec_from_cache`; GloVe, DeepWalk read the cache as a sequence of token lists),
          weights from the cache's counts (``set_weights``), pooled block by block (``fit_component``,
          ``finish``);
        - :class:`~textcluster.embed.lsa.TfidfLsaEmbedder`: vocabulary and idf from the cache's document
          frequencies (``set_vocabulary``), the SVD fitted on the TF-IDF rows of at most ``max_fit_rows``
          documents (``fit_rows``, ``fit_svd``), every block projected (``project``);
        - :class:`~textcluster.embed.pooling.ConcatEmbedder` of those: each part fitted first, then written
          into its columns of one memmap, then the rows combined in place (``combine``).

        Any other embedder runs ``fit_transform`` on the cache in memory.
    out : path, optional
        float32 ``.npy`` file for the vectors (memory-mapped); default ``vectors.npy`` in the cache folder.
    block_mapper : callable, optional
        Runs the pooling blocks (default: in this process; :func:`textcluster.distributed.dask_block_mapper`
        runs them as Dask tasks).

    Returns
    -------
    X : float32 array (n_docs, d), a read-write memmap for the embedders above.
    """
    from sklearn.base import clone

    from .embed.lsa import TfidfLsaEmbedder
    from .embed.pooling import ConcatEmbedder, DocumentEmbedder
    from .embed.sentence import AutoEmbedder

    if isinstance(doc_embedder, AutoEmbedder):  # the default: decide by the cache's token count, then stream that
        return embed_from_cache(doc_embedder.choose(cache.n_tokens), cache, out, block_mapper=block_mapper,
                                block_docs=block_docs, progress=progress)
    concat = isinstance(doc_embedder, ConcatEmbedder)
    if concat:
        doc_embedder._check()
    parts = [clone(e) for e in doc_embedder.embedders] if concat else [doc_embedder]
    if not all(isinstance(p, (DocumentEmbedder, TfidfLsaEmbedder)) for p in parts):
        return np.asarray(doc_embedder.fit_transform(cache), dtype=np.float32)
    if concat:
        doc_embedder.embedders_ = parts
    t0 = time.perf_counter()
    spans = [(s, min(s + block_docs, cache.n_docs)) for s in range(0, cache.n_docs, block_docs)]
    # every part is fitted before the vectors are written, so a fit's temporaries never meet the vectors
    fitted = [_fit_words(p, cache) if isinstance(p, DocumentEmbedder) else _fit_lsa(p, cache, spans)
              for p in parts]
    t_fit = time.perf_counter() - t0
    out = Path(out) if out is not None else cache.path / "vectors.npy"
    dims = [d for d, _ in fitted]
    X = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(cache.n_docs, sum(dims)))
    cols = np.cumsum([0] + dims)
    for i, (p, (_, state)) in enumerate(zip(parts, fitted)):
        view = X[:, cols[i]:cols[i + 1]] if concat else X
        last = i == len(parts) - 1
        if isinstance(p, DocumentEmbedder):
            _write_words(p, cache, view, spans, state, block_mapper, progress if last else None)
        else:
            _write_lsa(p, cache, view, spans, state, progress if last else None)
    if concat:
        doc_embedder.n_empty_ = doc_embedder.combine([X[:, cols[i]:cols[i + 1]] for i in range(len(parts))], X)
    X.flush()
    logger.info("embed: fit %.2f s, document vectors %.2f s", t_fit, time.perf_counter() - t0 - t_fit)
    return X


def _fit_words(de, cache: TokenCache) -> tuple[int, np.ndarray]:
    """Train a DocumentEmbedder's word vectors on the cache and set its weights; (dimension, cache id -> row)."""
    from sklearn.base import clone

    from .embed.word2vec import Word2VecEmbedder

    we = Word2VecEmbedder() if de.word_embedder is None else clone(de.word_embedder)
    t0 = time.perf_counter()
    if type(we) is Word2VecEmbedder:
        train_word2vec_from_cache(we, cache)
    else:
        we.fit(cache)
    logger.info("embed: word vectors %.2f s", time.perf_counter() - t0)
    de.word_embedder_ = we
    kv = we.wv_
    remap = np.full(len(cache.words), -1, dtype=np.int64)
    kv_of = np.full(len(kv), -1, dtype=np.int64)
    index = cache.index
    for w, j in kv.key_to_index.items():
        i = index.get(w)
        if i is not None:
            remap[i] = j
            kv_of[j] = i
    # the stage's own weights, from the cache's counts in the word vectors' order
    known = kv_of >= 0
    de.set_weights(counts=np.where(known, cache.counts[np.maximum(kv_of, 0)], 0),
                   df=np.where(known, cache.df[np.maximum(kv_of, 0)], 0), n_docs=cache.n_docs,
                   n_tokens=cache.n_tokens)
    return kv.vector_size, remap


def _write_words(de, cache: TokenCache, X: np.ndarray, spans, remap: np.ndarray, block_mapper, progress) -> None:
    """Pool every block into ``X`` (n, d), then the stage's ``fit_component`` and ``finish``."""
    kv = de.word_embedder_.wv_
    shared = (remap, np.asarray(kv.vectors, dtype=np.float32), de.word_weights_,
              de.normalize and de.pooling != "sif")
    blocks = (cache.token_ids(s, e) for s, e in spans)
    for (s, e), Xb in zip(spans, (block_mapper or _local_blocks)(blocks, shared)):
        X[s:e] = Xb
        if progress:
            progress(e - s)
    de.fit_component(X)
    if de.pooling == "sif":
        for s, e in spans:
            X[s:e] = de.finish(np.array(X[s:e]))
    de.n_empty_ = sum(int((np.abs(X[s:e]).sum(axis=1) == 0).sum()) for s, e in spans)


def _fit_lsa(lsa, cache: TokenCache, spans) -> tuple[int, np.ndarray | None]:
    """Fit a TfidfLsaEmbedder from the cache: vocabulary and idf from its statistics, the SVD on the TF-IDF
    rows of :meth:`fit_rows`. Returns (dimension, the vectors of all documents when the SVD saw them all)."""
    from scipy.sparse import vstack

    lsa.set_vocabulary(cache.words, cache.df, cache.n_docs)
    rows = lsa.fit_rows(cache.n_docs)
    blocks = []
    for s, e in spans:
        docs = cache[s:e]
        if rows is not None:
            docs = [docs[i - s] for i in rows[np.searchsorted(rows, s):np.searchsorted(rows, e)].tolist()]
        blocks.append(lsa.vectorizer_.transform(docs))
    T = vstack(blocks, format="csr")
    X = lsa.fit_svd(T, n_docs=cache.n_docs)
    if X is not None:
        lsa.n_empty_ = int((T.getnnz(axis=1) == 0).sum())
    return lsa.svd_.n_components, X


def _write_lsa(lsa, cache: TokenCache, X: np.ndarray, spans, fitted: np.ndarray | None, progress) -> None:
    """Write the LSA vectors into ``X`` (n, k): those of the fit, or every block's TF-IDF rows projected."""
    n_empty = 0
    for s, e in spans:
        if fitted is not None:
            X[s:e] = fitted[s:e]
        else:
            T = lsa.vectorizer_.transform(cache[s:e])
            n_empty += int((T.getnnz(axis=1) == 0).sum())
            X[s:e] = lsa.project(T)
        if progress:
            progress(e - s)
    if fitted is None:
        lsa.n_empty_ = n_empty


# -- topics ---------------------------------------------------------------------------------------------------
def cluster_word_counts(cache: TokenCache, labels: np.ndarray, *, block_docs: int = BLOCK_DOCS
                        ) -> tuple[np.ndarray, csr_matrix]:
    """Word counts per cluster, (c, V) sparse, summed block by block from the cache; and the cluster ids."""
    labels = np.asarray(labels)
    ids, inverse = np.unique(labels, return_inverse=True)
    V = len(cache.words)
    T = csr_matrix((len(ids), V), dtype=np.float64)
    for s, e, flat, lengths in cache.blocks(block_docs):
        rows = np.repeat(inverse[s:e], lengths)
        T = T + csr_matrix((np.ones(len(flat)), (rows, flat.astype(np.int64))), shape=(len(ids), V))
    return ids, T.tocsr()


def topics_from_cache(cache: TokenCache, labels: np.ndarray, X: np.ndarray, *, top_n: int = 10,
                      n_representatives: int = 3, membership: np.ndarray | None = None) -> list:
    """Topics (c-TF-IDF words, sizes, representative documents) without decoding the corpus: the counts per
    cluster come from the cache, the weights, ranking and topics from the same functions as the in-memory
    path (:func:`~textcluster.topics.ctfidf_weights`, :func:`~textcluster.topics.top_terms`,
    :func:`~textcluster.topics.assemble_topics`); memory is one (c, V) count matrix. Unigrams only."""
    from .topics import assemble_topics, ctfidf_weights, top_terms

    ids, T = cluster_word_counts(cache, labels)
    W = ctfidf_weights(T, df=cache.df, n_docs=cache.n_docs)
    words = top_terms(ids, W, np.asarray(cache.words, dtype=object), top_n=top_n)
    return assemble_topics(words, labels, X, n_representatives=n_representatives, membership=membership)
