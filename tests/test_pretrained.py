"""Pretrained vectors: GloVe text / word2vec text / word2vec binary files load into KeyedVectors; OOV counts;
export; nearest words; the CLI's --embedding PATH, neighbors and --save-vectors."""
import json

import numpy as np
import pytest
from gensim.models import KeyedVectors

from textcluster import InputError, PretrainedEmbedder, load_vectors, make_embedder, nearest_words, save_vectors
from textcluster.cli import main
from textcluster.embed.pretrained import detect_format

WORDS = ["rocket", "orbit", "launch", "bread", "oven", "flour"]


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(0)
    space, food = rng.normal(size=4), rng.normal(size=4)
    vecs = np.stack([space + 0.1 * rng.normal(size=4) for _ in range(3)] +
                    [food + 0.1 * rng.normal(size=4) for _ in range(3)]).astype(np.float32)
    k = KeyedVectors(vector_size=4)
    k.add_vectors(WORDS, vecs)
    return k


@pytest.fixture(scope="module")
def files(kv, tmp_path_factory):
    d = tmp_path_factory.mktemp("vectors")
    glove = d / "glove.txt"
    glove.write_text("".join(f"{w} " + " ".join(f"{x:.6f}" for x in kv[w]) + "\n" for w in WORDS), encoding="utf-8")
    kv.save_word2vec_format(str(d / "w2v.txt"), binary=False)
    kv.save_word2vec_format(str(d / "w2v.bin"), binary=True)
    return {"glove": glove, "word2vec": d / "w2v.txt", "word2vec-binary": d / "w2v.bin"}


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "word2vec-binary"])
def test_formats_load_the_same_vectors(files, kv, fmt):
    assert detect_format(files[fmt]) == fmt
    loaded = load_vectors(files[fmt])
    assert loaded.index_to_key == WORDS
    np.testing.assert_allclose(loaded.vectors, kv.vectors, atol=1e-5)


def test_oov_counts_and_document_vectors(files):
    docs = [["rocket", "orbit", "zzz"], ["bread", "zzz", "yyy"], ["qqq"]]
    emb = PretrainedEmbedder(files["glove"]).fit(docs)
    assert (emb.n_tokens_, emb.n_oov_tokens_, emb.n_types_, emb.n_oov_types_) == (7, 4, 6, 3)
    assert emb.top_oov_[0] == ("zzz", 2) and emb.oov_rate_ == pytest.approx(4 / 7)
    de = make_embedder(str(files["word2vec"]), pooling="mean")
    X = de.fit_transform(docs)
    assert X.shape == (3, 4) and de.n_empty_ == 1 and not X[2].any()
    # refit=False pools an already fitted word embedder as is (no clone, no reload)
    from textcluster import DocumentEmbedder
    shared = DocumentEmbedder(emb, pooling="sif", refit=False)
    assert shared.fit_transform(docs).shape == (3, 4) and shared.word_embedder_ is emb
    with pytest.raises(InputError, match="refit=False"):
        DocumentEmbedder(PretrainedEmbedder(files["glove"]), refit=False).fit(docs)


def test_export_and_neighbors(kv, tmp_path):
    path = save_vectors(kv, tmp_path / "sub" / "out.txt")
    assert path.read_text(encoding="utf-8").splitlines()[0] == "6 4"
    np.testing.assert_allclose(load_vectors(path).vectors, kv.vectors, atol=1e-5)
    near = [w for w, _ in nearest_words(kv, "rocket", topn=2)]
    assert sorted(near) == ["launch", "orbit"]
    with pytest.raises(InputError, match="not in the vocabulary"):
        nearest_words(kv, "nope")


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_vectors(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("3 4\nrocket 1 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read"):
        load_vectors(bad)


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_cli_embedding_path_neighbors_and_export(tmp_path, capsys, files):
    src = tmp_path / "docs.txt"
    src.write_text("\n".join(["rocket orbit launch"] * 5 + ["bread oven flour unknownword"] * 5), encoding="utf-8")
    code, _, err = _run(["cluster", src, "--k", 2, "--out", tmp_path / "o", "--embedding", files["glove"],
                         "--save-vectors", tmp_path / "export.txt", "-q"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["oov_tokens"] == 5 and m["n_clusters"] == 2
    assert load_vectors(tmp_path / "export.txt").index_to_key == WORDS
    code, out, err = _run(["neighbors", "rocket", "--vectors", files["word2vec-binary"], "--topn", 2], capsys)
    assert code == 0, err
    assert out.startswith("rocket: ") and "orbit" in out and "launch" in out
    code, _, err = _run(["neighbors", "rocket", "--vectors", tmp_path / "missing.txt"], capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = _run(["cluster", src, "--out", tmp_path / "o2", "--embedding", "nosuchembedder"], capsys)
    assert code == 2 and "nosuchembedder" in err and err.count("\n") == 1
    code, out, err = _run(["neighbors", "rocket", "--corpus", src, "--embedding", "glove", "--epochs", 2,
                           "--topn", 1, "--save-vectors", tmp_path / "trained.txt"], capsys)
    assert code == 0, err
    assert "rocket: " in out and len(load_vectors(tmp_path / "trained.txt")) >= 6


def test_concat_embedder_blocks_and_cli(files, tmp_path, capsys):
    from textcluster import TfidfLsaEmbedder
    from textcluster.embed import ConcatEmbedder

    docs = [["rocket", "orbit", "launch"]] * 6 + [["bread", "oven", "flour"]] * 6
    emb = make_embedder(f"{files['glove']}+tfidf-lsa", pooling="mean")
    assert isinstance(emb, ConcatEmbedder) and isinstance(emb.embedders[1], TfidfLsaEmbedder)
    X = emb.fit_transform(docs)
    assert X.shape[0] == 12 and X.shape[1] == 4 + emb.embedders_[1].svd_.n_components
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    # each unit block carries half of the squared norm with equal weights
    np.testing.assert_allclose(np.linalg.norm(X[:, :4], axis=1) ** 2, 0.5, rtol=1e-4)
    np.testing.assert_allclose(emb.transform(docs[:2]), X[:2], atol=1e-5)
    assert emb.wv_ is emb.embedders_[0].wv_
    with pytest.raises(InputError, match="weights"):
        ConcatEmbedder([TfidfLsaEmbedder()], weights=[1, 2]).fit(docs)
    src = tmp_path / "docs.txt"
    src.write_text("\n".join(" ".join(d) for d in docs), encoding="utf-8")
    code, _, err = _run(["cluster", src, "--k", 2, "--out", tmp_path / "o", "--embedding",
                         f"{files['word2vec']}+tfidf-lsa", "-q"], capsys)
    assert code == 0, err
    import csv
    clusters = [r["cluster"] for r in csv.DictReader(open(tmp_path / "o" / "assignments.csv", encoding="utf-8"))]
    assert len(set(clusters[:6])) == 1 and len(set(clusters[6:])) == 1 and clusters[0] != clusters[6]
