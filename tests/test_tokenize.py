import pytest

from textcluster import InputError, SpacyTokenizer


def test_filters_and_lemmas():
    tok = SpacyTokenizer().fit()
    out = tok("The Rockets were launched in 2021! See https://nasa.gov or mail me@x.org :)")
    assert "rocket" in out and "launch" in out
    for dropped in ("the", "2021", "https://nasa.gov", "me@x.org", "!", ":)"):
        assert dropped not in out


def test_switches_keep_stop_words_and_case():
    tok = SpacyTokenizer(remove_stop=False, lowercase=False, lemmatize=False).fit()
    assert tok("The Rockets") == ["The", "Rockets"]


def test_min_length_auto_per_language():
    assert SpacyTokenizer(lang="zh").fit()("我喜欢足球比赛")  # single characters kept for Chinese
    assert "x" not in SpacyTokenizer(alpha_only=False).fit()("x marks the spot")


def test_german_lemmas():
    out = SpacyTokenizer(lang="de").fit()("Die Kinder spielten im Garten mit den Bällen")
    assert "kind" in out or "kinder" in out
    assert "die" not in out and "den" not in out


def test_multiprocess_matches_single(demo_docs):
    texts = [d.text for d in demo_docs] * 3  # 1440 texts -> 2 workers
    single = SpacyTokenizer(n_process=1).fit().transform(texts)
    multi = SpacyTokenizer(n_process=2).fit().transform(texts)
    assert single == multi


def test_long_text_is_split():
    tok = SpacyTokenizer(max_length=1000).fit()
    out = tok.transform(["rocket " * 500])
    assert out[0].count("rocket") == 500 and tok.n_split_ == 1


def test_unknown_language_and_model():
    with pytest.raises(InputError, match="language"):
        SpacyTokenizer(lang="xx-nope").fit()
    with pytest.raises(InputError, match="not installed"):
        SpacyTokenizer(model="no_such_model_sm").fit()


@pytest.mark.parametrize("params", [{}, {"lemmatize": False}, {"remove_stop": False, "alpha_only": False}])
def test_memoised_tokens_equal_per_token_judgement(demo_docs, params):
    """Blank pipelines judge each distinct token text once (memo, lemmatizer pipe skipped); the result must
    equal running the full pipe (lemmatizer included) and judging every token."""
    from textcluster.tokenize import _keep, tokenize_chunk

    tok = SpacyTokenizer(**params).fit()
    s = tok._settings()
    texts = [d.text for d in demo_docs[:120]] + ["Running runners ran 42 times: see http://x.org or a@b.com!"]
    fast, _ = tokenize_chunk(tok.nlp_, s, texts)
    slow = [[w for w in (_keep(t, s, None) for t in tok.nlp_(x.lower())) if w is not None] for x in texts]
    assert fast == slow
    assert any("run" in doc for doc in fast) or params.get("lemmatize") is False
