"""Maps: the 2-D projection keeps neighbours together, the HTML/PNG writers, word neighbourhoods, the CLI."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from textcluster import InputError
from textcluster.viz import (MapProjector, map_figure, plot_word_neighbourhood, project, word_neighbourhood,
                             write_map_html, write_map_png)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=600, n_features=40, centers=6, cluster_std=2.0, random_state=0)
    return X.astype(np.float32), y


def _external_resources(page: str) -> list[str]:
    """src/href attributes of the page's tags (script bodies are not parsed as tags)."""
    from html.parser import HTMLParser

    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(v for k, v in attrs if k in ("src", "href") and v)

    Tags().feed(page)
    return found


def _knn_purity(Y: np.ndarray, y: np.ndarray, k: int = 10) -> float:
    """Fraction of each point's k nearest 2-D neighbours sharing its class."""
    d = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :k]
    return float((y[nn] == y[:, None]).mean())


@pytest.mark.parametrize("method", ["graph", "pca"])
def test_projection_keeps_classes_apart(blobs, method):
    X, y = blobs
    Y = project(X, method, random_state=0)
    assert Y.shape == (len(X), 2) and Y.dtype == np.float32 and np.isfinite(Y).all()
    assert _knn_purity(Y, y) > 0.95


def test_graph_layout_separates_what_pca_overlays():
    # 15 classes in 50-D: two principal components overlay most of them, a neighbour graph does not.
    X, y = make_blobs(n_samples=800, n_features=50, centers=15, cluster_std=5.0, random_state=0)
    graph, pca = _knn_purity(project(X, "graph"), y), _knn_purity(project(X, "pca"), y)
    assert graph > 0.95 and pca < 0.7


def test_projection_is_reproducible_and_seeded(blobs):
    X, _ = blobs
    a = MapProjector(random_state=3).fit_transform(X)
    b = MapProjector(random_state=3).fit_transform(X)
    c = MapProjector(random_state=4).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_large_inputs_are_laid_out_on_a_sample_and_placed(blobs):
    X, y = blobs
    proj = MapProjector(max_layout_points=150, random_state=0).fit(X)
    assert proj.embedding_.shape == (len(X), 2)
    assert _knn_purity(proj.embedding_, y) > 0.9


def test_zero_rows_and_duplicates_do_not_break_the_layout(blobs):
    X, _ = blobs
    X = X.copy()
    X[:30] = 0.0  # empty documents
    X[30:60] = X[60]  # duplicates
    Y = project(X)
    assert np.isfinite(Y).all()
    # the empty documents land together
    spread = np.linalg.norm(Y[:30] - Y[:30].mean(0), axis=1).max()
    assert spread < 0.25 * np.ptp(Y, axis=0).max()


@pytest.mark.parametrize("bad, match", [
    (dict(method="mds"), "method"), (dict(n_neighbors=1), "n_neighbors"), (dict(n_epochs=0), "n_epochs"),
])
def test_bad_parameters_name_themselves(blobs, bad, match):
    with pytest.raises(InputError, match=match):
        MapProjector(**bad).fit(blobs[0])


@pytest.mark.parametrize("n", [1, 2, 4])
def test_tiny_collections_get_a_map(tmp_path, n):
    X = np.random.default_rng(0).normal(size=(n, 6))
    Y = project(X)
    assert Y.shape == (n, 2) and np.isfinite(Y).all()
    write_map_html(tmp_path / "m.html", Y, np.zeros(n, int), texts=["t"] * n)
    write_map_png(tmp_path / "m.png", Y, np.zeros(n, int))
    assert (tmp_path / "m.html").exists() and (tmp_path / "m.png").exists()


def test_bad_arrays_are_refused():
    with pytest.raises(InputError, match="at least one row"):
        project(np.zeros((0, 5)))
    with pytest.raises(InputError, match="NaN"):
        project(np.full((10, 3), np.nan))


@pytest.mark.slow  # umap-learn compiles its numba kernels on first use (~30 s)
def test_umap_option_works_when_installed(blobs):
    pytest.importorskip("umap")
    X, y = blobs
    assert _knn_purity(project(X, "umap", n_neighbors=10), y) > 0.9


def test_html_map_is_self_contained_with_hover_legend_and_noise(tmp_path, blobs):
    X, y = blobs
    labels = y.copy()
    labels[:25] = -1
    coords = project(X)
    texts = [f"doc <{i}> & text " * 20 for i in range(len(X))]
    path = write_map_html(tmp_path / "map.html", coords, labels, topic_labels={0: "alpha_beta", 1: "gamma"},
                          texts=texts, ids=[f"d{i}" for i in range(len(X))], labels_true=y.tolist(), title="t")
    page = path.read_text(encoding="utf-8")
    # plotly.js is written once beside the page and loaded by a relative path: nothing is fetched
    assert _external_resources(page) == ["plotly.min.js"]
    assert re.search(r"plotly\.js v\d", (tmp_path / "plotly.min.js").read_text(encoding="utf-8")[:2000])
    assert path.stat().st_size < 200_000  # the points only
    inline = write_map_html(tmp_path / "inline" / "map.html" if (tmp_path / "inline").mkdir() is None else None,
                            coords, labels, plotlyjs="inline")
    assert re.search(r"plotly\.js v\d", inline.read_text(encoding="utf-8"))  # one self-contained file
    assert _external_resources(inline.read_text(encoding="utf-8")) == []
    fig = map_figure(coords, labels, topic_labels={0: "alpha_beta"}, texts=texts)
    names = [t.name for t in fig.data]
    assert len(names) == 7 and names[-1] == "noise (25)" and any("alpha_beta" in n for n in names)
    hover = fig.data[0].text[0]
    assert "‹" in hover and "&amp;" in hover and "<br>" in hover and "<" not in hover.replace("<br>", "")
    assert sum(len(t.x) for t in fig.data) == len(X)


def test_png_map_and_word_neighbourhood(tmp_path, blobs):
    X, y = blobs
    path = write_map_png(tmp_path / "map.png", project(X, "pca"), y, topic_labels={0: "zero"}, title="x")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000

    from gensim.models import KeyedVectors
    rng = np.random.default_rng(0)
    kv = KeyedVectors(8)
    base = rng.normal(size=8)
    words = [f"w{i}" for i in range(40)]
    vecs = np.stack([base + rng.normal(scale=0.1 if i < 10 else 3.0, size=8) for i in range(40)])
    kv.add_vectors(words, vecs.astype(np.float32))
    near, sims, xy = word_neighbourhood(kv, "w0", topn=8)
    assert near[0] == "w0" and len(near) == 9 and xy.shape == (9, 2) and sims == sorted(sims, reverse=True)
    assert sum(w in {f"w{i}" for i in range(10)} for w in near[1:]) >= 7  # the close cluster comes first
    fig = plot_word_neighbourhood(kv, "w0", topn=8, path=tmp_path / "words.png")
    assert (tmp_path / "words.png").stat().st_size > 5_000 and fig.axes
    with pytest.raises(InputError, match="not in the vocabulary"):
        word_neighbourhood(kv, "missing")


def test_map_inputs_are_checked(blobs):
    X, y = blobs
    with pytest.raises(InputError, match=r"shape \(n, 2\)"):
        map_figure(X, y)
    with pytest.raises(InputError, match="texts has 3 entries"):
        map_figure(X[:, :2], y, texts=["a", "b", "c"])


def test_cli_writes_maps_and_no_map_skips_them(tmp_path, demo_path):
    from typer.testing import CliRunner

    from textcluster.cli import app

    small = tmp_path / "small.jsonl"  # 160 documents keep the two runs quick
    small.write_text("".join(demo_path.read_text(encoding="utf-8").splitlines(keepends=True)[::3]),
                     encoding="utf-8")
    runner = CliRunner()
    common = ["cluster", str(small), "--k", "8", "--embedding", "tfidf-lsa", "--quiet"]
    res = runner.invoke(app, common + ["--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "a" / "map.html").read_text(encoding="utf-8")
    assert page.count('"name":') >= 8 and 10_000 < len(page) < 200_000  # the points; plotly.js beside it
    assert (tmp_path / "a" / "plotly.min.js").stat().st_size > 1_000_000
    assert (tmp_path / "a" / "map.png").stat().st_size > 10_000
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["map"]["points"] == 160 and metrics["seconds"]["map_project"] >= 0
    res = runner.invoke(app, common + ["--out", str(tmp_path / "b"), "--no-map"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "b" / "map.html").exists() and not (tmp_path / "b" / "map.png").exists()


def test_hover_wrap_matches_textwrap_and_cuts_overlong_words():
    import random
    import textwrap

    from textcluster.maps.html_map import _wrap

    rng = random.Random(0)
    words = ["a", "bb", "topic", "clustering", "hyphen-ated", "end."]
    for _ in range(500):
        flat = " ".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
        assert _wrap(flat, 70) == textwrap.wrap(flat, 70, break_on_hyphens=False)
    assert _wrap("x" * 150, 70) == ["x" * 70, "x" * 70, "x" * 10] and _wrap("", 70) == []
