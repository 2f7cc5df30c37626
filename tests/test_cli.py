"""The CLI, run in-process through textcluster.cli.main (exit codes and one-line errors)."""
import csv
import json

import pytest

from textcluster.cli import main


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cluster_writes_contract_files(tmp_path, demo_path, capsys):
    out = tmp_path / "res"
    code, stdout, err = run(["cluster", demo_path, "--k", 8, "--out", out, "--embedding", "tfidf-lsa"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(open(out / "assignments.csv", encoding="utf-8")))
    assert len(rows) == 480 and list(rows[0]) == ["id", "cluster", "label", "topic", "text"]
    topics = json.loads((out / "topics.json").read_text())
    assert len(topics) == 8 and {"size", "words", "representative_ids", "representatives"} <= set(topics[0])
    by_id = {r["id"]: r for r in rows}
    for t in topics:  # the CSV's topic column is the topic's label; representatives carry their text
        rep = t["representatives"][0]
        assert by_id[rep["id"]]["topic"] == t["label"] and by_id[rep["id"]]["text"] == rep["text"] != ""
    import pandas as pd
    frame = pd.read_csv(out / "assignments.csv")
    assert list(frame.columns) == ["id", "cluster", "label", "topic", "text"] and len(frame) == 480
    assert all(t["label"] in stdout for t in topics)  # the summary names the topics
    m = json.loads((out / "metrics.json").read_text())
    for key in ("n_docs", "n_clusters", "noise_fraction", "silhouette", "nmi", "ari", "ami", "acc", "v_measure",
                "peak_rss_mb", "n_empty_docs"):
        assert key in m, key
    assert {"tokenize", "embed", "cluster", "topics", "total"} <= set(m["seconds"])
    assert "results written to" in stdout and "nmi=" in stdout


def test_txt_input_without_labels(tmp_path, capsys):
    src = tmp_path / "docs.txt"
    src.write_text("\n".join(["rocket orbit launch space"] * 6 + ["bread oven bake flour"] * 6), encoding="utf-8")
    code, _, err = run(["cluster", src, "--k", 2, "--out", tmp_path / "o", "--embedding", "tfidf-lsa", "-q"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert "nmi" not in m and m["n_docs"] == 12


@pytest.mark.parametrize("args, message", [
    (["cluster", "/no/such/file.jsonl"], "input not found"),
    (["cluster", "{demo}", "--k", "1000"], "fewer documents"),
    (["cluster", "{demo}", "--embedding", "bert"], "'bert' is not one of"),
    (["cluster", "{demo}", "--algorithm", "spectral"], "is not one of"),
    (["cluster", "{demo}", "--no-such-option"], "No such option"),
    (["cluster", "{demo}", "--k", "zero"], "--k"),
    (["cluster", "{demo}", "--k", "0"], "--k"),
])
def test_bad_input_exit_2_one_line_out_dir_intact(tmp_path, demo_path, capsys, args, message):
    out = tmp_path / "res"
    out.mkdir()
    (out / ".textcluster-output").write_text("x")
    (out / "metrics.json").write_text('{"previous": true}')
    argv = [a.replace("{demo}", str(demo_path)) for a in args] + ["--out", str(out)]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads((out / "metrics.json").read_text()) == {"previous": True}


def test_refuses_to_replace_foreign_directory(tmp_path, demo_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    code, _, err = run(["cluster", demo_path, "--k", 8, "--out", out, "--embedding", "tfidf-lsa"], capsys)
    assert code == 2 and "did not write" in err
    assert (out / "precious.txt").read_text() == "keep me"


def test_help_lists_options(capsys):
    code, out, _ = run(["cluster", "--help"], capsys)
    assert code == 0
    for opt in ("--embedding", "--pooling", "--algorithm", "--k", "--seed", "--out", "--label-field"):
        assert opt in out


def test_word_options_reach_the_word_embedders_of_a_combination():
    from textcluster.jobs import word_embedder_params as _word_embedder_params
    from textcluster.registry import make_embedder

    p = _word_embedder_params("word2vec+tfidf-lsa", vector_size=50, window=10, epochs=10, min_count=None, workers=1)
    w2v = make_embedder("word2vec+tfidf-lsa", **p).embedders[0].word_embedder
    assert (w2v.window, w2v.epochs, w2v.vector_size) == (10, 10, 50)
    assert "epochs" not in _word_embedder_params("word2vec+deepwalk", vector_size=50, window=None, epochs=None,
                                                 min_count=None, workers=1)
    assert _word_embedder_params("tfidf-lsa", vector_size=50, window=10, epochs=10, min_count=None, workers=1) == {}


def test_word_options_without_word_vectors_are_reported(tmp_path, demo_path, capsys, caplog):
    code, _, err = run(["cluster", demo_path, "--k", 8, "--out", tmp_path / "o", "--embedding", "tfidf-lsa",
                        "--window", 3, "--no-map", "-q"], capsys)
    assert code == 0 and "--window ignored" in err + caplog.text


def test_k_default_is_the_number_of_label_classes_else_10(tmp_path, demo_path, capsys):
    code, stdout, err = run(["cluster", demo_path, "--out", tmp_path / "a", "--embedding", "tfidf-lsa",
                             "--no-map"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert m["n_clusters"] == 8 and m["k_from"] == "8 label classes" and "k = 8 label classes" in stdout
    src = tmp_path / "docs.txt"
    words = ("apple bread cheese dough eagle falcon garden harbor island jungle kettle lemon meadow napkin "
             "orange pepper quarry river saddle tunnel").split()
    src.write_text("\n".join(f"{words[i % 20]} {words[(i * 7) % 20]} {words[(i * 13) % 20]}" for i in range(60)),
                   encoding="utf-8")
    code, _, err = run(["cluster", src, "--out", tmp_path / "b", "--embedding", "tfidf-lsa", "-q", "--no-map"],
                       capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert m["n_clusters"] == 10 and m["k_from"] == "default"


def test_txt_blank_lines_are_skipped_and_counted(tmp_path, capsys):
    """A .txt with blank lines between documents: the blank lines are not documents; ids stay line numbers."""
    docs = ["rocket orbit launch space"] * 6 + ["bread oven bake flour"] * 6
    src = tmp_path / "docs.txt"
    src.write_text("\n\n".join(docs) + "\n\n   \n", encoding="utf-8")
    code, stdout, err = run(["cluster", src, "--k", 2, "--out", tmp_path / "o", "--embedding", "tfidf-lsa",
                             "--no-map"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n_docs"] == 12 and m["n_blank_lines"] == 13 and "blank lines skipped=13" in stdout
    rows = list(csv.DictReader(open(tmp_path / "o" / "assignments.csv", encoding="utf-8")))
    assert [r["id"] for r in rows[:3]] == ["1", "3", "5"]
    assert len({r["cluster"] for r in rows[:6]}) == 1 and rows[0]["cluster"] != rows[6]["cluster"]


def test_empty_documents_are_noise_not_part_of_a_topic(tmp_path, capsys):
    """JSONL records without text stay in assignments.csv (their ids) as cluster -1 and join no topic."""
    lines = [json.dumps({"id": f"r{i}", "text": t}) for i, t in enumerate(
        ["rocket orbit launch space"] * 8 + ["bread oven bake flour"] * 8 + [""] * 40 + ["   "])]
    src = tmp_path / "docs.jsonl"
    src.write_text("\n".join(lines), encoding="utf-8")
    code, stdout, err = run(["cluster", src, "--k", 2, "--out", tmp_path / "o", "--no-map"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(open(tmp_path / "o" / "assignments.csv", encoding="utf-8")))
    assert len(rows) == 57 and {r["cluster"] for r in rows[16:]} == {"-1"}
    assert {r["cluster"] for r in rows[:8]} != {r["cluster"] for r in rows[8:16]} and "-1" not in \
        {r["cluster"] for r in rows[:16]}
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n_empty_docs"] == 41 and m["n_clusters"] == 2 and "empty docs=41 (cluster -1)" in stdout


def test_predict_defaults_topic_column_header_mode_and_dir(tmp_path, demo_path, capsys, monkeypatch):
    import os
    import stat

    code, _, err = run(["cluster", demo_path, "--k", 8, "--out", tmp_path / "res", "--embedding", "tfidf-lsa",
                        "--no-map", "-q"], capsys)
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(["predict", tmp_path / "res" / "model", demo_path], capsys)
    assert code == 0, err
    pred = tmp_path / "predictions.csv"
    assert "predictions.csv" in stdout and "cluster documents  topic" in " ".join(stdout.split("\n")[1].split()) \
        .replace("cluster documents topic", "cluster documents  topic")
    rows = list(csv.DictReader(open(pred, encoding="utf-8")))
    assert list(rows[0]) == ["id", "cluster", "topic", "text"] and len(rows) == 480 and rows[0]["topic"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(pred.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(pred.stat().st_mode) == stat.S_IMODE((tmp_path / "res" / "assignments.csv").stat().st_mode)
    code, _, err = run(["predict", tmp_path / "res" / "model", demo_path, "--out", "newdir/", "-q"], capsys)
    assert code == 0, err and (tmp_path / "newdir" / "predictions.csv").is_file()
    code, _, err = run(["predict", tmp_path / "res" / "model", demo_path, "--out", tmp_path / "res", "-q"], capsys)
    assert code == 0, err and (tmp_path / "res" / "predictions.csv").is_file()


def test_version_usage_and_help(capsys):
    from textcluster import __version__

    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"textcluster {__version__}"
    code, out, _ = run(["cluster", "--help"], capsys)
    assert code == 0 and "Usage: textcluster cluster [OPTIONS] INPUT" in out and "{" not in out.split("\n")[0]
    from textcluster.registry import names
    flat = "".join(out.split())  # help text is wrapped (also inside "minibatch-kmeans")
    assert all(a in flat for a in names("clusterer"))
    code, out, _ = run(["table", "--help"], capsys)
    assert code == 0 and "images of" not in " ".join(out.split())


def test_table_uses_the_same_k_rule_and_writes_no_topics_json(tmp_path, capsys):
    rows = ["a,b,label"] + [f"{i % 3 * 5 + 0.1 * (i % 7)},{i % 3 * -4 + 0.1 * (i % 5)},g{i % 3}" for i in range(60)]
    src = tmp_path / "t.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, stdout, err = run(["table", src, "--method", "kmeans", "--out", tmp_path / "o"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n_clusters"] == 3 and m["k_from"] == "3 label classes" and "k = 3 label classes" in stdout
    assert not (tmp_path / "o" / "topics.json").exists()
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == \
        ["assignments.csv", "metrics.json", "model"]


def test_table_kmeans_model_is_saved_in_the_one_model_format(tmp_path, capsys):
    """The kmeans method of images/table writes the same JSON + .npy model as `cluster` (no format of its own)."""
    import csv

    import numpy as np

    from textcluster.cluster import KMeansClusterer
    from textcluster.persistence import load_model
    from textcluster.tabular import read_table

    rows = ["a,b,label"] + [f"{i % 3 * 5 + 0.1 * (i % 7)},{i % 3 * -4 + 0.1 * (i % 5)},g{i % 3}" for i in range(60)]
    src = tmp_path / "t.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run(["table", src, "--method", "kmeans", "--out", tmp_path / "o", "-q"], capsys)
    assert code == 0, err
    assert (tmp_path / "o" / "model" / "config.json").is_file()
    model = load_model(tmp_path / "o" / "model", KMeansClusterer)
    with open(tmp_path / "o" / "assignments.csv", newline="") as fh:
        written = [int(r["cluster"]) for r in csv.DictReader(fh)]
    assert np.array_equal(model.predict(read_table(src).X), written)
