"""Choosing k and the algorithm: compare_pipelines and `textcluster compare`."""
import csv
import json

import numpy as np
import pytest

from textcluster import InputError
from textcluster.cli import main
from textcluster.compare import (SELECTION_RULES, _names, compare_pipelines, consensus_scores, default_ks,
                                 internal_scores, rule_scores)
from textcluster.registry import names


def test_default_ks_scale_with_the_collection():
    assert default_ks(480) == [5, 10, 20, 40]
    assert default_ks(30) == [3] and default_ks(3) == [2]
    assert default_ks(100_000)[-1] == 160


def test_internal_scores_prefer_the_true_partition():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(loc, 0.1, (50, 3)) for loc in ([3, 0, 0], [0, 3, 0], [0, 0, 3])]).astype(np.float32)
    good = np.repeat([0, 1, 2], 50)
    bad = rng.integers(0, 3, 150)
    g, b = internal_scores(X, good), internal_scores(X, bad)
    assert g["silhouette"] > 0.8 > b["silhouette"]
    assert g["calinski_harabasz"] > b["calinski_harabasz"] and g["davies_bouldin"] < b["davies_bouldin"]
    assert internal_scores(X, np.zeros(150, int))["silhouette"] is None  # one group: undefined


def test_names_come_from_the_registry():
    ALGORITHMS = names("clusterer")
    assert _names("all", ALGORITHMS, (), "algorithm") == list(ALGORITHMS)
    assert _names(None, ALGORITHMS, ("kmeans", "not-registered"), "algorithm") == ["kmeans"]
    with pytest.raises(InputError, match="unknown algorithm 'nope'; choose from kmeans"):
        _names(["nope"], ALGORITHMS, (), "algorithm")


@pytest.fixture(scope="module")
def comparison(demo_docs):
    return compare_pipelines(demo_docs, embeddings=["tfidf-lsa"], reducers=["none"], algorithms=["kmeans", "hdbscan"],
                             ks=[4, 8])


def test_table_is_ranked_and_scored(comparison):
    t = comparison.table
    assert len(t) == 3 and list(t["rank"]) == [1, 2, 3]
    assert t["rank_score"].is_monotonic_increasing
    for col in ("silhouette", "calinski_harabasz", "davies_bouldin", "npmi", "nmi", "ari", "acc", "seconds"):
        assert col in t and t[col].notna().all(), col
    assert set(t["k"].dropna()) == {4, 8} and t.loc[t["algorithm"] == "hdbscan", "k"].isna().all()
    assert (t["npmi"].between(-1, 1)).all()
    best = t.loc[t["nmi"].idxmax()]  # labels given: the recommendation is the row that agrees best with them
    rec = comparison.recommendation
    assert (rec["embedding"], rec["reduce"], rec["algorithm"], rec["k"]) == \
        (best["embedding"], best["reduce"], best["algorithm"], None if best["k"] is None or np.isnan(best["k"])
         else int(best["k"]))
    assert rec["chosen_by"] == "nmi (labels)"
    free = comparison.label_free  # the label-free pick is the first row
    assert (free["algorithm"], free["k"]) == (t.iloc[0]["algorithm"], None if t.iloc[0]["k"] is None or
                                              np.isnan(t.iloc[0]["k"]) else int(t.iloc[0]["k"]))
    assert comparison.command("x.jsonl").startswith("textcluster cluster x.jsonl --embedding tfidf-lsa")
    json.dumps(comparison.to_dict(), allow_nan=False)


def test_rank_score_follows_the_consensus_rule(comparison):
    t = comparison.table
    assert np.allclose(t["consensus"].rank(ascending=False), t["rank_score"], atol=1e-3)
    assert t["consensus"].is_monotonic_decreasing
    ranks = [t["silhouette"].rank(ascending=False), t["calinski_harabasz"].rank(ascending=False),
             t["davies_bouldin"].rank(ascending=True), t["npmi"].rank(ascending=False)]
    assert np.allclose(np.mean(ranks, axis=0), rule_scores(t, "mean_rank"), atol=1e-3)
    assert set(SELECTION_RULES) >= {"consensus", "mean_rank"}


def test_consensus_is_the_mean_nmi_with_the_other_partitions():
    a = np.repeat([0, 1, 2], 20)
    b = a.copy()
    b[:5] = 1  # close to a
    c = np.random.default_rng(0).integers(0, 3, 60)  # unrelated
    scores = consensus_scores([a, b, None, c])
    assert scores[2] is None and scores[0] > scores[3] and scores[1] > scores[3]
    from sklearn.metrics import normalized_mutual_info_score as nmi
    assert scores[0] == pytest.approx((nmi(a, b) + nmi(a, c)) / 2, abs=1e-6)


def test_labels_do_not_change_the_ranking(demo_docs, comparison):
    texts = [d.text for d in demo_docs]  # plain strings: no labels
    c = compare_pipelines(texts, embeddings=["tfidf-lsa"], reducers=["none"], algorithms=["kmeans", "hdbscan"],
                          ks=[4, 8])
    assert "nmi" not in c.table
    assert list(c.table["rank_score"]) == list(comparison.table["rank_score"])


def test_bad_grid_values(demo_docs):
    with pytest.raises(InputError, match="unknown embedding"):
        compare_pipelines(demo_docs[:50], embeddings=["bert"])
    with pytest.raises(InputError, match="ks"):
        compare_pipelines(demo_docs[:50], embeddings=["tfidf-lsa"], ks=[0])


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cli_compare_writes_table(demo_path, tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = _run(["compare", demo_path, "--embeddings", "tfidf-lsa", "--reducers", "none,pca",
                              "--algorithms", "kmeans", "--ks", "4,8", "--out", out], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(open(out / "compare.csv", encoding="utf-8")))
    assert len(rows) == 4 and rows[0]["rank"] == "1" and "nmi" in rows[0]
    data = json.loads((out / "compare.json").read_text())
    assert data["recommendation"]["embedding"] == "tfidf-lsa" and len(data["table"]) == 4
    assert "recommended (best NMI against the labels): textcluster cluster" in stdout
    assert "label-free pick (consensus): textcluster cluster" in stdout and "NPMI" in stdout
    assert max(len(line) for line in stdout.splitlines() if line.lstrip().startswith(("#", "1 "))) <= 120


def test_cli_compare_bad_name_exit_2(demo_path, tmp_path, capsys):
    code, _, err = _run(["compare", demo_path, "--algorithms", "nope", "--out", tmp_path / "c"], capsys)
    assert code == 2 and "unknown algorithm" in err and err.count("\n") == 1


@pytest.mark.slow
def test_default_grid_on_demo_corpus_is_quick(demo_docs):
    import time
    t = time.process_time()
    c = compare_pipelines(demo_docs)
    assert len(c.table) == 2 * 2 * (len(default_ks(480)) + 1)
    assert time.process_time() - t < 60


def test_progress_bars_on_request(demo_docs, capsys):
    compare_pipelines(demo_docs[:60], embeddings=["tfidf-lsa"], reducers=["none"], algorithms=["kmeans"], ks=[3],
                      progress=True)
    assert "compare" in capsys.readouterr().err  # the rich bar, as in the CLI


def test_auto_reducer_runs_umap_before_hdbscan_and_smoothing_before_kmeans(demo_docs):
    c = compare_pipelines(demo_docs, embeddings=["tfidf-lsa"], reducers=["auto"], algorithms=["kmeans", "hdbscan"],
                          ks=[8])
    t = c.table
    assert set(t["reduce"]) == {"auto"}
    assert dict(zip(t["algorithm"], t["reduced_with"])) == {"kmeans": "smooth", "hdbscan": "umap"}
    assert t["error"].isna().all() and (t.loc[t["algorithm"] == "hdbscan", "n_clusters"] >= 2).all()
    assert "auto" not in _names("all", names("reducer"), (), "reducer")
