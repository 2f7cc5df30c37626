"""Every registered stage keeps the scikit-learn contract, and so does the pipeline built from them.

For each name in :mod:`textcluster.registry` (embedders, reducers, clusterers): ``clone`` round-trip, nested
parameters through the TextClusterer, ``fit`` returns self, ``NotFittedError`` before ``fit``, the same seed
gives the same output, and a saved model predicts what the fitted one does.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.model_selection import GridSearchCV

from textcluster import NotFittedError, TextClusterer, make_embedder, registry

#: small settings so each component fits in well under a second
FAST = {
    "word2vec": {"vector_size": 8, "epochs": 2}, "glove": {"vector_size": 8, "epochs": 2},
    "deepwalk": {"vector_size": 8, "walks_per_node": 1, "walk_length": 10},
    "ae": {"max_epochs": 2, "hidden": (16,), "device": "cpu"}, "vae": {"max_epochs": 2, "hidden": (16,), "device": "cpu"},
    "pca": {"n_components": 5}, "umap": {"n_neighbors": 5},
    "dec": {"pretrain_epochs": 2, "max_epochs": 2, "hidden": (16,), "device": "cpu"},
    "idec": {"pretrain_epochs": 2, "max_epochs": 2, "hidden": (16,), "device": "cpu"},
    "clustergan": {"max_epochs": 2, "hidden": (16,), "device": "cpu", "n_critic": 1},
    "hdbscan": {"min_cluster_size": 5},
}


def _embedder(name):
    return make_embedder(name, **FAST.get(name, {}))


def _stage(kind, name):
    return registry.build(kind, name, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def tokens(demo_docs):
    from textcluster import SpacyTokenizer
    return SpacyTokenizer().fit().transform([d.text for d in demo_docs[:120]])


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, (3, 12))
    return (centres[rng.integers(0, 3, 90)] + rng.normal(0, 0.5, (90, 12))).astype(np.float32)


EMBEDDERS = registry.embedder_names()
REDUCERS = registry.names("reducer")
CLUSTERERS = registry.names("clusterer")


@pytest.mark.parametrize("name", EMBEDDERS)
def test_embedder_contract(name, tokens):
    est = _embedder(name)
    assert clone(est).get_params(deep=False).keys() == est.get_params(deep=False).keys()
    with pytest.raises(SklearnNotFitted):
        est.transform(tokens[:3])
    assert est.fit(tokens) is est
    X = est.transform(tokens)
    assert X.shape[0] == len(tokens) and X.dtype == np.float32
    np.testing.assert_allclose(clone(est).fit(tokens).transform(tokens), X, atol=1e-5)  # same seed


@pytest.mark.parametrize("name", REDUCERS)
def test_reducer_contract(name, blobs):
    est = _stage("reducer", name)
    assert clone(est).get_params() == clone(clone(est)).get_params()
    with pytest.raises(SklearnNotFitted):
        est.transform(blobs[:3])
    assert est.fit(blobs) is est
    Z = est.transform(blobs)
    assert Z.shape[0] == len(blobs)
    np.testing.assert_allclose(clone(est).fit(blobs).transform(blobs), Z, atol=1e-5)


@pytest.mark.parametrize("name", CLUSTERERS)
def test_clusterer_contract(name, blobs):
    est = registry.make_clusterer(name, k=3, **FAST.get(name, {}))
    with pytest.raises(SklearnNotFitted):
        est.predict(blobs[:3])
    assert est.fit(blobs) is est
    assert est.labels_.shape == (len(blobs),)
    assert np.array_equal(clone(est).fit(blobs).labels_, est.labels_)  # same seed, same clusters
    assert est.predict(blobs[:5]).shape == (5,)


def test_pipeline_not_fitted_error_is_both_kinds():
    with pytest.raises(NotFittedError) as info:
        TextClusterer().predict(["a document"])
    assert isinstance(info.value, SklearnNotFitted) and isinstance(info.value, ValueError)


def test_nested_params_reach_every_stage_and_survive_clone():
    m = TextClusterer(k=4)
    params = m.get_params(deep=True)
    # the default embedder is "auto": ppmi+tfidf-lsa (its "corpus" part) or the sentence model (small)
    w, lsa = "embedder__corpus__ppmi__word_embedder__window", "embedder__corpus__tfidf-lsa__n_components"
    assert {"embedder__corpus__ppmi__pooling", w, lsa, "embedder__small_tokens", "clusterer__n_init"} <= set(params)
    assert "clusterer__k" not in params and "embedder__corpus__ppmi__word_embedder__random_state" not in params
    c = clone(m).set_params(**{w: 3, lsa: 20}, clusterer__n_init=2, reducer="pca", reducer__n_components=7)
    assert m.embedder == "auto"  # the original is untouched
    assert c.get_params()[w] == 3 and c.get_params()["clusterer__n_init"] == 2
    assert c.get_params()["reducer__n_components"] == 7 and c.get_params()[lsa] == 20
    c2 = clone(c)
    assert c2.embedder is not c.embedder and c2.get_params()[w] == 3
    one = TextClusterer(k=4, embedder="word2vec").set_params(embedder__word_embedder__window=3)
    assert one.get_params()["embedder__word_embedder__window"] == 3
    with pytest.raises(ValueError, match="no block"):
        TextClusterer(embedder="word2vec+tfidf-lsa").set_params(embedder__glove__pooling="mean")
    with pytest.raises(ValueError, match="set by the TextClusterer"):
        TextClusterer().set_params(clusterer__k=3)


def test_user_estimators_are_stages(demo_docs):
    """A stage passed as an object: any scikit-learn clusterer works, and the model's k and seed reach it."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import TruncatedSVD

    class Agglomerative(AgglomerativeClustering):
        def __init__(self, k=2, *, linkage="ward"):
            self.k = k
            super().__init__(n_clusters=k, linkage=linkage)

        def fit(self, X, y=None):
            self.n_clusters = self.k
            return super().fit(X)

    m = TextClusterer(k=8, embedder="tfidf-lsa", reducer=TruncatedSVD(20), clusterer=Agglomerative()).fit(demo_docs)
    assert m.n_clusters_ == 8 and m.reducer_.random_state == 0 and m.algorithm_ == "Agglomerative"
    assert m.embedding_.shape == (len(demo_docs), 20)


def test_grid_search_over_nested_params(demo_docs):
    texts = [d.text for d in demo_docs[:160]]

    def score(model, X, y=None):
        return model.n_clusters_ - model.noise_fraction_

    grid = GridSearchCV(TextClusterer(k=4, embedder="tfidf-lsa"),
                        {"embedder__n_components": [10, 20], "k": [3, 4]}, scoring=score,
                        cv=[(np.arange(160), np.arange(160))], refit=False).fit(texts)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_ == {"embedder__n_components": 10, "k": 4}


@pytest.mark.parametrize("kind,name", [("embedder", n) for n in EMBEDDERS] + [("reducer", n) for n in REDUCERS]
                         + [("clusterer", n) for n in CLUSTERERS if n != "minibatch-kmeans"])
def test_every_stage_saves_and_loads_in_a_model(kind, name, demo_docs, tmp_path):
    docs = demo_docs[:120]
    stages = {"embedder": "tfidf-lsa", "reducer": "passthrough", "clusterer": "kmeans"}
    stages[kind] = _embedder(name) if kind == "embedder" else registry.make_clusterer(name, **FAST.get(name, {})) \
        if kind == "clusterer" else _stage(kind, name)
    m = TextClusterer(k=4, **stages).fit(docs)
    m.save(tmp_path / "m")
    loaded = TextClusterer.load(tmp_path / "m")
    assert np.array_equal(loaded.predict(docs), m.predict(docs))


def test_a_new_component_is_one_class_and_one_line(demo_docs):
    """The docs/extending.md example, run: a new clusterer registered under a name."""
    import runpy
    from pathlib import Path

    ns = runpy.run_path(str(Path(__file__).resolve().parents[1] / "docs" / "extending_example.py"))
    try:
        model = ns["model"]
        assert model.algorithm_ == "farthest-first" and model.n_clusters_ == 8
    finally:
        registry.unregister("clusterer", "farthest-first")
