"""The HTML map in a real headless browser (Debian's chromium): it loads from disk, draws every point,
shows the legend and hover text, and logs no console errors."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_blobs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from browser import chromium, load_report  # noqa: E402

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed; scripts/setup.sh "
                                "installs it as root (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def map_page(tmp_path_factory):
    from textcluster.viz import project, write_map_html

    X, y = make_blobs(n_samples=400, n_features=20, centers=5, random_state=0)
    labels = y.copy()
    labels[::20] = -1  # a noise group
    texts = [f"Doc {i}: <b>not bold</b> & \"quoted\" café 中文 😀 " + "word " * 40 for i in range(len(X))]
    path = tmp_path_factory.mktemp("map") / "map.html"
    write_map_html(path, project(X), labels, topic_labels={c: f"topic_{c}" for c in range(5)}, texts=texts,
                   ids=[f"id{i}" for i in range(len(X))], labels_true=[f"class{c}" for c in y], title="test map")
    return path, len(X), len(set(labels.tolist()))


def test_map_opens_draws_every_point_and_logs_no_errors(map_page):
    path, n, n_groups = map_page
    r = load_report(path)
    assert r["returncode"] == 0
    assert r["errors"] == [] and r["console"] == []
    assert r["traces"] == n_groups == r["legend_items"]
    assert r["data_points"] == n and r["svg_points"] == n
    assert r["coloured_pixels"] > 3_000  # the screenshot shows coloured points, not a blank page
    hover = r["hover_text"]
    assert "topic_" in hover and "label class" in hover  # the topic and the gold label
    assert "‹b›not bold‹/b›" in hover and '& "quoted" café 中文 😀' in hover  # the text, shown as written
    assert r["load_ms"] < 10_000


def test_probe_reports_page_errors(tmp_path):
    # The checks above can fail: a page with a script error and a console.error is reported as such.
    bad = tmp_path / "bad.html"
    bad.write_text("<html><head></head><body><script>console.error('boom'); undefined_function();"
                   "</script></body></html>", encoding="utf-8")
    r = load_report(bad, screenshot=False)
    assert any("boom" in e for e in r["errors"]) and any("undefined_function" in e for e in r["errors"])
    assert r["svg_points"] == 0 and r["traces"] == 0
