import numpy as np
import pytest

import textcluster
from textcluster import InputError, TextClusterer, make_clusterer, make_reducer, group_topics


@pytest.fixture(scope="module")
def fitted(demo_docs):
    return TextClusterer(k=8, random_state=0).fit(demo_docs)


def test_fit_labels_topics(fitted, demo_docs):
    labels_true = [d.label for d in demo_docs]
    assert fitted.labels_.shape == (480,) and fitted.n_clusters_ == 8
    assert textcluster.external_scores(labels_true, fitted.labels_)["nmi"] > 0.25
    assert sum(t.size for t in fitted.topics_) == 480
    assert all(len(t.words) == 10 and len(t.representatives) == 3 for t in fitted.topics_)
    assert set(fitted.seconds_) == {"tokenize", "embed", "reduce", "cluster", "topics"}


def test_same_seed_same_clusters(fitted, demo_docs):
    again = TextClusterer(k=8, random_state=0).fit(demo_docs)
    np.testing.assert_array_equal(again.labels_, fitted.labels_)


def test_predict_training_docs_matches_fit(fitted, demo_docs):
    np.testing.assert_array_equal(fitted.predict(demo_docs), fitted.labels_)


def test_topic_words_name_the_subject(demo_docs):
    model = TextClusterer(k=8, embedder="tfidf-lsa", random_state=0).fit(demo_docs)
    words = {w for t in model.topics_ for w, _ in t.words}
    assert {"guitar", "soil"} & words


def test_hdbscan_pipeline_reports_noise(demo_docs):
    model = TextClusterer(clusterer="hdbscan", embedder="tfidf-lsa",
                          reducer=make_reducer("pca", n_components=10)).fit(demo_docs)
    assert model.labels_.min() >= -1 and 0 <= model.noise_fraction_ < 1
    if model.noise_fraction_:
        assert model.topics_[-1].cluster == -1 and model.topics_[-1].label == "noise"


def test_group_topics_one_call():
    docs = ["the rocket reached orbit", "a new telescope sees the galaxy", "the astronauts launched",
            "bake the bread in the oven", "a recipe for tomato soup", "whisk the eggs and flour"] * 5
    groups = group_topics(docs, k=2, embedder="tfidf-lsa")
    assert len(groups) == 2 and sum(len(g.documents) for g in groups) == 30
    assert all(isinstance(g.label, str) and g.words for g in groups)


def test_empty_documents_are_kept_and_counted():
    docs = ["rocket orbit launch"] * 10 + ["", "   "] + ["oven bread recipe"] * 10
    model = TextClusterer(k=2, embedder="tfidf-lsa").fit(docs)
    assert len(model.labels_) == 22 and model.n_empty_docs_ == 2


def test_bad_arguments():
    with pytest.raises(InputError, match="fewer documents"):
        TextClusterer(k=5).fit(["a b", "c d"])
    with pytest.raises(InputError, match="single string"):
        TextClusterer().fit("just one string")
    with pytest.raises(InputError, match="not fitted"):
        TextClusterer().predict(["x"])


def test_public_api_is_exported():
    for name in textcluster.__all__:
        assert hasattr(textcluster, name), name
