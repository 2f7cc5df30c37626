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
The pipeline's stages read it through :mod:`textcluster.streaming`: document vectors are pooled batch by
batch into a float32 memory-mapped ``.npy`` file, and topic words are counted per cluster straight from the
cache.

Vocabulary ids are canonical (count descending, then word), so the same input gives the same cache
byte for byte whether it was tokenized in one process, a process pool or on a Dask cluster.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .errors import InputError

__all__ = ["TokenCache", "EncodedPartition", "encode_tokens", "tokenize_partition", "local_mapper",
           "CACHE_VERSION", "BLOCK_DOCS"]

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
#: documents per tokenization partition (one pool or Dask task)
PARTITION_DOCS = 2000
BLOCK_DOCS = 20_000  # documents per block in the later passes (pooling, topics, LineSentence)


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


def tokenize_partition(settings: dict, texts: list[str]) -> EncodedPartition:
    """Tokenize ``texts`` with ``SpacyTokenizer`` settings in this process (pool worker or Dask task) and
    encode them."""
    from .tokenize import tokenize_texts

    return encode_tokens(*tokenize_texts(settings, texts))


#: A mapper runs ``tokenize_partition(settings, texts)`` over partitions and yields results in input order.
Mapper = Callable[[dict, Iterable[list]], Iterator[EncodedPartition]]


def local_mapper(n_process: int = 1) -> Mapper:
    """Mapper over ``n_process`` worker processes (1 = in this process): the tokenizer's own process pool
    (:func:`textcluster.process_pool.map_chunks`)."""
    from .process_pool import map_chunks

    def run(settings: dict, partitions: Iterable[list]) -> Iterator[EncodedPartition]:
        return map_chunks(tokenize_partition, settings, partitions, n_process)
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

    def blocks(self, block_docs: int = BLOCK_DOCS) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
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


