"""Topic descriptions of clusters: c-TF-IDF words (optionally with bigrams), short labels, representative
documents, NPMI coherence, topic similarity, a topic hierarchy and merging topics down to a target count.

Terms are unigrams, or bigrams written ``"word word"`` (two adjacent tokens of the filtered token lists). The
c-TF-IDF weights themselves are computed in :mod:`textcluster.ctfidf`; its names are importable from here too.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from .ctfidf import BIGRAM_MODES, ctfidf_matrix, ctfidf_weights, ctfidf_words, top_terms
from .errors import InputError

__all__ = ["Topic", "ctfidf_words", "ctfidf_matrix", "representative_documents", "extract_topics",
           "topic_label", "topic_coherence", "npmi_coherence", "TopicHierarchy", "topic_hierarchy",
           "merge_labels", "BIGRAM_MODES", "ctfidf_weights", "top_terms", "assemble_topics"]

logger = logging.getLogger(__name__)


def topic_label(terms: Sequence[str], n: int = 3) -> str:
    """A short name from ranked ``terms``: the first ``n`` that are not a variant of one already taken.

    A word is skipped when it is part of a taken bigram, a bigram when one of its words is taken, a word
    when it shares its first five letters with a taken
    word (``encrypt`` / ``encryption``). Terms are joined by ``", "`` ("space shuttle, nasa, orbit"): the
    label is read by people (summary, CSV, map), so it stays plain words.
    """
    taken: list[str] = []
    words: set[str] = set()
    for t in terms:
        parts = t.split(" ")
        if len(taken) >= n:
            break
        if (all if len(parts) == 1 else any)(p in words for p in parts):
            continue
        if len(parts) == 1 and any(len(w) >= 5 and len(t) >= 5 and w[:5] == t[:5] for w in words):
            continue
        taken.append(t)
        words.update(parts)
    return ", ".join(taken)


@dataclass
class Topic:
    """One cluster described for people.

    Attributes
    ----------
    cluster : int -- cluster label (-1 = noise)
    size : int -- number of documents
    words : list of (term, c-TF-IDF score), best first; a term is a word or a bigram ``"word word"``
    representatives : list of document indices, most central (or highest HDBSCAN membership) first
    """

    cluster: int
    size: int
    words: list[tuple[str, float]] = field(default_factory=list)
    representatives: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Short name: "noise" for the noise group, else up to three distinct top terms joined by ", "."""
        if self.cluster < 0:
            return "noise"
        return topic_label([w for w, _ in self.words]) or f"cluster_{self.cluster}"

    def to_dict(self, doc_ids: Sequence[str] | None = None, texts: Sequence[str] | None = None,
                snippet: int = 200) -> dict:
        """JSON-ready dict; with ``texts``, ``representatives`` also lists each representative's id and the
        first ``snippet`` characters of its text (whitespace collapsed)."""
        reps = [doc_ids[i] for i in self.representatives] if doc_ids is not None else list(self.representatives)
        out = {"cluster": self.cluster, "label": self.label, "size": self.size,
               "words": [[w, round(float(s), 6)] for w, s in self.words], "representative_ids": reps}
        if texts is not None:
            out["representatives"] = [{"id": r, "text": text_snippet(texts[i], snippet)}
                                      for r, i in zip(reps, self.representatives)]
        return out


def text_snippet(text: str, chars: int = 200) -> str:
    """The first ``chars`` characters of ``text`` on one line (whitespace runs collapsed), "…" when cut."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= chars else flat[:chars].rstrip() + "…"


#: rows per block where document vectors are read block by block (they may be a large memmap)
_ROWS = 8192


def cluster_sums(X, cluster: np.ndarray, n_clusters: int, *, unit: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum of the rows of ``X`` (n, d) in each cluster, read :data:`_ROWS` rows at a time (float64).

    ``cluster`` (n,) holds each row's cluster index in ``0..n_clusters-1``, or -1 to leave the row out; with
    ``unit``, rows are scaled to unit length first (zero rows stay zero). Returns (sums (c, d) float64,
    rows per cluster (c,), row norms (n,) float32)."""
    n = len(cluster)
    sums = np.zeros((n_clusters, np.shape(X)[1]), dtype=np.float64)
    norms = np.empty(n, dtype=np.float32)
    for s in range(0, n, _ROWS):
        B = np.asarray(X[s:s + _ROWS], dtype=np.float64)
        norms[s:s + _ROWS] = np.linalg.norm(B, axis=1)
        if unit:
            B /= np.where(norms[s:s + _ROWS] > 0, norms[s:s + _ROWS], 1)[:, None]
        c = cluster[s:s + _ROWS]
        ok = np.flatnonzero(c >= 0)
        sums += csr_matrix((np.ones(len(ok)), (c[ok], ok)), shape=(n_clusters, len(c))) @ B
    counts = np.bincount(cluster[cluster >= 0], minlength=n_clusters)
    return sums, counts, norms


def representative_documents(X: np.ndarray, labels: Sequence[int], *, n: int = 3,
                             membership: np.ndarray | None = None) -> dict[int, list[int]]:
    """Indices of each cluster's ``n`` most representative documents; noise included.

    Ranked by ``membership`` (e.g. HDBSCAN's probabilities, shape (n_docs,)) when given, ties and the
    default by cosine similarity to the cluster's mean vector. Documents without a vector come last.
    """
    labels = np.asarray(labels)
    ids, inverse = np.unique(labels, return_inverse=True)
    inverse = inverse.reshape(-1)
    # X may be a large memmap: each cluster's mean unit vector, then each document's cosine to it, by row blocks
    sums, counts, norms = cluster_sums(X, inverse, len(ids), unit=True)
    centres = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
    all_sims = np.empty(len(labels), dtype=np.float32)
    for s in range(0, len(labels), _ROWS):
        B = np.asarray(X[s:s + _ROWS], dtype=np.float32)
        B = B / np.where(norms[s:s + _ROWS] > 0, norms[s:s + _ROWS], 1)[:, None]
        all_sims[s:s + _ROWS] = np.einsum("ij,ij->i", B, centres[inverse[s:s + _ROWS]])
    out = {}
    for ci, c in enumerate(ids):
        idx = np.flatnonzero(inverse == ci)
        sims = all_sims[idx]
        sims[norms[idx] == 0] = -np.inf
        if membership is not None and c >= 0:
            order = np.lexsort((-sims, -np.asarray(membership, dtype=np.float64)[idx]))[:n]
        else:
            order = np.argsort(-sims, kind="stable")[:n]
        out[int(c)] = [int(idx[j]) for j in order]
    return out


def extract_topics(token_docs: Sequence[Sequence[str]], labels: Sequence[int], X: np.ndarray, *,
                   top_n: int = 10, n_representatives: int = 3, bigrams=False,
                   membership: np.ndarray | None = None) -> list[Topic]:
    """One :class:`Topic` per cluster (largest first, noise last)."""
    words = ctfidf_words(token_docs, labels, top_n=top_n, bigrams=bigrams)
    return assemble_topics(words, labels, X, n_representatives=n_representatives, membership=membership)


def assemble_topics(words: dict, labels: Sequence[int], X: np.ndarray, *, n_representatives: int = 3,
                    membership: np.ndarray | None = None) -> list[Topic]:
    """:class:`Topic` objects from each cluster's ``words`` and representative documents (largest first,
    noise last)."""
    labels = np.asarray(labels)
    reps = representative_documents(X, labels, n=n_representatives, membership=membership)
    ids, sizes = np.unique(labels, return_counts=True)
    topics = [Topic(int(c), int(s), words.get(int(c), []), reps.get(int(c), [])) for c, s in zip(ids, sizes)]
    topics.sort(key=lambda t: (t.cluster < 0, -t.size, t.cluster))
    return topics


# -- coherence ------------------------------------------------------------------------------------------
def npmi_coherence(token_docs: Sequence[Sequence[str]], topic_terms: Sequence[Sequence[str]], *,
                   top_n: int = 10) -> list[float | None]:
    """NPMI coherence of each topic's first ``top_n`` terms, with document co-occurrence in ``token_docs``.

    ``NPMI(a, b) = log(P(a, b) / (P(a) P(b))) / -log P(a, b)``, P = fraction of documents containing the
    term(s); -1 for pairs that never co-occur, averaged over all pairs of a topic (Bouma 2009; Roeder et
    al. 2015's C_NPMI with whole documents as windows). A bigram term occurs where its two words are
    adjacent. Returns one value in [-1, 1] per topic, None for topics with fewer than two terms.
    """
    terms = [list(t)[:top_n] for t in topic_terms]
    needed = sorted({w for t in terms for w in t})
    col = {w: i for i, w in enumerate(needed)}
    uni = {w for w in needed if " " not in w}
    bi = {w for w in needed if " " in w}
    rows, cols = [], []
    for i, doc in enumerate(token_docs):
        present = uni.intersection(doc)
        if bi and len(doc) > 1:
            present |= bi.intersection(f"{a} {b}" for a, b in zip(doc, doc[1:]))
        rows.extend([i] * len(present))
        cols.extend(col[w] for w in present)
    n = max(len(token_docs), 1)
    P = csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(token_docs), len(needed)))
    co = (P.T @ P).toarray() / n  # (T, T) joint document frequencies
    p = np.diag(co).copy()
    out: list[float | None] = []
    for t in terms:
        if len(t) < 2:
            out.append(None)
            continue
        idx = [col[w] for w in t]
        vals = []
        for x in range(len(idx)):
            for y in range(x + 1, len(idx)):
                pab, pa, pb = co[idx[x], idx[y]], p[idx[x]], p[idx[y]]
                if pab <= 0:
                    vals.append(-1.0)
                elif pab >= 1.0:
                    vals.append(1.0)
                else:
                    vals.append(float(np.log(pab / (pa * pb)) / -np.log(pab)))
        out.append(float(np.mean(vals)))
    return out


def topic_coherence(token_docs: Sequence[Sequence[str]], topics: Sequence[Topic], *, top_n: int = 10
                    ) -> float | None:
    """Mean NPMI coherence (see :func:`npmi_coherence`) of the non-noise ``topics``; None if undefined."""
    real = [t for t in topics if t.cluster >= 0]
    vals = [v for v in npmi_coherence(token_docs, [[w for w, _ in t.words] for t in real], top_n=top_n)
            if v is not None]
    return float(np.mean(vals)) if vals else None


# -- similarity, hierarchy, merging -----------------------------------------------------------------------
@dataclass
class TopicHierarchy:
    """Agglomerative tree over topics (average linkage of cosine distances between c-TF-IDF vectors).

    Attributes
    ----------
    clusters : (c,) int, the topics (noise excluded), leaf ``i`` of the tree is ``clusters[i]``
    labels : list of c short labels
    sizes : (c,) int
    linkage : (c - 1, 4) float, a SciPy linkage matrix (``scipy.cluster.hierarchy.dendrogram(linkage)``)
    similarity : (c, c) float, cosine similarity of the topics' c-TF-IDF vectors
    """

    clusters: np.ndarray
    labels: list[str]
    sizes: np.ndarray
    linkage: np.ndarray
    similarity: np.ndarray

    def cut(self, n_topics: int) -> dict[int, int]:
        """Map each topic to one of ``n_topics`` groups (0 = largest group)."""
        from scipy.cluster.hierarchy import fcluster

        c = len(self.clusters)
        if not isinstance(n_topics, (int, np.integer)) or n_topics < 1:
            raise InputError(f"n_topics must be a positive int, got {n_topics!r}")
        if n_topics >= c or c < 2:
            groups = np.arange(c)
        else:
            groups = fcluster(self.linkage, t=n_topics, criterion="maxclust") - 1
        totals = np.bincount(groups, weights=self.sizes)
        order = sorted(np.unique(groups), key=lambda g: (-totals[g], g))
        rank = {g: i for i, g in enumerate(order)}
        return {int(cl): rank[g] for cl, g in zip(self.clusters, groups)}

    def to_dict(self) -> dict:
        """Nested {"label", "size", "clusters", "children"} tree, root first."""
        c = len(self.clusters)
        nodes = [{"label": self.labels[i], "size": int(self.sizes[i]), "clusters": [int(self.clusters[i])],
                  "distance": 0.0, "children": []} for i in range(c)]
        for a, b, dist, _ in self.linkage:
            A, B = nodes[int(a)], nodes[int(b)]
            nodes.append({"label": f"{A['label']} + {B['label']}" if A["size"] >= B["size"]
                          else f"{B['label']} + {A['label']}", "size": A["size"] + B["size"],
                          "clusters": A["clusters"] + B["clusters"], "distance": round(float(dist), 6),
                          "children": [A, B]})
        return nodes[-1] if nodes else {}

    def to_text(self) -> str:
        """The tree as indented text, one topic per leaf line (for notebooks and logs)."""
        lines: list[str] = []

        def walk(node, depth):
            if not node["children"]:
                lines.append(f"{'  ' * depth}- [{node['clusters'][0]}] {node['label']} ({node['size']})")
                return
            lines.append(f"{'  ' * depth}+ {node['size']} docs, distance {node['distance']:.3f}")
            for ch in node["children"]:
                walk(ch, depth + 1)

        if self.clusters.size:
            walk(self.to_dict(), 0)
        return "\n".join(lines)


def topic_hierarchy(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, bigrams=False,
                    topics: Sequence[Topic] | None = None) -> TopicHierarchy:
    """Build a :class:`TopicHierarchy` of the non-noise clusters of ``labels``."""
    from scipy.cluster.hierarchy import linkage
    from sklearn.preprocessing import normalize

    labels = np.asarray(labels)
    ids, W, _ = ctfidf_matrix(token_docs, labels, bigrams=bigrams)
    real = ids >= 0
    ids, W = ids[real], normalize(W[np.flatnonzero(real)])
    sizes = np.array([(labels == c).sum() for c in ids], dtype=np.int64)
    S = np.asarray((W @ W.T).todense()) if len(ids) else np.zeros((0, 0))
    names = {t.cluster: t.label for t in topics} if topics is not None else {}
    lab = [names.get(int(c), f"cluster_{int(c)}") for c in ids]
    if len(ids) >= 2:
        dist = np.clip(1.0 - S, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        from scipy.spatial.distance import squareform
        Z = linkage(squareform(dist, checks=False), method="average")
    else:
        Z = np.zeros((0, 4))
    return TopicHierarchy(ids, lab, sizes, Z, S)


def merge_labels(labels: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    """Relabel ``labels`` (n,) through ``mapping`` (cluster -> new cluster); noise stays -1."""
    labels = np.asarray(labels)
    out = labels.copy()
    for old, new in mapping.items():
        out[labels == old] = new
    return out
