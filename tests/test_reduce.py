"""The neighbour-smoothing reducer (the default before KMeans)."""
import numpy as np
import pytest

from textcluster import InputError
from textcluster.reduce import NeighbourSmoother


def _blobs(seed=0, n=120, d=16, k=3, noise=0.8):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (k, d))
    y = rng.integers(0, k, n)
    return (centres[y] + rng.normal(0, noise, (n, d))).astype(np.float32), y


def test_smoothing_pulls_documents_towards_their_groups_and_reproduces_on_predict():
    X, y = _blobs()
    X[5] = 0  # an empty document stays empty
    sm = NeighbourSmoother(k=3)
    Z = sm.fit(X).transform(X)
    assert sm.n_neighbors_ == 10 and sm.train_.shape == (119, 16)  # min(10, 120 // 12); zero row left out
    assert not Z[5].any() and np.allclose(np.linalg.norm(np.delete(Z, 5, 0), axis=1), 1, atol=1e-5)
    unit = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)

    def tightness(V, labels):  # mean cosine of each vector to its own group's mean direction
        return np.mean(np.concatenate([V[labels == c] @ (m := V[labels == c].mean(0)) / np.linalg.norm(m)
                                       for c in range(3)]))
    keep = np.arange(len(X)) != 5
    assert tightness(Z[keep], y[keep]) > tightness(unit[keep], y[keep]) + 0.05
    np.testing.assert_array_equal(sm.transform(X[:7]), Z[:7])  # new rows = fitted rows when they are the same


def test_auto_neighbours_follow_the_cluster_size_and_large_inputs_pass():
    X, _ = _blobs(n=200)
    assert NeighbourSmoother(k=50).fit(X).n_neighbors_ == 2  # 200 // (4 * 50) = 1 -> at least 2
    assert NeighbourSmoother(k=10).fit(X).n_neighbors_ == 5
    assert NeighbourSmoother().fit(X).n_neighbors_ == 10
    big = NeighbourSmoother(max_rows=100).fit(X)
    assert big.skipped_ and big.train_.shape == (0, 16)
    np.testing.assert_array_equal(big.transform(X), X)


@pytest.mark.parametrize("bad", [{"n_neighbors": 0}, {"n_neighbors": "many"}, {"alpha": -1}, {"alpha": True}])
def test_bad_settings_are_input_errors(bad):
    with pytest.raises(InputError):
        NeighbourSmoother(**bad).fit(np.ones((5, 3), np.float32))
