"""Saving and loading fitted models: exact re-prediction, no pickle, clear errors on damaged directories."""
import csv
import json
import pickle

import numpy as np
import pytest

from textcluster import InputError, TextClusterer, make_clusterer, make_embedder, make_reducer
from textcluster.cli import main
from textcluster.persistence import CONFIG_NAME, FORMAT_VERSION

W2V = {"vector_size": 24, "epochs": 10}


def _params(model) -> dict:
    """Every (nested) parameter that is not itself an estimator: comparable across two objects."""
    return {k: v for k, v in model.get_params(deep=True).items() if not hasattr(v, "get_params")}


@pytest.fixture(scope="module")
def kmeans_model(demo_docs):
    return TextClusterer(k=8, embedder="tfidf-lsa", reducer=make_reducer("pca", n_components=20)).fit(demo_docs)


@pytest.fixture(scope="module")
def hdbscan_model(demo_docs):
    return TextClusterer(embedder=make_embedder("word2vec", pooling="sif", **W2V),
                         clusterer=make_clusterer("hdbscan", min_cluster_size=5)).fit(demo_docs)


@pytest.fixture
def no_pickle(monkeypatch):
    """Any attempt to unpickle (or torch.load) during the test fails it."""
    import torch  # imported first: its modules subclass pickle.Unpickler at import time

    def boom(*a, **k):
        raise AssertionError("unpickling attempted")

    class NoUnpickler(pickle.Unpickler):
        def __init__(self, *a, **k):
            boom()
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "Unpickler", NoUnpickler)
    monkeypatch.setattr(torch, "load", boom)


def test_kmeans_roundtrip_reproduces_labels_exactly(kmeans_model, demo_docs, tmp_path, no_pickle):
    kmeans_model.save(tmp_path / "m")
    loaded = TextClusterer.load(tmp_path / "m")
    assert np.array_equal(loaded.predict(demo_docs), kmeans_model.labels_)  # 100 % for KMeans
    assert np.array_equal(loaded.labels_, kmeans_model.labels_)
    assert _params(loaded) == _params(kmeans_model)
    assert [t.to_dict() for t in loaded.topics_] == [t.to_dict() for t in kmeans_model.topics_]
    assert loaded.doc_ids_ == kmeans_model.doc_ids_
    np.testing.assert_array_equal(loaded.transform(demo_docs[:20]), kmeans_model.transform(demo_docs[:20]))
    # the exploring helpers work on a loaded model (without the training texts, which are not saved)
    assert loaded.find_topic("league goal").equals(kmeans_model.find_topic("league goal"))
    assert list(loaded.to_frame().columns) == ["id", "cluster", "topic"]
    assert len(loaded.topic_documents(0, n=None)) == (kmeans_model.labels_ == 0).sum()
    with pytest.raises(InputError, match="training documents"):
        loaded.reduce_topics(2)


def test_hdbscan_word_vectors_roundtrip(hdbscan_model, demo_docs, tmp_path, no_pickle):
    assert hdbscan_model.n_clusters_ >= 2 and (hdbscan_model.labels_ < 0).any()  # a real density clustering
    hdbscan_model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert any(f.endswith(".w2v") for f in files)  # word vectors in word2vec format
    assert all(f.endswith((".npy", ".w2v", ".json")) or f.startswith(".") for f in files), files
    loaded = TextClusterer.load(tmp_path / "m")
    kv0, kv1 = hdbscan_model.embedder_.wv_, loaded.embedder_.wv_
    assert kv0.index_to_key == kv1.index_to_key
    np.testing.assert_array_equal(kv0.vectors, kv1.vectors)
    pred = loaded.predict(demo_docs)
    assert (pred == hdbscan_model.labels_).mean() >= 0.99
    assert np.array_equal(pred, hdbscan_model.predict(demo_docs))  # same as the in-memory model
    for f in (tmp_path / "m").glob("*.npy"):
        np.load(f, allow_pickle=False)  # every array is a plain one


def test_regrouped_model_predicts_the_same_after_load(demo_docs, tmp_path):
    m = TextClusterer(embedder="tfidf-lsa", clusterer=make_clusterer("hdbscan", min_cluster_size=6)).fit(demo_docs)
    assume_noise = (m.labels_ < 0).any()
    m.reassign_noise()
    assert not (m.labels_ < 0).any() or not assume_noise
    if m.n_clusters_ > 2:
        m.reduce_topics(2)
        assert m.n_clusters_ == 2
    assert (m.predict(demo_docs) == m.labels_).mean() >= 0.99
    m.save(tmp_path / "m")
    loaded = TextClusterer.load(tmp_path / "m")
    assert np.array_equal(loaded.predict(demo_docs), m.predict(demo_docs))


def test_kmeans_model_with_empty_documents_loads(demo_docs, tmp_path):
    """The inner KMeans is fitted without the empty documents (cluster -1); the load-time check allows that."""
    texts = [d.text for d in demo_docs[:100]] + ["the of and", "", "12345"]
    m = TextClusterer(k=3, embedder="tfidf-lsa").fit(texts)
    assert m.n_empty_docs_ == 3
    m.save(tmp_path / "m")
    loaded = TextClusterer.load(tmp_path / "m")
    assert np.array_equal(loaded.predict(texts), m.labels_)


def _corrupt(path, how):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if how == "truncate" else data[:-1] + bytes([data[-1] ^ 1]))


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_damaged_array_file_is_refused(kmeans_model, tmp_path, how):
    kmeans_model.save(tmp_path / "m")
    _corrupt(next((tmp_path / "m").glob("*components_*.npy")), how)
    with pytest.raises(InputError, match="checksum"):
        TextClusterer.load(tmp_path / "m")


def test_damaged_word2vec_file_is_refused(hdbscan_model, tmp_path):
    hdbscan_model.save(tmp_path / "m")
    _corrupt(next((tmp_path / "m").glob("*.w2v")), "flip")
    with pytest.raises(InputError, match="checksum"):
        TextClusterer.load(tmp_path / "m")


def _edit_config(d, fn):
    cfg = json.loads((d / CONFIG_NAME).read_text())
    fn(cfg)
    (d / CONFIG_NAME).write_text(json.dumps(cfg))


@pytest.mark.parametrize("version, message", [(FORMAT_VERSION - 1, "re-fit"), (FORMAT_VERSION + 1, "upgrade")])
def test_other_format_versions_get_a_clear_message(kmeans_model, tmp_path, version, message):
    kmeans_model.save(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda c: c.update(format_version=version))
    with pytest.raises(InputError, match=f"format version {version}.*{message}"):
        TextClusterer.load(tmp_path / "m")


def test_foreign_or_missing_directories(kmeans_model, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        TextClusterer.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a textcluster model"):
        TextClusterer.load(tmp_path / "empty")
    kmeans_model.save(tmp_path / "m")
    _edit_config(tmp_path / "m", lambda c: c.update(format="something-else"))
    with pytest.raises(InputError, match="foreign"):
        TextClusterer.load(tmp_path / "m")


def test_config_cannot_name_arbitrary_classes(kmeans_model, tmp_path):
    kmeans_model.save(tmp_path / "m")

    def evil(c):
        c["model"]["state"]["reducer_"]["estimator"] = "os:system"
    _edit_config(tmp_path / "m", evil)
    with pytest.raises(InputError, match="refusing"):
        TextClusterer.load(tmp_path / "m")


def test_config_cannot_point_outside_the_directory(kmeans_model, tmp_path):
    kmeans_model.save(tmp_path / "m")

    def escape(c):
        c["model"]["state"]["labels_"] = {"npy": "../../etc/passwd"}
    _edit_config(tmp_path / "m", escape)
    with pytest.raises(InputError, match="checksummed"):
        TextClusterer.load(tmp_path / "m")


def test_unsupported_component_raises_clear_error(demo_docs, tmp_path):
    m = TextClusterer(k=3, embedder="tfidf-lsa").fit(demo_docs[:60])

    class Foreign:  # not a textcluster/scikit-learn/hdbscan object: no safe format
        pass
    m.reducer_ = Foreign()
    with pytest.raises(InputError, match="cannot save model.reducer_"):
        m.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(InputError, match="not fitted"):
        TextClusterer().save(tmp_path / "m")


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cli_cluster_saves_model_and_predict_reproduces_it(demo_path, tmp_path, capsys):
    out = tmp_path / "res"
    code, _, err = _run(["cluster", demo_path, "--k", 8, "--embedding", "tfidf-lsa", "--out", out, "-q"], capsys)
    assert code == 0, err
    assert (out / "model" / CONFIG_NAME).is_file()
    pred = tmp_path / "pred.csv"
    code, stdout, err = _run(["predict", out / "model", demo_path, "--out", pred], capsys)
    assert code == 0, err
    fitted = {r["id"]: (r["cluster"], r["topic"])
              for r in csv.DictReader(open(out / "assignments.csv", encoding="utf-8"))}
    rows = list(csv.DictReader(open(pred, encoding="utf-8")))
    assert list(rows[0]) == ["id", "cluster", "topic", "text"] and len(rows) == 480
    assert all(fitted[r["id"]] == (r["cluster"], r["topic"]) for r in rows)
    # the cluster output folder itself is accepted too
    code, _, err = _run(["predict", out, demo_path, "--out", tmp_path / "p2.csv", "-q"], capsys)
    assert code == 0, err


def test_cli_predict_bad_model_is_one_line_exit_2(demo_path, tmp_path, capsys):
    (tmp_path / "m").mkdir()
    code, _, err = _run(["predict", tmp_path / "m", demo_path, "--out", tmp_path / "p.csv"], capsys)
    assert code == 2 and err.count("\n") == 1 and "not a textcluster model" in err
    assert not (tmp_path / "p.csv").exists()


def test_torch_reducer_is_saved_with_safetensors(demo_docs, tmp_path, no_pickle):
    from textcluster.nn import AutoEncoder

    m = TextClusterer(k=4, embedder="tfidf-lsa", reducer="pca").fit(demo_docs[:120])
    # swap in a torch autoencoder as the reducer (what reduce="ae" builds once registered)
    m.reducer_ = AutoEncoder(n_components=6, max_epochs=3, device="cpu").fit(m.vectors_)
    m.embedding_ = m.reducer_.transform(m.vectors_)
    m.labels_ = m.clusterer_.fit(m.embedding_).labels_
    __import__("textcluster.frames", fromlist=["x"]).update_topic_centroids(m)  # centroids in the new space
    m.save(tmp_path / "m")
    assert (tmp_path / "m" / "model.reducer_" / "weights.safetensors").is_file()
    loaded = TextClusterer.load(tmp_path / "m")
    assert type(loaded.reducer_) is AutoEncoder
    assert np.array_equal(loaded.predict(demo_docs[:120]), m.labels_)
    _corrupt(tmp_path / "m" / "model.reducer_" / "weights.safetensors", "flip")
    with pytest.raises(InputError, match="checksum"):
        TextClusterer.load(tmp_path / "m")


_FAST = {"word2vec": {"vector_size": 16, "epochs": 3}, "glove": {"vector_size": 16, "epochs": 3},
         "deepwalk": {"vector_size": 16, "walks_per_node": 2, "walk_length": 10}}


@pytest.mark.parametrize("embedding", __import__("textcluster.registry", fromlist=["x"]).embedder_names())
def test_every_registered_embedder_roundtrips(embedding, demo_docs, tmp_path):
    m = TextClusterer(k=4, embedder=make_embedder(embedding, **_FAST.get(embedding, {}))).fit(demo_docs[:120])
    m.save(tmp_path / "m")
    assert np.array_equal(TextClusterer.load(tmp_path / "m").predict(demo_docs[:120]), m.labels_)
