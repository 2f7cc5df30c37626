"""Chinese and Japanese: word segmentation (textcluster[cjk]: jieba, SudachiPy), the single-character fallback
with its one warning, saved models, the process pool, and CJK topic labels in map.png."""
from __future__ import annotations

import csv
import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from textcluster import InputError, SpacyTokenizer, TextClusterer
from textcluster import tokenize as tk
from textcluster.cli import main
from textcluster.errors import TextclusterWarning

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
ZH = CORPORA / "topics-zh.jsonl"
JA = CORPORA / "topics-ja.jsonl"
needs_jieba = pytest.mark.skipif(not tk._installed("jieba"), reason="jieba not installed (textcluster[cjk])")
needs_sudachi = pytest.mark.skipif(not tk._installed("sudachi"), reason="SudachiPy not installed (textcluster[cjk])")


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def _texts(path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def without(monkeypatch):
    """``without("jieba")``: the module cannot be imported (as if not installed); the one-time warning and the
    per-process pipelines are reset, so the fallback path runs afresh."""
    monkeypatch.setattr(tk, "_WARNED", set())
    monkeypatch.setattr(tk, "_NLP", {})

    def hide(*modules):
        for m in modules:
            monkeypatch.setitem(sys.modules, m, None)  # `import m` raises ImportError
    return hide


@needs_jieba
def test_chinese_is_segmented_into_words():
    tok = SpacyTokenizer(lang="zh").fit()
    assert tok.segmenter_ == "jieba"
    out = tok("麻婆豆腐要用郫县豆瓣酱和花椒，才有那种麻辣的味道。炒青菜的时候一定要大火快炒。")
    assert {"麻婆豆腐", "豆瓣酱", "花椒", "麻辣", "味道"} <= set(out)
    assert "炒" in out  # min_length "auto" is 1 for Chinese: one-character words stay
    assert not {"的", "和", "要", "才", "，", "。"} & set(out)  # stop words and punctuation go


@needs_sudachi
def test_japanese_is_segmented_into_words_and_lemmas():
    tok = SpacyTokenizer(lang="ja").fit()
    assert tok.segmenter_ == "sudachi"
    out = tok("東京で美味しいラーメンを食べました。サッカーの試合は3対1で終わった。")
    assert {"東京", "ラーメン", "美味しい", "サッカー", "試合"} <= set(out)
    assert "食べる" in out and "終わる" in out  # SudachiPy's lemmas
    assert not {"で", "を", "は", "た", "ます", "まし", "3"} & set(out)  # particles, auxiliaries (by lemma), numbers


@needs_jieba
def test_cli_chinese_corpus_topic_words_and_saved_model(tmp_path, capsys):
    out = tmp_path / "zh"
    code, stdout, err = run(["cluster", ZH, "--lang", "zh", "--k", 3, "--out", out, "--no-map"], capsys)
    assert code == 0, err
    assert "textcluster[cjk]" not in err
    topics = json.loads((out / "topics.json").read_text(encoding="utf-8"))
    words = [w for t in topics if t["cluster"] >= 0 for w, _ in t["words"]]  # [word, weight] pairs
    assert all(any(len(w) >= 2 for w, _ in t["words"]) for t in topics if t["cluster"] >= 0)
    assert sum(len(w) >= 2 for w in words) >= 0.6 * len(words)  # mostly words, not characters
    assert {"火箭", "比赛"} & set(words)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_docs"] == 90 and 0 <= metrics["acc"] <= 1
    # the saved model keeps its segmenter and predicts the training documents as assigned
    config = (out / "model" / "config.json").read_text(encoding="utf-8")
    assert '"segmenter_"' in config and "jieba" in config
    code, _, err = run(["predict", out / "model", ZH, "--out", tmp_path / "p.csv", "-q"], capsys)
    assert code == 0, err
    assigned = {r["id"]: r["cluster"] for r in csv.DictReader(open(out / "assignments.csv", encoding="utf-8"))}
    predicted = {r["id"]: r["cluster"] for r in csv.DictReader(open(tmp_path / "p.csv", encoding="utf-8"))}
    assert predicted == assigned


def test_cli_chinese_characters_recover_the_topics(tmp_path, capsys):
    """--segmenter char (also what runs without jieba): on this small corpus characters separate the topics."""
    out = tmp_path / "zh"
    code, _, err = run(["cluster", ZH, "--lang", "zh", "--k", 3, "--out", out, "--no-map", "--segmenter", "char"],
                       capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["acc"] >= 0.8 and metrics["nmi"] >= 0.5, metrics


@needs_sudachi
def test_cli_japanese_corpus(tmp_path, capsys):
    out = tmp_path / "ja"
    code, _, err = run(["cluster", JA, "--lang", "ja", "--k", 3, "--out", out, "--no-map"], capsys)
    assert code == 0, err
    topics = json.loads((out / "topics.json").read_text(encoding="utf-8"))
    words = [w for t in topics if t["cluster"] >= 0 for w, _ in t["words"]]
    assert sum(len(w) >= 2 for w in words) >= 0.6 * len(words)
    assert json.loads((out / "metrics.json").read_text())["n_docs"] == 45


def test_missing_segmenter_warns_once_and_splits_characters(without):
    without("jieba", "sudachipy")
    with pytest.warns(TextclusterWarning, match=r"pip install 'textcluster\[cjk\]'") as record:
        zh = SpacyTokenizer(lang="zh").fit()
        ja = SpacyTokenizer(lang="ja").fit()
    assert {str(w.message).split(" text")[0] for w in record if w.category is TextclusterWarning} \
        >= {"Chinese", "Japanese"}
    assert zh.segmenter_ == ja.segmenter_ == "char"
    assert zh("我喜欢足球比赛") == ["喜", "欢", "足", "球", "赛"]
    assert "ラ" in ja("美味しいラーメン")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: a second tokenizer is quiet
        SpacyTokenizer(lang="zh").fit()
    with pytest.raises(InputError, match=r"jieba is not installed: pip install 'textcluster\[cjk\]'"):
        SpacyTokenizer(lang="zh", segmenter="jieba").fit()


def test_cli_missing_segmenter_is_one_warning_or_one_error(tmp_path, capsys, without):
    without("jieba")
    with pytest.warns(TextclusterWarning) as record:
        code, _, err = run(["cluster", ZH, "--lang", "zh", "--k", 3, "--out", tmp_path / "a", "--no-map",
                            "--embedding", "tfidf-lsa"], capsys)
    assert code == 0, err
    assert sum("textcluster[cjk]" in str(w.message) for w in record) == 1 and "Traceback" not in err
    code, _, err = run(["cluster", ZH, "--lang", "zh", "--segmenter", "jieba", "--out", tmp_path / "b"], capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "textcluster[cjk]" in err, err
    code, _, err = run(["cluster", ZH, "--lang", "en", "--segmenter", "jieba", "--out", tmp_path / "c"], capsys)
    assert code == 2 and "applies only to Chinese and Japanese" in err, err


@needs_jieba
def test_saved_model_needs_its_segmenter(tmp_path, without):
    docs = _texts(ZH)
    m = TextClusterer(k=3, embedder="tfidf-lsa", lang="zh").fit(docs)
    m.save(tmp_path / "m")
    assert np.array_equal(TextClusterer.load(tmp_path / "m").predict(docs), m.predict(docs))
    without("jieba")  # the model's words came from jieba: characters would not match its vocabulary
    with pytest.raises(InputError, match=r"jieba is not installed: pip install 'textcluster\[cjk\]'"):
        TextClusterer.load(tmp_path / "m")


def test_model_saved_before_segmenters_keeps_characters(tmp_path):
    """A zh model saved before segmenters existed (no ``segmenter`` / ``segmenter_`` in its config) was fitted
    on characters and keeps them after load, jieba installed or not."""
    docs = _texts(ZH)
    m = TextClusterer(k=3, embedder="tfidf-lsa", lang="zh", tokenizer_params={"segmenter": "char"}).fit(docs)
    m.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    model = config["model"]
    model["params"]["tokenizer_params"]["json"].pop("segmenter")
    tok = model["state"]["tokenizer_"]
    tok["params"].pop("segmenter")
    tok["state"].pop("segmenter_")
    path.write_text(json.dumps(config), encoding="utf-8")
    loaded = TextClusterer.load(tmp_path / "m")
    assert loaded.tokenizer_.segmenter_ == "char"
    assert np.array_equal(loaded.predict(docs), m.predict(docs))


@needs_jieba
def test_process_pool_and_pickle_keep_the_segmenter():
    texts = _texts(ZH) * 12  # 1,080 texts: 2 worker processes
    single = SpacyTokenizer(lang="zh", n_process=1).fit()
    expected = single.transform(texts)
    assert SpacyTokenizer(lang="zh", n_process=2).fit().transform(texts) == expected
    copy = pickle.loads(pickle.dumps(single))  # the jieba pipeline itself cannot be pickled: rebuilt on use
    assert copy.segmenter_ == "jieba" and copy.transform(texts[:90]) == expected[:90]


def test_map_png_draws_cjk_labels_or_says_why_not(tmp_path, monkeypatch):
    from textcluster.maps import png_map as viz  # _cjk_font is patched where write_map_png looks it up

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    coords = rng.normal(size=(60, 2)) + labels[:, None] * 4.0
    names = {0: "宇航员, 火箭, 卫星", 1: "ラーメン, 料理", 2: "football, 球队"}
    if viz._cjk_font() is not None:  # scripts/setup.sh installs fonts-noto-cjk as root
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for tofu boxes
            viz.write_map_png(tmp_path / "font.png", coords, labels, topic_labels=names)
    monkeypatch.setattr(viz, "_cjk_font", lambda: None)
    with pytest.warns(TextclusterWarning, match="no CJK font installed.*fonts-noto-cjk"):
        viz.write_map_png(tmp_path / "nofont.png", coords, labels, topic_labels=names)
    assert (tmp_path / "nofont.png").stat().st_size > 1000
