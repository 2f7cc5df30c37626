"""Building the token cache: one pass over a corpus tokenizes it in partitions (a process pool or Dask
tasks), counts the vocabulary and writes the files :class:`~textcluster.cache.TokenCache` reads; a cache of
the same input and tokenizer settings is reused."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import weakref
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .cache import CACHE_VERSION, PARTITION_DOCS, Mapper, TokenCache, local_mapper
from .errors import InputError

__all__ = ["build_token_cache", "estimate_docs"]

logger = logging.getLogger(__name__)


def _fingerprint(corpus, settings: dict) -> str | None:
    """Key of a (corpus file, reader options, tokenizer settings) combination; None when not a file."""
    path = getattr(corpus, "path", None)
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError:
        return None
    if Path(path).is_dir():  # a folder's content can change without its own mtime changing
        return None
    key = {"version": CACHE_VERSION, "path": str(Path(path).resolve()), "size": st.st_size,
           "mtime_ns": st.st_mtime_ns, "settings": settings,
           **{f: getattr(corpus, f, None) for f in ("text_field", "label_field", "id_field", "encoding_errors")}}
    return hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def estimate_docs(corpus) -> int | None:
    """About how many documents ``corpus`` holds (:meth:`textcluster.corpus.Corpus.estimate_docs`; ``len`` of
    a list), for progress ETAs; None when unknown."""
    estimate = getattr(corpus, "estimate_docs", None)
    if callable(estimate):
        return estimate() or None
    try:
        return len(corpus) or None
    except TypeError:
        return None


def _partitions(docs: Iterable, size: int, meta_fh) -> Iterator[list[str]]:
    """Group the texts of ``docs`` (Documents or str) into lists of ``size``, writing [id, label] lines."""
    from .corpus import Document

    batch: list[str] = []
    for n, d in enumerate(docs):
        if isinstance(d, Document):
            doc_id, text, label = d.id, d.text, d.label
        elif isinstance(d, str):
            doc_id, text, label = str(n), d, None
        else:
            raise InputError(f"document {n} is {type(d).__name__}, expected str or Document")
        meta_fh.write(json.dumps([str(doc_id), label], ensure_ascii=False) + "\n")
        batch.append(text)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def build_token_cache(corpus: Iterable, tokenizer, cache_dir: str | os.PathLike | None = None, *,
                      mapper: Mapper | None = None, partition_docs: int = PARTITION_DOCS,
                      progress: Callable[[int], None] | None = None, reuse: bool = True) -> TokenCache:
    """Tokenize ``corpus`` in one streaming pass and write a :class:`TokenCache`.

    Parameters
    ----------
    corpus : Corpus or re-iterable of str / Document
        Read once, partition by partition; never held in memory.
    tokenizer : SpacyTokenizer
        Its settings are used (its ``n_process`` chooses the local worker count unless ``mapper`` is given).
    cache_dir : path, optional
        Folder holding caches (one sub-folder per input and settings). A complete cache of the same file,
        reader options and tokenizer settings is reused. None: a private temporary folder, removed when the
        returned cache is garbage-collected.
    mapper : callable, optional
        Runs the partitions (default :func:`local_mapper` with the tokenizer's worker count);
        :func:`textcluster.distributed.dask_mapper` runs them as Dask tasks.
    partition_docs : int
        Documents per partition.
    progress : callable, optional
        Called with the number of documents finished after each partition.
    reuse : bool
        Reuse a matching complete cache in ``cache_dir``.

    Returns
    -------
    TokenCache
    """
    if isinstance(corpus, (str, bytes)):
        raise InputError("corpus must be a collection of documents or a Corpus, not a single string")
    if iter(corpus) is corpus:
        raise InputError("corpus is a one-shot iterator; pass a Corpus (read_corpus(path)) or a list")
    if not isinstance(partition_docs, int) or partition_docs < 1:
        raise InputError(f"partition_docs must be a positive int, got {partition_docs!r}")
    if not hasattr(tokenizer, "nlp_"):
        tokenizer.fit()
    settings = tokenizer._settings()
    if mapper is None:
        mapper = local_mapper(tokenizer._workers(10**12))

    fp = _fingerprint(corpus, settings)
    owned = cache_dir is None
    root = Path(tempfile.mkdtemp(prefix="textcluster-cache-")) if owned else Path(cache_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create --cache-dir {root}: {exc.strerror or exc}") from None
    final = root / (f"tokens-{fp}" if fp else "tokens")
    if reuse and fp and not owned and (final / "meta.json").exists():
        logger.info("reusing token cache %s", final)
        return TokenCache(final)
    if final.exists():
        shutil.rmtree(final)
    tmp = Path(tempfile.mkdtemp(prefix=".tokens.tmp-", dir=root))
    try:
        _write_cache(corpus, settings, tmp, mapper, partition_docs, progress, fp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if owned:
            shutil.rmtree(root, ignore_errors=True)
        raise
    cache = TokenCache(final)
    if owned:
        weakref.finalize(cache, shutil.rmtree, str(root), True)
    return cache


def _write_cache(corpus, settings, out: Path, mapper: Mapper, partition_docs: int, progress, fp) -> None:
    t0 = time.perf_counter()
    index: dict[str, int] = {}
    counts = np.zeros(1024, dtype=np.int64)
    df = np.zeros(1024, dtype=np.int64)
    offsets = [0]
    n_tokens = n_split = 0
    with open(out / "docs.jsonl", "w", encoding="utf-8") as meta_fh, open(out / "tokens.raw", "wb") as tok_fh:
        for part in mapper(settings, _partitions(corpus, partition_docs, meta_fh)):
            get = index.setdefault
            remap = np.fromiter((get(w, len(index)) for w in part.words), dtype=np.int64, count=len(part.words))
            if len(index) > len(counts):
                grow = max(len(index), 2 * len(counts))
                counts = np.concatenate([counts, np.zeros(grow - len(counts), np.int64)])
                df = np.concatenate([df, np.zeros(grow - len(df), np.int64)])
            if len(remap):
                counts[remap] += part.counts
                df[remap] += part.df
                tok_fh.write(remap[part.ids].astype(np.int32).tobytes())
            ends = n_tokens + np.cumsum(part.lengths)
            offsets.extend(ends.tolist())
            n_tokens = int(ends[-1]) if len(ends) else n_tokens
            n_split += part.n_split
            if progress:
                progress(len(part.lengths))
    n_docs = len(offsets) - 1
    if n_docs == 0:
        raise InputError("no documents given")
    V = len(index)
    words = list(index)
    counts, df = counts[:V], df[:V]
    # Canonical ids: count descending, then word, so the cache does not depend on partitioning.
    order = np.lexsort((np.array(words, dtype=object), -counts)) if V else np.zeros(0, np.int64)
    new_id = np.empty(V, dtype=np.int32)
    new_id[order] = np.arange(V, dtype=np.int32)
    raw = np.memmap(out / "tokens.raw", dtype=np.int32, mode="r", shape=(n_tokens,)) if n_tokens else None
    with open(out / "tokens.i32", "wb") as fh:
        step = 1 << 24
        for s in range(0, n_tokens, step):
            fh.write(new_id[raw[s:s + step]].tobytes())
    del raw
    (out / "tokens.raw").unlink()
    np.asarray(offsets, dtype=np.int64).tofile(out / "offsets.i64")
    with open(out / "vocab.tsv", "w", encoding="utf-8") as fh:
        for j in order.tolist():
            fh.write(f"{words[j]}\t{counts[j]}\t{df[j]}\n")
    meta = {"version": CACHE_VERSION, "n_docs": n_docs, "n_tokens": n_tokens, "vocab_size": V,
            "n_split": n_split, "fingerprint": fp, "settings": settings,
            "seconds": round(time.perf_counter() - t0, 3)}
    (out / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
    logger.info("token cache: %d documents, %d tokens, %d words in %.1f s", n_docs, n_tokens, V, meta["seconds"])
