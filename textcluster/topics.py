"""Topic descriptions of clusters: c-TF-IDF top words, sizes and representative documents."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer

__all__ = ["Topic", "ctfidf_words", "representative_documents", "extract_topics"]


@dataclass
class Topic:
    """One cluster described for people.

    Attributes
    ----------
    cluster : int -- cluster label (-1 = noise)
    size : int -- number of documents
    words : list of (word, c-TF-IDF score), best first
    representatives : list of document indices, most central first
    """

    cluster: int
    size: int
    words: list[tuple[str, float]] = field(default_factory=list)
    representatives: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Short name: "noise" for the noise group, else its top three words joined by underscores."""
        if self.cluster < 0:
            return "noise"
        return "_".join(w for w, _ in self.words[:3]) or f"cluster_{self.cluster}"

    def to_dict(self, doc_ids: Sequence[str] | None = None) -> dict:
        reps = [doc_ids[i] for i in self.representatives] if doc_ids is not None else list(self.representatives)
        return {"cluster": self.cluster, "label": self.label, "size": self.size,
                "words": [[w, round(float(s), 6)] for w, s in self.words], "representative_ids": reps}


def _identity(tokens):
    return tokens


def ctfidf_words(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, top_n: int = 10
                 ) -> dict[int, list[tuple[str, float]]]:
    """Class-based TF-IDF top words per cluster (BERTopic's c-TF-IDF).

    Each cluster's documents are joined into one; ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with
    ``A`` the mean number of words per cluster and ``f(t)`` the frequency of ``t`` over all clusters.

    Returns {cluster label: [(word, score), ...]} for every label in ``labels``, noise (-1) included.
    """
    labels = np.asarray(labels)
    ids, inverse = np.unique(labels, return_inverse=True)
    try:
        counts = CountVectorizer(analyzer=_identity, lowercase=False)
        D = counts.fit_transform(token_docs)  # (n, V)
    except ValueError:  # no tokens at all
        return {int(c): [] for c in ids}
    vocab = counts.get_feature_names_out()
    onehot = csr_matrix((np.ones(len(labels)), (inverse, np.arange(len(labels)))), shape=(len(ids), len(labels)))
    T = (onehot @ D).astype(np.float64).tocsr()  # (n_clusters, V) word counts per cluster
    totals = np.asarray(T.sum(axis=1)).ravel()
    freq = np.asarray(T.sum(axis=0)).ravel()
    idf = np.log(1.0 + totals.mean() / np.maximum(freq, 1))
    out: dict[int, list[tuple[str, float]]] = {}
    for row, c in enumerate(ids):
        cols = T.indices[T.indptr[row]:T.indptr[row + 1]]
        if totals[row] == 0:
            out[int(c)] = []
            continue
        score = T.data[T.indptr[row]:T.indptr[row + 1]] / totals[row] * idf[cols]
        top = np.lexsort((vocab[cols], -score))[:top_n]  # ties broken by word: deterministic
        out[int(c)] = [(str(vocab[cols[j]]), float(score[j])) for j in top if score[j] > 0]
    return out


def representative_documents(X: np.ndarray, labels: Sequence[int], *, n: int = 3) -> dict[int, list[int]]:
    """Indices of the ``n`` documents closest (cosine) to each cluster's mean vector; noise included."""
    labels = np.asarray(labels)
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1)
    Xn = X / np.where(norms > 0, norms, 1)[:, None]
    out = {}
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        centre = Xn[idx].mean(axis=0)
        sims = Xn[idx] @ centre
        sims[norms[idx] == 0] = -np.inf  # documents without a vector are never representative
        order = np.argsort(-sims, kind="stable")[:n]
        out[int(c)] = [int(idx[j]) for j in order]
    return out


def extract_topics(token_docs: Sequence[Sequence[str]], labels: Sequence[int], X: np.ndarray, *,
                   top_n: int = 10, n_representatives: int = 3) -> list[Topic]:
    """One :class:`Topic` per cluster (largest first, noise last)."""
    labels = np.asarray(labels)
    words = ctfidf_words(token_docs, labels, top_n=top_n)
    reps = representative_documents(X, labels, n=n_representatives)
    ids, sizes = np.unique(labels, return_counts=True)
    topics = [Topic(int(c), int(s), words.get(int(c), []), reps.get(int(c), [])) for c, s in zip(ids, sizes)]
    topics.sort(key=lambda t: (t.cluster < 0, -t.size, t.cluster))
    return topics
