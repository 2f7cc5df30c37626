"""The classical baseline: TF-IDF over the spaCy tokens, then LSA (truncated SVD), L2-normalised."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ..errors import InputError, check_fitted, resolve_seed

__all__ = ["TfidfLsaEmbedder"]


#: rows per block when projecting documents on a sampled SVD fit
_BLOCK = 65_536


def _identity(tokens):
    return tokens


class TfidfLsaEmbedder(TransformerMixin, BaseEstimator):
    """Token lists -> TF-IDF (sublinear tf) -> TruncatedSVD -> L2-normalised document vectors.

    Parameters
    ----------
    n_components : int
        LSA dimensions (capped below the vocabulary size).
    max_df : float
        Ignore words in more than this fraction of documents.
    min_df : int or "auto"
        Ignore words in fewer documents; "auto" = 5 for 5,000+ documents, else 2 (1 for under 50).
    random_state : int or None
        Seed of the randomized SVD.
    """

    def __init__(self, *, n_components: int = 100, max_df: float = 0.5, min_df: int | str = "auto",
                 random_state: int | None = 0):
        self.n_components = n_components
        self.max_df = max_df
        self.min_df = min_df
        self.random_state = random_state

    #: above this many documents the SVD is fitted on a seeded sample of them (their TF-IDF rows) and every
    #: document is projected on its components, block by block: the memory of the fit stays bounded
    max_fit_rows = 200_000

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "TfidfLsaEmbedder":
        self.fit_transform(token_docs)
        return self

    def _df_limits(self, n: int) -> tuple[int | float, float]:
        min_df = (5 if n >= 5000 else 2 if n >= 50 else 1) if self.min_df == "auto" else self.min_df
        return min_df, (self.max_df if n >= 20 else 1.0)

    def _vectorizer(self, n: int) -> TfidfVectorizer:
        min_df, max_df = self._df_limits(n)
        return TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True, min_df=min_df, max_df=max_df)

    def fit_transform(self, token_docs: Sequence[Sequence[str]], y=None) -> np.ndarray:
        n = len(token_docs)
        self.vectorizer_ = self._vectorizer(n)
        try:
            T = self.vectorizer_.fit_transform(token_docs)
        except ValueError:
            raise _no_words() from None
        rows = self.fit_rows(n)
        X = self.fit_svd(T if rows is None else T[rows], n_docs=n)
        if X is None:
            X = np.vstack([self.project(T[s:s + _BLOCK]) for s in range(0, n, _BLOCK)])
        self.n_empty_ = int((T.getnnz(axis=1) == 0).sum())
        return X

    def set_vocabulary(self, words: Sequence[str], df: np.ndarray, n_docs: int) -> None:
        """``vectorizer_`` as fitting it on the corpus would make it, from the corpus statistics alone:
        ``words`` (V,), their document frequencies ``df`` (V,) and the number of documents (the streaming
        path's token cache holds them). Same vocabulary (min_df / max_df pruned, sorted) and idf weights."""
        vec = self._vectorizer(n_docs)
        df = np.asarray(df, dtype=np.int64)
        lo = vec.min_df if isinstance(vec.min_df, (int, np.integer)) else vec.min_df * n_docs
        hi = vec.max_df if isinstance(vec.max_df, (int, np.integer)) else vec.max_df * n_docs
        keep = np.flatnonzero((df >= lo) & (df <= hi)).tolist()
        if not keep:
            raise _no_words()
        order = sorted(keep, key=lambda j: words[j])
        vec.vocabulary_ = {words[j]: i for i, j in enumerate(order)}
        vec.idf_ = np.log((1 + n_docs) / (1 + df[order].astype(np.float64))) + 1.0  # smooth_idf, as TfidfTransformer
        vec._tfidf.n_features_in_ = len(order)
        self.vectorizer_ = vec

    def fit_rows(self, n_docs: int) -> np.ndarray | None:
        """The documents (sorted indices) the SVD is fitted on: None (all) up to :attr:`max_fit_rows`, else a
        sample of that many drawn with ``random_state``."""
        if n_docs <= self.max_fit_rows:
            return None
        rng = np.random.default_rng(resolve_seed(self.random_state))
        return np.sort(rng.choice(n_docs, self.max_fit_rows, replace=False))

    def fit_svd(self, T, *, n_docs: int) -> np.ndarray | None:
        """Fit ``svd_`` on TF-IDF rows ``T`` (all ``n_docs`` documents, or the :meth:`fit_rows` sample). All of
        them: returns their vectors (n, k) float32; a sample: returns None (then :meth:`project` each block)."""
        k = max(1, min(self.n_components, T.shape[1] - 1, T.shape[0] - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state)
        if T.shape[0] == n_docs:
            return normalize(self.svd_.fit_transform(T)).astype(np.float32)
        self.svd_.fit(T)
        return None

    def project(self, T) -> np.ndarray:
        """Vectors (n, k) float32 of TF-IDF rows ``T`` with the fitted SVD (L2-normalised)."""
        return normalize(self.svd_.transform(T)).astype(np.float32)

    def transform(self, token_docs: Sequence[Sequence[str]]) -> np.ndarray:
        check_fitted(self, "svd_")
        T = self.vectorizer_.transform(token_docs)
        self.n_empty_ = int((T.getnnz(axis=1) == 0).sum())
        return self.project(T)


def _no_words() -> InputError:
    return InputError("no words left for TF-IDF: the documents are empty or too few (lower min_df or add documents)")
