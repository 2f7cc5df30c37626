"""Deep models as scikit-learn estimators: fit/predict/transform, clone, Pipeline, save/load without pickle."""
import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

from textcluster.registry import make_clusterer, make_method, make_reducer, names
from textcluster.errors import InputError
from textcluster.metrics import cluster_accuracy
from textcluster import AutoEncoderKMeans
from textcluster.nn import DEC, IDEC, VAE, AutoEncoder, ClusterGAN, load_model


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = rng.choice(len(X), 300, replace=False)
    return X[keep].astype(np.float32), y[keep]


FAST = dict(hidden=(64,), batch_size=32, device="cpu", random_state=0)


def _models():
    return [AutoEncoderKMeans(10, max_epochs=10, **FAST), AutoEncoderKMeans(10, reducer="vae", beta=0.1,
                                                                            max_epochs=10, **FAST),
            AutoEncoderKMeans(10, max_epochs=10, manifold="umap", manifold_neighbors=10, **FAST),
            DEC(10, pretrain_epochs=10, max_epochs=4, **FAST), IDEC(10, pretrain_epochs=10, max_epochs=4, **FAST),
            ClusterGAN(10, max_epochs=4, **FAST)]


@pytest.mark.parametrize("model", _models(), ids=lambda m: type(m).__name__ + getattr(m, "reducer", "")
                         + ("-umap" if getattr(m, "manifold", "none") == "umap" else ""))
def test_clusterers_learn_and_round_trip(model, digits, tmp_path):
    X, y = digits
    model.fit(X)
    labels = model.labels_
    assert labels.shape == (len(X),) and labels.dtype == np.int64 and labels.min() >= 0
    floor = 0.2 if isinstance(model, ClusterGAN) else 0.5  # chance is ~0.11 (10 balanced classes)
    assert cluster_accuracy(y, labels) > floor
    np.testing.assert_array_equal(model.predict(X), labels)
    model.save(tmp_path / "m")
    files = {p.name for p in (tmp_path / "m").rglob("*")}
    assert "config.json" in files and not any(f.endswith((".pkl", ".pickle")) for f in files)
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), labels)
    assert json.loads((tmp_path / "m" / "config.json").read_text())["class"] == type(model).__name__


def test_n2d_clusters_the_umap_embedding_of_the_codes(digits):
    X, y = digits
    m = make_method("n2d", k=10, input_shape=(1, 8, 8), max_epochs=10, hidden=(64,), batch_size=32,
                    device="cpu", random_state=0).fit(X)
    assert m.manifold_ is not None and m.cluster_centers_.shape == (10, 10)  # k UMAP dimensions
    assert m.transform(X[:7]).shape == (7, 10)
    # a new point lands next to its nearest training code, so a slightly perturbed item keeps its cluster
    noisy = X + np.random.default_rng(0).normal(0, 0.01, X.shape).astype(np.float32)
    assert (m.predict(noisy) == m.labels_).mean() > 0.95
    with pytest.raises(InputError, match="manifold"):
        AutoEncoderKMeans(3, manifold="tsne", **FAST).fit(X)


def test_idec_keeps_reconstruction_and_dec_stops_on_tol(digits):
    X, _ = digits
    d = DEC(10, pretrain_epochs=3, max_epochs=30, tol=0.2, **FAST).fit(X)
    assert d.n_epochs_["cluster"] < 50 and d.delta_label_ < 0.2
    i = IDEC(10, pretrain_epochs=5, max_epochs=2, **FAST).fit(X)
    assert set(i.history_["cluster"][0]) == {"loss", "recon", "kl"}
    assert set(d.history_["cluster"][0]) == {"kl"}
    assert i.predict_proba(X[:5]).sum(1) == pytest.approx(np.ones(5), abs=1e-5)


@pytest.mark.parametrize("cls", [AutoEncoder, VAE])
def test_reducers_in_pipeline_and_clone(cls, digits, tmp_path):
    X, _ = digits
    red = cls(4, max_epochs=3, **FAST)
    c = clone(red)
    assert c.get_params() == red.get_params()
    pipe = make_pipeline(red, make_clusterer("kmeans", k=5)).fit(X)
    assert pipe.predict(X).shape == (len(X),)
    Z = red.transform(X)
    assert Z.shape == (len(X), 4) and Z.dtype == np.float32
    red.save(tmp_path / "r")
    np.testing.assert_allclose(load_model(tmp_path / "r").transform(X), Z, atol=1e-6)
    assert red.inverse_transform(Z).shape == X.shape


def test_registries_and_factory():
    assert {"ae", "vae"} <= set(names("reducer")) and {"dec", "idec", "clustergan"} <= set(names("clusterer"))
    assert isinstance(make_reducer("vae", n_components=3), VAE)
    # the text reducer's KL weight is 0.01 (beta 1 collapses pooled document vectors); callers can override
    assert make_reducer("vae").beta == 0.01 and make_reducer("vae", beta=0.5).beta == 0.5 and VAE().beta == 1.0
    assert AutoEncoderKMeans(3, reducer="vae").beta == 0.01  # vae-kmeans: the same clustering default
    m = make_clusterer("idec", k=7, random_state=5)
    assert isinstance(m, IDEC) and m.k == 7 and m.random_state == 5
    assert isinstance(make_method("clustergan", k=3), ClusterGAN)
    with pytest.raises(InputError, match="unknown method"):
        make_method("nope", k=3)


def test_conv_trunk_on_images():
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 16, 16)).astype(np.float32)
    ae = AutoEncoder(3, max_epochs=1, device="cpu").fit(X)
    assert ae.arch_ == "conv" and ae.input_shape_ == [1, 16, 16]
    assert ae.transform(X).shape == (40, 3)


def test_bad_inputs_raise_input_error(digits):
    X, _ = digits
    with pytest.raises(InputError, match="NaN"):
        AutoEncoder(device="cpu").fit(np.full((5, 3), np.nan))
    with pytest.raises(InputError, match="k="):
        DEC(50, **FAST).fit(X[:10])
    with pytest.raises(InputError, match="n_components"):
        AutoEncoder(0, device="cpu").fit(X)
    with pytest.raises(InputError, match="arch="):
        AutoEncoder(2, arch="conv", device="cpu").fit(X[:, :30])
    fitted = AutoEncoder(2, max_epochs=1, **FAST).fit(X)
    with pytest.raises(InputError, match="features"):
        fitted.transform(X[:, :10])
    with pytest.raises(InputError, match="cannot read"):
        load_model("/nonexistent/model")


def test_clustergan_losses_and_options():
    import torch

    from textcluster.nn.losses import wgan_critic_loss

    w = torch.tensor([[0.6], [0.8]])  # a linear critic with a unit-norm weight: gradient penalty 0
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.tensor([[1.0, 1.0], [2.0, 0.0]]), torch.zeros(2, 2)
    t = wgan_critic_loss(critic, real, fake, gp_weight=10.0)
    assert t["d"].item() == pytest.approx((1.4 + 1.2) / 2) and t["loss"].item() == pytest.approx(-1.3, abs=1e-5)

    X = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    assert ClusterGAN().gan_loss == "wgan-gp" and ClusterGAN().n_critic == 5
    m = ClusterGAN(3, gan_loss="standard", max_epochs=2, hidden=(16,), batch_size=16, device="cpu").fit(X)
    assert m.labels_.shape == (60,) and set(m.history_[0]) == {"d", "g", "zn", "zc"}
    # images: the paper's conv networks (64/128 channels), generator up-convolutions to the image size
    imgs = np.random.default_rng(1).random((24, 1, 16, 16)).astype(np.float32)
    g = ClusterGAN(2, max_epochs=1, batch_size=8, device="cpu").fit(imgs)
    assert g.arch_ == "conv" and g.discriminator_.trunk[0].out_channels == 64
    assert g.encoder_.trunk[2].out_channels == 128 and g.generate(3).shape == (3, 256)
    for bad in (dict(gan_loss="hinge"), dict(n_critic=0)):
        with pytest.raises(InputError):
            ClusterGAN(3, max_epochs=1, device="cpu", **bad).fit(X)


def test_steps_after_training_are_announced_when_progress_is_on(digits, capsys):
    """N2D's UMAP and KMeans have no epochs: with progress lines (piped CLI) they still say what runs."""
    from textcluster.nn.training import progress_lines

    X, _ = digits
    with progress_lines(10.0):
        AutoEncoderKMeans(4, max_epochs=1, manifold="umap", manifold_neighbors=5, **FAST).fit(X[:200])
    err = capsys.readouterr().err
    assert "umap: 200 codes" in err and "kmeans: k=4" in err and "done in" in err
    AutoEncoderKMeans(4, max_epochs=1, **FAST).fit(X[:200])  # quiet by default
    assert "kmeans" not in capsys.readouterr().err
