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
    assert len(rows) == 480 and set(rows[0]) == {"id", "cluster", "label"}
    topics = json.loads((out / "topics.json").read_text())
    assert len(topics) == 8 and {"size", "words", "representative_ids"} <= set(topics[0])
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
    from textcluster.cli import _word_embedder_params
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
