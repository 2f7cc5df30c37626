"""The streaming path: token cache, pooling/word2vec/topics from the cache, large-n clustering, CLI flags."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score as nmi

from textcluster import SpacyTokenizer, TextClusterer, make_embedder, read_corpus
from textcluster.cache import TokenCache, local_mapper
from textcluster.cache_build import build_token_cache
from textcluster.streaming import embed_from_cache, topics_from_cache, train_word2vec_from_cache
from textcluster.errors import InputError


@pytest.fixture(scope="module")
def corpus(demo_path):
    return read_corpus(demo_path)


@pytest.fixture(scope="module")
def mem_tokens(corpus):
    return SpacyTokenizer().fit().transform([d.text for d in corpus])


@pytest.fixture(scope="module")
def cache(corpus, tmp_path_factory):
    return build_token_cache(corpus, SpacyTokenizer(), tmp_path_factory.mktemp("cache"), partition_docs=100)


def test_cache_matches_in_memory_tokenization(cache, corpus, mem_tokens):
    docs = list(corpus)
    assert len(cache) == len(docs) == cache.n_docs
    assert list(cache) == mem_tokens
    assert cache[3] == mem_tokens[3] and cache[-1] == mem_tokens[-1] and cache[10:13] == mem_tokens[10:13]
    assert cache.ids == [d.id for d in docs] and cache.labels == [d.label for d in docs]
    counts = Counter(t for d in mem_tokens for t in d)
    assert dict(zip(cache.words, cache.counts.tolist())) == dict(counts)
    df = Counter(t for d in mem_tokens for t in set(d))
    assert dict(zip(cache.words, cache.df.tolist())) == dict(df)
    # canonical order: count descending, then word
    assert list(zip(-cache.counts, cache.words)) == sorted(zip(-cache.counts, cache.words))
    assert isinstance(cache.tokens, np.memmap) and cache.tokens.dtype == np.int32
    assert cache.offsets[-1] == cache.n_tokens == sum(map(len, mem_tokens))


def test_cache_bytes_do_not_depend_on_partitions_or_workers(cache, corpus, tmp_path):
    other = build_token_cache(corpus, SpacyTokenizer(), tmp_path, partition_docs=333,
                              mapper=local_mapper(2))
    for name in ("tokens.i32", "offsets.i64", "vocab.tsv", "docs.jsonl"):
        assert (other.path / name).read_bytes() == (cache.path / name).read_bytes(), name


def test_cache_is_reused_and_interrupt_leaves_nothing(corpus, tmp_path):
    first = build_token_cache(corpus, SpacyTokenizer(), tmp_path)

    def never(settings, partitions):
        raise AssertionError("a matching cache must be reused, not rebuilt")
        yield
    again = build_token_cache(corpus, SpacyTokenizer(), tmp_path, mapper=never)
    assert again.path == first.path
    # different settings -> a different cache; an interrupted build leaves no folder behind
    def interrupted(settings, partitions):
        for i, texts in enumerate(partitions):
            if i == 1:
                raise KeyboardInterrupt
            yield local_mapper(1)(settings, [texts]).__next__()
    with pytest.raises(KeyboardInterrupt):
        build_token_cache(corpus, SpacyTokenizer(remove_stop=False), tmp_path, mapper=interrupted,
                          partition_docs=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.path.name]


def test_cache_refuses_bad_input(tmp_path):
    with pytest.raises(InputError, match="one-shot"):
        build_token_cache((d for d in ["a b"]), SpacyTokenizer(), tmp_path)
    with pytest.raises(InputError, match="no documents"):
        build_token_cache([], SpacyTokenizer(), tmp_path)
    with pytest.raises(InputError, match="not a textcluster token cache"):
        TokenCache(tmp_path)


@pytest.mark.parametrize("pooling", ["mean", "tfidf", "sif"])
def test_pooling_from_cache_equals_document_embedder(cache, mem_tokens, pooling, tmp_path):
    from textcluster.registry import make_embedder

    de = make_embedder("word2vec", pooling=pooling, epochs=2, random_state=0)
    X = embed_from_cache(de, cache, tmp_path / "v.npy")
    assert isinstance(X, np.memmap) and X.dtype == np.float32 and X.shape == (len(mem_tokens), 100)
    # the fitted embedder maps the same tokens to the same vectors in memory
    np.testing.assert_allclose(np.asarray(X), de.transform(mem_tokens), atol=1e-5)
    assert de.n_empty_ == int((np.abs(np.asarray(X)).sum(1) == 0).sum())


@pytest.mark.parametrize("max_fit_rows", [10**9, 200])
def test_tfidf_lsa_from_cache_equals_the_stage_in_memory(cache, mem_tokens, max_fit_rows, tmp_path):
    """The streamed TF-IDF + LSA stage: vocabulary and idf from the cache's statistics, SVD on all rows or on
    the same seeded sample of rows as in memory; the same vectors."""
    from textcluster.embed.lsa import TfidfLsaEmbedder

    mem, streamed = TfidfLsaEmbedder(random_state=0), TfidfLsaEmbedder(random_state=0)
    mem.max_fit_rows = streamed.max_fit_rows = max_fit_rows
    A = mem.fit_transform(mem_tokens)
    X = embed_from_cache(streamed, cache, tmp_path / "v.npy")
    assert isinstance(X, np.memmap) and X.shape == A.shape
    assert streamed.vectorizer_.vocabulary_ == mem.vectorizer_.vocabulary_
    np.testing.assert_allclose(streamed.vectorizer_.idf_, mem.vectorizer_.idf_)
    assert abs(streamed.vectorizer_.transform(mem_tokens) - mem.vectorizer_.transform(mem_tokens)).max() < 1e-12
    np.testing.assert_allclose(np.asarray(X), A, atol=1e-5)
    assert streamed.n_empty_ == mem.n_empty_
    np.testing.assert_allclose(streamed.transform(mem_tokens[:20]), A[:20], atol=1e-5)


def test_concat_embedder_from_cache(cache, mem_tokens, tmp_path):
    """word2vec+tfidf-lsa streams through the same stages: each part written into its columns of one memmap,
    then combined in place (unit blocks, unit rows)."""
    from textcluster.embed.pooling import ConcatEmbedder

    ce = make_embedder("word2vec+tfidf-lsa", epochs=2, random_state=0)
    X = embed_from_cache(ce, cache, tmp_path / "v.npy")
    assert isinstance(ce, ConcatEmbedder) and isinstance(X, np.memmap) and X.shape[0] == len(mem_tokens)
    assert X.shape[1] == sum(e.transform(mem_tokens[:2]).shape[1] for e in ce.embedders_)
    np.testing.assert_allclose(np.asarray(X), ce.transform(mem_tokens), atol=1e-5)
    norms = np.linalg.norm(np.asarray(X), axis=1)
    assert np.allclose(norms[norms > 0], 1, atol=1e-5) and ce.n_empty_ == int((norms == 0).sum())


def test_default_auto_embedder_streams_its_choice(cache, mem_tokens, tmp_path):
    """The default "auto" embedder decides from the cache's token count and streams what it chose: above
    small_tokens the word2vec+tfidf-lsa memmap path."""
    from textcluster.embed.sentence import AutoEmbedder

    auto = make_embedder("auto", epochs=2, random_state=0).set_params(small_tokens=10)
    X = embed_from_cache(auto, cache, tmp_path / "v.npy")
    assert isinstance(auto, AutoEmbedder) and auto.chosen_ == "corpus" and auto.n_tokens_ == cache.n_tokens
    assert isinstance(X, np.memmap) and X.shape[0] == len(mem_tokens)
    np.testing.assert_allclose(np.asarray(X), auto.transform(mem_tokens), atol=1e-5)


def test_word2vec_corpus_file_mode(cache):
    from textcluster import Word2VecEmbedder

    we = train_word2vec_from_cache(Word2VecEmbedder(workers=2, epochs=2, min_count=3), cache, corpus_file=True)
    lines = (cache.path / "corpus-shuffled.txt").read_text().splitlines()
    assert len(lines) == cache.n_docs and lines != [" ".join(d) for d in cache]  # every document, shuffled
    assert sorted(lines) == sorted(" ".join(d) for d in cache)
    assert set(we.wv_.key_to_index) == {w for w, c in zip(cache.words, cache.counts) if c >= 3}


def test_cache_feeds_cooccurrence_counting(cache, mem_tokens):
    from textcluster.cooccurrence import build_vocabulary, count_cooccurrences

    words, _ = build_vocabulary(mem_tokens, min_count=2)
    index = {w: i for i, w in enumerate(words)}
    a = count_cooccurrences(cache, index, window=3, chunk_tokens=500)
    b = count_cooccurrences(mem_tokens, index, window=3)
    assert abs(a - b).max() < 1e-4


def test_topics_from_cache_equal_ctfidf(cache, mem_tokens):
    from textcluster.topics import ctfidf_words

    labels = np.random.default_rng(0).integers(-1, 4, size=len(mem_tokens))
    X = np.random.default_rng(1).normal(size=(len(mem_tokens), 5)).astype(np.float32)
    topics = topics_from_cache(cache, labels, X, top_n=6)
    ref = ctfidf_words(mem_tokens, labels, top_n=6, bigrams=False)
    assert [t.cluster for t in topics] == sorted(ref, key=lambda c: (c < 0, -(labels == c).sum(), c))
    for t in topics:
        assert [w for w, _ in t.words] == [w for w, _ in ref[t.cluster]]
        assert t.size == int((labels == t.cluster).sum())


def test_fit_corpus_matches_fit_and_switches_to_minibatch(corpus, monkeypatch):
    streamed = TextClusterer(k=8, random_state=0, embedder=make_embedder("word2vec", epochs=2)).fit_corpus(corpus)
    memory = TextClusterer(k=8, random_state=0, embedder=make_embedder("word2vec", epochs=2)).fit(list(corpus))
    assert streamed.algorithm_ == "kmeans" and len(streamed.labels_) == len(memory.labels_)
    assert streamed.doc_ids_ == memory.doc_ids_ and streamed.texts_ is None
    assert set(streamed.embedder_.wv_.key_to_index) == set(memory.embedder_.wv_.key_to_index)
    assert len(streamed.topics_) == streamed.n_clusters_ == 8
    # predict goes through the ordinary in-memory path
    assert (streamed.predict(list(corpus)[:50]) == streamed.labels_[:50]).mean() > 0.9
    import textcluster.registry as R
    monkeypatch.setattr(R, "LARGE_N", 100)
    big = TextClusterer(k=8, random_state=0, embedder=make_embedder("word2vec", epochs=2)).fit_corpus(corpus)
    assert big.algorithm_ == "minibatch-kmeans" and type(big.clusterer_).__name__ == "MiniBatchKMeansClusterer"
    assert big.labels_.shape == (480,) and len(big.topics_) == big.n_clusters_  # quality: see the blobs test


def test_stream_chosen_by_document_count(demo_path, tmp_path):
    """Many tiny documents are streamed even when the file is small in bytes (threshold set by parameter)."""
    from textcluster.jobs import STREAM_DOCS, choose_stream, run_cluster

    txt = tmp_path / "tiny.txt"
    txt.write_text("".join(f"{json.loads(line)['text'][:60]}\n" for line in demo_path.read_text().splitlines()))
    corpus = read_corpus(txt)
    assert corpus.estimate_docs() == 480 and choose_stream(corpus)[0] is False  # 480 <= STREAM_DOCS
    assert STREAM_DOCS < 10**6  # a million one-line documents are streamed by default
    stream, why = choose_stream(corpus, stream_docs=100)
    assert stream is True and "480 documents > 100" in why
    assert choose_stream(corpus, stream_docs=480)[0] is False
    assert choose_stream(corpus, stream_bytes=100)[0] is True  # by bytes first
    _, m = run_cluster(txt, tmp_path / "out", k=5, epochs=2, map_=False, stream_docs=100, n_process=1)
    assert m["streamed"] is True and "480 documents" in m["streamed_why"] and m["n_docs"] == 480
    _, m = run_cluster(txt, tmp_path / "out2", k=5, epochs=2, map_=False, n_process=1)
    assert m["streamed"] is False and m["n_docs"] == 480


def test_cluster_job_switches_to_minibatch_and_leaves_empty_documents_out(tmp_path, monkeypatch):
    """``cluster --algorithm kmeans`` (the default) runs MiniBatchKMeans above LARGE_N documents, on both paths;
    empty documents stay out of it (weight 0, label -1) without a copy of the vectors."""
    import textcluster.registry as R
    from textcluster.jobs import run_cluster

    monkeypatch.setattr(R, "LARGE_N", 100)
    rng = np.random.default_rng(0)
    topics = [[f"{a}{b}" for b in ("ka", "lo", "mi", "ren", "tor", "vek")] for a in ("zor", "pim", "dax")]
    lines = [" ".join(rng.choice(topics[i % 3], 6)) for i in range(300)]
    lines[::25] = ["the and of"] * len(lines[::25])  # stop words only: empty documents
    txt = tmp_path / "docs.txt"
    txt.write_text("\n".join(lines) + "\n")
    for stream in (False, True):
        model, m = run_cluster(txt, tmp_path / f"out{stream}", k=3, epochs=2, map_=False, stream=stream,
                               n_process=1)
        assert m["algorithm"] == "minibatch-kmeans" and m["n_empty_docs"] == 12
        empty = np.arange(300) % 25 == 0
        assert (model.labels_[empty] == -1).all() and (model.labels_[~empty] >= 0).all()
        truth = np.arange(300) % 3
        assert nmi(truth[~empty], model.labels_[~empty]) > 0.9


def test_minibatch_kmeans_and_hdbscan_on_a_sample():
    from sklearn.datasets import make_blobs

    from textcluster.cluster import HDBSCANClusterer, MiniBatchKMeansClusterer
    from textcluster.registry import make_clusterer, resolve_clusterer as resolve_algorithm

    X, y = make_blobs(3000, n_features=8, centers=5, cluster_std=0.6, random_state=0)
    km = make_clusterer("minibatch-kmeans", k=5, random_state=0).fit(X)
    assert isinstance(km, MiniBatchKMeansClusterer) and nmi(y, km.labels_) > 0.95
    assert (km.predict(X[:100]) == km.labels_[:100]).all()
    hd = HDBSCANClusterer(max_fit_samples=400, random_state=0).fit(X)
    assert hd.fit_samples_ == 400 and hd.labels_.shape == (3000,) and hd.probabilities_.shape == (3000,)
    assert nmi(y, hd.labels_) > 0.9
    assert HDBSCANClusterer(max_fit_samples=None).fit(X[:500]).fit_samples_ == 500
    with pytest.raises(InputError, match="max_fit_samples"):
        HDBSCANClusterer(max_fit_samples=1).fit(X)
    assert resolve_algorithm("kmeans", 10**6) == "minibatch-kmeans"
    assert resolve_algorithm("kmeans", 100) == "kmeans" and resolve_algorithm("hdbscan", 10**6) == "hdbscan"


def test_cli_stream_and_cache_dir(demo_path, tmp_path):
    from typer.testing import CliRunner

    from textcluster.cli import app

    out, cdir = tmp_path / "out", tmp_path / "cache"
    args = ["cluster", str(demo_path), "--k", "8", "--out", str(out), "--cache-dir", str(cdir), "-q",
            "--epochs", "3"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["streamed"] is True and m["algorithm"] == "kmeans" and m["n_docs"] == 480 and "nmi" in m
    rows = (out / "assignments.csv").read_text().splitlines()
    assert rows[0] == "id,cluster,label,topic" and rows[1].startswith("d0001,") and len(rows) == 481
    assert len(list(cdir.glob("tokens-*/meta.json"))) == 1


def test_cli_ctrl_c_exits_130_and_writes_nothing(demo_path, tmp_path):
    big = tmp_path / "big.jsonl"
    lines = demo_path.read_text().splitlines()
    with open(big, "w") as fh:
        for rep in range(100):  # long enough that the cache is still being written when Ctrl-C comes
            for line in lines:
                rec = json.loads(line)
                rec["id"] = f"{rec['id']}-{rep}"
                fh.write(json.dumps(rec) + "\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "textcluster.cli", "cluster", str(big), "--out", str(out),
                             "--cache-dir", str(tmp_path / "cache"), "-q", "--n-process", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a background parent may ignore SIGINT; give the child the default (Ctrl-C) behaviour
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list((tmp_path / "cache").glob(".tokens.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the cache is being written
    time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    assert not list((tmp_path / "cache").glob("tokens-*"))
    assert not list((tmp_path / "cache").glob(".tokens.tmp-*"))
