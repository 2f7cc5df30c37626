"""Encoder core: blocks, named losses, the training loop (checkpoint / resume), device and seeding."""
import math

import numpy as np
import pytest
import torch

from textcluster.errors import InputError
from textcluster.nn import AutoEncoder, Checkpointer, Decoder, Encoder, StopTraining, time_limit, train_epochs
from textcluster.nn.base import resolve_device
from textcluster.nn.losses import (dec_loss, idec_loss, reconstruction_loss, soft_assignment, target_distribution,
                                   vae_loss)


@pytest.mark.parametrize("arch,shape", [("mlp", (64,)), ("mlp", (1, 8, 8)), ("conv", (1, 8, 8)),
                                        ("conv", (3, 16, 12))])
def test_encoder_decoder_shapes(arch, shape):
    d = int(np.prod(shape))
    enc, dec = Encoder(shape, 5, (16,), arch=arch), Decoder(5, shape, (16,), arch=arch, out_activation="tanh")
    x = torch.randn(7, d)
    z = enc(x)
    assert z.shape == (7, 5)
    out = dec(z)
    assert out.shape == (7, d) and out.abs().max() <= 1


def test_conv_needs_image_shape():
    with pytest.raises(ValueError, match="divisible by 4"):
        Encoder((30,), 2, arch="conv")


def test_losses_named_terms_and_values():
    x = torch.zeros(4, 3)
    assert reconstruction_loss(x, x + 1)["recon"].item() == pytest.approx(1.0)
    mu, logvar = torch.zeros(4, 2), torch.zeros(4, 2)
    t = vae_loss(x, x, mu, logvar, beta=2.0)
    assert set(t) == {"loss", "recon", "kl"} and t["kl"].item() == pytest.approx(0.0)
    z = torch.tensor([[0.0, 0.0], [10.0, 10.0]])
    q = soft_assignment(z, torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
    assert torch.allclose(q.sum(1), torch.ones(2)) and q[0, 0] > 0.99
    p = target_distribution(torch.tensor([[0.6, 0.4], [0.4, 0.6]]))
    assert p[0, 0] > 0.6  # sharpened
    assert dec_loss(p, p)["kl"].item() == pytest.approx(0.0, abs=1e-6)
    assert set(idec_loss(x, x, p, p)) == {"loss", "recon", "kl"}


def test_training_loop_averages_terms_and_stops_early():
    calls = []

    def step(idx):
        calls.append(len(idx))
        return {"a": torch.tensor(1.0), "b": 2.0}

    def hook(epoch):
        if epoch == 2:
            raise StopTraining("enough")

    hist = train_epochs(step, 10, max_epochs=5, batch_size=4, device=torch.device("cpu"), modules={},
                        optimizers={}, on_epoch_start=hook)
    assert len(hist) == 2 and hist[0] == {"a": 1.0, "b": 2.0}
    assert calls[:3] == [4, 4, 2]


def test_time_limit_cuts_phases_and_resume_continues(tmp_path):
    import time

    from textcluster.nn import IDEC

    def slow_step(idx):
        time.sleep(0.02)
        return {"a": 1.0}

    kw = dict(batch_size=5, device=torch.device("cpu"), modules={}, optimizers={})
    with time_limit(0.05) as cut:  # each epoch of 2 batches takes 0.04 s: stops after 1-3 of 50 epochs
        hist = train_epochs(slow_step, 10, max_epochs=50, phase="first", **kw)
        rest = train_epochs(slow_step, 10, max_epochs=50, phase="second", **kw)
    assert 1 <= len(hist) <= 3 and rest == [] and cut == [("first", len(hist)), ("second", 0)]
    with time_limit(None) as cut:  # no limit: runs to the end, nothing reported
        assert len(train_epochs(slow_step, 10, max_epochs=2, **kw)) == 2 and cut == []

    # a model cut mid-training is still usable, and its checkpoint resumes rather than counting as done
    X = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    with time_limit(0.0) as cut:
        m = IDEC(2, hidden=(8,), pretrain_epochs=3, max_epochs=3, device="cpu", checkpoint_dir=tmp_path).fit(X)
    assert cut == [("pretrain", 0), ("cluster", 0)] and m.n_epochs_ == {"pretrain": 0, "cluster": 0}
    assert m.labels_.shape == (40,)
    m2 = IDEC(2, hidden=(8,), pretrain_epochs=3, max_epochs=3, device="cpu", checkpoint_dir=tmp_path,
              resume=True).fit(X)
    assert m2.n_epochs_["pretrain"] == 3


def test_checkpoint_resume_matches_uninterrupted(tmp_path):
    X = np.random.default_rng(0).normal(size=(64, 6)).astype(np.float32)
    kw = dict(hidden=(8,), batch_size=16, device="cpu", random_state=3)
    full = AutoEncoder(2, max_epochs=4, **kw).fit(X)
    AutoEncoder(2, max_epochs=2, checkpoint_dir=tmp_path, checkpoint_every=1, **kw).fit(X)
    state = torch.load(tmp_path / "autoencoder.pt", weights_only=True)
    assert state["epoch"] == 2
    resumed = AutoEncoder(2, max_epochs=4, checkpoint_dir=tmp_path, checkpoint_every=1, resume=True, **kw).fit(X)
    assert resumed.n_epochs_ == 4
    np.testing.assert_allclose(resumed.transform(X), full.transform(X), atol=1e-5)
    again = AutoEncoder(2, max_epochs=4, checkpoint_dir=tmp_path, resume=True, **kw).fit(X)  # done: no training
    np.testing.assert_allclose(again.transform(X), full.transform(X), atol=1e-5)


def test_checkpointer_disabled_is_noop(tmp_path):
    c = Checkpointer(None)
    c.save("x", epoch=1, modules={}, optimizers={}, history=[])
    assert c.load("x", modules={}, optimizers={}) is None


def test_device_auto_and_missing_cuda():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA is not available"):
            resolve_device("cuda")


def test_seeding_is_local_and_reproducible():
    X = np.random.default_rng(1).normal(size=(40, 5)).astype(np.float32)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = AutoEncoder(2, hidden=(8,), max_epochs=2, device="cpu", random_state=0).fit(X).transform(X)
    after = torch.rand(1)
    assert torch.equal(before, after)  # global RNG untouched
    b = AutoEncoder(2, hidden=(8,), max_epochs=2, device="cpu", random_state=0).fit(X).transform(X)
    c = AutoEncoder(2, hidden=(8,), max_epochs=2, device="cpu", random_state=1).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_import_does_not_load_torch():
    import subprocess
    import sys
    code = "import sys, textcluster.nn, textcluster.cluster, textcluster.reduce; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_matches_shapes_and_saves(tmp_path):
    from textcluster.nn import IDEC, load_model

    X = np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32)
    m = IDEC(3, hidden=(32,), pretrain_epochs=2, max_epochs=2, device="cuda").fit(X)
    assert m.device_.type == "cuda" and m.labels_.shape == (200,)
    m.save(tmp_path / "m")
    np.testing.assert_array_equal(load_model(tmp_path / "m", device="cpu").predict(X), m.labels_)


def test_auto_budget_follows_data_network_and_device():
    from textcluster.nn.autoencoder import ae_cost
    from textcluster.nn.training import BUDGETS, auto_epochs, forward_macs

    lin = torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.ReLU(), torch.nn.Linear(10, 64))
    assert forward_macs(lin, torch.zeros(3, 64)) == 2 * 640
    conv = Encoder((1, 28, 28), 10, (16,), arch="conv")  # conv 1->32 on 14x14, 32->64 on 7x7, 3136->16->10
    assert forward_macs(conv, torch.zeros(1, 784)) == 14 * 14 * 32 * 16 + 7 * 7 * 64 * 32 * 16 + 3136 * 16 + 160
    assert auto_epochs(7, 10, 4) == 7  # ints pass through
    cpu = BUDGETS["autoencoder"]["cpu"]
    # a cheap network: the step budget, and never more than max_epochs passes on a small data set
    assert auto_epochs("auto", 1797, 256, cost=1e5) == cpu["max_epochs"]
    assert auto_epochs("auto", 100_000, 256, cost=1e5) == max(cpu["min_epochs"], -(-cpu["steps"] // 391))
    # a costly network gets fewer epochs on the same data; CUDA gets the longer schedule
    small, big = (auto_epochs("auto", 3000, 256, cost=c) for c in (1e5, 1e8))
    assert big == math.ceil(cpu["macs"] / (256 * 1e8) / 12) < small  # the compute cap binds
    assert auto_epochs("auto", 3000, 256, cost=1e8, device="cuda") > big
    assert auto_epochs("auto", 3000, 256, cost=1e8, device=torch.device("cuda")) > big
    e, d = Encoder((8,), 2, (4,)), Decoder(2, (8,), (4,))
    assert ae_cost(e, d, torch.zeros(5, 8), 2) == (8 * 4 + 4 * 2) + (2 * 4 + 4 * 8)


def test_progress_lines_when_piped(capsys):
    from textcluster.nn.training import progress_lines

    def step(idx):
        return {"loss": 1.0}

    kw = dict(max_epochs=2, batch_size=2, device=torch.device("cpu"), modules={}, optimizers={}, phase="demo")
    train_epochs(step, 6, **kw)
    assert capsys.readouterr().err == ""  # no lines unless asked (the library is silent by default)
    with progress_lines(0.0):  # every step, for the test; the CLI uses 10 s when stderr is not a terminal
        train_epochs(step, 6, **kw)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 6 and err[0].startswith("demo: epoch 1/2 step 1/3") and err[-1].endswith("loss=1")
