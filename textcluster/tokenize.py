"""spaCy tokenization into filtered token lists.

By default a blank pipeline (``spacy.blank(lang)``) with the lookup lemmatizer from
``spacy-lookups-data``; any installed spaCy pipeline can be named instead (``model="en_core_web_sm"``).
"""
from __future__ import annotations

import logging
import os
import warnings
from typing import Callable, Iterable, Sequence

from sklearn.base import BaseEstimator, TransformerMixin

from .errors import InputError, TextclusterWarning
from .process_pool import map_chunks

__all__ = ["SpacyTokenizer", "TokenLists", "tokenize_texts", "build_nlp", "tokenize_chunk", "resolve_segmenter",
           "SEGMENTERS"]

logger = logging.getLogger(__name__)

# Languages written without spaces between words: single characters are meaningful tokens.
_NO_SPACE_LANGS = {"zh", "ja", "th", "ko", "vi", "my", "km", "lo", "bo"}
_CHUNK_DOCS = 500


#: word segmenters for languages written without spaces (spaCy's blank pipelines): ``auto`` picks the first
#: installed one, else ``char`` (one token per character) with a warning; all need ``textcluster[cjk]``.
SEGMENTERS = {"zh": ("jieba", "char"), "ja": ("sudachi", "char")}
_SEGMENTER_NAMES = {"zh": "jieba", "ja": "SudachiPy (sudachipy + sudachidict_core)"}
_SEGMENTER_MODULES = {"jieba": ("jieba",), "sudachi": ("sudachipy", "sudachidict_core")}
_LANG_NAMES = {"zh": "Chinese", "ja": "Japanese"}
#: "spacy": the pipeline's own tokenizer (every language but zh/ja, and installed pipelines)
_OWN = "spacy"
_WARNED: set = set()


def _installed(segmenter: str) -> bool:
    import importlib

    for module in _SEGMENTER_MODULES.get(segmenter, ()):
        try:
            importlib.import_module(module)
        except ImportError:
            return False
    return True


def resolve_segmenter(segmenter: str, lang: str, model: str = "blank") -> str:
    """The word segmenter ``segmenter`` stands for: ``"jieba"`` / ``"sudachi"`` / ``"char"`` for blank
    Chinese / Japanese pipelines, ``"spacy"`` (spaCy's own tokenizer) otherwise.

    ``"auto"`` takes jieba (zh) or SudachiPy (ja) when installed, else ``"char"`` with one warning per
    process that names ``pip install 'textcluster[cjk]'``; naming a segmenter that is not installed, or one
    that does not fit ``lang``, raises InputError.
    """
    choices = SEGMENTERS.get(lang, ()) if model == "blank" else ()
    if segmenter in ("auto", _OWN) and not choices:
        return _OWN
    if segmenter == "auto":
        best = choices[0]
        if _installed(best):
            return best
        if lang not in _WARNED:
            _WARNED.add(lang)
            warnings.warn(f"{_LANG_NAMES[lang]} text is split into single characters, not words: the word segmenter "
                          f"{_SEGMENTER_NAMES[lang]} is not installed (pip install 'textcluster[cjk]')",
                          TextclusterWarning, stacklevel=3)
        return "char"
    if segmenter not in choices:
        if not choices:
            where = f"language {lang!r}" if model == "blank" else f"the installed spaCy pipeline {model!r}"
            raise InputError(f"segmenter {segmenter!r} applies only to Chinese and Japanese (lang zh / ja, "
                             f"model 'blank'); use 'auto' for {where}")
        raise InputError(f"segmenter {segmenter!r} is not available for language {lang!r}: use "
                         f"{', '.join(repr(c) for c in ('auto', *choices))}")
    if segmenter != "char" and not _installed(segmenter):
        raise InputError(f"the {_LANG_NAMES[lang]} word segmenter {_SEGMENTER_NAMES[lang]} is not installed: "
                         "pip install 'textcluster[cjk]'")
    return segmenter


def _blank(lang: str, segmenter: str):
    """``spacy.blank(lang)`` with the word segmenter ``segmenter`` (resolved) for zh / ja."""
    import spacy

    if segmenter == _OWN:
        return spacy.blank(lang)
    if lang == "zh":
        if segmenter == "jieba":
            import jieba
            jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict ..." lines on stderr
        return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": segmenter}}})
    if segmenter == "sudachi":
        with warnings.catch_warnings():  # spaCy 3.8 calls sudachipy 0.7's deprecated Dictionary.create
            warnings.simplefilter("ignore", DeprecationWarning)
            return spacy.blank("ja")
    # Japanese without SudachiPy: spaCy's Japanese defaults (stop words, ...) with one token per character
    from spacy.lang.zh import ChineseTokenizer
    from spacy.util import get_lang_class

    return get_lang_class("ja")(create_tokenizer=lambda nlp: ChineseTokenizer(nlp.vocab, segmenter="char"))


def build_nlp(model: str, lang: str, lemmatize: bool, segmenter: str = "auto"):
    """The spaCy pipeline of a tokenizer: ``spacy.blank(lang)`` (``model="blank"``; Chinese and Japanese
    with the word segmenter ``segmenter``, see :func:`resolve_segmenter`) plus the lookup lemmatizer when
    ``lemmatize``, or the installed pipeline ``model``."""
    import spacy

    segmenter = resolve_segmenter(segmenter, lang, model)
    if model == "blank":
        try:
            nlp = _blank(lang, segmenter)
        except InputError:
            raise
        except Exception as exc:  # spaCy raises ImportError/ValueError/KeyError for unknown codes
            if segmenter not in (_OWN, "char"):
                raise InputError(f"the {_LANG_NAMES[lang]} word segmenter {segmenter!r} could not be started "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                                 "reinstall it: pip install 'textcluster[cjk]'") from None
            raise InputError(f"unknown or unsupported spaCy language {lang!r} ({exc})") from None
        # Chinese has no inflection and SudachiPy gives Japanese lemmas itself: no lookup lemmatizer there.
        if lemmatize and lang not in SEGMENTERS:
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
    segmenter : str
        Word segmentation of Chinese and Japanese (blank pipelines): ``"auto"`` (default) = jieba for zh,
        SudachiPy for ja when installed (``pip install 'textcluster[cjk]'``), else single characters with a
        warning; ``"jieba"`` / ``"sudachi"`` (required), or ``"char"``. Other languages: ``"auto"``.
        The one used is ``segmenter_`` (saved with the model; loading needs it installed).
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
                 n_process: int = 1, max_length: int = 1_000_000, segmenter: str = "auto"):
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
        self.segmenter = segmenter

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

    def _segmenter(self) -> str:
        """The segmenter in use: ``segmenter_`` once fitted (or loaded), else ``segmenter`` resolved."""
        if "segmenter_" in vars(self):
            return self.segmenter_
        return resolve_segmenter(self.segmenter, self.lang, self.model)

    def _settings(self) -> dict:
        return {k: getattr(self, k) for k in self.get_params()} | {"min_length": self._min_len(),
                                                                     "segmenter": self._segmenter()}

    def fit(self, texts: Iterable[str] | None = None, y=None) -> "SpacyTokenizer":
        """Build the spaCy pipeline (the tokenizer learns nothing from data)."""
        self._min_len()
        if not isinstance(self.max_length, int) or self.max_length < 1000:
            raise InputError(f"max_length must be an int >= 1000, got {self.max_length!r}")
        self.segmenter_ = resolve_segmenter(self.segmenter, self.lang, self.model)
        self.nlp_ = build_nlp(self.model, self.lang, self.lemmatize, self.segmenter_)
        self.n_split_ = 0
        return self

    def __getstate__(self):
        # the spaCy pipeline is rebuilt on first use (jieba's segmenter holds a module, which cannot be pickled)
        state = super().__getstate__()
        state.pop("nlp_", None)
        return state

    def transform(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> "TokenLists":
        """Tokenize ``texts`` (a sequence of str, length n) into n token lists (a :class:`TokenLists`, which
        also holds ``texts``).

        ``progress``, if given, is called with the number of texts finished after each chunk.
        """
        if "nlp_" not in vars(self):
            if "segmenter_" in vars(self):  # loaded or unpickled: the segmenter it was fitted with
                self.nlp_ = build_nlp(self.model, self.lang, self.lemmatize, self.segmenter_)
            else:
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
            return self._done(out, texts)
        for chunk, (tokens, n_split) in zip(chunks, map_chunks(tokenize_texts, self._settings(), chunks, workers)):
            out.extend(tokens)
            self.n_split_ += n_split
            if progress:
                progress(len(chunk))
        return self._done(out, texts)

    def _done(self, out: list[list[str]], texts: list[str]) -> "TokenLists":
        if self.n_split_:
            logger.warning("%d text(s) longer than max_length=%d characters were split into pieces for spaCy "
                           "(their tokens are kept, in order)", self.n_split_, self.max_length)
        return TokenLists(out, texts)

    def __call__(self, text: str) -> list[str]:
        """Tokenize one text."""
        return self.transform([text])[0]


class TokenLists(list):
    """What :meth:`SpacyTokenizer.transform` returns: the n token lists, plus ``texts``, the n documents they
    came from, for an embedder that reads raw text (the sentence model). A plain list of token lists works
    everywhere a ``TokenLists`` does (the streaming token cache is one: it keeps no text)."""

    def __init__(self, tokens: Iterable[list[str]] = (), texts: Sequence[str] | None = None):
        super().__init__(tokens)
        if texts is not None and len(texts) != len(self):
            raise ValueError(f"{len(texts)} texts for {len(self)} token lists")
        self.texts = texts

    def __getitem__(self, i):
        """One token list, or for a slice a ``TokenLists`` of those documents (their texts kept)."""
        if isinstance(i, slice):
            return TokenLists(super().__getitem__(i), None if self.texts is None else list(self.texts)[i])
        return super().__getitem__(i)


def _keep(t, s: dict, lemmatizer) -> str | None:
    """The word kept for spaCy token ``t`` under tokenizer settings ``s``, or None when a filter drops it;
    ``lemmatizer`` (a lookup Lemmatizer left out of the pipe) supplies the lemma when given."""
    if t.is_space or (s["alpha_only"] and not t.is_alpha):
        return None
    if (s["remove_stop"] and t.is_stop) or (s["remove_punct"] and t.is_punct) \
            or (s["remove_num"] and t.like_num) or (s["remove_url"] and t.like_url) \
            or (s["remove_email"] and t.like_email):
        return None
    if s["lemmatize"]:
        lemma = lemmatizer.lookup_lemmatize(t)[0] if lemmatizer is not None else t.lemma_
    word = lemma if (s["lemmatize"] and lemma) else t.text
    if s["lowercase"]:
        word = word.lower()
    word = word.strip()
    if s["remove_stop"] and s["lemmatize"] and s.get("segmenter") == "sudachi" and word != t.text \
            and t.vocab[word].is_stop:  # SudachiPy's lemma of an inflected form is a stop word (まし -> ます)
        return None
    return word if len(word) >= max(s["min_length"], 1) else None


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
    # A blank pipeline's filters and lookup lemma depend on the token's text alone, so each distinct text is
    # judged once per chunk (memo: orth id -> kept word or None); the lemmatizer pipe is skipped and its
    # lookup_lemmatize called on first sight. A trained pipeline's lemmas depend on context: judged per token.
    lemmatizer = nlp.get_pipe("lemmatizer") if (blank and "lemmatizer" in nlp.pipe_names) else None
    # SudachiPy (Japanese) sets each token's lemma from its context, like a trained pipeline
    memo: dict | None = {} if (blank and s.get("segmenter") != "sudachi") else None
    disable = ["lemmatizer"] if lemmatizer is not None else []
    for i, doc in zip(owner, nlp.pipe(flat, batch_size=s["batch_size"], disable=disable)):
        toks = out[i]
        for t in doc:
            if memo is None:
                word = _keep(t, s, None)
            elif t.orth in memo:
                word = memo[t.orth]
            else:
                word = memo[t.orth] = _keep(t, s, lemmatizer)
            if word is not None:
                toks.append(word)
    return out, n_split


_NLP: dict = {}


def tokenize_texts(settings: dict, texts: list[str]) -> tuple[list[list[str]], int]:
    """Tokenize ``texts`` with :class:`SpacyTokenizer` settings in this process (pool worker or Dask task);
    the spaCy pipeline is built once per process and settings. Returns (token lists, texts split)."""
    key = (settings["model"], settings["lang"], settings["lemmatize"], settings.get("segmenter", "auto"))
    if key not in _NLP:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _NLP[key] = build_nlp(*key)
    return tokenize_chunk(_NLP[key], settings, texts)


