"""The :class:`TextClusterer` facade: tokenize -> embed -> reduce -> cluster -> topics."""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone

from . import registry
from .corpus import Document, texts_of
from .errors import InputError, NotFittedError, check_int, check_k
from .progress import NullProgress, Progress, as_progress
from .stage_utils import count_empty, fit_without_empty, set_shared, stage_key
from .tokenize import SpacyTokenizer
from .frames import (apply_label_changes, assignments_frame, compute_topics, find_topic, model_hierarchy,
                     reassign_noise, reduce_topics, topic_documents, topics_frame, update_topic_centroids)

__all__ = ["TextClusterer", "TopicGroup", "group_topics", "STAGES"]

logger = logging.getLogger(__name__)

#: the pipeline's swappable stages, in order: parameter name -> registry kind
STAGES = {"embedder": "embedder", "reducer": "reducer", "clusterer": "clusterer"}
#: parameters the TextClusterer passes down to every stage that has them (one seed, k, device, language)
_SHARED = ("random_state", "k", "device", "lang")


class TextClusterer(ClusterMixin, BaseEstimator):
    """Cluster documents by topic: spaCy tokens -> document vectors -> (reduction) -> clusters -> topics.

    Parameters
    ----------
    k : int
        Number of clusters, passed to every stage that takes a ``k`` (KMeans, DEC, ...); HDBSCAN finds its own.
    embedder : str or estimator
        Token lists (n,) -> document vectors (n, d). Default ``registry.DEFAULT_EMBEDDER`` (``"auto"``: on
        50,000+ tokens ``"ppmi+tfidf-lsa"``, word vectors factorised from the corpus's co-occurrences, SIF-pooled,
        beside TF-IDF + LSA; below that the local sentence model when installed).
        A name from ``textcluster.registry.embedder_names()`` (``"ppmi"``, ``"word2vec"``, ``"glove"``, ``"deepwalk"``,
        ``"tfidf-lsa"``), the path of a GloVe/word2vec vectors file, names joined by ``+`` (concatenated,
        e.g. ``"word2vec+tfidf-lsa"``), or any estimator with ``fit_transform(token_docs)`` /
        ``transform(token_docs)`` (e.g. ``make_embedder("glove", pooling="tfidf", window=10)``).
    reducer : str or estimator
        ``"auto"`` (UMAP to 5-d before HDBSCAN, nothing before the others), ``"passthrough"`` (nothing),
        ``"pca"``, ``"umap"``, ``"ae"``, ``"vae"``, or any scikit-learn transformer.
    clusterer : str or estimator
        ``"kmeans"`` (MiniBatchKMeans above ``registry.LARGE_N`` documents), ``"hdbscan"``, ``"dec"``,
        ``"idec"``, ``"clustergan"``, ``"minibatch-kmeans"``, or any estimator setting ``labels_`` in
        ``fit(X)`` and having ``predict(X)``.
    lang, spacy_model : str
        Tokenizer language and pipeline (``"blank"`` = ``spacy.blank(lang)`` + lookup lemmatizer).
    n_process : int
        Tokenizer worker processes.
    top_n_words, n_representatives : int
        Topic words and representative documents kept per cluster.
    topic_bigrams : bool or "auto"
        Bigrams among the topic terms: "auto" = collocations only (NPMI >= 0.3), True = all frequent ones.
    random_state : int or None
        One seed, passed to every stage (and nested estimator) that has a ``random_state``.
    device : str
        Torch device of every stage that has one (GloVe, the ae/vae reducers, DEC/IDEC/ClusterGAN):
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    tokenizer_params : dict, optional
        Extra parameters of :class:`~textcluster.tokenize.SpacyTokenizer`.

    Stages given by name behave as their default estimators in :meth:`get_params` / :meth:`set_params`:
    ``set_params(embedder__pooling="tfidf")`` replaces the name by the estimator with that setting, so
    ``clone`` and scikit-learn grid searches reach every inner parameter. ``k``, ``random_state`` and
    ``device`` are set on the stages at ``fit`` and are therefore not listed as nested parameters.

    Attributes
    ----------
    labels_ : int array (n,), cluster of each training document (-1 = noise, and every empty document:
        no text or no known word, which is left out of the clustering)
    topics_ : list of :class:`Topic`, largest first, noise last
    tokens_ : list of n token lists
    vectors_ : float32 array (n, d), document vectors before reduction
    embedding_ : float32 array (n, k), the vectors the clusterer saw
    embedder_, reducer_, clusterer_ : the fitted stages (``reducer_`` is a Passthrough when nothing reduces)
    algorithm_ : str, the registry name of the clusterer that ran (e.g. "minibatch-kmeans"), or its class name
    n_empty_docs_ : int, documents with no known word (zero vector)
    seconds_ : dict, wall seconds per stage
    doc_ids_ : list of n str, document ids (Document ids, else "0", "1", ...)
    texts_ : list of n str, the training texts (not saved by :meth:`save`)
    topic_ids_, topic_centroids_ : (c,) int and (c, k) float32, mean vector of each non-noise cluster

    After :meth:`reduce_topics` / :meth:`reassign_noise`, :meth:`predict` maps new documents the same way.
    """

    def __init__(self, *, k: int = 10, embedder=registry.DEFAULT_EMBEDDER, reducer="auto", clusterer="kmeans", lang: str = "en",
                 spacy_model: str = "blank", n_process: int = 1, top_n_words: int = 10, n_representatives: int = 3,
                 topic_bigrams: bool | str = "auto", random_state: int | None = 0, device: str = "auto",
                 tokenizer_params: dict | None = None):
        self.k = k
        self.embedder = embedder
        self.reducer = reducer
        self.clusterer = clusterer
        self.lang = lang
        self.spacy_model = spacy_model
        self.n_process = n_process
        self.top_n_words = top_n_words
        self.n_representatives = n_representatives
        self.topic_bigrams = topic_bigrams
        self.random_state = random_state
        self.device = device
        self.tokenizer_params = tokenizer_params

    # -- nested parameters ----------------------------------------------------------------------------
    def _stage_default(self, name: str, spec):
        """The estimator a stage ``spec`` stands for (a name is built with its defaults)."""
        if name == "embedder" and isinstance(spec, str):
            return registry.make_embedder(spec, random_state=self.random_state)
        if name == "reducer":
            spec = registry.resolve_reducer(spec, self.clusterer)
        return registry.build(STAGES[name], spec)

    def get_params(self, deep: bool = True) -> dict:
        out = super().get_params(deep=False)
        if deep:
            for name in STAGES:
                est = self._stage_default(name, out[name])
                for key, value in est.get_params(deep=True).items():
                    if key.rsplit("__", 1)[-1] not in _SHARED:
                        out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params) -> "TextClusterer":
        nested = {name: {k.partition("__")[2]: params.pop(k) for k in list(params) if k.startswith(name + "__")}
                  for name in STAGES}
        super().set_params(**params)
        for name, sub in nested.items():
            if not sub:
                continue
            bad = [k for k in sub if k.rsplit("__", 1)[-1] in _SHARED]
            if bad:
                raise InputError(f"{name}__{bad[0]} is set by the TextClusterer itself; set "
                                 f"{bad[0].rsplit('__', 1)[-1]} instead")
            spec = getattr(self, name)
            est = self._stage_default(name, spec) if isinstance(spec, str) else spec
            est.set_params(**sub)
            setattr(self, name, est)
        return self

    # -- building -----------------------------------------------------------------------------------
    def _fresh_stage(self, name: str, spec, n_docs: int | None = None):
        """A new, unfitted estimator for the stage ``name`` with this model's ``k`` and ``random_state``."""
        if name == "clusterer" and n_docs is not None:
            spec = registry.resolve_clusterer(spec, n_docs)  # kmeans -> minibatch-kmeans if n is large
        est = self._stage_default(name, spec) if isinstance(spec, str) else clone(spec)
        set_shared(est, {"random_state": self.random_state, "k": self.k, "device": self.device,
                          "lang": self.lang})
        return est

    def _build(self, n_docs: int | None = None) -> None:
        """Fresh stages ``tokenizer_``, ``embedder_``, ``reducer_``, ``clusterer_`` (``algorithm_`` names the
        clusterer that runs on ``n_docs`` documents)."""
        check_int("k", self.k)
        self.tokenizer_ = self.make_tokenizer()
        self.embedder_ = self._fresh_stage("embedder", self.embedder)
        self.reducer_ = self._fresh_stage("reducer", self.reducer)
        self.clusterer_ = self._fresh_stage("clusterer", self.clusterer, n_docs)
        self.algorithm_ = registry.name_of("clusterer", self.clusterer_) or type(self.clusterer_).__name__
        k = self.clusterer_.get_params().get("k")
        if n_docs is not None and k is not None:
            check_k(k, n_docs)

    def make_tokenizer(self) -> SpacyTokenizer:
        """A new (unfitted) tokenizer with this model's settings (lang, spacy_model, n_process, tokenizer_params)."""
        return SpacyTokenizer(lang=self.lang, model=self.spacy_model, n_process=self.n_process,
                              **(self.tokenizer_params or {}))

    @contextlib.contextmanager
    def _stage(self, progress: Progress, name: str, total: int | None = None):
        t0 = time.perf_counter()
        with progress.stage(name, total) as advance:
            yield advance
        self.seconds_.setdefault(name, round(time.perf_counter() - t0, 3))
        logger.info("%s: %.2f s", name, self.seconds_[name])

    # -- fitting -------------------------------------------------------------------------------------
    def fit(self, docs: Iterable[str | Document], y=None, *, progress: Progress | None = None) -> "TextClusterer":
        """Cluster ``docs`` (str or :class:`Document`, any re-iterable collection)."""
        texts, documents = texts_of(docs)
        self.texts_ = texts
        self.doc_ids_ = [str(d.id) for d in documents] if documents else [str(i) for i in range(len(texts))]
        progress = self._start(progress, len(texts))
        with self._stage(progress, "tokenize", len(texts)) as advance:
            self.tokenizer_.fit()
            tokens = self.tokenizer_.transform(texts, progress=advance)
        return self._fit_tokens(tokens, progress)

    def _start(self, progress, n_docs: int):
        """Reset the fitted state, build the stages for ``n_docs`` documents; returns the progress sink."""
        self.seconds_ = {}
        self.label_map_ = self.noise_centroids_ = self.noise_centroid_labels_ = None
        self._build(n_docs)
        return as_progress(progress)

    def _fit_tokens(self, tokens, progress, *, vectors=None, topics=None, memo: dict | None = None
                    ) -> "TextClusterer":
        """embed -> reduce -> cluster -> topics on tokenized documents (what every fit path runs).

        ``vectors`` (a callable returning (n, d) float32) and ``topics`` (a callable returning the topics) let
        the streaming path feed the same stages from its token cache instead of token lists. ``memo`` (a dict
        shared by models fitted on the same tokens, as :func:`~textcluster.compare.compare_pipelines` does)
        reuses a fitted embedder or reducer whose parameters are the same instead of fitting it again.
        """
        self.tokens_ = tokens
        n = len(tokens)
        ekey = ("embed", stage_key(self.embedder_))
        with self._stage(progress, "embed", n if vectors else None) as advance:
            if memo is not None and ekey in memo:
                self.embedder_, self.vectors_, self.seconds_["embed"] = memo[ekey]
            else:
                self.vectors_ = vectors(self.embedder_, advance) if vectors else self.embedder_.fit_transform(tokens)
            self.n_empty_docs_ = count_empty(self.vectors_)
        rkey = ("reduce", ekey, stage_key(self.reducer_))
        with self._stage(progress, "reduce"):
            if memo is not None and rkey in memo:
                self.reducer_, self.embedding_, self.seconds_["reduce"] = memo[rkey]
            else:
                # fit, then transform: the same computation as predict, so re-predicting reproduces labels_
                self.embedding_ = np.asarray(self.reducer_.fit(self.vectors_).transform(self.vectors_),
                                             dtype=np.float32)
        if memo is not None:
            memo.setdefault(ekey, (self.embedder_, self.vectors_, self.seconds_["embed"]))
            memo.setdefault(rkey, (self.reducer_, self.embedding_, self.seconds_["reduce"]))
        with self._stage(progress, "cluster"):
            self.labels_ = fit_without_empty(self.clusterer_, self.embedding_, self.vectors_, self.n_empty_docs_)
        with self._stage(progress, "topics"):
            self.topics_ = topics(self) if topics else compute_topics(self)
            update_topic_centroids(self)
        if self.n_empty_docs_:
            logger.warning("%d of %d documents had no known word (zero vector)", self.n_empty_docs_, n)
        return self

    def fit_corpus(self, corpus, *, cache_dir=None, client=None, progress: Progress | None = None
                   ) -> "TextClusterer":
        """Cluster a corpus too large to hold: stream it once into an on-disk token cache, then read the cache.

        ``corpus`` is a :class:`~textcluster.corpus.Corpus` (``read_corpus(path)``) or any re-iterable of
        str / Document. The same stages as :meth:`fit` run, fed from the cache: word vectors and pooling
        write a float32 memmap block by block, topic words are counted from the cache. KMeans becomes
        MiniBatchKMeans above ``textcluster.registry.LARGE_N`` documents, HDBSCAN fits on a sample;
        ``algorithm_`` says what ran. ``cache_dir`` keeps (and reuses) the cache; ``client`` (a
        ``dask.distributed.Client``, see :func:`textcluster.distributed.connect`) runs tokenization, counting
        and pooling as Dask tasks; word-vector training and the clusterer run in this process on the pooled
        memmap, so the labels equal the local run's for the same seed (``clusterer="dask-kmeans"`` clusters
        on the Dask workers instead, with dask-ml's KMeans).
        ``tokens_`` is then a :class:`~textcluster.cache.TokenCache`, ``texts_`` is None.
        """
        from .cache_build import build_token_cache, estimate_docs
        from .streaming import embed_from_cache, topics_from_cache

        mapper = block_mapper = None
        if client is not None:
            from .distributed import dask_block_mapper, dask_mapper
            mapper, block_mapper = dask_mapper(client), dask_block_mapper(client)
        progress = as_progress(progress)
        total = None if isinstance(progress, NullProgress) else estimate_docs(corpus)
        tokenizer = self.make_tokenizer()
        t0 = time.perf_counter()
        with progress.stage("tokenize", total) as advance:
            cache = build_token_cache(corpus, tokenizer.fit(), cache_dir, mapper=mapper, progress=advance)
        seconds = round(time.perf_counter() - t0, 3)
        self._start(progress, cache.n_docs)  # stages built for the now known number of documents
        self.seconds_["tokenize"] = seconds
        self.tokenizer_, self.texts_, self.doc_ids_ = tokenizer, None, cache.ids
        def vectors(embedder, advance):
            return embed_from_cache(embedder, cache, block_mapper=block_mapper, progress=advance)

        def topics(m):
            return topics_from_cache(cache, m.labels_, m.embedding_, top_n=m.top_n_words,
                                     n_representatives=m.n_representatives,
                                     membership=getattr(m.clusterer_, "probabilities_", None))

        return self._fit_tokens(cache, progress, vectors=vectors, topics=topics)

    def fit_predict(self, docs, y=None, **kw) -> np.ndarray:
        return self.fit(docs, **kw).labels_

    # -- new documents --------------------------------------------------------------------------------
    def transform(self, docs: Iterable[str | Document]) -> np.ndarray:
        """Vectors (n, k) float32 of new documents in the space the clusterer works in."""
        self._check_fitted()
        texts, _ = texts_of(docs)
        X = self.embedder_.transform(self.tokenizer_.transform(texts))
        return np.asarray(self.reducer_.transform(X), dtype=np.float32)

    def predict(self, docs: Iterable[str | Document]) -> np.ndarray:
        """Cluster labels (n,) of new documents with the fitted pipeline (merges and noise reassignment
        applied)."""
        self._check_fitted()
        texts, _ = texts_of(docs)
        X = self.embedder_.transform(self.tokenizer_.transform(texts))
        Z = X if self.reducer_ is None else np.asarray(self.reducer_.transform(X), dtype=np.float32)
        labels = apply_label_changes(self, self.clusterer_.predict(Z), Z)
        labels[~np.any(X, axis=1)] = -1  # no known word: noise, as in fit
        return labels

    # -- exploring, regrouping, keeping (see textcluster.frames and textcluster.persistence) ---------------
    def to_frame(self, what: str = "documents", **kw):
        """pandas DataFrame of the ``"documents"`` (id, cluster, topic, text) or the ``"topics"``."""
        if what not in ("documents", "topics"):
            raise InputError(f"to_frame(what={what!r}): choose 'documents' or 'topics'")
        return assignments_frame(self, **kw) if what == "documents" else topics_frame(self)

    def find_topic(self, query: str, *, top_n: int = 5):
        """Topics closest to ``query`` as a DataFrame (cluster, label, size, similarity), best first."""
        return find_topic(self, query, top_n=top_n)

    def topic_documents(self, cluster: int, *, n: int | None = 10, snippet: int | None = None):
        """Documents of ``cluster``, most central first, as a DataFrame (id, similarity, text)."""
        return topic_documents(self, cluster, n=n, snippet=snippet)

    def topic_hierarchy(self):
        """:class:`~textcluster.topics.TopicHierarchy` of the topics (``.to_text()``, ``.linkage``)."""
        return model_hierarchy(self)

    def reduce_topics(self, n_topics: int) -> "TextClusterer":
        """Merge topics down to ``n_topics`` by c-TF-IDF similarity (in place; returns self)."""
        return reduce_topics(self, n_topics)

    def reassign_noise(self) -> "TextClusterer":
        """Assign noise documents (-1) to the nearest cluster, now and in ``predict`` (returns self)."""
        return reassign_noise(self)

    def save(self, path) -> None:
        """Save the fitted model to the directory ``path`` (JSON + .npy + word2vec files, no pickle)."""
        from .persistence import save_model
        save_model(self, path)

    @classmethod
    def load(cls, path) -> "TextClusterer":
        """Load a model saved by :meth:`save` (or ``textcluster cluster``'s ``DIR/model``)."""
        from .persistence import load_model
        return load_model(path, cls)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("this TextClusterer is not fitted yet; call fit(docs) first")

    @property
    def n_clusters_(self) -> int:
        """Number of clusters found (noise not counted)."""
        return int(len(np.unique(self.labels_[self.labels_ >= 0])))

    @property
    def noise_fraction_(self) -> float:
        return float((self.labels_ < 0).mean())


@dataclass
class TopicGroup:
    """A group of documents sharing a topic (what :func:`group_topics` returns)."""

    cluster: int
    label: str
    words: list[str]
    documents: list[str]


def group_topics(docs: Sequence[str], k: int = 10, **params) -> list[TopicGroup]:
    """Group ``docs`` into ``k`` topics in one call (largest group first).

    ``params`` go to :class:`TextClusterer` (e.g. ``embedder="tfidf-lsa"``, ``random_state=1``).
    """
    texts, _ = texts_of(docs)
    model = TextClusterer(k=k, **params).fit(texts)
    return [TopicGroup(t.cluster, t.label, [w for w, _ in t.words],
                       [texts[i] for i in np.flatnonzero(model.labels_ == t.cluster)]) for t in model.topics_]
