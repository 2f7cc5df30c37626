"""Readable topics: c-TF-IDF terms with bigrams, labels, NPMI, hierarchy, merging, noise, DataFrame helpers."""
import math

import numpy as np
import pytest

from textcluster import InputError, TextClusterer, make_clusterer, make_reducer
from textcluster.topics import (ctfidf_words, extract_topics, npmi_coherence, representative_documents,
                                topic_coherence, topic_hierarchy, topic_label)


def _collocation_corpus():
    rng = np.random.default_rng(0)
    filler = [f"w{i}" for i in range(40)]
    docs, labels = [], []
    for i in range(60):
        c = i % 2
        words = list(rng.choice(filler, 8))
        if c == 0:
            words[3:3] = ["new", "york"]  # a true collocation in cluster 0
            words += ["city"]
        else:
            words += ["farm", "cow", "new"]  # "new" alone in cluster 1
        docs.append(words)
        labels.append(c)
    return docs, np.array(labels)


def test_ctfidf_ranks_distinctive_words_first():
    docs = [["rocket", "orbit", "the"], ["rocket", "launch", "the"], ["bread", "oven", "the"], ["bread", "flour", "the"]]
    words = ctfidf_words(docs, [0, 0, 1, 1], top_n=2)
    assert words[0][0][0] == "rocket" and words[1][0][0] == "bread"
    assert all(" " not in w for ws in words.values() for w, _ in ws)


def test_collocation_bigrams_appear_and_replace_their_words():
    docs, labels = _collocation_corpus()
    auto = ctfidf_words(docs, labels, top_n=5, bigrams="auto")
    terms0 = [w for w, _ in auto[0]]
    assert "new york" in terms0[:2], terms0  # ties with "city" (same counts)
    assert "york" not in terms0 and "new" not in terms0  # not repeated beside their bigram
    plain = ctfidf_words(docs, labels, top_n=5, bigrams=False)
    assert all(" " not in w for w, _ in plain[0])
    with pytest.raises(InputError, match="bigrams"):
        ctfidf_words(docs, labels, bigrams="yes")


def test_topic_label_skips_variants():
    assert topic_label(["encrypt", "encryption", "key", "chip"]) == "encrypt, key, chip"
    assert topic_label(["space shuttle", "space", "shuttle", "nasa", "orbit"]) == "space shuttle, nasa, orbit"
    assert topic_label([]) == ""


def test_npmi_matches_hand_computed_values():
    docs = [["a", "b"], ["a"], ["b"], ["c"]]  # P(a)=P(b)=1/2, P(a,b)=1/4: independent -> 0
    assert npmi_coherence(docs, [["a", "b"]])[0] == pytest.approx(0.0, abs=1e-12)
    docs = [["a", "b"], ["a", "b"], ["c"], ["d"]]  # always together -> 1
    assert npmi_coherence(docs, [["a", "b"]])[0] == pytest.approx(1.0)
    assert npmi_coherence(docs, [["a", "c"]])[0] == -1.0  # never together
    docs = [["a", "b", "c"], ["a", "c"], ["b"], ["d"]]
    p_ab, p_a, p_b = 0.25, 0.5, 0.5
    expect = math.log(p_ab / (p_a * p_b)) / -math.log(p_ab)
    assert npmi_coherence(docs, [["a", "b"], ["x"]]) == [pytest.approx(expect), None]


def test_bigram_terms_count_adjacent_occurrences_in_npmi():
    docs = [["new", "york", "city"], ["york", "new"], ["new", "york", "city"], ["farm"]]
    # "new york" adjacent in docs 0 and 2, "city" in the same two -> NPMI 1
    assert npmi_coherence(docs, [["new york", "city"]])[0] == pytest.approx(1.0)


def test_representatives_prefer_membership_when_given():
    X = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]], dtype=np.float32)
    labels = np.array([0, 0, 0, 1])
    assert representative_documents(X, labels, n=1)[0] == [1]  # closest to the mean direction
    assert representative_documents(X, labels, n=1, membership=np.array([0.1, 0.2, 0.9, 1.0]))[0] == [2]


def test_noise_is_its_own_group_last():
    # every topic word occurs in two documents (terms of a single document never describe a topic)
    docs = [["a", "b"], ["a", "b", "c"], ["x", "y"], ["x", "y", "z"], ["q"]]
    topics = extract_topics(docs, [0, 0, 1, 1, -1], np.eye(5, dtype=np.float32))
    assert [t.cluster for t in topics][-1] == -1 and topics[-1].label == "noise"
    assert "c" not in dict(topics[0].words) and "z" not in dict(topics[1].words)
    assert topic_coherence(docs, topics) is not None  # noise excluded, two real topics


@pytest.fixture(scope="module")
def model(demo_docs):
    return TextClusterer(k=8, embedder="tfidf-lsa").fit(demo_docs)


def test_hierarchy_and_cut(model):
    h = model.topic_hierarchy()
    assert h.linkage.shape == (7, 4) and h.similarity.shape == (8, 8)
    assert np.allclose(np.diag(h.similarity), 1.0)
    groups = h.cut(3)
    assert sorted(set(groups.values())) == [0, 1, 2] and set(groups) == set(range(8))
    text = h.to_text()
    assert all(t.label in text for t in model.topics_)
    tree = h.to_dict()
    assert tree["size"] == 480 and sorted(tree["clusters"]) == list(range(8))


def test_frames(model, demo_docs):
    df = model.to_frame()
    assert list(df.columns) == ["id", "cluster", "topic", "text"] and len(df) == 480
    assert df["id"].iloc[0] == demo_docs[0].id
    tf = model.to_frame("topics")
    assert tf["size"].sum() == 480 and tf["share"].sum() == pytest.approx(1.0)
    assert list(tf["cluster"]) == [t.cluster for t in model.topics_]
    with pytest.raises(InputError, match="what"):
        model.to_frame("nope")


def test_find_topic_and_topic_documents(model):
    hits = model.find_topic("league goal match")
    best = hits.iloc[0]
    assert list(hits.columns) == ["cluster", "label", "size", "similarity"]
    assert hits["similarity"].is_monotonic_decreasing
    docs = model.topic_documents(int(best["cluster"]), n=None)
    assert len(docs) == best["size"]
    assert docs["similarity"].is_monotonic_decreasing
    in_cluster = set(np.asarray(model.doc_ids_)[model.labels_ == int(best["cluster"])])
    assert set(docs["id"]) == in_cluster
    with pytest.raises(InputError, match="vocabulary"):
        model.find_topic("qwxzv")
    with pytest.raises(InputError, match="does not exist"):
        model.topic_documents(99)


def test_find_topic_lands_on_the_sport_cluster(model, demo_docs):
    gold = np.array([d.label for d in demo_docs])
    c = int(model.find_topic("football league goal").iloc[0]["cluster"])
    values, counts = np.unique(gold[model.labels_ == c], return_counts=True)
    assert values[counts.argmax()] == "football"


def test_reduce_topics_merges_and_predict_follows(demo_docs):
    m = TextClusterer(k=8, embedder="tfidf-lsa").fit(demo_docs)
    before = m.labels_.copy()
    m.reduce_topics(3)
    assert m.n_clusters_ == 3 and len(m.topics_) == 3
    # each old cluster maps to exactly one new one
    for c in np.unique(before):
        assert len(np.unique(m.labels_[before == c])) == 1
    assert np.array_equal(m.predict(demo_docs), m.labels_)
    assert m.to_frame("topics")["size"].tolist() == sorted(m.to_frame("topics")["size"], reverse=True)


def test_reassign_noise(demo_docs):
    m = TextClusterer(embedder="tfidf-lsa", clusterer=make_clusterer("hdbscan", min_cluster_size=6)).fit(demo_docs)
    assert (m.labels_ < 0).any() and m.topics_[-1].label == "noise"
    m.reassign_noise()
    assert not (m.labels_ < 0).any() and all(t.cluster >= 0 for t in m.topics_)
    assert (m.predict(demo_docs) == m.labels_).mean() >= 0.99


def test_topic_hierarchy_needs_two_topics():
    h = topic_hierarchy([["a"], ["b"]], [0, 0])
    assert h.linkage.shape == (0, 4) and h.cut(3) == {0: 0}


def test_bigrams_never_change_word_scores():
    docs, labels = _collocation_corpus()
    plain = dict(ctfidf_words(docs, labels, top_n=100)[1])
    with_bi = dict(ctfidf_words(docs, labels, top_n=100, bigrams=True)[1])
    shared = set(plain) & set(with_bi)
    assert len(shared) > 10
    assert all(with_bi[w] == pytest.approx(plain[w]) for w in shared)


def test_fit_shows_the_cli_progress_bars_on_request(demo_docs, capsys):
    TextClusterer(k=3, embedder="tfidf-lsa").fit(demo_docs[:60], progress=True)
    err = capsys.readouterr().err
    assert "tokenize" in err and "topics" in err
