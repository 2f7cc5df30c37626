"""shift-umap: UMAP of shift-tolerant neighbours + KMeans, the `images` default for small sets."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from textcluster.errors import InputError, ModelFileError
from textcluster.feature_jobs import auto_image_method
from textcluster.metrics import external_scores
from textcluster.nn import load_model
from textcluster.shift_umap import MAX_ITEMS, ShiftUMAPKMeans, shift_knn


def _strokes(n_per=40, side=12, seed=0):
    """Three classes of 12x12 images (a vertical bar, a horizontal bar, a diagonal), each moved by -1..1 px."""
    rng = np.random.default_rng(seed)
    base = np.zeros((3, side, side), np.float32)
    base[0, 2:10, 5:7] = 1
    base[1, 5:7, 2:10] = 1
    base[2, np.arange(2, 10), np.arange(2, 10)] = 1
    X, y = [], []
    for c in range(3):
        for _ in range(n_per):
            dy, dx = rng.integers(-1, 2, size=2)
            X.append(np.roll(base[c], (dy, dx), axis=(0, 1)) + rng.normal(0, 0.05, (side, side)))
            y.append(c)
    return np.asarray(X, np.float32).reshape(len(X), -1), np.asarray(y)


def test_shift_knn_finds_a_moved_copy_only_with_shifts():
    X, _ = _strokes(n_per=1)
    moved = np.roll(X[0].reshape(12, 12), 1, axis=1).reshape(1, -1)
    idx, dist = shift_knn(moved, X, (1, 12, 12), shift=1, k=1)
    assert idx[0, 0] == 0 and dist[0, 0] < 0.02
    _, dist0 = shift_knn(moved, X, (1, 12, 12), shift=0, k=1)
    assert dist0[0, 0] > 0.3  # without shifts the moved bar barely overlaps itself


def test_fit_predict_save_load_and_reproducible(tmp_path):
    X, y = _strokes()
    m = ShiftUMAPKMeans(3, input_shape=(1, 12, 12), n_neighbors=10, random_state=0).fit(X)
    assert external_scores(y, m.labels_)["acc"] == 1.0
    assert (m.predict(X) == m.labels_).all()  # a training item maps to its own coordinates
    again = ShiftUMAPKMeans(3, input_shape=(1, 12, 12), n_neighbors=10, random_state=0).fit(X)
    assert (again.labels_ == m.labels_).all()
    m.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, ShiftUMAPKMeans) and (loaded.predict(X[:20]) == m.labels_[:20]).all()
    np.save(tmp_path / "model" / "embedding.npy", np.zeros((5, 10), np.float32))  # no longer fits train.npy
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "model")
    (tmp_path / "model" / "train.npy").write_bytes(b"not an array")
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "model")


def test_digits_images_beat_kmeans_on_pixels():
    d = load_digits()
    X, y = (d.data / 16.0).astype(np.float32), d.target  # 1,797 images: 0.89 against 0.79
    m = ShiftUMAPKMeans(10, input_shape=(1, 8, 8), random_state=0).fit(X)
    from sklearn.cluster import KMeans
    base = KMeans(10, n_init=10, random_state=0).fit_predict(X)
    assert external_scores(y, m.labels_)["acc"] > external_scores(y, base)["acc"]


def test_plain_rows_and_bad_input():
    X, y = _strokes()
    m = ShiftUMAPKMeans(3, random_state=0).fit(X)  # no image shape: cosine neighbours of the rows
    assert m.train_ is not None and len(m.labels_) == len(X)
    with pytest.raises(InputError):
        ShiftUMAPKMeans(3, input_shape=(1, 5, 5)).fit(X)  # shape does not match 144 values
    with pytest.raises(InputError):
        ShiftUMAPKMeans(500, input_shape=(1, 12, 12)).fit(X)  # more clusters than items
    with pytest.raises(InputError):
        ShiftUMAPKMeans(3, input_shape=(1, 12, 12), shift=-1).fit(X)


def test_auto_image_method_follows_the_set_and_image_size():
    assert auto_image_method(3000, (1, 28, 28))[0] == "shift-umap"
    assert auto_image_method(MAX_ITEMS + 1, (1, 28, 28))[0] == "n2d"
    assert auto_image_method(1797, (1, 8, 8))[0] == "n2d"  # small images: the MLP autoencoder trains fully
