"""The one process pool of textcluster: fn(settings, chunk) over chunks in worker processes, in order,
with bounded memory (the tokenizer and the streaming token cache both use it)."""
from __future__ import annotations

import collections
import multiprocessing as mp
from typing import Callable, Iterable, Iterator

__all__ = ["map_chunks"]


def map_chunks(fn: Callable, settings: dict, chunks: Iterable[list], n_process: int) -> Iterator:
    """``fn(settings, chunk)`` for each chunk, in order, in ``n_process`` worker processes (1 = here); at most
    two chunks per worker in flight, so memory stays bounded by a few chunks. The one process pool of
    textcluster: the tokenizer and the streaming token cache both use it."""
    if n_process <= 1:
        for chunk in chunks:
            yield fn(settings, chunk)
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    pool = ctx.Pool(n_process, initializer=_default_sigterm)
    done = False
    try:
        pending: collections.deque = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(fn, (settings, chunk)))
            if len(pending) >= 2 * n_process:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()  # the workers end on their own once idle: no signal needed
        done = True
    finally:
        if not done:
            pool.terminate()
        pool.join()


def _default_sigterm() -> None:
    """Pool worker start: SIGTERM back to the default action (end at once). A worker forked from the CLI
    inherits its Python-level SIGTERM handler, which only runs between bytecodes: a SIGTERM from
    ``Pool.terminate`` landing just before the worker blocks on the pool's shared queue lock was never acted
    on, and the run hung in ``join`` (seen once in about ten 1M-document runs)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
