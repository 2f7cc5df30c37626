import numpy as np
import pytest

from textcluster import HDBSCANClusterer, InputError, KMeansClusterer, cluster_accuracy, external_scores, make_clusterer
from textcluster.cluster import assign_to_nearest
from textcluster.metrics import silhouette


@pytest.fixture(scope="module")
def blobs():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=0)
    return X.astype(np.float32), y


def test_kmeans_recovers_blobs_and_predicts(blobs):
    X, y = blobs
    km = KMeansClusterer(4, random_state=0).fit(X)
    assert external_scores(y, km.labels_)["nmi"] > 0.99
    np.testing.assert_array_equal(km.predict(X), km.labels_)


def test_kmeans_refuses_k_above_n():
    with pytest.raises(InputError, match="fewer documents"):
        KMeansClusterer(5).fit(np.zeros((3, 2)))


def test_hdbscan_noise_and_reassignment(blobs):
    X, y = blobs
    rng = np.random.default_rng(0)
    Xn = np.vstack([X, rng.uniform(-15, 15, size=(30, 2)).astype(np.float32)])
    h = HDBSCANClusterer(min_cluster_size=10).fit(Xn)
    assert h.noise_fraction_ > 0 and (h.labels_ == -1).any()
    assert len(set(h.labels_[:300]) - {-1}) == 4
    h2 = HDBSCANClusterer(min_cluster_size=10, assign_noise=True).fit(Xn)
    assert (h2.labels_ >= 0).all()
    assert (h2.predict(X[:20]) >= 0).all()


def test_assign_to_nearest():
    X = np.array([[0, 0], [10, 10], [1, 1], [9, 9]], dtype=np.float32)
    out = assign_to_nearest(X, np.array([0, 1, -1, -1]))
    np.testing.assert_array_equal(out, [0, 1, 0, 1])


def test_factory():
    assert make_clusterer("kmeans", k=7).k == 7
    with pytest.raises(InputError, match="unknown clusterer"):
        make_clusterer("spectral")


def test_accuracy_hungarian_and_noise():
    assert cluster_accuracy(["a", "a", "b", "b"], [1, 1, 0, 0]) == 1.0
    assert cluster_accuracy(["a", "a", "b", "b"], [0, 0, 0, 0]) == 0.5
    assert cluster_accuracy(["a", "b", "c"], [-1, -1, 0]) == pytest.approx(2 / 3)
    s = external_scores(["a", "a", "b", "b"], [1, 1, 0, 0])
    assert s["nmi"] == pytest.approx(1.0) and s["ari"] == pytest.approx(1.0) and s["v_measure"] == pytest.approx(1.0)


def test_silhouette_undefined_cases(blobs):
    X, y = blobs
    assert silhouette(X, y, metric="euclidean") > 0.5
    assert silhouette(X, np.zeros(len(X), int)) is None


def test_self_training_refinement_on_blobs():
    """refined-kmeans: rounds=0 is the base KMeans; with rounds, predict reproduces labels_, history is kept."""
    from sklearn.datasets import make_blobs

    from textcluster.cluster import KMeansClusterer
    from textcluster.refine import SelfTrainingClusterer

    X, y = make_blobs(400, centers=4, cluster_std=1.0, center_box=(-8, 8), random_state=1)
    X = X.astype(np.float32)
    plain = SelfTrainingClusterer(k=4, rounds=0).fit(X)
    assert np.array_equal(plain.labels_, KMeansClusterer(4).fit(X).labels_) and plain.history_ == []
    r = SelfTrainingClusterer(k=4, rounds=3, keep=0.5).fit(X)
    assert r.history_ and all(0 <= h["changed"] <= 1 for h in r.history_)
    assert np.array_equal(r.predict(X), r.labels_)
    assert external_scores(y, r.labels_)["nmi"] > 0.8
    with pytest.raises(ValueError, match="keep"):
        SelfTrainingClusterer(k=4, keep=0).fit(X)
