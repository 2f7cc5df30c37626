"""Streaming, bounded-memory path: an on-disk token cache that every later pass reads.

One pass over a :class:`~textcluster.corpus.Corpus` tokenizes it in partitions (``SpacyTokenizer`` settings,
``n_process`` worker processes or Dask tasks), counts the vocabulary and writes a compact cache::

    DIR/tokens.i32     int32 (n_tokens,)   token ids, documents back to back (memory-mapped)
    DIR/offsets.i64    int64 (n_docs + 1,) document d is tokens[offsets[d]:offsets[d + 1]]
    DIR/vocab.tsv      word, corpus count, document frequency; id = line number, most frequent first
    DIR/docs.jsonl     [id, label] of every document
    DIR/meta.json      sizes, tokenizer settings and the input's fingerprint (for reuse)

The raw text is never held: memory is bounded by the vocabulary, one partition and the document vectors.
:class:`TokenCache` is a re-iterable sequence of token lists (gensim trains from it) and can write gensim's
``corpus_file`` (LineSentence) format, so Word2Vec trains with ``corpus_file=`` on several cores.
Document vectors are pooled batch by batch into a float32 memory-mapped ``.npy`` file
(:func:`embed_from_cache`), and topic words are counted per cluster straight from the cache
(:func:`topics_from_cache`).

Vocabulary ids are canonical (count descending, then word), so the same input gives the same cache
byte for byte whether it was tokenized in one process, a process pool or on a Dask cluster.
"""
from __future__ import annotations

import collections
import hashlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import tempfile
import time
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from scipy.sparse import csr_matrix

from .errors import InputError

__all__ = ["TokenCache", "EncodedPartition", "build_token_cache", "encode_tokens", "tokenize_partition",
           "local_mapper", "pool_token_ids", "embed_from_cache", "train_word2vec_from_cache",
           "topics_from_cache", "fit_streaming", "CACHE_VERSION"]

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
#: documents per tokenization partition (one pool or Dask task)
PARTITION_DOCS = 2000
_BLOCK_DOCS = 20_000  # documents per block in the later passes (pooling, topics, LineSentence)


# -- partitions ---------------------------------------------------------------------------------------------
@dataclass
class EncodedPartition:
    """Token lists of one partition in compact form (what a worker sends back).

    Attributes
    ----------
    words : list of V_p str -- the partition's own vocabulary
    ids : int32 array (n_tokens_p,) -- local word ids, documents back to back
    lengths : int64 array (n_docs_p,) -- tokens per document
    counts, df : int64 arrays (V_p,) -- occurrences and documents containing each word
    n_split : int -- texts split because they exceeded the tokenizer's ``max_length``
    """

    words: list
    ids: np.ndarray
    lengths: np.ndarray
    counts: np.ndarray
    df: np.ndarray
    n_split: int = 0


def encode_tokens(token_docs: Sequence[Sequence[str]], n_split: int = 0) -> EncodedPartition:
    """Encode token lists into an :class:`EncodedPartition` (local ids, counts, document frequencies)."""
    index: dict[str, int] = {}
    get = index.setdefault
    flat: list[int] = []
    lengths = np.fromiter((len(d) for d in token_docs), dtype=np.int64, count=len(token_docs))
    for doc in token_docs:
        flat.extend(get(t, len(index)) for t in doc)
    ids = np.asarray(flat, dtype=np.int32)
    V = len(index)
    counts = np.bincount(ids, minlength=V).astype(np.int64)
    if len(ids):
        doc_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        pairs = np.unique(doc_of * max(V, 1) + ids)
        df = np.bincount(pairs % max(V, 1), minlength=V).astype(np.int64)
    else:
        df = np.zeros(V, dtype=np.int64)
    return EncodedPartition(list(index), ids, lengths, counts, df, int(n_split))


_NLP_CACHE: dict = {}


def tokenize_partition(settings: dict, texts: list[str]) -> EncodedPartition:
    """Tokenize ``texts`` with ``SpacyTokenizer`` settings in this process (pool worker or Dask task).

    The spaCy pipeline is built once per process and settings, then reused by later partitions.
    """
    from .tokenize import _build_nlp, _tokenize_chunk

    key = (settings["model"], settings["lang"], settings["lemmatize"])
    nlp = _NLP_CACHE.get(key)
    if nlp is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nlp = _NLP_CACHE[key] = _build_nlp(*key)
    tokens, n_split = _tokenize_chunk(nlp, settings, texts)
    return encode_tokens(tokens, n_split)


#: A mapper runs ``tokenize_partition(settings, texts)`` over partitions and yields results in input order.
Mapper = Callable[[dict, Iterable[list]], Iterator[EncodedPartition]]


def local_mapper(n_process: int = 1) -> Mapper:
    """Mapper over ``n_process`` worker processes (1 = in this process), at most 2 partitions per worker
    in flight so memory stays bounded by a few partitions."""
    def run(settings: dict, partitions: Iterable[list]) -> Iterator[EncodedPartition]:
        if n_process <= 1:
            for texts in partitions:
                yield tokenize_partition(settings, texts)
            return
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        pool = ctx.Pool(n_process)
        try:
            pending: collections.deque = collections.deque()
            for texts in partitions:
                pending.append(pool.apply_async(tokenize_partition, (settings, texts)))
                if len(pending) >= 2 * n_process:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    return run


# -- the cache ------------------------------------------------------------------------------------------------
class TokenCache(Sequence):
    """A token cache on disk (see the module docstring), readable as a sequence of token lists.

    ``cache[i]`` is document i's token list, ``cache[a:b]`` a list of them, and iterating yields every
    document's tokens in order, so gensim, :func:`~textcluster.cooccurrence.count_cooccurrences` and the
    other embedders can read it as they read a list, with only a block of documents decoded at a time.

    Attributes
    ----------
    path : Path
    n_docs, n_tokens : int
    words : list of V str, most frequent first; ``counts``, ``df`` : int64 arrays (V,)
    tokens : int32 memmap (n_tokens,); ``offsets`` : int64 memmap (n_docs + 1,)
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.meta = json.loads((self.path / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path} is not a textcluster token cache ({exc}); delete it or choose "
                             "another --cache-dir") from None
        self.n_docs = int(self.meta["n_docs"])
        self.n_tokens = int(self.meta["n_tokens"])
        self.n_split = int(self.meta.get("n_split", 0))
        self.words, counts, df = [], [], []
        with open(self.path / "vocab.tsv", encoding="utf-8") as fh:
            for line in fh:
                w, c, f = line.rstrip("\n").split("\t")
                self.words.append(w)
                counts.append(int(c))
                df.append(int(f))
        self.counts = np.asarray(counts, dtype=np.int64)
        self.df = np.asarray(df, dtype=np.int64)
        self.tokens = np.memmap(self.path / "tokens.i32", dtype=np.int32, mode="r", shape=(self.n_tokens,)) \
            if self.n_tokens else np.zeros(0, dtype=np.int32)
        self.offsets = np.memmap(self.path / "offsets.i64", dtype=np.int64, mode="r", shape=(self.n_docs + 1,))
        self._index: dict | None = None
        self._docs: tuple | None = None

    def __repr__(self) -> str:
        return f"TokenCache({str(self.path)!r}, n_docs={self.n_docs}, n_tokens={self.n_tokens}, V={len(self.words)})"

    @property
    def index(self) -> dict:
        """word -> cache id."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def _load_docs(self) -> tuple:
        if self._docs is None:
            ids, labels = [], []
            with open(self.path / "docs.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    i, lab = json.loads(line)
                    ids.append(i)
                    labels.append(lab)
            self._docs = (ids, labels if any(lab is not None for lab in labels) else None)
        return self._docs

    @property
    def ids(self) -> list:
        """Document ids (n_docs str)."""
        return self._load_docs()[0]

    @property
    def labels(self) -> list | None:
        """Gold labels (n_docs; None for a document without one) when any document has one, else None."""
        return self._load_docs()[1]

    def __len__(self) -> int:
        return self.n_docs

    def token_ids(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Cache ids of documents ``start:stop`` as one flat int32 array, and each document's length."""
        o = np.asarray(self.offsets[start:stop + 1])
        return np.asarray(self.tokens[o[0]:o[-1]]), np.diff(o)

    def blocks(self, block_docs: int = _BLOCK_DOCS) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Yield ``(start, stop, flat ids, lengths)`` for consecutive blocks of documents."""
        for s in range(0, self.n_docs, block_docs):
            e = min(s + block_docs, self.n_docs)
            yield (s, e, *self.token_ids(s, e))

    def _decode(self, flat: np.ndarray, lengths: np.ndarray) -> list[list[str]]:
        words = self.words
        out, pos = [], 0
        flat = flat.tolist()
        for n in lengths.tolist():
            out.append([words[j] for j in flat[pos:pos + n]])
            pos += n
        return out

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(self.n_docs)
            if step != 1:
                return [self[j] for j in range(start, stop, step)]
            return self._decode(*self.token_ids(start, max(start, stop)))
        i = int(i)
        if i < 0:
            i += self.n_docs
        if not 0 <= i < self.n_docs:
            raise IndexError(f"document {i} out of range (0..{self.n_docs - 1})")
        return self._decode(*self.token_ids(i, i + 1))[0]

    def __iter__(self) -> Iterator[list[str]]:
        for _, _, flat, lengths in self.blocks(4096):
            yield from self._decode(flat, lengths)

    def line_sentence(self) -> Path:
        """Write (once) and return ``DIR/corpus-shuffled.txt``: one document per line, tokens separated by
        spaces (gensim LineSentence / ``corpus_file`` format; tokens never contain whitespace), in a fixed
        shuffled order (blocks of 4,096 documents and the documents within them, seed 0), so that a corpus
        sorted by topic does not meet skip-gram's decaying learning rate in that order."""
        from .embed.skipgram import ShuffledSentences

        path = self.path / "corpus-shuffled.txt"
        if path.exists():
            return path
        fd, tmp = tempfile.mkstemp(prefix=".corpus.txt.tmp-", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.writelines(" ".join(doc) + "\n" for doc in ShuffledSentences(self, 0, block_size=4096))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


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


def _estimate_docs(corpus) -> int | None:
    """Number of documents of a one-document-per-line file (counted by newlines), for progress ETAs."""
    fmt, path = getattr(corpus, "format", None), getattr(corpus, "path", None)
    if fmt not in ("txt", "jsonl") or path is None or Path(path).is_dir():
        return None
    from .corpus import _open_binary
    n = 0
    try:
        with _open_binary(Path(path)) as fh:
            while chunk := fh.read(1 << 22):
                n += chunk.count(b"\n")
    except Exception:  # noqa: BLE001 -- an estimate only; the real pass reports read errors
        return None
    return n or None


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


# -- word vectors and pooling ---------------------------------------------------------------------------------
def train_word2vec_from_cache(embedder, cache: TokenCache, *, corpus_file: bool | str = "auto"):
    """Fit a :class:`~textcluster.embed.word2vec.Word2VecEmbedder` from the cache.

    The vocabulary comes from the cache's counts (no scanning pass); training reads either the cache as
    a token-list iterable (blocks of documents in a seeded random order, see
    :class:`~textcluster.embed.skipgram.ShuffledSentences`) or, with ``corpus_file`` (``"auto"``: when ``embedder.workers > 1``), gensim's
    ``corpus_file`` mode on the cache's LineSentence file, whose readers scale over cores. Sets the
    embedder's ``wv_``, ``min_count_``, ``epochs_``, ``n_tokens_`` as its own ``fit`` does; returns it.
    """
    from gensim.models import Word2Vec

    from .embed.word2vec import auto_epochs, auto_min_count, stable_hash

    if cache.n_tokens == 0:
        raise InputError("no tokens left after tokenization: every document is empty or filtered out")
    p = embedder
    for name, lo in (("vector_size", 1), ("window", 1), ("workers", 1), ("negative", 0)):
        v = getattr(p, name)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise InputError(f"{name} must be an int >= {lo}, got {v!r}")
    min_count = auto_min_count(cache.n_tokens) if p.min_count == "auto" else int(p.min_count)
    epochs = auto_epochs(cache.n_tokens) if p.epochs == "auto" else int(p.epochs)
    if not (cache.counts >= min_count).any():
        min_count = 1
    seed = int(np.random.default_rng().integers(2**31 - 1)) if p.random_state is None else int(p.random_state)
    use_file = (p.workers > 1) if corpus_file == "auto" else bool(corpus_file)
    model = Word2Vec(vector_size=int(p.vector_size), window=int(p.window), sg=int(p.sg), negative=int(p.negative),
                     sample=float(p.sample), min_count=min_count, workers=int(p.workers), seed=seed,
                     hashfxn=stable_hash)
    model.build_vocab_from_freq(dict(zip(cache.words, cache.counts.tolist())), corpus_count=cache.n_docs)
    logger.info("word2vec from cache: %d tokens, %d words kept, min_count=%d, epochs=%d, corpus_file=%s",
                cache.n_tokens, len(model.wv), min_count, epochs, use_file)
    if use_file:
        model.train(corpus_file=str(cache.line_sentence()), total_words=cache.n_tokens, epochs=epochs)
    else:
        from .embed.skipgram import ShuffledSentences

        model.train(ShuffledSentences(cache, seed, block_size=4096), total_examples=cache.n_docs, epochs=epochs)
    p.wv_ = model.wv
    p.min_count_, p.epochs_, p.n_tokens_ = min_count, epochs, cache.n_tokens
    return p


def pool_token_ids(word_idx: np.ndarray, lengths: np.ndarray, vectors: np.ndarray,
                   weights: np.ndarray | None = None, *, normalize: bool = True) -> np.ndarray:
    """Weighted mean word vector of each document, from word-vector row ids.

    The id-level form of :func:`textcluster.embed.pooling.pool_vectors` (same arithmetic).

    Parameters
    ----------
    word_idx : int array (n_tokens,)
        Row of ``vectors`` of each token, documents back to back; -1 = unknown word (skipped).
    lengths : int array (n,)
        Tokens per document.
    vectors : array (V, d); weights : array (V,), optional

    Returns
    -------
    X : float32 array (n, d); documents with no known word are zero.
    """
    from .embed.pooling import pool_ids

    n = len(lengths)
    doc_idx = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keep = word_idx >= 0
    return pool_ids(doc_idx[keep], word_idx[keep], n, vectors, weights, normalize=normalize)


def _pool_block(flat: np.ndarray, lengths: np.ndarray, remap: np.ndarray, vectors: np.ndarray,
                weights, normalize: bool) -> np.ndarray:
    return pool_token_ids(remap[flat], lengths, vectors, weights, normalize=normalize)


#: A block mapper pools blocks ``(flat, lengths)`` with shared ``(remap, vectors, weights, normalize)`` and
#: yields the pooled arrays in order.
BlockMapper = Callable[[Iterable[tuple[np.ndarray, np.ndarray]], tuple], Iterator[np.ndarray]]


def _local_blocks(blocks, shared) -> Iterator[np.ndarray]:
    for flat, lengths in blocks:
        yield _pool_block(flat, lengths, *shared)


def embed_from_cache(doc_embedder, cache: TokenCache, out: str | os.PathLike | None = None, *,
                     block_mapper: BlockMapper | None = None, block_docs: int = _BLOCK_DOCS,
                     progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Fit ``doc_embedder``'s word vectors on the cache and pool every document, block by block.

    Parameters
    ----------
    doc_embedder : DocumentEmbedder (or another embedder with ``fit_transform``)
        A :class:`~textcluster.embed.pooling.DocumentEmbedder` is fitted in place (``word_embedder_``,
        ``word_weights_``, ``pc_``, ``n_empty_`` set as by its own ``fit``) so it can ``transform`` new
        documents. Word2Vec trains from the cache (:func:`train_word2vec_from_cache`); other word
        embedders (GloVe, DeepWalk) read the cache as a sequence of token lists. Other embedders (e.g.
        ``tfidf-lsa``) run ``fit_transform`` on the cache in memory.
    out : path, optional
        float32 ``.npy`` file for the vectors (memory-mapped); default ``vectors.npy`` in the cache folder.
    block_mapper : callable, optional
        Runs the pooling blocks (default: in this process; :func:`textcluster.distributed.dask_block_mapper`
        runs them as Dask tasks).

    Returns
    -------
    X : float32 array (n_docs, d), a read-write memmap for word embedders.
    """
    from sklearn.base import clone

    from .embed.pooling import POOLING_METHODS, DocumentEmbedder
    from .embed.word2vec import Word2VecEmbedder

    if not isinstance(doc_embedder, DocumentEmbedder):
        X = np.asarray(doc_embedder.fit_transform(cache), dtype=np.float32)
        doc_embedder.n_empty_ = int(getattr(doc_embedder, "n_empty_", (np.abs(X).sum(axis=1) == 0).sum()))
        return X
    de = doc_embedder
    if de.pooling not in POOLING_METHODS:
        raise InputError(f"unknown pooling {de.pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
    we = Word2VecEmbedder() if de.word_embedder is None else clone(de.word_embedder)
    t0 = time.perf_counter()
    if type(we) is Word2VecEmbedder:
        train_word2vec_from_cache(we, cache)
    else:
        we.fit(cache)
    t_words = time.perf_counter() - t0
    de.word_embedder_ = we
    kv = we.wv_
    V = len(kv)
    remap = np.full(len(cache.words), -1, dtype=np.int64)
    kv_of = np.full(V, -1, dtype=np.int64)
    index = cache.index
    for w, j in kv.key_to_index.items():
        i = index.get(w)
        if i is not None:
            remap[i] = j
            kv_of[j] = i
    # Per-word weights in the word vectors' order, as DocumentEmbedder._weights computes them.
    if de.pooling == "mean":
        weights = None
    elif de.pooling == "tfidf":
        dfv = np.where(kv_of >= 0, cache.df[np.maximum(kv_of, 0)], 0)
        weights = np.log((1 + cache.n_docs) / (1 + dfv)) + 1.0
    else:
        p = np.where(kv_of >= 0, cache.counts[np.maximum(kv_of, 0)], 0) / max(cache.n_tokens, 1)
        weights = de.sif_a / (de.sif_a + p)
    de.word_weights_ = weights
    de.pc_ = None
    out = Path(out) if out is not None else cache.path / "vectors.npy"
    X = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(cache.n_docs, kv.vector_size))
    shared = (remap, np.asarray(kv.vectors, dtype=np.float32), weights, de.normalize and de.pooling != "sif")
    spans = [(s, e) for s, e, *_ in ((s, min(s + block_docs, cache.n_docs)) for s in range(0, cache.n_docs, block_docs))]
    blocks = (cache.token_ids(s, e) for s, e in spans)
    for (s, e), Xb in zip(spans, (block_mapper or _local_blocks)(blocks, shared)):
        X[s:e] = Xb
        if progress:
            progress(e - s)
    norms_zero = 0
    for s, e in spans:
        norms_zero += int((np.abs(X[s:e]).sum(axis=1) == 0).sum())
    de.n_empty_ = norms_zero
    if de.pooling == "sif":
        from sklearn.decomposition import TruncatedSVD

        ok = np.flatnonzero(np.abs(X).sum(axis=1) > 0)
        if len(ok) >= 2:
            sample = ok if len(ok) <= 200_000 else np.sort(np.random.default_rng(0).choice(ok, 200_000, replace=False))
            de.pc_ = TruncatedSVD(n_components=1, n_iter=7, random_state=0).fit(X[sample]).components_[0]
            de.pc_ = de.pc_.astype(np.float32)
        for s, e in spans:
            X[s:e] = de._remove_pc(np.array(X[s:e]))
    X.flush()
    logger.info("embed: word vectors %.2f s, pooling %.2f s", t_words, time.perf_counter() - t0 - t_words)
    return X


# -- topics ---------------------------------------------------------------------------------------------------
def cluster_word_counts(cache: TokenCache, labels: np.ndarray, *, block_docs: int = _BLOCK_DOCS
                        ) -> tuple[np.ndarray, csr_matrix]:
    """Word counts per cluster, (c, V) sparse, summed block by block from the cache; and the cluster ids."""
    labels = np.asarray(labels)
    ids, inverse = np.unique(labels, return_inverse=True)
    V = len(cache.words)
    T = csr_matrix((len(ids), V), dtype=np.float64)
    for s, e, flat, lengths in cache.blocks(block_docs):
        rows = np.repeat(inverse[s:e], lengths)
        T = T + csr_matrix((np.ones(len(flat)), (rows, flat.astype(np.int64))), shape=(len(ids), V))
    return ids, T.tocsr()


def topics_from_cache(cache: TokenCache, labels: np.ndarray, X: np.ndarray, *, top_n: int = 10,
                      n_representatives: int = 3, membership: np.ndarray | None = None) -> list:
    """Topics (c-TF-IDF words, sizes, representative documents) without decoding the corpus.

    Same formula as :func:`textcluster.topics.ctfidf_matrix` on unigrams: ``w(t, c) = tf(t, c) / |c| *
    log(1 + A / f(t))``; memory is one (c, V) count matrix.
    """
    from .topics import Topic, representative_documents

    labels = np.asarray(labels)
    ids, T = cluster_word_counts(cache, labels)
    totals = np.asarray(T.sum(axis=1)).ravel()
    freq = np.asarray(T.sum(axis=0)).ravel()
    idf = np.log(1.0 + (totals.mean() if len(totals) else 0.0) / np.maximum(freq, 1))
    W = T.multiply(1.0 / np.maximum(totals, 1)[:, None]).multiply(idf[None, :]).tocsr()
    vocab = np.asarray(cache.words, dtype=object)
    reps = representative_documents(X, labels, n=n_representatives, membership=membership)
    sizes = np.bincount(np.searchsorted(ids, labels), minlength=len(ids))
    topics = []
    for row, c in enumerate(ids):
        cols = W.indices[W.indptr[row]:W.indptr[row + 1]]
        score = W.data[W.indptr[row]:W.indptr[row + 1]]
        keep = score > 0
        cols, score = cols[keep], score[keep]
        order = np.lexsort((vocab[cols].astype(str), -score))[:top_n]
        words = [(str(vocab[cols[j]]), float(score[j])) for j in order]
        topics.append(Topic(int(c), int(sizes[row]), words, reps.get(int(c), [])))
    topics.sort(key=lambda t: (t.cluster < 0, -t.size, t.cluster))
    return topics


# -- the streaming fit ----------------------------------------------------------------------------------------
def fit_streaming(model, corpus: Iterable, *, cache_dir: str | os.PathLike | None = None, client=None,
                  progress=None):
    """Fit a :class:`~textcluster.pipeline.TextClusterer` through the token cache (what ``fit_corpus`` runs).

    tokenize (one pass, cache) -> word vectors + pooling into a float32 memmap -> reduce -> cluster
    (MiniBatchKMeans above :data:`textcluster.cluster.LARGE_N` documents; Dask KMeans with ``client``)
    -> topics from the cache. With a Dask ``client``, tokenization/counting and pooling run as Dask
    tasks and KMeans is dask-ml's; word-vector training stays in this process.
    """
    from .cluster import resolve_algorithm
    from .frames import update_topic_centroids
    from .progress import NullProgress

    if progress is True:
        from .progress import RichProgress
        progress = RichProgress(enabled=True)
    progress = progress or NullProgress()
    model.seconds_ = {}
    model.texts_ = None
    model.label_map_ = model.noise_centroids_ = model.noise_centroid_labels_ = None
    model._build()
    mapper = block_mapper = None
    if client is not None:
        from .distributed import dask_block_mapper, dask_mapper
        mapper, block_mapper = dask_mapper(client), dask_block_mapper(client)
    total = _estimate_docs(corpus) if not isinstance(progress, NullProgress) else None
    with model._stage(progress, "tokenize", total) as advance:
        model.tokenizer_.fit()
        cache = build_token_cache(corpus, model.tokenizer_, cache_dir, mapper=mapper, progress=advance)
    n = cache.n_docs
    model.tokens_ = cache
    model.doc_ids_ = cache.ids
    if model.algorithm in ("kmeans", "minibatch-kmeans") and isinstance(model.k, int) and n < model.k:
        raise InputError(f"fewer documents ({n}) than clusters (k={model.k}); lower k")
    with model._stage(progress, "embed", n) as advance:
        model.vectors_ = embed_from_cache(model.embedder_, cache, block_mapper=block_mapper,
                                          progress=advance)
        model.n_empty_docs_ = int(model.embedder_.n_empty_)
    with model._stage(progress, "reduce"):
        model.embedding_ = model.vectors_ if model.reducer_ is None else \
            np.asarray(model.reducer_.fit(model.vectors_).transform(model.vectors_), dtype=np.float32)
    algorithm = resolve_algorithm(model.algorithm, n)
    if client is not None and algorithm in ("kmeans", "minibatch-kmeans"):
        from .distributed import DaskKMeansClusterer
        model.clusterer_ = DaskKMeansClusterer(model.k, random_state=model.random_state,
                                               **(model.cluster_params or {}))
        algorithm = "dask-kmeans"
    elif algorithm != model.algorithm:
        from .cluster import make_clusterer
        model.clusterer_ = make_clusterer(algorithm, k=model.k, random_state=model.random_state,
                                          **(model.cluster_params or {}))
    model.algorithm_ = algorithm
    with model._stage(progress, "cluster"):
        model.clusterer_.fit(model.embedding_)
        model.labels_ = np.asarray(model.clusterer_.labels_, dtype=np.int64)
    with model._stage(progress, "topics"):
        model.topics_ = topics_from_cache(cache, model.labels_, model.embedding_, top_n=model.top_n_words,
                                          n_representatives=model.n_representatives,
                                          membership=getattr(model.clusterer_, "probabilities_", None))
        update_topic_centroids(model)
    if model.n_empty_docs_:
        logger.warning("%d of %d documents had no known word (zero vector)", model.n_empty_docs_, n)
    return model
