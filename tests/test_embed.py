import numpy as np
import pytest

from textcluster import DocumentEmbedder, InputError, TfidfLsaEmbedder, Word2VecEmbedder, make_embedder
from textcluster.embed.pooling import pool_vectors
from textcluster.embed.word2vec import auto_epochs, auto_min_count


@pytest.fixture(scope="module")
def demo_tokens(demo_docs):
    from textcluster import SpacyTokenizer

    return SpacyTokenizer().fit().transform([d.text for d in demo_docs])


def test_pool_vectors_weighted_mean_and_empty():
    V = np.array([[1.0, 0.0], [0.0, 2.0]])
    X = pool_vectors([["a", "b", "b"], [], ["zzz"]], V, {"a": 0, "b": 1}, np.array([1.0, 0.5]),
                     normalize=False)
    np.testing.assert_allclose(X[0], [1 / 2, 2 * 1.0 / 2])  # (1*a + 0.5*b + 0.5*b) / 2
    assert not X[1].any() and not X[2].any()


def test_word2vec_is_deterministic_with_one_worker(demo_tokens):
    a = Word2VecEmbedder(random_state=3, epochs=3).fit(demo_tokens).wv_
    b = Word2VecEmbedder(random_state=3, epochs=3).fit(demo_tokens).wv_
    c = Word2VecEmbedder(random_state=4, epochs=3).fit(demo_tokens).wv_
    assert a.index_to_key == b.index_to_key
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert not np.array_equal(a.vectors, c.vectors)


@pytest.mark.parametrize("block_size", [None, 7])
def test_shuffled_sentences_visit_everything_in_a_new_seeded_order_each_pass(block_size):
    from textcluster.embed.skipgram import ShuffledSentences

    docs = [[f"w{i}"] for i in range(50)]
    view = ShuffledSentences(docs, 0, block_size=block_size)
    first, second = list(view), list(view)
    assert sorted(first) == sorted(docs) == sorted(second) and first != docs and first != second
    again = ShuffledSentences(docs, 0, block_size=block_size)
    assert [list(again), list(again)] == [first, second]  # pass k is a function of the seed


@pytest.mark.parametrize("pooling", ["mean", "tfidf", "sif"])
def test_document_embedder_shapes(demo_tokens, pooling):
    emb = DocumentEmbedder(Word2VecEmbedder(vector_size=16, epochs=2), pooling=pooling)
    X = emb.fit_transform(demo_tokens)
    assert X.shape == (480, 16) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(emb.transform(demo_tokens[:5]), X[:5], atol=1e-5)
    assert emb.n_empty_ == 0


def test_tfidf_lsa_embedder(demo_tokens):
    emb = TfidfLsaEmbedder(n_components=20)
    X = emb.fit_transform(demo_tokens)
    assert X.shape == (480, 20)
    np.testing.assert_allclose(emb.transform(demo_tokens[:3]), X[:3], atol=1e-5)


def test_auto_settings_scale_with_corpus():
    assert auto_min_count(10_000) == 2 and auto_min_count(5_000_000) == 5
    assert auto_epochs(10_000) == 50 and auto_epochs(5_000_000) == 5


def test_bad_embedder_arguments():
    with pytest.raises(InputError, match="unknown embedding"):
        make_embedder("bert")
    with pytest.raises(InputError, match="no tokens"):
        Word2VecEmbedder().fit([[], []])
    with pytest.raises(InputError, match="vector_size"):
        Word2VecEmbedder(vector_size=0).fit([["a"]])


def test_ppmi_svd_vectors_follow_shared_contexts_and_are_seeded():
    """Words that share contexts get close vectors; the same seed gives the same vectors, any seed the same
    geometry (the SVD is exact up to sign and rotation inside equal singular values)."""
    from textcluster import PpmiSvdEmbedder

    rng = np.random.default_rng(0)
    topics = [["cat", "dog", "pet", "fur", "vet"], ["stock", "bond", "bank", "loan", "rate"]]
    docs = [list(rng.choice(topics[i % 2], 12)) for i in range(200)]
    a = PpmiSvdEmbedder(vector_size=8, window=4, shift=1.0, random_state=3).fit(docs)
    b = PpmiSvdEmbedder(vector_size=8, window=4, shift=1.0, random_state=3).fit(docs)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    assert a.wv_.similarity("cat", "dog") > 0.8 > 0.2 > a.wv_.similarity("cat", "bank")
    assert a.wv_.vectors.shape == (10, 8) and not a.wv_.vectors[:, 9:].any()  # 10 words: at most 9 components
    assert a.seconds_.keys() == {"cooccurrence", "svd"} and a.min_count_ == 2


def test_ppmi_svd_tiny_corpus_and_bad_settings():
    from textcluster import PpmiSvdEmbedder

    one = PpmiSvdEmbedder(vector_size=4).fit([["solo"]])  # one word, no pair: a zero vector, no crash
    assert one.wv_.index_to_key == ["solo"] and not one.wv_.vectors.any()
    for bad in ({"shift": 0.5}, {"alpha": 0}, {"weighting": "cosine"}, {"eig_power": -1}, {"window": 0}):
        with pytest.raises(InputError):
            PpmiSvdEmbedder(**bad).fit([["a", "b"]])
    with pytest.raises(InputError):
        PpmiSvdEmbedder().fit([[], []])


def test_combination_params_go_only_to_trainers_that_take_them():
    e = make_embedder("ppmi+word2vec", epochs=2, window=3, workers=1, random_state=0)
    ppmi, w2v = (part.word_embedder for part in e.embedders)
    assert ppmi.window == w2v.window == 3 and w2v.epochs == 2 and "epochs" not in ppmi.get_params()
    with pytest.raises(InputError, match="epochs"):
        make_embedder("ppmi", epochs=2)  # one trainer named alone: an unknown setting is an error
