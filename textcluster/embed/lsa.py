"""The classical baseline: TF-IDF over the spaCy tokens, then LSA (truncated SVD), L2-normalised."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ..errors import InputError, check_fitted

__all__ = ["TfidfLsaEmbedder"]


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

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "TfidfLsaEmbedder":
        self.fit_transform(token_docs)
        return self

    def fit_transform(self, token_docs: Sequence[Sequence[str]], y=None) -> np.ndarray:
        n = len(token_docs)
        min_df = (5 if n >= 5000 else 2 if n >= 50 else 1) if self.min_df == "auto" else self.min_df
        max_df = self.max_df if n >= 20 else 1.0
        self.vectorizer_ = TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True,
                                           min_df=min_df, max_df=max_df)
        try:
            T = self.vectorizer_.fit_transform(token_docs)
        except ValueError:
            raise InputError("no words left for TF-IDF: the documents are empty or too few "
                             "(lower min_df or add documents)") from None
        k = max(1, min(self.n_components, T.shape[1] - 1, n - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state)
        X = self.svd_.fit_transform(T)
        self.n_empty_ = int((T.getnnz(axis=1) == 0).sum())
        return normalize(X).astype(np.float32)

    def transform(self, token_docs: Sequence[Sequence[str]]) -> np.ndarray:
        check_fitted(self, "svd_")
        T = self.vectorizer_.transform(token_docs)
        self.n_empty_ = int((T.getnnz(axis=1) == 0).sum())
        return normalize(self.svd_.transform(T)).astype(np.float32)
