"""spaCy tokenization into filtered token lists.

By default a blank pipeline (``spacy.blank(lang)``) with the lookup lemmatizer from
``spacy-lookups-data``; any installed spaCy pipeline can be named instead (``model="en_core_web_sm"``).
"""
from __future__ import annotations

import collections
import logging
import multiprocessing as mp
import os
import warnings
from typing import Callable, Iterable, Iterator, Sequence

from sklearn.base import BaseEstimator, TransformerMixin

from .errors import InputError, TextclusterWarning

__all__ = ["SpacyTokenizer", "tokenize_texts", "map_chunks", "build_nlp", "tokenize_chunk"]

logger = logging.getLogger(__name__)

# Languages written without spaces between words: single characters are meaningful tokens.
_NO_SPACE_LANGS = {"zh", "ja", "th", "ko", "vi", "my", "km", "lo", "bo"}
_CHUNK_DOCS = 500


def build_nlp(model: str, lang: str, lemmatize: bool):
    import spacy

    if model == "blank":
        try:
            nlp = spacy.blank(lang)
        except Exception as exc:  # spaCy raises ImportError/ValueError/KeyError for unknown codes
            raise InputError(f"unknown or unsupported spaCy language {lang!r} ({exc})") from None
        if lemmatize:
            try:
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
            except Exception as exc:
                if "lemmatizer" in nlp.pipe_names:
                    nlp.remove_pipe("lemmatizer")
                warnings.warn(f"no lookup lemmatizer for language {lang!r} ({type(exc).__name__}); "
                              "tokens are not lemmatized", TextclusterWarning, stacklevel=3)
        return nlp
    try:
        return spacy.load(model, exclude=["parser", "ner", "textcat"])
    except OSError as exc:
        raise InputError(f"spaCy model {model!r} is not installed ({str(exc).splitlines()[0]}); "
                         "use model='blank' or install the model package") from None


class SpacyTokenizer(TransformerMixin, BaseEstimator):
    """Turn raw texts into lists of filtered, normalised tokens with spaCy.

    Parameters
    ----------
    lang : str
        Language code for ``spacy.blank`` (``"en"``, ``"de"``, ``"zh"``, ...).
    model : str
        ``"blank"`` (default) or the name of an installed spaCy pipeline.
    lowercase, lemmatize : bool
        Lower-case tokens; replace them by their lemma (lookup lemmatizer for blank pipelines).
    alpha_only : bool
        Keep only tokens made of letters (drops numbers, punctuation, symbols and mixed junk).
    remove_stop, remove_punct, remove_num, remove_url, remove_email : bool
        Drop stop words, punctuation, number-like, URL-like and e-mail-like tokens.
    min_length : int or "auto"
        Drop tokens shorter than this many characters; "auto" = 2, or 1 for languages written
        without spaces (zh, ja, th, ...).
    batch_size : int
        Texts per ``nlp.pipe`` batch.
    n_process : int
        Worker processes (-1 = all cores). Each worker builds its own pipeline and returns token lists.
    max_length : int
        Texts longer than this many characters are split at whitespace into pieces spaCy accepts;
        their count is kept in ``n_split_``.
    """

    def __init__(self, *, lang: str = "en", model: str = "blank", lowercase: bool = True,
                 lemmatize: bool = True, alpha_only: bool = True, remove_stop: bool = True,
                 remove_punct: bool = True, remove_num: bool = True, remove_url: bool = True,
                 remove_email: bool = True, min_length: int | str = "auto", batch_size: int = 256,
                 n_process: int = 1, max_length: int = 1_000_000):
        self.lang = lang
        self.model = model
        self.lowercase = lowercase
        self.lemmatize = lemmatize
        self.alpha_only = alpha_only
        self.remove_stop = remove_stop
        self.remove_punct = remove_punct
        self.remove_num = remove_num
        self.remove_url = remove_url
        self.remove_email = remove_email
        self.min_length = min_length
        self.batch_size = batch_size
        self.n_process = n_process
        self.max_length = max_length

    # -- configuration ----------------------------------------------------------------------------
    def _min_len(self) -> int:
        if self.min_length == "auto":
            return 1 if self.lang in _NO_SPACE_LANGS else 2
        if not isinstance(self.min_length, int) or self.min_length < 0:
            raise InputError(f"min_length must be a non-negative int or 'auto', got {self.min_length!r}")
        return self.min_length

    def _workers(self, n_docs: int) -> int:
        n = (os.cpu_count() or 1) if self.n_process == -1 else int(self.n_process)
        if n < 1:
            raise InputError(f"n_process must be >= 1 or -1, got {self.n_process!r}")
        return max(1, min(n, n_docs // _CHUNK_DOCS))

    def _settings(self) -> dict:
        return {k: getattr(self, k) for k in self.get_params()} | {"min_length": self._min_len()}

    def fit(self, texts: Iterable[str] | None = None, y=None) -> "SpacyTokenizer":
        """Build the spaCy pipeline (the tokenizer learns nothing from data)."""
        self._min_len()
        if not isinstance(self.max_length, int) or self.max_length < 1000:
            raise InputError(f"max_length must be an int >= 1000, got {self.max_length!r}")
        self.nlp_ = build_nlp(self.model, self.lang, self.lemmatize)
        self.n_split_ = 0
        return self

    def transform(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> list[list[str]]:
        """Tokenize ``texts`` (a sequence of str, length n) into n token lists.

        ``progress``, if given, is called with the number of texts finished after each chunk.
        """
        if not hasattr(self, "nlp_"):
            self.fit()
        texts = list(texts)
        workers = self._workers(len(texts))
        chunks = [texts[i:i + _CHUNK_DOCS] for i in range(0, len(texts), _CHUNK_DOCS)]
        out: list[list[str]] = []
        self.n_split_ = 0
        if workers == 1:
            for chunk in chunks:
                tokens, n_split = tokenize_chunk(self.nlp_, self._settings(), chunk)
                out.extend(tokens)
                self.n_split_ += n_split
                if progress:
                    progress(len(chunk))
            return self._done(out)
        for chunk, (tokens, n_split) in zip(chunks, map_chunks(tokenize_texts, self._settings(), chunks, workers)):
            out.extend(tokens)
            self.n_split_ += n_split
            if progress:
                progress(len(chunk))
        return self._done(out)

    def _done(self, out: list[list[str]]) -> list[list[str]]:
        if self.n_split_:
            logger.warning("%d text(s) longer than max_length=%d characters were split into pieces for spaCy "
                           "(their tokens are kept, in order)", self.n_split_, self.max_length)
        return out

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        return self.transform([text])[0]


def _split_long(text: str, max_length: int) -> list[str]:
    pieces, start = [], 0
    while len(text) - start > max_length:
        cut = text.rfind(" ", start, start + max_length)
        cut = start + max_length if cut <= start else cut
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def tokenize_chunk(nlp, s: dict, texts: list[str]) -> tuple[list[list[str]], int]:
    """Tokenize a list of texts in this process; returns token lists and the number of split texts."""
    blank = s["model"] == "blank"
    # Lookup tables are keyed by lower-case forms, so blank pipelines lower-case before tokenizing.
    prep = (lambda t: t.lower()) if (blank and s["lowercase"]) else (lambda t: t)
    flat, owner, n_split = [], [], 0
    for i, text in enumerate(texts):
        if len(text) > s["max_length"]:
            n_split += 1
            parts = _split_long(text, s["max_length"])
        else:
            parts = [text]
        for p in parts:
            flat.append(prep(p))
            owner.append(i)
    nlp.max_length = max(nlp.max_length, s["max_length"] + 1)
    out: list[list[str]] = [[] for _ in texts]
    min_len, use_lemma, lower = s["min_length"], s["lemmatize"], s["lowercase"]
    for i, doc in zip(owner, nlp.pipe(flat, batch_size=s["batch_size"])):
        toks = out[i]
        for t in doc:
            if t.is_space:
                continue
            if s["alpha_only"] and not t.is_alpha:
                continue
            if (s["remove_stop"] and t.is_stop) or (s["remove_punct"] and t.is_punct) \
                    or (s["remove_num"] and t.like_num) or (s["remove_url"] and t.like_url) \
                    or (s["remove_email"] and t.like_email):
                continue
            word = t.lemma_ if (use_lemma and t.lemma_) else t.text
            if lower:
                word = word.lower()
            word = word.strip()
            if len(word) >= max(min_len, 1):
                toks.append(word)
    return out, n_split


_NLP: dict = {}


def tokenize_texts(settings: dict, texts: list[str]) -> tuple[list[list[str]], int]:
    """Tokenize ``texts`` with :class:`SpacyTokenizer` settings in this process (pool worker or Dask task);
    the spaCy pipeline is built once per process and settings. Returns (token lists, texts split)."""
    key = (settings["model"], settings["lang"], settings["lemmatize"])
    if key not in _NLP:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _NLP[key] = build_nlp(*key)
    return tokenize_chunk(_NLP[key], settings, texts)


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
