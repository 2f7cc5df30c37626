"""GloVe: the loss falls, vectors reflect co-occurrence, seeds reproduce, checkpoints resume exactly."""

import numpy as np
import pytest

from textcluster import DocumentEmbedder, GloVeEmbedder, InputError, make_embedder
from textcluster.embed.glove import train_glove


@pytest.fixture(scope="module")
def two_topic_docs():
    rng = np.random.default_rng(0)
    a = [f"a{i}" for i in range(12)]
    b = [f"b{i}" for i in range(12)]
    # Documents of topic a (odd) or b (even): 85 % of their words from their own topic.
    return [[str(rng.choice(a) if (rng.random() < 0.85) == (k % 2 == 1) else rng.choice(b)) for _ in range(15)]
            for k in range(200)]


def _cos(kv, u, v):
    x, y = kv[u], kv[v]
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_glove_learns_topics_and_loss_falls(two_topic_docs):
    g = GloVeEmbedder(vector_size=8, window=3, min_count=1, epochs=40, x_max=10.0, batch_size=256,
                      random_state=0).fit(two_topic_docs)
    assert g.wv_.vectors.shape == (24, 8) and g.wv_.vectors.dtype == np.float32
    assert g.losses_[-1] < 0.5 * g.losses_[0]
    within = np.mean([_cos(g.wv_, f"a{i}", f"a{j}") for i in range(12) for j in range(i + 1, 12)])
    across = np.mean([_cos(g.wv_, f"a{i}", f"b{j}") for i in range(12) for j in range(12)])
    assert within > 0.5 > -0.5 > across
    assert g.wv_.get_vecattr("a0", "count") > 0 and g.nnz_ > 0 and len(g.seconds_per_epoch_) == 40


def test_seed_reproduces_and_differs(two_topic_docs):
    kw = dict(vector_size=8, window=3, min_count=1, epochs=3, batch_size=128)
    a = GloVeEmbedder(random_state=1, **kw).fit(two_topic_docs).wv_.vectors
    b = GloVeEmbedder(random_state=1, **kw).fit(two_topic_docs).wv_.vectors
    c = GloVeEmbedder(random_state=2, **kw).fit(two_topic_docs).wv_.vectors
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 40, 300), rng.integers(0, 40, 300)
    keys = np.unique(rows * 40 + cols)
    rows, cols = keys // 40, keys % 40
    vals = rng.integers(1, 20, len(keys)).astype(float)
    kw = dict(vector_size=6, batch_size=64, seed=5, x_max=10.0)
    full = train_glove(rows, cols, vals, 40, epochs=4, **kw)
    ck = tmp_path / "ck"
    train_glove(rows, cols, vals, 40, epochs=2, checkpoint_dir=ck, checkpoint_every=2, **kw)
    assert sorted(p.name for p in ck.iterdir()) == ["glove.pt"]  # the torch trainers' one checkpointer
    import torch
    assert torch.load(ck / "glove.pt", weights_only=True)["epoch"] == 2
    resumed = train_glove(rows, cols, vals, 40, epochs=4, checkpoint_dir=ck, resume=True, **kw)
    np.testing.assert_allclose(resumed["W"], full["W"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(resumed["losses"], full["losses"], rtol=1e-6)
    with pytest.raises(InputError, match="other settings"):
        train_glove(rows, cols, vals * 2, 40, epochs=4, checkpoint_dir=ck, resume=True, **kw)


def test_embedder_api(demo_docs, two_topic_docs, tmp_path):
    emb = make_embedder("glove", pooling="sif", vector_size=8, epochs=2)
    assert isinstance(emb, DocumentEmbedder) and isinstance(emb.word_embedder, GloVeEmbedder)
    X = emb.fit_transform(two_topic_docs)
    assert X.shape == (200, 8) and X.dtype == np.float32
    g = GloVeEmbedder(vector_size=4, epochs=2, min_count=1, checkpoint_dir=tmp_path / "c", checkpoint_every=1)
    g.fit(two_topic_docs)
    assert (tmp_path / "c" / "glove.pt").exists()


@pytest.mark.parametrize("bad, match", [({"vector_size": 0}, "vector_size"), ({"x_max": -1.0}, "x_max"),
                                        ({"epochs": 0}, "epochs"), ({"resume": True}, "checkpoint_dir"),
                                        ({"device": "tpu"}, "device")])
def test_bad_arguments(two_topic_docs, bad, match):
    with pytest.raises(InputError, match=match):
        GloVeEmbedder(**bad).fit(two_topic_docs)


def test_cuda_requested_without_gpu(two_topic_docs):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(InputError, match="CUDA"):
        GloVeEmbedder(device="cuda").fit(two_topic_docs)
