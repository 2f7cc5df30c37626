"""The Dask backend on a 2-worker LocalCluster agrees with the local streaming run."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score as nmi

pytest.importorskip("distributed")
pytest.importorskip("dask_ml")

from textcluster import TextClusterer, make_embedder, read_corpus  # noqa: E402
from textcluster.distributed import DaskKMeansClusterer, connect, dask_cooccurrences  # noqa: E402
from textcluster.errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with connect("local", n_workers=2, processes=False) as c:  # threads: no worker start-up imports
        yield c


@pytest.fixture(scope="module")
def corpus(demo_path):
    return read_corpus(demo_path)


@pytest.fixture(scope="module")
def runs(corpus, client, tmp_path_factory):
    params = dict(k=8, random_state=0, embedder=make_embedder("word2vec", epochs=5))
    local = TextClusterer(**params).fit_corpus(corpus, cache_dir=tmp_path_factory.mktemp("local"))
    dask = TextClusterer(**params).fit_corpus(corpus, cache_dir=tmp_path_factory.mktemp("dask"), client=client)
    return local, dask


def test_local_cluster_run_agrees_with_local_run(runs):
    local, dask = runs
    assert dask.algorithm_ == local.algorithm_ == "kmeans"
    assert len(dask.labels_) == len(local.labels_) == 480
    assert dask.tokens_.words == local.tokens_.words  # same vocabulary, same order
    assert (dask.tokens_.counts == local.tokens_.counts).all()
    assert set(dask.embedder_.wv_.key_to_index) == set(local.embedder_.wv_.key_to_index)
    for name in ("tokens.i32", "offsets.i64", "docs.jsonl"):  # the cache is the same byte for byte
        assert (dask.tokens_.path / name).read_bytes() == (local.tokens_.path / name).read_bytes()
    np.testing.assert_allclose(np.asarray(dask.vectors_), np.asarray(local.vectors_), atol=1e-6)
    assert np.array_equal(local.labels_, dask.labels_)  # same seed, same clusters, with or without Dask
    assert dask.n_clusters_ == 8 and len(dask.topics_) == 8


def test_dask_model_predicts_without_the_cluster(runs, corpus):
    _, dask = runs
    docs = list(corpus)[:40]
    assert (dask.predict(docs) == dask.labels_[:40]).mean() >= 0.9


def test_dask_cooccurrences_equal_local(runs, client):
    from textcluster.cooccurrence import count_cooccurrences

    cache = runs[0].tokens_
    index = {w: i for i, w in enumerate(cache.words[:300])}
    a = dask_cooccurrences(client, cache, index, window=4, block_docs=100)
    b = count_cooccurrences(cache, index, window=4)
    assert a.shape == b.shape and abs(a - b).max() < 1e-4


def test_dask_kmeans_on_blobs(client):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(1500, n_features=6, centers=4, random_state=1)
    for init in ("sample", "k-means||"):
        km = DaskKMeansClusterer(4, init=init, sample_size=500, chunk_rows=500, random_state=0).fit(X)
        assert nmi(y, km.labels_) > 0.95 and km.cluster_centers_.shape == (4, 6)
        assert (km.predict(X[:200]) == km.labels_[:200]).all()
    with pytest.raises(InputError, match="init"):
        DaskKMeansClusterer(4, init="nope").fit(X)


def test_connect_rejects_bad_address():
    with pytest.raises(InputError, match="scheduler address"):
        with connect("not-an-address"):
            pass


def test_default_corpus_embedder_gives_the_same_labels_in_memory_streamed_and_on_dask(corpus, client, tmp_path):
    """The default's corpus path (ppmi+tfidf-lsa: a seeded SVD, no racing threads) with default options: the
    in-memory fit, the local streaming fit and the Dask fit give the same clusters."""
    from textcluster import registry

    params = dict(k=8, random_state=0, embedder=registry.CORPUS_EMBEDDER)
    memory = TextClusterer(**params).fit(corpus)
    streamed = TextClusterer(**params).fit_corpus(corpus, cache_dir=tmp_path / "local")
    dask = TextClusterer(**params).fit_corpus(corpus, cache_dir=tmp_path / "dask", client=client)
    assert np.array_equal(memory.labels_, streamed.labels_) and np.array_equal(memory.labels_, dask.labels_)
