"""Pool word vectors into document vectors: ``mean``, ``tfidf`` (idf-weighted mean) or ``sif``."""
from __future__ import annotations

import logging
from collections import Counter
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin, clone

from ..errors import InputError, check_fitted

__all__ = ["POOLING_METHODS", "pool_vectors", "pool_ids", "DocumentEmbedder", "ConcatEmbedder", "nested_embedders"]

logger = logging.getLogger(__name__)

POOLING_METHODS = ("mean", "tfidf", "sif")


def _word_ids(token_docs: Sequence[Sequence[str]], key_to_index: dict) -> tuple[np.ndarray, np.ndarray]:
    """Flatten known tokens into (doc index, word index) arrays, both shape (n_known_tokens,)."""
    from array import array

    word_idx = array("q")  # 8 bytes a token (a list would hold a pointer and an int object per token)
    lengths = np.empty(len(token_docs), dtype=np.int64)
    get = key_to_index.get
    for i, doc in enumerate(token_docs):
        before = len(word_idx)
        word_idx.extend(j for j in map(get, doc) if j is not None)
        lengths[i] = len(word_idx) - before
    doc_idx = np.repeat(np.arange(len(token_docs), dtype=np.int64), lengths)
    return doc_idx, np.frombuffer(word_idx, dtype=np.int64) if len(word_idx) else np.zeros(0, np.int64)


def pool_vectors(token_docs: Sequence[Sequence[str]], vectors: np.ndarray, key_to_index: dict,
                 word_weights: np.ndarray | None = None, *, normalize: bool = True) -> np.ndarray:
    """Weighted mean of each document's known word vectors.

    Parameters
    ----------
    token_docs : sequence of n token lists
    vectors : array (V, d)
        Word vectors, row ``key_to_index[w]`` for word ``w``.
    word_weights : array (V,), optional
        Per-word weight (uniform when None). Each occurrence of a word counts once.
    normalize : bool
        L2-normalise each document vector.

    Returns
    -------
    X : float32 array (n, d); rows of documents with no known word are zero.
    """
    doc_idx, word_idx = _word_ids(token_docs, key_to_index)
    return pool_ids(doc_idx, word_idx, len(token_docs), vectors, word_weights, normalize=normalize)


def pool_ids(doc_idx: np.ndarray, word_idx: np.ndarray, n: int, vectors: np.ndarray,
             word_weights: np.ndarray | None = None, *, normalize: bool = True) -> np.ndarray:
    """The arithmetic of :func:`pool_vectors` on id arrays: token ``t`` of document ``doc_idx[t]`` has word
    vector row ``word_idx[t]`` (both shape (n_tokens,)); returns float32 (n, d), zero rows for empty docs."""
    w = np.ones(len(word_idx), dtype=np.float64) if word_weights is None else word_weights[word_idx]
    # Segment sum as a sparse (n, V) count-weight matrix times the vectors: BLAS-backed products, in row blocks
    # written into the float32 result (float64 temporaries stay the size of a block, not of the corpus).
    M = csr_matrix((w, (doc_idx, word_idx)), shape=(n, vectors.shape[0]))
    del w
    V64 = vectors.astype(np.float64, copy=False)
    totals = np.asarray(M.sum(axis=1)).ravel()
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for s in range(0, n, _BLOCK):
        X = np.asarray(M[s:s + _BLOCK] @ V64)
        t = totals[s:s + _BLOCK]
        nz = t > 0
        X[nz] /= t[nz, None]
        if normalize:
            norms = np.linalg.norm(X, axis=1)
            ok = norms > 0
            X[ok] /= norms[ok, None]
        out[s:s + _BLOCK] = X
    return out


#: documents per block of the pooling arithmetic (bounds its float64 temporaries)
_BLOCK = 65_536


class DocumentEmbedder(TransformerMixin, BaseEstimator):
    """Word embedder + pooling: token lists -> document vectors.

    Parameters
    ----------
    word_embedder : estimator
        Has ``fit(token_docs)`` setting ``wv_`` (gensim ``KeyedVectors``), e.g. :class:`Word2VecEmbedder`.
    pooling : {"mean", "tfidf", "sif"}
        ``mean``: plain average; ``tfidf``: occurrences weighted by idf (smoothed, from the fitted corpus);
        ``sif``: smooth inverse frequency ``a / (a + p(w))`` then removal of the first principal component
        of the fitted document vectors (Arora et al. 2017).
    sif_a : float
        SIF smoothing constant.
    normalize : bool
        L2-normalise document vectors (cosine geometry for KMeans).
    refit : bool
        True: ``fit`` trains a clone of ``word_embedder``. False: ``word_embedder`` is already fitted (it has
        ``wv_``) and is used as is, e.g. to pool the same vectors several ways.

    Attributes
    ----------
    word_embedder_ : fitted clone of ``word_embedder``
    word_weights_ : array (V,) or None
    pc_ : array (d,) or None -- the removed component (sif)
    n_empty_ : int -- documents of the last fit/transform with no known word (their vector is zero)
    """

    def __init__(self, word_embedder=None, *, pooling: str = "mean", sif_a: float = 1e-3, normalize: bool = True,
                 refit: bool = True):
        self.word_embedder = word_embedder
        self.pooling = pooling
        self.sif_a = sif_a
        self.normalize = normalize
        self.refit = refit

    @property
    def wv_(self):
        """The fitted word vectors (gensim ``KeyedVectors``)."""
        return self.word_embedder_.wv_

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "DocumentEmbedder":
        self.fit_transform(token_docs)
        return self

    def fit_transform(self, token_docs: Sequence[Sequence[str]], y=None) -> np.ndarray:
        """Train the word vectors on ``token_docs`` and return their document vectors, (n, d) float32."""
        if self.pooling not in POOLING_METHODS:
            raise InputError(f"unknown pooling {self.pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
        if not self.refit:
            if not hasattr(self.word_embedder, "wv_"):
                raise InputError("refit=False needs a fitted word_embedder (one with wv_); fit it first or "
                                 "use refit=True")
            self.word_embedder_ = self.word_embedder
        elif self.word_embedder is None:
            from .word2vec import Word2VecEmbedder
            self.word_embedder_ = Word2VecEmbedder()
            self.word_embedder_.fit(token_docs)
        else:
            self.word_embedder_ = clone(self.word_embedder)
            self.word_embedder_.fit(token_docs)
        kv = self.wv_
        counts = Counter(w for doc in token_docs for w in doc) if self.pooling == "sif" else {}
        df = Counter(w for doc in token_docs for w in set(doc)) if self.pooling == "tfidf" else {}
        order = kv.index_to_key
        self.set_weights(counts=np.array([counts.get(w, 0) for w in order], dtype=np.float64),
                         df=np.array([df.get(w, 0) for w in order], dtype=np.float64),
                         n_docs=len(token_docs), n_tokens=sum(counts.values()))
        X = self._pool(token_docs)
        self.fit_component(X)
        return self.finish(X, in_place=True)

    def set_weights(self, *, counts: np.ndarray, df: np.ndarray, n_docs: int, n_tokens: int) -> None:
        """Per-word pooling weights ``word_weights_`` (V,) from corpus statistics in the word vectors' order:
        ``counts`` (V,) occurrences (sif), ``df`` (V,) documents containing the word (tfidf). The in-memory
        and the streaming paths both call this with the statistics of their input."""
        if self.pooling not in POOLING_METHODS:
            raise InputError(f"unknown pooling {self.pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
        self.pc_ = None
        if self.pooling == "mean":
            self.word_weights_ = None
        elif self.pooling == "tfidf":
            self.word_weights_ = np.log((1 + n_docs) / (1 + np.asarray(df, dtype=np.float64))) + 1.0
        else:
            p = np.asarray(counts, dtype=np.float64) / max(n_tokens, 1)
            self.word_weights_ = self.sif_a / (self.sif_a + p)

    #: above this many documents the SIF component is estimated on a seeded sample of them
    max_component_rows = 200_000

    def fit_component(self, X: np.ndarray) -> None:
        """SIF only: ``pc_`` (d,), the first principal direction of the pooled vectors ``X`` (n, d) with a word
        (estimated on a sample of :attr:`max_component_rows` rows for larger ``X``, e.g. a memmap)."""
        self.pc_ = None
        if self.pooling != "sif":
            return
        from sklearn.utils import check_array
        from sklearn.utils.extmath import randomized_svd, svd_flip

        ok = np.flatnonzero(np.concatenate([np.abs(X[s:s + _BLOCK]).sum(axis=1) > 0
                                            for s in range(0, len(X), _BLOCK)] or [np.zeros(0, bool)]))
        if len(ok) < 2:
            return
        if len(ok) > self.max_component_rows:
            ok = np.sort(np.random.default_rng(0).choice(ok, self.max_component_rows, replace=False))
        # = TruncatedSVD(n_components=1, n_iter=7, random_state=0).fit(X[ok]).components_[0], bit for bit,
        # without its explained-variance pass (temporaries twice the sample's size)
        U, _, VT = randomized_svd(check_array(X[ok], dtype=[np.float64, np.float32]), 1, n_iter=7,
                                  n_oversamples=10, power_iteration_normalizer="auto", random_state=0,
                                  flip_sign=False)
        self.pc_ = svd_flip(U, VT, u_based_decision=False)[1][0].astype(np.float32)

    def _pool(self, token_docs) -> np.ndarray:
        kv = self.wv_
        X = pool_vectors(token_docs, kv.vectors, kv.key_to_index, self.word_weights_,
                         normalize=self.normalize and self.pooling != "sif")
        self.n_empty_ = int((np.abs(X).sum(axis=1) == 0).sum())
        return X

    def finish(self, X: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """The last step of pooling (n, d) -> (n, d) float32: SIF removes ``pc_``, then rows are L2-normalised
        (block by block into the float32 result, so temporaries stay the size of a block; ``in_place``
        overwrites a float32 ``X`` instead of allocating a second (n, d) array)."""
        if self.pooling != "sif":
            return np.asarray(X, dtype=np.float32)
        out = X if in_place and X.dtype == np.float32 and X.flags.writeable else np.empty(X.shape, dtype=np.float32)
        for s in range(0, len(X), _BLOCK):
            B = X[s:s + _BLOCK]
            if self.pc_ is not None:
                B = B - np.outer(B @ self.pc_, self.pc_)
            elif self.normalize:
                B = np.array(B, copy=True)
            if self.normalize:
                norms = np.linalg.norm(B, axis=1)
                ok = norms > 0
                B[ok] /= norms[ok, None]
            out[s:s + _BLOCK] = B
        return out

    def transform(self, token_docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Document vectors (n, d) float32 for new token lists, with the fitted vectors and weights."""
        check_fitted(self, "word_embedder_")
        return self.finish(self._pool(token_docs), in_place=True)


class ConcatEmbedder(TransformerMixin, BaseEstimator):
    """Concatenate several document embedders: each block L2-normalised (times ``sqrt(weight)``), then the whole.

    With unit blocks, the cosine similarity of two documents is the weighted mean of their per-block cosine
    similarities: e.g. word-vector pooling (semantic, dense) combined with TF-IDF + LSA (lexical).

    Parameters
    ----------
    embedders : list of estimators
        Document embedders (``fit_transform(token_docs)`` -> (n, d_i) arrays), e.g. ``DocumentEmbedder`` and
        ``TfidfLsaEmbedder``; each is cloned and fitted.
    weights : list of float, optional
        Block weights (default: equal).
    names : list of str, optional
        One name per block for nested parameters (default ``block0``, ``block1``, ...): with
        ``names=["word2vec", "tfidf-lsa"]``, ``set_params(word2vec__word_embedder__window=5,
        **{"tfidf-lsa__n_components": 50})`` reaches inside the blocks, so grid searches and ``clone`` do.

    Attributes
    ----------
    embedders_ : list of fitted clones
    n_empty_ : int, documents whose vector is zero in every block
    """

    def __init__(self, embedders=None, *, weights=None, names=None):
        self.embedders = embedders
        self.weights = weights
        self.names = names

    def _block_names(self) -> list[str]:
        n = len(self.embedders or [])
        names = [f"block{i}" for i in range(n)] if self.names is None else list(self.names)
        if len(names) != n or len(set(names)) != n or not all(isinstance(x, str) and x and "__" not in x
                                                               for x in names):
            raise InputError(f"names must be {n} distinct non-empty strings without '__'; got {self.names!r}")
        return names

    def get_params(self, deep: bool = True) -> dict:
        out = super().get_params(deep=False)
        if deep and self.embedders:
            for name, est in zip(self._block_names(), self.embedders):
                out[name] = est
                out.update({f"{name}__{k}": v for k, v in est.get_params(deep=True).items()})
        return out

    def set_params(self, **params) -> "ConcatEmbedder":
        own = {k: params.pop(k) for k in list(params) if "__" not in k and k in ("embedders", "weights", "names")}
        super().set_params(**own)
        if not params:
            return self
        blocks = list(self.embedders or [])
        index = {name: i for i, name in enumerate(self._block_names())}
        nested: dict = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in index:
                raise InputError(f"ConcatEmbedder has no block {name!r} (blocks: {', '.join(index)})")
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                blocks[index[name]] = value
        for name, sub in nested.items():
            blocks[index[name]] = clone(blocks[index[name]]).set_params(**sub)
        self.embedders = blocks
        return self

    def _check(self) -> list:
        if not self.embedders:
            raise InputError("ConcatEmbedder needs a non-empty list of embedders")
        w = [1.0] * len(self.embedders) if self.weights is None else list(self.weights)
        if len(w) != len(self.embedders) or any(not isinstance(x, (int, float)) or x < 0 for x in w) or not any(w):
            raise InputError(f"weights must be {len(self.embedders)} non-negative numbers, not all zero; got "
                             f"{self.weights!r}")
        return w

    def combine(self, blocks: list[np.ndarray], out: np.ndarray) -> int:
        """Write the concatenation of the blocks' vectors (each (n, d_i)) into ``out`` (n, sum d_i) float32,
        16,384 rows at a time (float64 temporaries stay the size of a row block; ``out`` may hold the blocks
        themselves, e.g. column ranges of one memmap, and is then overwritten in place). Returns the number of
        all-zero rows."""
        w = self._check()
        n_empty, step = 0, _BLOCK // 4
        for s in range(0, len(out), step):
            parts = []
            for X, wi in zip(blocks, w):
                X = np.array(X[s:s + step], dtype=np.float64)
                norms = np.linalg.norm(X, axis=1)
                ok = norms > 0
                X[ok] /= norms[ok, None]
                parts.append(X * np.sqrt(wi))
            X = np.hstack(parts)
            norms = np.linalg.norm(X, axis=1)
            ok = norms > 0
            X[ok] /= norms[ok, None]
            n_empty += int((~ok).sum())
            out[s:s + step] = X
        return n_empty

    def _combine(self, blocks: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(blocks[0]), sum(np.shape(b)[1] for b in blocks)), dtype=np.float32)
        self.n_empty_ = self.combine(blocks, out)
        return out

    @property
    def wv_(self):
        """Word vectors of the first block that has them (for export and neighbours)."""
        for e in getattr(self, "embedders_", []):
            if hasattr(e, "wv_"):
                return e.wv_
        raise AttributeError("no fitted block has word vectors")

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "ConcatEmbedder":
        self.fit_transform(token_docs)
        return self

    def fit_transform(self, token_docs: Sequence[Sequence[str]], y=None) -> np.ndarray:
        """Fit every block on ``token_docs`` (n token lists); returns (n, sum d_i) float32."""
        self._check()
        self.embedders_ = [clone(e) for e in self.embedders]
        return self._combine([e.fit_transform(token_docs) for e in self.embedders_])

    def transform(self, token_docs: Sequence[Sequence[str]]) -> np.ndarray:
        check_fitted(self, "embedders_")
        return self._combine([e.transform(token_docs) for e in self.embedders_])


def nested_embedders(obj, *, max_depth: int = 3):
    """``obj`` and the fitted embedders inside it, depth first: an AutoEmbedder's choice (``embedder_``), a
    ConcatEmbedder's blocks (``embedders_``), a DocumentEmbedder's word embedder (``word_embedder_``); at most
    ``max_depth`` levels down (the default pipeline nests three: auto -> concat -> pooling -> word2vec)."""
    yield obj
    if max_depth > 0:
        for child in [getattr(obj, "word_embedder_", None), getattr(obj, "embedder_", None),
                      *(getattr(obj, "embedders_", None) or [])]:
            if child is not None:
                yield from nested_embedders(child, max_depth=max_depth - 1)
