"""DeepWalk (Perozzi et al. 2014) word vectors: weighted random walks over the word co-occurrence graph,
then skip-gram over the walks (the same gensim helper as Word2Vec).

The graph is a networkx ``Graph`` built from the co-occurrence matrix (edge weight = count, or PPMI);
optionally documents are nodes too, joined to their words, so that every training document gets a vector
from the walks directly. Walks are generated for all walkers at once, one step at a time, over the graph's
CSR arrays: each row's cumulative edge weights plus ``searchsorted`` on uniform draws (no Python loop per
step of a walk).
"""
from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from ..cooccurrence import fit_counter, keyed_vectors, ppmi
from ..errors import InputError, check_int, count_tokens, resolve_seed
from .skipgram import train_skipgram

__all__ = ["DeepWalkEmbedder", "cooccurrence_graph", "graph_arrays", "random_walks", "DOC_PREFIX"]

logger = logging.getLogger(__name__)

#: prefix of document node names in the graph (cannot collide with a token: tokens never start with NUL).
DOC_PREFIX = "\x00doc"


def cooccurrence_graph(X: sp.spmatrix, words: Sequence[str], *, weight: str = "count",
                       doc_term: sp.spmatrix | None = None, max_degree: int | None = None):
    """networkx ``Graph`` of words (and optionally documents) from a symmetric co-occurrence matrix.

    Parameters
    ----------
    X : sparse (V, V), symmetric non-negative co-occurrence counts
    words : sequence of V str, node names
    weight : {"count", "ppmi"}
        Edge weight: the (distance-weighted) count, or positive PMI (:func:`textcluster.cooccurrence.ppmi`).
    doc_term : sparse (n, V), optional
        Document-word weights; document ``i`` becomes node ``f"{DOC_PREFIX}{i}"`` joined to its words.
        Word-word weights are rescaled so that the two edge kinds have the same total weight.
    max_degree : int, optional
        Keep only each word's ``max_degree`` heaviest word edges (an edge stays if either end keeps it).

    Returns
    -------
    networkx.Graph with a ``weight`` on every edge; self-loops dropped.
    """
    import networkx as nx

    if weight not in ("count", "ppmi"):
        raise InputError(f"weight must be 'count' or 'ppmi', got {weight!r}")
    W = ppmi(X) if weight == "ppmi" else sp.csr_matrix(X, dtype=np.float32)
    W = sp.triu(W, k=1, format="csr")  # X is symmetric: one entry per undirected edge, self-loops dropped
    if max_degree is not None:
        W = _top_k(W + W.T, int(max_degree))
        W = sp.triu(W.maximum(W.T), k=1, format="coo")
    W = W.tocoo()
    if doc_term is not None:
        D = sp.coo_matrix(doc_term, dtype=np.float64)
        scale = float(D.sum()) / max(float(W.sum()), 1e-12)
        W = sp.coo_matrix((W.data * scale, (W.row, W.col)), shape=W.shape)
    G = nx.Graph()
    G.add_nodes_from(words)
    names = np.asarray(words, dtype=object)
    G.add_weighted_edges_from(zip(names[W.row].tolist(), names[W.col].tolist(), W.data.astype(float).tolist()))
    if doc_term is not None:
        docs = [f"{DOC_PREFIX}{i}" for i in range(D.shape[0])]
        G.add_nodes_from(docs)
        dn = np.asarray(docs, dtype=object)
        G.add_weighted_edges_from(zip(dn[D.row].tolist(), names[D.col].tolist(), D.data.astype(float).tolist()))
    return G


def _top_k(W: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row of a CSR matrix."""
    W = W.tocsr()
    W.sort_indices()
    deg = np.diff(W.indptr)
    if deg.max(initial=0) <= k:
        return W
    row = np.repeat(np.arange(W.shape[0]), deg)
    # Order each row by decreasing weight: sort by (row, -weight), then rank within the row.
    order = np.lexsort((-W.data, row))
    rank = np.arange(len(order)) - np.repeat(W.indptr[:-1], deg)
    keep = order[rank < k]
    return sp.csr_matrix((W.data[keep], (row[keep], W.indices[keep])), shape=W.shape)


def graph_arrays(G, nodes: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of ``G`` in the order ``nodes``: ``indptr`` (N+1,), ``indices`` (E,), ``weights`` (E,)."""
    import networkx as nx

    A = nx.to_scipy_sparse_array(G, nodelist=list(nodes), weight="weight", dtype=np.float64, format="csr")
    A.sort_indices()
    return A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(np.float64)


def random_walks(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, *, walks_per_node: int = 10,
                 walk_length: int = 40, start_nodes: np.ndarray | None = None,
                 rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """Weighted random walks, all walkers advanced together one step at a time.

    A walker at node ``v`` moves to neighbour ``indices[k]`` with probability ``weights[k] / sum(row v)``:
    the draw ``u ~ U[0, 1)`` is mapped to ``start_cum[v] + u * rowsum[v]`` and located by ``searchsorted``
    in the global cumulative weights. A walker at a node without edges stays there.

    Parameters
    ----------
    indptr, indices, weights : CSR arrays of the graph (N+1,), (E,), (E,), weights > 0
    walks_per_node : int
        Walks started from every start node (in a shuffled order).
    walk_length : int
        Nodes per walk, the start included.
    start_nodes : int array, optional
        Nodes walks start from (default: every node).
    rng : numpy Generator or int seed

    Returns
    -------
    walks : int32 array (n_start * walks_per_node, walk_length) of node ids
    """
    rng = np.random.default_rng(rng)
    N = len(indptr) - 1
    if walk_length < 1 or walks_per_node < 1:
        raise InputError("walk_length and walks_per_node must be >= 1")
    starts = np.arange(N, dtype=np.int64) if start_nodes is None else np.asarray(start_nodes, dtype=np.int64)
    cur = np.concatenate([rng.permutation(starts) for _ in range(walks_per_node)])
    walks = np.empty((len(cur), walk_length), dtype=np.int32)
    walks[:, 0] = cur
    if walk_length == 1 or len(indices) == 0:
        walks[:] = cur[:, None]
        return walks
    cum = np.cumsum(weights, dtype=np.float64)
    start_cum = np.concatenate([[0.0], cum])[indptr[:-1]]
    row_sum = np.concatenate([[0.0], cum])[indptr[1:]] - start_cum
    deg = np.diff(indptr)
    for step in range(1, walk_length):
        u = rng.random(len(cur))
        pos = np.searchsorted(cum, start_cum[cur] + u * row_sum[cur], side="right")
        # Rounding can land one past the row's last edge; clamp into the row.
        pos = np.minimum(np.maximum(pos, indptr[cur]), indptr[cur + 1] - 1)
        nxt = np.where(deg[cur] > 0, indices[np.maximum(pos, 0)], cur)
        walks[:, step] = nxt
        cur = nxt
    return walks


class _WalkSentences:
    """Re-iterable view of the walks as lists of node names (what gensim reads)."""

    def __init__(self, walks: np.ndarray, names: np.ndarray):
        self.walks = walks
        self.names = names

    def __len__(self) -> int:
        return len(self.walks)

    def __iter__(self):
        names = self.names
        for s in range(0, len(self.walks), 4096):
            for row in names[self.walks[s:s + 4096]].tolist():
                yield row


class DeepWalkEmbedder(BaseEstimator):
    """DeepWalk word vectors from the word co-occurrence graph; the vectors end in ``wv_`` (KeyedVectors).

    Parameters
    ----------
    vector_size : int
        Dimension d.
    window : int
        Co-occurrence window that defines the graph's edges.
    min_count : int or "auto"
        Minimum word frequency of a graph node ("auto" scales with corpus size).
    max_vocab : int, optional
        Keep at most this many words.
    weight : {"count", "ppmi"}
        Edge weights: distance-weighted co-occurrence counts, or positive PMI.
    max_degree : int, optional
        Keep each word's heaviest ``max_degree`` word edges (None: all). The default 100 prunes the long tail
        of weak edges, which made the graph smaller and faster to build and walk without hurting clustering
        quality in our probes.
    document_nodes : bool
        Add every document as a node joined to its words (tf-idf weights), so that training documents get
        vectors from the walks (``doc_vectors_``).
    walks_per_node, walk_length : int
        Walks started from each node and their length.
    skipgram_window, negative, sample, epochs : skip-gram settings over the walks.
    workers : int
        Skip-gram threads (1 = deterministic).
    random_state : int or None
        Seeds the walks and the skip-gram.

    Attributes
    ----------
    wv_ : gensim KeyedVectors (V, d), word vectors
    doc_vectors_ : float32 array (n, d) or None, vectors of the training documents (document_nodes=True)
    n_nodes_, n_edges_, n_steps_ : int, graph size and walk steps generated
    seconds_ : dict, wall seconds of ``cooccurrence``, ``graph``, ``walks``, ``skipgram``
    """

    def __init__(self, *, vector_size: int = 100, window: int = 10, min_count: int | str = "auto",
                 max_vocab: int | None = None, weight: str = "ppmi", max_degree: int | None = 100,
                 document_nodes: bool = False, walks_per_node: int = 10, walk_length: int = 40,
                 skipgram_window: int = 5, negative: int = 5, sample: float = 1e-3, epochs: int = 1,
                 workers: int = 1, random_state: int | None = 0):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.weight = weight
        self.max_degree = max_degree
        self.document_nodes = document_nodes
        self.walks_per_node = walks_per_node
        self.walk_length = walk_length
        self.skipgram_window = skipgram_window
        self.negative = negative
        self.sample = sample
        self.epochs = epochs
        self.workers = workers
        self.random_state = random_state

    def _validate(self) -> None:
        for name in ("vector_size", "window", "walks_per_node", "walk_length", "skipgram_window", "epochs",
                     "workers"):
            check_int(name, getattr(self, name))
        if self.weight not in ("count", "ppmi"):
            raise InputError(f"weight must be 'count' or 'ppmi', got {self.weight!r}")
        if self.max_degree is not None and (not isinstance(self.max_degree, (int, np.integer)) or self.max_degree < 1):
            raise InputError(f"max_degree must be None or a positive int, got {self.max_degree!r}")

    def fit(self, token_docs: Sequence[Sequence[str]], y=None) -> "DeepWalkEmbedder":
        """Build the graph of ``token_docs`` (n token lists), walk it and train skip-gram on the walks."""
        self._validate()
        n_tokens = count_tokens(token_docs)
        seed = resolve_seed(self.random_state)
        t0 = time.perf_counter()
        counter = fit_counter(token_docs, window=self.window, min_count=self.min_count, n_tokens=n_tokens,
                              max_vocab=self.max_vocab)
        words = counter.words_
        V = len(words)
        doc_term = _doc_term(token_docs, counter.key_to_index_) if self.document_nodes else None
        t1 = time.perf_counter()
        G = cooccurrence_graph(counter.matrix_, words, weight=self.weight, doc_term=doc_term,
                               max_degree=self.max_degree)
        nodes = list(words) + ([f"{DOC_PREFIX}{i}" for i in range(len(token_docs))] if self.document_nodes else [])
        indptr, indices, weights = graph_arrays(G, nodes)
        self.n_nodes_, self.n_edges_ = G.number_of_nodes(), G.number_of_edges()
        del G
        t2 = time.perf_counter()
        walks = random_walks(indptr, indices, weights, walks_per_node=self.walks_per_node,
                             walk_length=self.walk_length, rng=np.random.default_rng([seed, 1]))
        self.n_steps_ = int(walks.shape[0] * (walks.shape[1] - 1))
        t3 = time.perf_counter()
        names = np.asarray(nodes, dtype=object)
        kv_all = train_skipgram(_WalkSentences(walks, names), vector_size=self.vector_size,
                                window=self.skipgram_window, sg=1, negative=self.negative, sample=self.sample,
                                min_count=1, epochs=self.epochs, workers=self.workers, seed=seed,
                                shuffle=False)  # the walks' start nodes are already in a shuffled order
        t4 = time.perf_counter()
        self.wv_ = keyed_vectors(words, np.stack([kv_all[w] for w in words]) if V else
                                 np.zeros((0, self.vector_size), np.float32), counter.counts_)
        self.doc_vectors_ = None
        if self.document_nodes:
            self.doc_vectors_ = np.stack([kv_all[f"{DOC_PREFIX}{i}"] for i in range(len(token_docs))]).astype(np.float32)
        self.counts_ = counter.counts_
        self.min_count_ = int(counter.min_count)
        self.n_tokens_ = int(n_tokens)
        self.seconds_ = {"cooccurrence": round(t1 - t0, 3), "graph": round(t2 - t1, 3),
                         "walks": round(t3 - t2, 3), "skipgram": round(t4 - t3, 3)}
        logger.info("deepwalk: %d nodes, %d edges, %d steps in %.2f s (%.0f steps/s)", self.n_nodes_,
                    self.n_edges_, self.n_steps_, t3 - t2, self.n_steps_ / max(t3 - t2, 1e-9))
        return self


def _doc_term(token_docs, key_to_index: dict) -> sp.csr_matrix:
    """Document x word tf-idf weights (sublinear tf, smoothed idf), shape (n, V)."""
    rows, cols = [], []
    get = key_to_index.get
    for i, doc in enumerate(token_docs):
        ids = [j for j in map(get, doc) if j is not None]
        cols.extend(ids)
        rows.extend([i] * len(ids))
    n, V = len(token_docs), len(key_to_index)
    tf = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n, V))  # duplicates summed
    tf.data = 1.0 + np.log(tf.data)
    df = np.bincount(tf.indices, minlength=V)
    idf = np.log((1 + n) / (1 + df)) + 1.0
    return sp.csr_matrix(tf.multiply(idf[None, :]))
