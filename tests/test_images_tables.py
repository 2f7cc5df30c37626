"""Image and table readers, dataset loaders, and the `textcluster images` / `textcluster table` commands."""
import gzip
import json
import struct

import numpy as np
import pytest
from typer.testing import CliRunner

from textcluster import datasets
from textcluster.cli import app
from textcluster.errors import InputError
from textcluster.images import read_idx, read_images
from textcluster.tabular import read_table

runner = CliRunner()


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(head + arr.tobytes())


@pytest.fixture()
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "mnist"
    d.mkdir()
    _write_idx(d / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (12, 28, 28)))
    _write_idx(d / "train-labels-idx1-ubyte.gz", np.arange(12) % 3)
    _write_idx(d / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (5, 28, 28)))
    _write_idx(d / "t10k-labels-idx1-ubyte.gz", np.arange(5) % 3)
    return d


def test_idx_reader_and_mnist_loader(mnist_like, monkeypatch):
    a = read_idx(mnist_like / "train-images-idx3-ubyte.gz")
    assert a.shape == (12, 28, 28) and a.dtype == np.uint8
    ds = read_images(mnist_like)
    assert ds.X.shape == (17, 1, 28, 28) and ds.X.max() <= 1 and list(ds.labels[:4]) == [0, 1, 2, 0]
    assert ds.ids[0] == "train/0" and ds.ids[-1] == "t10k/4"
    monkeypatch.setenv("TEXTCLUSTER_DATA", str(mnist_like.parent))
    assert len(datasets.load_mnist(split="test").X) == 5
    assert len(datasets.load_mnist(limit=3).X) == 3
    with pytest.raises(InputError, match="fashion-mnist"):
        datasets.load_fashion_mnist()


def test_idx_errors(tmp_path):
    bad = tmp_path / "x-images-idx3-ubyte"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(InputError, match="not an idx file"):
        read_idx(bad)
    short = tmp_path / "y-images-idx3-ubyte"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * 3)
    with pytest.raises(InputError, match="truncated"):
        read_idx(short)


def test_npy_npz_and_png_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (6, 8, 8)).astype(np.uint8)
    np.save(tmp_path / "a.npy", imgs)
    assert read_images(tmp_path / "a.npy").X.shape == (6, 1, 8, 8)
    np.savez(tmp_path / "b.npz", X=imgs, y=np.arange(6) % 2)
    ds = read_images(tmp_path / "b.npz")
    assert list(ds.labels) == [0, 1, 0, 1, 0, 1]
    for i, im in enumerate(imgs):
        sub = tmp_path / "png" / ("odd" if i % 2 else "even")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(im).save(sub / f"{i}.png")
    ds = read_images(tmp_path / "png")
    assert ds.X.shape == (6, 1, 8, 8) and sorted(set(ds.labels)) == ["even", "odd"]
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "png" / "odd" / "small.png")
    with pytest.raises(InputError, match="differ in size"):
        read_images(tmp_path / "png")


def test_digits_loader():
    ds = datasets.load_digits()
    assert ds.X.shape == (1797, 1, 8, 8) and ds.X.max() == 1.0 and len(set(ds.labels)) == 10


def test_table_reader_standardises_and_refuses_missing(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,a,b,name,label\nr1,1,10,x,u\nr2,2,,y,v\nr3,3,30,z,u\n")
    with pytest.raises(InputError, match=r"missing values in column\(s\) b.*--impute"):
        read_table(p)
    t = read_table(p, impute="mean", scale="standard")
    assert t.columns[:2] == ["a", "b"] and t.ids == ["r1", "r2", "r3"] and list(t.labels) == ["u", "v", "u"]
    assert t.skipped == ["name"]  # a text column with a distinct value per row is no category
    np.testing.assert_allclose(t.X[:, :2].mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(t.X[:, :2].std(0), 1, atol=1e-6)
    assert read_table(p, impute="drop").ids == ["r1", "r3"]
    with pytest.raises(InputError, match="--label-field"):
        read_table(p, label_field="nope", impute="mean")


def test_cli_images_and_table(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 20)) * 4
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + rng.normal(size=(90, 20))
    np.savez(tmp_path / "x.npz", X=X.astype(np.float32), y=y)
    out = tmp_path / "out"
    r = runner.invoke(app, ["images", str(tmp_path / "x.npz"), "--method", "idec", "--epochs", "3",
                            "--pretrain-epochs", "5", "--device", "cpu", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_docs"] == 90 and m["n_clusters"] <= 3 and m["acc"] > 0.6 and m["config"]["method"] == "idec"
    assert (out / "assignments.csv").read_text().splitlines()[0] == "id,cluster,label"
    assert (out / "model" / "weights.safetensors").exists()

    # `images` chooses its method (metrics.json says which and why): shift-umap for a small set of images of
    # 16x16 pixels or more (no training)
    imgs = np.zeros((90, 16, 16), np.float32)
    for i, c in enumerate(y):
        imgs[i, 3 + 4 * c:6 + 4 * c, 2:14] = 1.0
    np.savez(tmp_path / "img.npz", X=imgs + rng.normal(0, 0.05, imgs.shape).astype(np.float32), y=y)
    r = runner.invoke(app, ["images", str(tmp_path / "img.npz"), "--out", str(tmp_path / "auto"), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "auto" / "metrics.json").read_text())
    assert m["config"]["method"] == "shift-umap" and m["config"]["method_requested"] == "auto" and m["acc"] > 0.9
    assert "90 images" in m["config"]["method_reason"] and (tmp_path / "auto" / "model" / "train.npy").exists()
    # N2D (autoencoder, UMAP of the codes, KMeans), the default above 20,000 images
    r = runner.invoke(app, ["images", str(tmp_path / "x.npz"), "--method", "n2d", "--epochs", "5", "--device",
                            "cpu", "--out", str(tmp_path / "n2d"), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "n2d" / "metrics.json").read_text())
    assert m["config"]["method"] == "n2d" and m["acc"] > 0.9
    assert (tmp_path / "n2d" / "model" / "manifold_embedding.npy").exists()

    csv = tmp_path / "t.csv"
    csv.write_text("label," + ",".join(f"f{i}" for i in range(20)) + "\n" +
                   "\n".join(f"{c}," + ",".join(f"{v:.4f}" for v in row) for c, row in zip(y, X)) + "\n")
    # --arch picks the trunk: mlp on images (the DEC/IDEC papers' network); conv needs an image shape
    r = runner.invoke(app, ["images", str(tmp_path / "x.npz"), "--method", "ae-kmeans", "--arch", "mlp", "--epochs",
                            "2", "--device", "cpu", "--out", str(tmp_path / "mlp"), "-q"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((tmp_path / "mlp" / "model" / "config.json").read_text())
    assert cfg["params"]["arch"] == "mlp"
    assert json.loads((tmp_path / "mlp" / "metrics.json").read_text())["config"]["device"] == "cpu"
    from textcluster.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["table", str(csv), "--method", "ae-kmeans", "--arch", "conv", "--out", str(tmp_path / "conv")])
    assert exc.value.code == 2 and not (tmp_path / "conv").exists()
    r = runner.invoke(app, ["table", str(csv), "--method", "kmeans", "--out", str(tmp_path / "o2"), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "o2" / "metrics.json").read_text())
    assert m["acc"] == 1.0 and m["config"]["columns"][0] == "f0"


def test_cli_errors_exit_2(tmp_path):
    from textcluster.cli import main

    csv = tmp_path / "m.csv"
    csv.write_text("a,b\n1,\n2,3\n")
    for argv in (["table", str(csv), "--out", str(tmp_path / "o")],
                 ["images", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "o")],
                 ["images", str(csv), "--method", "nope"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_choose_scale_follows_the_data():
    from textcluster.tabular import choose_scale, scale_columns

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 17, (200, 16)).astype(float)
    pixels[:, 0] = 0
    pixels[:, 1] = rng.integers(0, 3, 200)  # a near-blank border column stays small: no per-column scaling
    assert choose_scale(pixels)[0] == "none"
    units = np.column_stack([rng.normal(0, 1, 300), rng.normal(500, 200, 300), rng.normal(0, 0.01, 300)])
    assert choose_scale(units)[0] == "standard"
    tails = np.column_stack([rng.lognormal(0, 1.5, 300) * 1000, rng.normal(0, 1, 300), rng.lognormal(0, 1.5, 300)])
    method, reason = choose_scale(tails)
    assert method == "minmax" and "far-out" in reason
    assert choose_scale(np.ones((5, 3)))[0] == "none"
    centre, div = scale_columns(tails, "robust")
    np.testing.assert_allclose(centre, np.median(tails, 0))
    with pytest.raises(InputError, match="--scale"):
        scale_columns(tails, "zscore")


def test_table_categorical_one_hot_and_no_numeric_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,size,colour,shape,label\n1,1.0,red,round,a\n2,2.0,blue,square,b\n3,3.0,red,,a\n"
                 "4,4.0,green,round,b\n")
    t = read_table(p, scale="minmax")
    assert t.categorical == ["colour", "shape"] and t.scale == "minmax"
    assert t.columns == ["size", "colour=blue", "colour=green", "colour=red", "shape=(missing)", "shape=round",
                         "shape=square"]
    np.testing.assert_allclose(t.X[:, 0], [0, 1 / 3, 2 / 3, 1], atol=1e-6)
    np.testing.assert_array_equal(t.X[:, 1:4].sum(1), 1)
    assert read_table(p, categorical=False).X.shape == (4, 1)
    with pytest.raises(InputError, match="--scale"):
        read_table(p, scale="zscore")
    words = tmp_path / "w.csv"
    words.write_text("text,label\nhello,a\nworld,b\n")
    with pytest.raises(InputError, match="no numeric column"):
        read_table(words)
    from textcluster.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["table", str(words), "--out", str(tmp_path / "o")])
    assert exc.value.code == 2 and not (tmp_path / "o").exists()


def test_cli_table_scale_recorded(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(2), 20)
    big = np.where(y == 1, 5000.0, 1000.0) + rng.normal(0, 300, 40)
    small = np.where(y == 1, 0.2, 0.8) + rng.normal(0, 0.05, 40)
    csv = tmp_path / "u.csv"
    csv.write_text("big,small,label\n" + "".join(f"{b:.2f},{s:.3f},{c}\n" for b, s, c in zip(big, small, y)))
    r = runner.invoke(app, ["table", str(csv), "--out", str(tmp_path / "auto"), "-q"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((tmp_path / "auto" / "metrics.json").read_text())["config"]
    assert cfg["method"] == "kmeans" and cfg["scale"] == "standard" and cfg["scale_requested"] == "auto"
    assert "spreads differ" in cfg["scale_reason"]
    r = runner.invoke(app, ["table", str(csv), "--scale", "none", "--out", str(tmp_path / "none"), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "none" / "metrics.json").read_text())
    assert m["config"]["scale"] == "none" and m["config"]["scale_reason"] == "chosen with --scale"
    r = runner.invoke(app, ["table", str(csv), "--scale", "zscore", "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
def test_auto_scale_is_the_best_kmeans_scaling_on_sklearn_tables(name, tmp_path):
    """The acceptance check of issue 16 on scikit-learn's bundled tables: KMeans on the auto-scaled columns is
    within 0.005 ACC of KMeans on the best of the four scalings (docs/benchmarks.md, "Tables")."""
    import pandas as pd
    from sklearn import datasets as skd

    from textcluster.metrics import external_scores
    from textcluster.registry import make_method

    d = getattr(skd, f"load_{name}")()
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(d.data, columns=[f"c{i}" for i in range(d.data.shape[1])]).assign(label=d.target).to_csv(
        path, index=False)
    acc = {}
    for scale in ("auto", "none", "standard", "robust", "minmax"):
        t = read_table(path, scale=scale)
        labels = make_method("kmeans", k=len(set(d.target)), random_state=0).fit(t.X).labels_
        acc[scale] = external_scores(t.labels, labels)["acc"]
    assert acc["auto"] >= max(v for s, v in acc.items() if s != "auto") - 0.005, acc


def test_cli_max_seconds_cuts_training_and_says_so(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "x.npz", X=rng.normal(size=(60, 16)).astype(np.float32), y=np.arange(60) % 3)
    r = runner.invoke(app, ["images", str(tmp_path / "x.npz"), "--method", "ae-kmeans", "--epochs", "1000000",
                            "--max-seconds", "1", "--device", "cpu", "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["stopped_by_max_seconds"][0]["phase"] == "autoencoder"
    assert 0 <= m["stopped_by_max_seconds"][0]["epochs"] < 1_000_000  # 0 on a machine slow to start
