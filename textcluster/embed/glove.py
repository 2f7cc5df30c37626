"""GloVe word vectors (Pennington et al. 2014) trained by our own torch code on a sparse co-occurrence matrix.

The loss is the weighted least squares of the paper,
``sum_ij f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2`` with ``f(x) = min(1, (x / x_max)^alpha)``,
minimised with AdaGrad over shuffled mini-batches of the non-zero entries (large batches: the gradients of
a batch are gathered per word with ``index_add_``). The final vectors are ``W + W~`` (word + context), as
in the reference implementation. Runs on CUDA when present (``device="auto"``).

Checkpoints (``checkpoint_dir``) go through the torch trainers' one :class:`~textcluster.nn.training.Checkpointer`
(``glove.pt``: parameters, AdaGrad state, loss history and the settings' fingerprint, read back with
``torch.load(weights_only=True)``: tensors and plain containers only); ``resume=True`` continues from it and
refuses a checkpoint made with other settings.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import warnings
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..cooccurrence import fit_counter, keyed_vectors
from ..errors import InputError, check_int, count_tokens, resolve_seed

__all__ = ["GloVeEmbedder", "train_glove", "resolve_device", "auto_glove_epochs"]

logger = logging.getLogger(__name__)



def resolve_device(device: str):
    """``"auto"`` -> CUDA when available else CPU; any other torch device string is used as is."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda[:n]', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' but no CUDA GPU is available; use device='auto' or 'cpu'")
    return dev


def auto_glove_epochs(nnz: int, *, budget: float = 1e8) -> int:
    """Epochs for a matrix with ``nnz`` non-zeros: about ``budget`` entry updates, clipped to [10, 100]
    (10 for matrices of 10 M entries and more, up to 100 for small corpora, where epochs are cheap)."""
    return int(min(100, max(10, math.ceil(budget / max(nnz, 1)))))


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` torch CPU threads (restored afterwards); None leaves torch's setting.

    On a busy machine one thread is often faster than several: OpenMP threads wait for each other.
    """
    import torch

    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)[0] & 0x7FFFFFFFFFFFFFFF)


def train_glove(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_words: int, *,
                vector_size: int = 100, x_max: float = 100.0, alpha: float = 0.75, epochs: int = 25,
                learning_rate: float = 0.05, batch_size: int = 65536, device: str = "auto", seed: int = 0,
                workers: int | None = 1, checkpoint_dir: str | os.PathLike | None = None,
                checkpoint_every: int = 5, resume: bool = False, fingerprint: dict | None = None, progress=None) -> dict:
    """Fit GloVe parameters on the non-zero entries of a co-occurrence matrix.

    Parameters
    ----------
    rows, cols : int arrays (nnz,)
        Word and context index of each non-zero entry.
    values : float array (nnz,)
        Co-occurrence counts ``X_ij > 0``.
    n_words : int
        V, the vocabulary size.
    vector_size, x_max, alpha, epochs, learning_rate, batch_size : see :class:`GloVeEmbedder`.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    seed : int
        Seeds the initialisation and each epoch's shuffle (epoch ``e`` uses a seed derived from
        ``(seed, e)``, so a resumed run shuffles exactly like an uninterrupted one).
    checkpoint_dir, checkpoint_every, resume : see :class:`GloVeEmbedder`.
    workers : int or None
        torch CPU threads during training (None: torch's default).
    fingerprint : dict, optional
        Settings stored with checkpoints; a resume refuses a checkpoint whose fingerprint differs.
    progress : callable, optional
        Called with 1 after each epoch.

    Returns
    -------
    dict with ``W``, ``C`` (float32 (V, d)), ``bw``, ``bc`` (float32 (V,)), ``losses`` (list of mean
    weighted loss per entry, one per epoch) and ``seconds_per_epoch`` (list).
    """
    with torch_threads(workers), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
        return _train(rows, cols, values, n_words, vector_size=vector_size, x_max=x_max, alpha=alpha,
                      epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, device=device, seed=seed,
                      checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, resume=resume,
                      fingerprint=fingerprint, progress=progress)


def _train(rows, cols, values, n_words, *, vector_size, x_max, alpha, epochs, learning_rate, batch_size, device,
           seed, checkpoint_dir, checkpoint_every, resume, fingerprint, progress) -> dict:
    import torch

    dev = resolve_device(device)
    V, d = int(n_words), int(vector_size)
    gen = torch.Generator().manual_seed(int(seed))
    # Reference initialisation: uniform in [-0.5, 0.5) / d, AdaGrad accumulators start at 1.
    # Layout trick: Wx = [W | b | 1] and Cx = [C | 1 | b~], so that Wx_i . Cx_j = w_i . c_j + b_i + b~_j is one
    # batched dot product, and one sparse product per side yields the vector and the bias gradients together.
    Wx = torch.ones(V, d + 2)
    Cx = torch.ones(V, d + 2)
    Wx[:, :d + 1] = (torch.rand(V, d + 1, generator=gen) - 0.5) / d
    Cx[:, :d] = (torch.rand(V, d, generator=gen) - 0.5) / d
    Cx[:, d + 1] = (torch.rand(V, generator=gen) - 0.5) / d
    params = {"Wx": Wx, "Cx": Cx, "gsq_W": torch.ones(V, d + 2), "gsq_C": torch.ones(V, d + 2)}
    start_epoch, losses, secs = 0, [], []
    fingerprint = dict(fingerprint or {})
    fingerprint.update({"n_words": V, "nnz": int(len(values)), "vector_size": d,
                        "values_sum": float(np.asarray(values, dtype=np.float64).sum())})
    from ..nn.training import Checkpointer  # the one checkpointer of the torch trainers

    ckpt = Checkpointer(checkpoint_dir, every=checkpoint_every, resume=resume, fingerprint=fingerprint)
    state = ckpt.load("glove", modules={}, optimizers={}, restore_rng=False)  # the order is (seed, epoch)'s
    if state is not None:
        params.update(state["extra"])
        start_epoch = state["epoch"]
        losses, secs = [h["loss"] for h in state["history"]], [h["seconds"] for h in state["history"]]
    params = {k: v.to(dev).contiguous() for k, v in params.items()}
    Wx, Cx, gW, gC = params["Wx"], params["Cx"], params["gsq_W"], params["gsq_C"]
    # Columns that receive updates: W and b on the word side, C and b~ on the context side.
    mask_w = torch.ones(d + 2, device=dev)
    mask_w[d + 1] = 0
    mask_c = torch.ones(d + 2, device=dev)
    mask_c[d] = 0

    batches = _make_batches(rows, cols, values, V, batch_size=int(batch_size), x_max=float(x_max),
                            alpha=float(alpha), seed=seed, device=dev)
    nnz = len(values)
    lr = float(learning_rate)
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        order = np.random.default_rng(_epoch_seed(seed, epoch)).permutation(len(batches))
        total = 0.0
        for b in order:
            bt = batches[b]
            wi = Wx.index_select(0, bt["i"])          # (B, d+2), rows in sorted order
            cj = Cx.index_select(0, bt["j"])          # (B, d+2)
            diff = torch.bmm(wi.unsqueeze(1), cj.unsqueeze(2)).view(-1) - bt["logx"]
            g = bt["f"] * diff                        # d loss / d (w.c + b + b~), per entry
            total += float(torch.dot(g, diff))
            # Per-word gradient sums as sparse (unique words x B) @ dense (B, d+2) products.
            S_i = torch.sparse_csr_tensor(bt["crow_i"], bt["arange"], g, (len(bt["ui"]), len(g)))
            S_j = torch.sparse_csr_tensor(bt["crow_j"], bt["perm_j"], g.index_select(0, bt["perm_j"]),
                                          (len(bt["uj"]), len(g)))
            _adagrad_rows(Wx, gW, bt["ui"], (S_i @ cj).mul_(mask_w), lr)
            _adagrad_rows(Cx, gC, bt["uj"], (S_j @ wi).mul_(mask_c), lr)
        loss = 0.5 * total / max(nnz, 1)
        if not math.isfinite(loss):
            raise InputError("GloVe training diverged (non-finite loss); lower learning_rate or batch_size")
        losses.append(loss)
        secs.append(time.perf_counter() - t0)
        logger.info("glove epoch %d/%d: loss %.5f, %.2f s", epoch + 1, epochs, loss, secs[-1])
        if progress is not None:
            progress(1)
        if ckpt.due(epoch + 1, last=epoch + 1 == epochs):
            ckpt.save("glove", epoch=epoch + 1, modules={}, optimizers={}, done=epoch + 1 == epochs,
                      history=[{"loss": a, "seconds": b} for a, b in zip(losses, secs)],
                      extra={k: v.detach().cpu() for k, v in params.items()})
    Wx, Cx = Wx.detach().cpu().numpy(), Cx.detach().cpu().numpy()
    return {"W": np.ascontiguousarray(Wx[:, :d]), "C": np.ascontiguousarray(Cx[:, :d]),
            "bw": Wx[:, d].copy(), "bc": Cx[:, d + 1].copy(), "losses": losses, "seconds_per_epoch": secs}


def _adagrad_rows(P, gsq, rows, grad, lr: float) -> None:
    """AdaGrad step on ``rows`` of ``P``: ``s = lr * g``, ``G += s^2``, ``P -= s / sqrt(G)``.

    As in the reference, ``G`` starts at 1 and accumulates squared scaled steps; unlike the reference's
    per-entry updates, ``g`` sums a whole batch's gradients for a word, so the current step is included in
    ``G`` before dividing: every coordinate then moves by less than 1 per batch, which keeps large batches
    stable for frequent words.
    """
    grad.mul_(lr)
    acc = gsq.index_select(0, rows).addcmul_(grad, grad)
    P.index_copy_(0, rows, P.index_select(0, rows).addcdiv_(grad, acc.sqrt(), value=-1.0))
    gsq.index_copy_(0, rows, acc)


def _runs(sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and CSR offsets of their runs, shapes (u,) and (u+1,)."""
    if len(sorted_ids) == 0:
        return sorted_ids, np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_ids[1:] != sorted_ids[:-1]]))
    return sorted_ids[starts], np.concatenate([starts, [len(sorted_ids)]])


def _make_batches(rows, cols, values, V: int, *, batch_size: int, x_max: float, alpha: float, seed: int,
                  device) -> list[dict]:
    """Split the non-zeros into random batches (seeded) and precompute each batch's sparse structure.

    The split into batches is drawn once; each epoch visits the batches in a fresh random order. Within a
    batch, entries are sorted by word so that gathers read rows in order and the per-word gradient sums are
    a CSR product; a second permutation sorts the batch by context word for the context-side sums.
    """
    import torch

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    x = np.asarray(values, dtype=np.float64)
    nnz = len(x)
    n_batches = max(1, -(-nnz // batch_size))
    # Random batch of every entry (seeded, balanced sizes); a stable sort by batch keeps the (row, col)
    # order inside each batch when the input is row-major, as a CSR matrix's COO view is.
    batch_of = np.empty(nnz, dtype=np.int64)
    batch_of[np.random.default_rng(np.random.SeedSequence([seed, 2**31])).permutation(nnz)] = \
        np.arange(nnz) * n_batches // max(nnz, 1)
    if not (np.all(np.diff(rows) >= 0)):
        o = np.lexsort((cols, rows))
        rows, cols, x, batch_of = rows[o], cols[o], x[o], batch_of[o]
    order = np.argsort(batch_of.astype(np.uint16 if n_batches < 65536 else np.int64), kind="stable")
    bounds = np.searchsorted(batch_of[order], np.arange(n_batches + 1))
    jkey = np.uint16 if V <= 65536 else np.int64
    out = []
    for b in range(n_batches):
        idx = order[bounds[b]:bounds[b + 1]]
        i, j, xb = rows[idx], cols[idx], x[idx]
        ui, crow_i = _runs(i)
        perm_j = np.argsort(j.astype(jkey), kind="stable")  # radix sort for small vocabularies
        uj, crow_j = _runs(j[perm_j])
        t = lambda a, dt=torch.int64: torch.as_tensor(np.ascontiguousarray(a)).to(dtype=dt, device=device)
        out.append({
            "i": t(i), "j": t(j), "logx": t(np.log(xb), torch.float32),
            "f": t(np.minimum(1.0, (xb / x_max) ** alpha), torch.float32),
            "ui": t(ui), "crow_i": t(crow_i), "uj": t(uj), "crow_j": t(crow_j),
            "perm_j": t(perm_j), "arange": torch.arange(len(idx), device=device),
        })
    return out


class GloVeEmbedder(BaseEstimator):
    """GloVe word vectors trained on the corpus; the vectors end in ``wv_`` (gensim ``KeyedVectors``).

    Parameters
    ----------
    vector_size : int
        Dimension d.
    window : int
        Symmetric context window; pairs ``k`` words apart count ``1/k``.
    min_count : int or "auto"
        Minimum word frequency ("auto" scales with corpus size, as for Word2Vec).
    max_vocab : int, optional
        Keep at most this many words.
    x_max, alpha : float
        Weighting ``f(x) = min(1, (x / x_max)^alpha)``.
    epochs : int or "auto"
        Passes over the non-zero entries ("auto": :func:`auto_glove_epochs`).
    learning_rate : float
        AdaGrad step size.
    batch_size : int
        Non-zero entries per update.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``.
    workers : int or None
        torch CPU threads while training (None: torch's default). 1 is the default because on a shared or
        busy machine extra OpenMP threads mostly wait for each other; results do not depend on it.
    checkpoint_dir : str or Path, optional
        Save parameters + AdaGrad state there (``glove.pt``) every ``checkpoint_every`` epochs.
    checkpoint_every : int
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` when there is one (same corpus and settings).
    random_state : int or None
        Seed of the initialisation and shuffles; None draws one.

    Attributes
    ----------
    wv_ : gensim KeyedVectors, V words x d, ``W + W~``
    counts_ : int64 array (V,), word frequencies
    nnz_ : int, non-zero co-occurrence entries
    losses_ : list of float, mean weighted loss per entry after each epoch
    seconds_per_epoch_ : list of float
    seconds_ : dict, wall seconds of ``cooccurrence`` and ``train``
    """

    def __init__(self, *, vector_size: int = 100, window: int = 10, min_count: int | str = "auto",
                 max_vocab: int | None = None, x_max: float = 100.0, alpha: float = 0.75,
                 epochs: int | str = "auto", learning_rate: float = 0.05, batch_size: int = 65536,
                 device: str = "auto", workers: int | None = 1, checkpoint_dir: str | os.PathLike | None = None,
                 checkpoint_every: int = 5, resume: bool = False, random_state: int | None = 0):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.x_max = x_max
        self.alpha = alpha
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.device = device
        self.workers = workers
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume
        self.random_state = random_state

    def _validate(self) -> None:
        for name in ("vector_size", "window", "batch_size", "checkpoint_every"):
            check_int(name, getattr(self, name))
        for name in ("x_max", "alpha", "learning_rate"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v > 0:
                raise InputError(f"{name} must be a positive number, got {v!r}")
        if self.epochs != "auto" and (not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1):
            raise InputError(f"epochs must be a positive int or 'auto', got {self.epochs!r}")
        if self.resume and self.checkpoint_dir is None:
            raise InputError("resume=True needs checkpoint_dir (the directory holding the checkpoint)")

    def fit(self, token_docs: Sequence[Sequence[str]], y=None, *, progress=None) -> "GloVeEmbedder":
        """Count co-occurrences of ``token_docs`` (n token lists) and train the vectors."""
        self._validate()
        resolve_device(self.device)
        t0 = time.perf_counter()
        n_tokens = count_tokens(token_docs)
        counter = fit_counter(token_docs, window=self.window, min_count=self.min_count, n_tokens=n_tokens,
                              max_vocab=self.max_vocab)
        X = counter.matrix_.tocoo()
        if X.nnz == 0:
            raise InputError("no co-occurring word pairs: documents are too short for the window; "
                             "add text or lower min_count")
        t1 = time.perf_counter()
        epochs = auto_glove_epochs(X.nnz) if self.epochs == "auto" else int(self.epochs)
        seed = resolve_seed(self.random_state)
        res = train_glove(X.row, X.col, X.data, len(counter.words_), vector_size=self.vector_size,
                          x_max=self.x_max, alpha=self.alpha, epochs=epochs, learning_rate=self.learning_rate,
                          batch_size=self.batch_size, device=self.device, seed=seed, workers=self.workers,
                          checkpoint_dir=self.checkpoint_dir, checkpoint_every=self.checkpoint_every,
                          resume=self.resume, progress=progress,
                          fingerprint={"window": self.window, "min_count": int(counter.min_count),
                                       "max_vocab": self.max_vocab, "x_max": float(self.x_max),
                                       "alpha": float(self.alpha), "learning_rate": float(self.learning_rate),
                                       "batch_size": int(self.batch_size), "seed": seed})
        self.wv_ = keyed_vectors(counter.words_, res["W"] + res["C"], counter.counts_)
        self.counts_ = counter.counts_
        self.nnz_ = int(X.nnz)
        self.n_tokens_ = int(n_tokens)
        self.min_count_ = int(counter.min_count)
        self.epochs_ = epochs
        self.losses_ = res["losses"]
        self.seconds_per_epoch_ = res["seconds_per_epoch"]
        self.seconds_ = {"cooccurrence": round(t1 - t0, 3), "train": round(time.perf_counter() - t1, 3)}
        return self
