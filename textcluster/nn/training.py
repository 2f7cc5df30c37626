"""One minibatch training loop for every deep model, with a progress bar of the loss terms and checkpoints.

A model supplies ``step(batch_index) -> dict of named loss terms`` (it does its own backward/optimizer
steps, which lets a GAN alternate two optimizers); the loop shuffles, batches, averages the terms per epoch,
shows them, and checkpoints every ``checkpoint_every`` epochs so a long run can ``resume``.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ._lazy import torch

__all__ = ["train_epochs", "Checkpointer", "epoch_bar", "StopTraining", "time_limit", "progress_lines",
           "BUDGETS", "auto_epochs", "forward_macs"]

logger = logging.getLogger(__name__)


class StopTraining(Exception):
    """Raised by an ``on_epoch_start`` hook (or a step) to end training early (e.g. DEC's tolerance)."""


#: (deadline on time.monotonic(), list collecting (phase, epochs run) of each phase cut) inside time_limit.
_LIMIT: contextvars.ContextVar[tuple[float, list] | None] = contextvars.ContextVar("textcluster_train_limit",
                                                                                 default=None)


#: seconds between plain progress lines inside :func:`progress_lines` (None: no lines).
_LINES: contextvars.ContextVar[float | None] = contextvars.ContextVar("textcluster_progress_lines", default=None)

#: "auto" training budgets per phase and device type (see :func:`auto_epochs`): ``steps`` = most optimizer
#: steps; ``macs`` = most multiply-accumulates of forward passes over the training items (a deterministic
#: stand-in for a time budget: it binds only for costly networks); ``max_epochs`` / ``min_epochs`` = most /
#: fewest passes over the data. CPU: at most 1,500 autoencoder steps, the compute cap at 4e12 (the default
#: conv autoencoder on MNIST, 9.1 million per item, just fits 1,500 steps of 256): cutting the conv
#: autoencoder to 108 steps on 3,000 MNIST images dropped N2D from 0.733 to 0.371 ACC (docs/benchmarks.md),
#: so the CPU budget is not cut further. CUDA follows the papers' schedules: DEC/IDEC 50,000 pretraining steps
#: of 256 and up to 20,000 clustering steps with a tolerance stop; ClusterGAN 40,000 critic steps of 64 (37
#: epochs of MNIST: about 8 GPU minutes at the ~13 s an epoch measured on an H100 before; the reference
#: trains 2.5 million critic steps).
BUDGETS: dict[str, dict[str, dict[str, float]]] = {
    "autoencoder": {"cpu": dict(steps=1500, macs=4e12, max_epochs=100, min_epochs=10),
                    "cuda": dict(steps=50_000, macs=2e16, max_epochs=500, min_epochs=10)},
    "cluster": {"cpu": dict(steps=1000, macs=3e12, max_epochs=100, min_epochs=10),
                "cuda": dict(steps=20_000, macs=1e16, max_epochs=200, min_epochs=10)},
    "clustergan": {"cpu": dict(steps=8000, macs=3e13, max_epochs=300, min_epochs=1),
                   "cuda": dict(steps=40_000, macs=1e17, max_epochs=1000, min_epochs=1)},
}


def forward_macs(module: "torch.nn.Module", x: "torch.Tensor") -> int:
    """Multiply-accumulates of one forward pass of ``module`` on ``x`` per item (Linear and conv layers)."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, torch.nn.Linear):
            total[0] += m.in_features * m.out_features
        elif isinstance(m, torch.nn.Conv2d):
            total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.ConvTranspose2d):
            total[0] += inp[0][0].numel() * (m.out_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(hook) for m in module.modules()]
    was = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(x[:1])
    finally:
        module.train(was)
        for h in handles:
            h.remove()
    return int(total[0])


def auto_epochs(max_epochs, n_items: int, batch_size: int, *, phase: str = "autoencoder",
                device: "torch.device | str | None" = None, cost: float | None = None) -> int:
    """Epochs for ``max_epochs="auto"`` (ints pass through), from ``BUDGETS[phase]`` of the device type.

    Steps = ``min(steps, macs / (batch_size * cost))`` with ``cost`` the forward multiply-accumulates per item
    (:func:`forward_macs`; None: no compute cap), then ``ceil(steps / batches_per_epoch)`` clipped to
    ``[min_epochs, max_epochs]``. So training time follows the data and the network: a small data set stops
    at ``max_epochs`` passes, a costly network gets fewer steps, and CUDA gets the papers' longer schedules.
    """
    if max_epochs != "auto":
        return int(max_epochs)
    kind = "cuda" if device is not None and str(getattr(device, "type", device)).startswith("cuda") else "cpu"
    b = BUDGETS[phase][kind]
    steps = float(b["steps"])
    if cost:
        steps = min(steps, b["macs"] / (max(1, batch_size) * float(cost)))
    per_epoch = max(1, math.ceil(n_items / max(1, batch_size)))
    return int(min(b["max_epochs"], max(b["min_epochs"], math.ceil(steps / per_epoch))))


@contextlib.contextmanager
def progress_lines(every: float | None = 10.0) -> Iterator[None]:
    """Inside, every training phase writes a plain line to stderr every ``every`` seconds (phase, epoch,
    step, elapsed seconds, latest loss terms) -- for logs and pipes, where a progress bar does not show.
    Phases shorter than ``every`` print nothing. ``None`` turns the lines off."""
    token = _LINES.set(every)
    try:
        yield
    finally:
        _LINES.reset(token)


@contextlib.contextmanager
def untrained_step(name: str, verbose: bool = False) -> Iterator[None]:
    """Announce a step without epochs (UMAP, KMeans after an autoencoder) on stderr, with its duration, when
    a progress bar (``verbose``) or progress lines (:func:`progress_lines`) are on; silent otherwise."""
    show = bool(verbose) or _LINES.get() is not None
    t0 = time.monotonic()
    if show:
        print(f"{name} ...", file=sys.stderr, flush=True)
    yield
    if show:
        print(f"{name} done in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[list[tuple[str, int]]]:
    """Let every training phase started inside run until ``seconds`` from now, then stop at an epoch boundary.

    A phase that is cut keeps what it learned (the model stays usable: DEC still clusters from its KMeans
    start); the phases after it run zero epochs. Yields a list that collects ``(phase, epochs_run)`` for
    each phase that was cut, so callers can report it. ``None`` sets no limit. For benchmarks and jobs
    with a wall-clock budget::

        with time_limit(600) as cut:
            model.fit(X)
        if cut: print("stopped early:", cut)
    """
    cut: list[tuple[str, int]] = []
    token = _LIMIT.set(None if seconds is None else (time.monotonic() + float(seconds), cut))
    try:
        yield cut
    finally:
        _LIMIT.reset(token)


class Checkpointer:
    """Save and restore training state per phase as ``<directory>/<phase>.pt``.

    The file holds module and optimizer state dicts, the epoch count, the loss history and the RNG state;
    it is written atomically with ``torch.save`` and read back with ``torch.load(weights_only=True)``
    (tensors and plain containers only, never arbitrary pickled objects).

    Parameters
    ----------
    directory : path or None
        Where checkpoints go; None disables checkpointing.
    every : int
        Save every ``every`` epochs (and at the end of each phase).
    resume : bool
        Start each phase from its checkpoint when one exists.
    """

    def __init__(self, directory: str | os.PathLike | None, every: int = 10, resume: bool = False, *,
                 fingerprint: Mapping | None = None):
        self.directory = None if directory is None else Path(directory)
        self.every = max(1, int(every))
        self.resume = resume
        self.fingerprint = dict(fingerprint or {})

    def due(self, epoch: int, last: bool = False) -> bool:
        """True when a checkpoint is due after ``epoch`` epochs (every ``every``, and at the end)."""
        return self.directory is not None and (last or epoch % self.every == 0)

    def _check_fingerprint(self, saved: Mapping, phase: str) -> None:
        """Refuse a checkpoint made with other settings (floats compared to 1e-6 relative)."""
        import math

        from ..errors import InputError

        keys = set(saved) | set(self.fingerprint)
        diff = sorted(k for k in keys if not (
            isinstance(saved.get(k), float) and isinstance(self.fingerprint.get(k), float)
            and math.isclose(saved[k], self.fingerprint[k], rel_tol=1e-6)) and saved.get(k) != self.fingerprint.get(k))
        if diff:
            raise InputError(f"checkpoint {self.path(phase)} was made with other settings ({', '.join(diff)}); "
                             "use resume=False or another checkpoint_dir")

    def path(self, phase: str) -> Path:
        return self.directory / f"{phase}.pt"

    def save(self, phase: str, *, epoch: int, modules: Mapping[str, torch.nn.Module],
             optimizers: Mapping[str, torch.optim.Optimizer], history: list[dict],
             extra: Mapping[str, torch.Tensor] | None = None, done: bool = False,
             stopped_early: bool = False) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        state = {
            "epoch": epoch, "done": done, "stopped_early": stopped_early, "history": history,
            "modules": {k: m.state_dict() for k, m in modules.items()},
            "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
            "rng_cpu": torch.get_rng_state(),
            "extra": dict(extra or {}),
            "fingerprint": self.fingerprint,
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["rng_cuda"] = torch.cuda.get_rng_state()
        tmp = self.path(phase).with_suffix(".pt.tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path(phase))
        logger.info("checkpoint %s: epoch %d", self.path(phase), epoch)

    def load(self, phase: str, *, modules: Mapping[str, torch.nn.Module],
             optimizers: Mapping[str, torch.optim.Optimizer], restore_rng: bool = True) -> dict | None:
        """Restore ``phase`` into ``modules``/``optimizers``; returns the state dict, or None if absent."""
        if self.directory is None or not self.resume or not self.path(phase).exists():
            return None
        state = torch.load(self.path(phase), map_location="cpu", weights_only=True)
        self._check_fingerprint(state.get("fingerprint", {}), phase)
        for k, m in modules.items():
            m.load_state_dict(state["modules"][k])
        for k, o in optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        if restore_rng:  # trainers whose randomness is a function of (seed, epoch) pass False
            torch.set_rng_state(state["rng_cpu"])
            if "rng_cuda" in state and torch.cuda.is_available():
                torch.cuda.set_rng_state(state["rng_cuda"])
        logger.info("resumed %s from epoch %d", self.path(phase), state["epoch"])
        return state


def _fmt(terms: Mapping[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in terms.items())


@contextlib.contextmanager
def epoch_bar(desc: str, total: int, enabled: bool) -> Iterator[Callable[[int, dict], None]]:
    """A rich progress bar over epochs (on stderr) whose text shows the latest loss terms."""
    if not enabled:
        yield lambda n, terms: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[terms]}"), console=Console(stderr=True)) as bar:
        task = bar.add_task(desc, total=total, terms="")
        yield lambda n, terms: bar.update(task, completed=n, terms=_fmt(terms))


def train_epochs(step: Callable[[torch.Tensor], Mapping[str, torch.Tensor | float]], n_items: int, *,
                 max_epochs: int, batch_size: int, device: torch.device, modules: Mapping[str, torch.nn.Module],
                 optimizers: Mapping[str, torch.optim.Optimizer], phase: str = "train",
                 on_epoch_start: Callable[[int], None] | None = None, checkpointer: Checkpointer | None = None,
                 verbose: bool = False, drop_last: bool = False) -> list[dict[str, float]]:
    """Run ``step`` on shuffled minibatches of item indices for up to ``max_epochs`` epochs.

    Parameters
    ----------
    step : callable
        ``step(idx)`` with ``idx`` a LongTensor (batch,) on ``device``; trains on those items and returns
        named loss terms (tensors or floats).
    n_items : int
        Number of training items; batches are drawn from ``torch.randperm`` (the caller seeds the RNG).
    modules, optimizers : mapping
        What a checkpoint saves; modules are put in train mode each epoch.
    phase : str
        Checkpoint name (``"pretrain"``, ``"cluster"``, ...).
    on_epoch_start : callable, optional
        Called with the epoch number before each epoch; may raise :class:`StopTraining`.
    drop_last : bool
        Skip a final short batch (needed by BatchNorm when it would hold a single item).

    Returns
    -------
    list of dict
        Per-epoch mean of each loss term (restored history included on resume).
    """
    checkpointer = checkpointer or Checkpointer(None)
    history: list[dict[str, float]] = []
    start = 0
    state = checkpointer.load(phase, modules=modules, optimizers=optimizers)
    if state is not None:
        history, start = list(state["history"]), int(state["epoch"])
        if state["done"] and (state.get("stopped_early") or start >= max_epochs):
            return history
    batch_size = max(1, min(int(batch_size), n_items))
    n_batches = n_items // batch_size if drop_last else math.ceil(n_items / batch_size)
    n_batches = max(1, n_batches)
    verbose = bool(verbose)
    every = _LINES.get()
    t_start = last_line = time.monotonic()

    def line(epoch: int, b: int, terms: Mapping[str, float]) -> None:
        nonlocal last_line
        now = time.monotonic()
        if every is None or now - last_line < every:
            return
        last_line = now
        print(f"{phase}: epoch {epoch + 1}/{max_epochs} step {b}/{n_batches} {now - t_start:.0f}s {_fmt(terms)}",
              file=sys.stderr, flush=True)

    with epoch_bar(phase, max_epochs, verbose) as show:
        show(start, history[-1] if history else {})
        epoch = start
        stopped = timed_out = False
        try:
            for epoch in range(start, max_epochs):
                limit = _LIMIT.get()
                if limit is not None and time.monotonic() >= limit[0]:
                    logger.warning("%s stopped by the time limit after %d of %d epochs", phase, epoch, max_epochs)
                    limit[1].append((phase, epoch))
                    timed_out = True  # saved as not done, so ``resume`` continues from here
                    break
                if on_epoch_start is not None:
                    on_epoch_start(epoch)
                for m in modules.values():
                    m.train()
                perm = torch.randperm(n_items).to(device)
                sums: dict[str, float] = {}
                for b in range(n_batches):
                    terms = step(perm[b * batch_size:(b + 1) * batch_size])
                    for k, v in terms.items():
                        sums[k] = sums.get(k, 0.0) + float(v)
                    if every is not None:
                        line(epoch, b + 1, {k: v / (b + 1) for k, v in sums.items()})
                mean = {k: v / n_batches for k, v in sums.items()}
                history.append(mean)
                logger.debug("%s epoch %d: %s", phase, epoch + 1, _fmt(mean))
                show(epoch + 1, mean)
                if (epoch + 1) % checkpointer.every == 0 and epoch + 1 < max_epochs:
                    checkpointer.save(phase, epoch=epoch + 1, modules=modules, optimizers=optimizers,
                                      history=history)
        except StopTraining as stop:
            logger.info("%s stopped at epoch %d: %s", phase, epoch, stop)
            stopped = True
    checkpointer.save(phase, epoch=len(history), modules=modules, optimizers=optimizers, history=history,
                      done=not timed_out, stopped_early=stopped)
    return history
