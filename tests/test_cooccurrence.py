"""Co-occurrence counting: vectorised counts equal a brute-force count; vocabulary; PPMI."""
import numpy as np
import pytest
import scipy.sparse as sp

from textcluster import InputError
from textcluster.cooccurrence import CooccurrenceCounter, build_vocabulary, count_cooccurrences, ppmi


def brute_force(docs, key_to_index, window, harmonic=True):
    V = len(key_to_index)
    X = np.zeros((V, V))
    for doc in docs:
        ids = [key_to_index[w] for w in doc if w in key_to_index]  # OOV dropped before windowing
        for a in range(len(ids)):
            for d in range(1, window + 1):
                if a + d < len(ids):
                    w = 1.0 / d if harmonic else 1.0
                    X[ids[a], ids[a + d]] += w
                    X[ids[a + d], ids[a]] += w
    return X


@pytest.fixture(scope="module")
def random_docs():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    return [[words[j] for j in rng.integers(0, 30, size=rng.integers(0, 25))] for _ in range(60)]


@pytest.mark.parametrize("window", [1, 3, 10])
@pytest.mark.parametrize("chunk_tokens", [5, 1_000_000])
def test_counts_equal_brute_force(random_docs, window, chunk_tokens):
    words, _ = build_vocabulary(random_docs, min_count=3)
    k2i = {w: i for i, w in enumerate(words)}
    X = count_cooccurrences(random_docs, k2i, window=window, chunk_tokens=chunk_tokens)
    assert X.dtype == np.float32 and X.shape == (len(words), len(words))
    np.testing.assert_allclose(X.toarray(), brute_force(random_docs, k2i, window), rtol=1e-5)
    assert (X != X.T).nnz == 0


def test_uniform_weighting_and_no_crossing_documents():
    docs = [["a", "b"], ["c", "a"]]
    k2i = {"a": 0, "b": 1, "c": 2}
    X = count_cooccurrences(docs, k2i, window=5, weighting="uniform").toarray()
    assert X[0, 1] == 1 and X[0, 2] == 1 and X[1, 2] == 0  # b and c are in different documents
    X = count_cooccurrences([["a", "x", "x", "b"]], k2i, window=1).toarray()
    assert X[0, 1] == 1  # out-of-vocabulary tokens are dropped before windowing


def test_vocabulary_order_and_limits():
    docs = [["b", "a", "a", "c", "c", "c", "d"]]
    words, counts = build_vocabulary(docs, min_count=1)
    assert words == ["c", "a", "b", "d"] and counts.tolist() == [3, 2, 1, 1]
    assert build_vocabulary(docs, min_count=2)[0] == ["c", "a"]
    assert build_vocabulary(docs, max_vocab=1)[0] == ["c"]
    with pytest.raises(InputError, match="min_count"):
        build_vocabulary(docs, min_count=0)


def test_ppmi_matches_dense_formula():
    rng = np.random.default_rng(1)
    A = rng.poisson(1.0, size=(6, 6)).astype(float)
    A = A + A.T
    P = ppmi(sp.csr_matrix(A), alpha=1.0).toarray()
    total = A.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(A * total / np.outer(A.sum(1), A.sum(0)))
    np.testing.assert_allclose(P, np.where(pmi > 0, pmi, 0), rtol=1e-5, atol=1e-6)


def test_counter_estimator_and_errors(random_docs):
    c = CooccurrenceCounter(window=2, min_count=2).fit(random_docs)
    assert c.matrix_.shape == (len(c.words_),) * 2 and c.key_to_index_[c.words_[0]] == 0
    assert c.n_tokens_ == sum(map(len, random_docs))
    with pytest.raises(InputError, match="window"):
        CooccurrenceCounter(window=0).fit(random_docs)
    with pytest.raises(InputError, match="min_count"):
        CooccurrenceCounter(min_count=10_000).fit(random_docs)
    with pytest.raises(InputError, match="no tokens"):
        CooccurrenceCounter().fit([[], []])
    with pytest.raises(InputError, match="generator"):
        CooccurrenceCounter().fit(d for d in random_docs)
