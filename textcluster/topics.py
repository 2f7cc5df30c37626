"""Topic descriptions of clusters: c-TF-IDF words (optionally with bigrams), short labels, representative
documents, NPMI coherence, topic similarity, a topic hierarchy and merging topics down to a target count.

Terms are unigrams, or bigrams written ``"word word"`` (two adjacent tokens of the filtered token lists).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack

from .errors import InputError

__all__ = ["Topic", "ctfidf_words", "ctfidf_matrix", "representative_documents", "extract_topics",
           "topic_label", "topic_coherence", "npmi_coherence", "TopicHierarchy", "topic_hierarchy",
           "merge_labels", "BIGRAM_MODES", "ctfidf_weights", "top_terms", "assemble_topics"]

logger = logging.getLogger(__name__)

#: ``bigrams`` values: False (words only), True (every bigram seen >= min count), "auto" (collocations only)
BIGRAM_MODES = (False, True, "auto")


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


# -- document-term counts ---------------------------------------------------------------------------------
def _encode(token_docs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vocab (V,) str, doc index (N,), word index (N,)) of every token, in corpus order."""
    index: dict[str, int] = {}
    get = index.setdefault
    word_idx: list[int] = []
    lengths = np.fromiter((len(d) for d in token_docs), dtype=np.int64, count=len(token_docs))
    for doc in token_docs:
        word_idx.extend(get(t, len(index)) for t in doc)
    vocab = np.array(list(index), dtype=object)
    doc_idx = np.repeat(np.arange(len(token_docs), dtype=np.int64), lengths)
    return vocab, doc_idx, np.asarray(word_idx, dtype=np.int64)


def _bigrams(doc_idx: np.ndarray, word_idx: np.ndarray, V: int, mode, *, min_count: int | None = None,
             min_npmi: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chosen bigrams: (pairs (B, 2) word indices, doc index of each occurrence, bigram column of each)."""
    empty = (np.zeros((0, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if mode is False or len(word_idx) < 2:
        return empty
    same = doc_idx[1:] == doc_idx[:-1]
    a, b, d = word_idx[:-1][same], word_idx[1:][same], doc_idx[1:][same]
    if len(a) == 0:
        return empty
    key = a * V + b
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    n_tokens = len(word_idx)
    mc = min_count if min_count is not None else max(3, int(round(2e-6 * n_tokens)))
    keep = counts >= mc
    if mode == "auto":
        # Collocations: normalised PMI of the pair over token positions (gensim Phrases' npmi scorer).
        unigram = np.bincount(word_idx, minlength=V).astype(np.float64)
        pa, pb = unigram[uniq // V] / n_tokens, unigram[uniq % V] / n_tokens
        pab = counts / len(a)
        with np.errstate(divide="ignore"):
            npmi = np.log(pab / (pa * pb)) / -np.log(pab)
        keep &= npmi >= min_npmi
    cols = np.full(len(uniq), -1, dtype=np.int64)
    cols[keep] = np.arange(int(keep.sum()))
    col = cols[inverse]
    occ = col >= 0
    pairs = np.stack([uniq[keep] // V, uniq[keep] % V], axis=1)
    return pairs, d[occ], col[occ]


def _doc_term(token_docs, bigrams=False) -> tuple[csr_matrix, np.ndarray, int]:
    """Document-term count matrix (n, V [+ B]), its terms, and V (the first V columns are words)."""
    vocab, doc_idx, word_idx = _encode(token_docs)
    n, V = len(token_docs), len(vocab)
    D = csr_matrix((np.ones(len(word_idx)), (doc_idx, word_idx)), shape=(n, V))
    pairs, bd, bc = _bigrams(doc_idx, word_idx, V, bigrams)
    if len(pairs):
        B = csr_matrix((np.ones(len(bd)), (bd, bc)), shape=(n, len(pairs)))
        D = hstack([D, B], format="csr")
        vocab = np.concatenate([vocab, np.array([f"{vocab[i]} {vocab[j]}" for i, j in pairs], dtype=object)])
    D.sum_duplicates()
    return D, vocab, V


def ctfidf_matrix(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, bigrams=False
                  ) -> tuple[np.ndarray, csr_matrix, np.ndarray]:
    """Class-based TF-IDF (BERTopic's c-TF-IDF) of every cluster.

    Each cluster's documents are joined into one; ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with
    ``A`` the mean number of words per cluster and ``f(t)`` the frequency of ``t`` over all clusters
    (``|c|`` and ``A`` count words, not bigrams, so bigrams never change the scores of words).

    Parameters
    ----------
    token_docs : n token lists
    labels : (n,) cluster labels, -1 = noise (kept as a cluster of its own)
    bigrams : False, True or "auto"
        Add bigrams of adjacent tokens: all frequent ones (True) or only collocations ("auto": NPMI of the
        pair >= 0.3), each seen at least ``max(3, 2e-6 * n_tokens)`` times.

    Returns
    -------
    ids : (c,) cluster labels, sorted
    W : sparse (c, T) c-TF-IDF weights
    terms : (T,) the terms
    """
    if bigrams not in BIGRAM_MODES:
        raise InputError(f"bigrams must be one of False, True, 'auto'; got {bigrams!r}")
    labels = np.asarray(labels)
    if len(labels) != len(token_docs):
        raise InputError(f"labels has {len(labels)} entries for {len(token_docs)} documents")
    ids, inverse = np.unique(labels, return_inverse=True)
    D, vocab, n_words = _doc_term(token_docs, bigrams)
    onehot = csr_matrix((np.ones(len(labels)), (inverse, np.arange(len(labels)))), shape=(len(ids), len(labels)))
    T = (onehot @ D).astype(np.float64).tocsr()  # (c, T) term counts per cluster
    return ids, ctfidf_weights(T, df=np.diff(D.tocsc().indptr), n_docs=len(token_docs), n_words=n_words), vocab


def ctfidf_weights(T: csr_matrix, *, df: np.ndarray, n_docs: int, n_words: int | None = None) -> csr_matrix:
    """c-TF-IDF weights (c, T) from term counts per cluster ``T`` (c, T) and document frequencies ``df`` (T,).

    ``w(t, c) = tf(t, c) / |c| * log(1 + A / f(t))``; ``|c|`` and ``A`` count the first ``n_words`` columns
    only (the words, not the bigrams after them), so adding bigrams leaves every word's score unchanged. Terms
    of very few documents (typos, names, junk) would top the clusters of short or empty documents: a term
    must occur in 2 documents (5 from 1,000 documents on) to describe a topic. Used by the in-memory and the
    streaming (token cache) paths alike.
    """
    T = T.tocsr().astype(np.float64)
    totals = np.asarray(T[:, :n_words].sum(axis=1)).ravel() if n_words is not None else \
        np.asarray(T.sum(axis=1)).ravel()
    freq = np.asarray(T.sum(axis=0)).ravel()
    idf = np.log(1.0 + (totals.mean() if len(totals) else 0.0) / np.maximum(freq, 1))
    W = T.multiply(1.0 / np.maximum(totals, 1)[:, None]).multiply(idf[None, :]).tocsr()
    rare = np.asarray(df) < (2 if n_docs < 1000 else 5)
    if rare.any() and not rare.all():
        W = W.multiply((~rare).astype(np.float64)[None, :]).tocsr()
        W.eliminate_zeros()
    return W


def _dedupe(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Drop a bigram whose words both rank above it, and a word already inside a higher-ranked bigram."""
    out, words = [], set()
    for term, s in ranked:
        parts = term.split(" ")
        if all(p in words for p in parts):
            continue
        out.append((term, s))
        words.update(parts)
    return out


def ctfidf_words(token_docs: Sequence[Sequence[str]], labels: Sequence[int], *, top_n: int = 10,
                 bigrams=False) -> dict[int, list[tuple[str, float]]]:
    """Top ``top_n`` c-TF-IDF terms per cluster (see :func:`ctfidf_matrix`); noise (-1) included.

    With bigrams, a word already contained in a higher-ranked bigram is not repeated, and a bigram whose
    two words already rank above it is dropped.

    Returns {cluster label: [(term, score), ...]} for every label in ``labels``.
    """
    ids, W, vocab = ctfidf_matrix(token_docs, labels, bigrams=bigrams)
    return top_terms(ids, W, vocab, top_n=top_n, dedupe=bigrams is not False)


def top_terms(ids: np.ndarray, W: csr_matrix, vocab: np.ndarray, *, top_n: int = 10, dedupe: bool = False
              ) -> dict[int, list[tuple[str, float]]]:
    """The ``top_n`` highest-weighted terms of each row of ``W`` (c, T): {ids[row]: [(term, weight), ...]};
    ties broken by the term, so the result is deterministic. ``dedupe``: see :func:`ctfidf_words`."""
    vocab = np.asarray(vocab, dtype=object)
    out: dict[int, list[tuple[str, float]]] = {}
    for row, c in enumerate(ids):
        cols = W.indices[W.indptr[row]:W.indptr[row + 1]]
        score = W.data[W.indptr[row]:W.indptr[row + 1]]
        keep = score > 0
        cols, score = cols[keep], score[keep]
        order = np.lexsort((vocab[cols].astype(str), -score))[:top_n * 3]  # ties by term: deterministic
        ranked = [(str(vocab[cols[j]]), float(score[j])) for j in order]
        out[int(c)] = (_dedupe(ranked) if dedupe else ranked)[:top_n]
    return out


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
