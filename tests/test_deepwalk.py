"""DeepWalk: the networkx graph, vectorised weighted walks (edges followed, frequencies match weights),
determinism, document nodes."""
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from textcluster import DeepWalkEmbedder, InputError, make_embedder
from textcluster.embed.deepwalk import DOC_PREFIX, cooccurrence_graph, graph_arrays, random_walks


@pytest.fixture(scope="module")
def small_graph():
    # 0 - 1 (weight 1), 0 - 2 (weight 3), 1 - 2 (weight 2); node 3 isolated
    X = sp.csr_matrix(np.array([[0, 1, 3, 0], [1, 0, 2, 0], [3, 2, 0, 0], [0, 0, 0, 0]], dtype=np.float32))
    return X, ["a", "b", "c", "d"]


def test_graph_is_networkx_with_count_weights(small_graph):
    X, words = small_graph
    G = cooccurrence_graph(X, words)
    assert isinstance(G, nx.Graph) and G.number_of_nodes() == 4 and G.number_of_edges() == 3
    assert G["a"]["c"]["weight"] == 3 and G["b"]["c"]["weight"] == 2
    indptr, indices, weights = graph_arrays(G, words)
    np.testing.assert_array_equal(sp.csr_matrix((weights, indices, indptr), shape=(4, 4)).toarray(), X.toarray())
    P = cooccurrence_graph(X, words, weight="ppmi")
    assert all(d["weight"] > 0 for _, _, d in P.edges(data=True))
    top = cooccurrence_graph(X, words, max_degree=1)
    assert top.has_edge("a", "c") and not top.has_edge("a", "b")  # a's and b's heaviest edges go to c


def test_walks_follow_edges_with_weight_frequencies(small_graph):
    X, words = small_graph
    indptr, indices, weights = graph_arrays(cooccurrence_graph(X, words), words)
    walks = random_walks(indptr, indices, weights, walks_per_node=500, walk_length=6, rng=0)
    assert walks.shape == (2000, 6) and walks.dtype == np.int32
    A = X.toarray()
    src, dst = walks[:, :-1].ravel(), walks[:, 1:].ravel()
    moving = src != 3
    assert np.all(A[src[moving], dst[moving]] > 0)  # every step follows an edge
    assert np.all(dst[~moving] == 3)  # a node without edges keeps its walker
    for v in range(3):
        seen = np.bincount(dst[src == v], minlength=4) / (src == v).sum()
        np.testing.assert_allclose(seen, A[v] / A[v].sum(), atol=0.03)
    assert sorted(np.bincount(walks[:, 0]).tolist()) == [500] * 4
    np.testing.assert_array_equal(walks, random_walks(indptr, indices, weights, walks_per_node=500,
                                                      walk_length=6, rng=0))


def test_deepwalk_embedder_deterministic_and_documents(demo_docs):
    from textcluster import SpacyTokenizer

    tokens = SpacyTokenizer().fit().transform([d.text for d in demo_docs[:120]])
    kw = dict(vector_size=8, walks_per_node=2, walk_length=10, random_state=3)
    a = DeepWalkEmbedder(**kw).fit(tokens)
    b = DeepWalkEmbedder(**kw).fit(tokens)
    assert a.wv_.index_to_key == b.wv_.index_to_key and len(a.wv_) > 50
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    assert a.doc_vectors_ is None and a.n_steps_ == a.n_nodes_ * 2 * 9
    assert set(a.seconds_) == {"cooccurrence", "graph", "walks", "skipgram"}
    d = DeepWalkEmbedder(document_nodes=True, weight="count", **kw).fit(tokens)
    assert d.doc_vectors_.shape == (120, 8) and d.n_nodes_ == len(d.wv_) + 120
    assert not any(w.startswith(DOC_PREFIX) for w in d.wv_.index_to_key)
    X = make_embedder("deepwalk", pooling="tfidf", vector_size=8, walks_per_node=1).fit_transform(tokens)
    assert X.shape == (120, 8)


@pytest.mark.parametrize("bad, match", [({"weight": "cosine"}, "weight"), ({"walk_length": 0}, "walk_length"),
                                        ({"max_degree": 0}, "max_degree")])
def test_bad_arguments(bad, match):
    with pytest.raises(InputError, match=match):
        DeepWalkEmbedder(**bad).fit([["a", "b", "a"]])
