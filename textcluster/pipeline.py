"""The :class:`TextClusterer` facade: tokenize -> embed -> reduce -> cluster -> topics."""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .cluster import make_clusterer, resolve_algorithm
from .corpus import Document
from .embed import make_embedder
from .errors import InputError
from .progress import NullProgress, Progress
from .reduce import make_reducer, resolve_reducer
from .tokenize import SpacyTokenizer
from .frames import (apply_label_changes, assignments_frame, compute_topics, find_topic, model_hierarchy,
                     reassign_noise, reduce_topics, topic_documents, topics_frame, update_topic_centroids)
from .topics import Topic

__all__ = ["TextClusterer", "TopicGroup", "group_topics"]

logger = logging.getLogger(__name__)


def _texts(docs: Iterable[str | Document]) -> tuple[list[str], list[Document] | None]:
    """Materialise ``docs`` (str or Document) into texts; keeps Documents when given."""
    if isinstance(docs, (str, bytes)):
        raise InputError("docs must be a collection of documents, not a single string")
    items = list(docs)
    if not items:
        raise InputError("no documents given")
    if all(isinstance(d, Document) for d in items):
        return [d.text for d in items], items
    texts = []
    for i, d in enumerate(items):
        if isinstance(d, Document):
            d = d.text
        if not isinstance(d, str):
            raise InputError(f"document {i} is {type(d).__name__}, expected str")
        texts.append(d)
    return texts, None


def _fit_without_empty(clusterer, Z: np.ndarray, X: np.ndarray, n_empty: int) -> np.ndarray:
    """Fit ``clusterer`` on the rows of ``Z`` whose document vector (``X``) is not zero; return labels (n,)
    with -1 (noise) for the empty documents (no text or no known word).

    Empty documents carry no topic: clustered, they all land on one spot and pull a real topic towards it
    (in 20 Newsgroups 515 empty posts joined the uuencoded ones). The clusterer's ``labels_`` (and
    ``probabilities_``) are widened to all n documents, empty ones -1 (probability 0).
    """
    if not n_empty or n_empty >= len(Z):
        clusterer.fit(Z)
        return clusterer.labels_
    keep = np.any(X, axis=1)
    k = getattr(clusterer, "n_clusters", None) or getattr(clusterer, "k", None)
    if isinstance(k, (int, np.integer)) and keep.sum() < k:
        raise InputError(f"only {int(keep.sum())} of {len(Z)} documents have a known word, fewer than the "
                         f"clusters (k={k}); lower k")
    clusterer.fit(Z[keep])
    labels = np.full(len(Z), -1, dtype=np.asarray(clusterer.labels_).dtype)
    labels[keep] = clusterer.labels_
    clusterer.labels_ = labels
    prob = getattr(clusterer, "probabilities_", None)
    if prob is not None and len(prob) == int(keep.sum()):
        full = np.zeros(len(Z), dtype=np.asarray(prob).dtype)
        full[keep] = prob
        clusterer.probabilities_ = full
    return labels


class TextClusterer(ClusterMixin, BaseEstimator):
    """Cluster documents by topic: spaCy tokens -> document vectors -> (reduction) -> clusters -> topics.

    Parameters
    ----------
    k : int
        Number of clusters for algorithms that take one (KMeans); HDBSCAN finds its own.
    embedding : str
        ``"word2vec"`` or ``"tfidf-lsa"`` (see :data:`textcluster.embed.EMBEDDINGS`).
    pooling : str
        Word-vector pooling: ``"sif"`` (default: smooth-inverse-frequency weights and the first principal
        component removed, Arora et al. 2017), ``"tfidf"`` or ``"mean"``.
    reduce : str
        ``"auto"`` (UMAP to 5-d for HDBSCAN, nothing for the others), ``"none"``, ``"pca"``, ``"umap"``,
        ``"ae"``, ``"vae"`` (see :data:`textcluster.reduce.REDUCERS`).
    algorithm : str
        ``"kmeans"`` or ``"hdbscan"`` (see :data:`textcluster.cluster.ALGORITHMS`).
    lang, spacy_model : str
        Tokenizer language and pipeline (``"blank"`` = ``spacy.blank(lang)`` + lookup lemmatizer).
    n_process : int
        Tokenizer worker processes.
    top_n_words, n_representatives : int
        Topic words and representative documents kept per cluster.
    topic_bigrams : bool or "auto"
        Bigrams among the topic terms: "auto" = collocations only (NPMI >= 0.3), True = all frequent ones.
    random_state : int or None
        One seed for every stage.
    tokenizer_params, embedding_params, reduce_params, cluster_params : dict, optional
        Extra parameters for each stage's component.

    Attributes
    ----------
    labels_ : int array (n,), cluster of each training document (-1 = noise, and every empty document:
        no text or no known word, which is left out of the clustering)
    topics_ : list of :class:`Topic`, largest first, noise last
    tokens_ : list of n token lists
    vectors_ : float32 array (n, d), document vectors before reduction
    embedding_ : float32 array (n, k), the vectors the clusterer saw
    n_empty_docs_ : int, documents with no known word (zero vector)
    seconds_ : dict, wall seconds per stage
    doc_ids_ : list of n str, document ids (Document ids, else "0", "1", ...)
    texts_ : list of n str, the training texts (not saved by :meth:`save`)
    topic_ids_, topic_centroids_ : (c,) int and (c, k) float32, mean vector of each non-noise cluster

    After :meth:`reduce_topics` / :meth:`reassign_noise`, :meth:`predict` maps new documents the same way.
    """

    def __init__(self, *, k: int = 10, embedding: str = "word2vec", pooling: str = "sif", reduce: str = "auto",
                 algorithm: str = "kmeans", lang: str = "en", spacy_model: str = "blank", n_process: int = 1,
                 top_n_words: int = 10, n_representatives: int = 3, topic_bigrams: bool | str = "auto",
                 random_state: int | None = 0,
                 tokenizer_params: dict | None = None, embedding_params: dict | None = None,
                 reduce_params: dict | None = None, cluster_params: dict | None = None):
        self.k = k
        self.embedding = embedding
        self.pooling = pooling
        self.reduce = reduce
        self.algorithm = algorithm
        self.lang = lang
        self.spacy_model = spacy_model
        self.n_process = n_process
        self.top_n_words = top_n_words
        self.n_representatives = n_representatives
        self.topic_bigrams = topic_bigrams
        self.random_state = random_state
        self.tokenizer_params = tokenizer_params
        self.embedding_params = embedding_params
        self.reduce_params = reduce_params
        self.cluster_params = cluster_params

    # -- building -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.tokenizer_ = SpacyTokenizer(lang=self.lang, model=self.spacy_model, n_process=self.n_process,
                                         **(self.tokenizer_params or {}))
        self.embedder_ = make_embedder(self.embedding, pooling=self.pooling, random_state=self.random_state,
                                       **(self.embedding_params or {}))
        self.reducer_ = make_reducer(resolve_reducer(self.reduce, self.algorithm), random_state=self.random_state, **(self.reduce_params or {}))
        self.clusterer_ = make_clusterer(self.algorithm, k=self.k, random_state=self.random_state,
                                         **(self.cluster_params or {}))

    @contextlib.contextmanager
    def _stage(self, progress: Progress, name: str, total: int | None = None):
        t0 = time.perf_counter()
        with progress.stage(name, total) as advance:
            yield advance
        self.seconds_[name] = round(time.perf_counter() - t0, 3)
        logger.info("%s: %.2f s", name, self.seconds_[name])

    # -- fitting -------------------------------------------------------------------------------------
    def fit(self, docs: Iterable[str | Document], y=None, *, progress: Progress | None = None) -> "TextClusterer":
        """Cluster ``docs`` (str or :class:`Document`, any re-iterable collection)."""
        if progress is True:  # notebooks: the CLI's bars
            from .progress import RichProgress
            progress = RichProgress(enabled=True)
        progress = progress or NullProgress()
        self.seconds_ = {}
        texts, documents = _texts(docs)
        self.texts_ = texts
        self.doc_ids_ = [str(d.id) for d in documents] if documents else [str(i) for i in range(len(texts))]
        self.label_map_ = self.noise_centroids_ = self.noise_centroid_labels_ = None
        if self.algorithm == "kmeans" and isinstance(self.k, int) and len(texts) < self.k:
            raise InputError(f"fewer documents ({len(texts)}) than clusters (k={self.k}); lower k")
        self._build()
        self.algorithm_ = resolve_algorithm(self.algorithm, len(texts))  # kmeans -> minibatch-kmeans if n is large
        if self.algorithm_ != self.algorithm:
            self.clusterer_ = make_clusterer(self.algorithm_, k=self.k, random_state=self.random_state,
                                             **(self.cluster_params or {}))
        with self._stage(progress, "tokenize", len(texts)) as advance:
            self.tokenizer_.fit()
            self.tokens_ = self.tokenizer_.transform(texts, progress=advance)
        with self._stage(progress, "embed"):
            self.vectors_ = self.embedder_.fit_transform(self.tokens_)
            self.n_empty_docs_ = int(self.embedder_.n_empty_)
        with self._stage(progress, "reduce"):
            # fit, then transform: the same computation as predict, so re-predicting reproduces labels_
            self.embedding_ = self.vectors_ if self.reducer_ is None else \
                np.asarray(self.reducer_.fit(self.vectors_).transform(self.vectors_), dtype=np.float32)
        with self._stage(progress, "cluster"):
            self.labels_ = _fit_without_empty(self.clusterer_, self.embedding_, self.vectors_, self.n_empty_docs_)
        with self._stage(progress, "topics"):
            self.topics_ = compute_topics(self)
            update_topic_centroids(self)
        if self.n_empty_docs_:
            logger.warning("%d of %d documents had no known word (zero vector)", self.n_empty_docs_, len(texts))
        return self

    def fit_corpus(self, corpus, *, cache_dir=None, client=None, progress: Progress | None = None
                   ) -> "TextClusterer":
        """Cluster a corpus too large to hold: stream it once into an on-disk token cache, then read the cache.

        ``corpus`` is a :class:`~textcluster.corpus.Corpus` (``read_corpus(path)``) or any re-iterable of
        str / Document. Document vectors go to a float32 memmap, KMeans becomes MiniBatchKMeans above
        ``textcluster.cluster.LARGE_N`` documents, HDBSCAN fits on a sample; ``algorithm_`` says what ran.
        ``cache_dir`` keeps (and reuses) the cache; ``client`` (a ``dask.distributed.Client``, see
        :func:`textcluster.distributed.connect`) runs tokenization, counting, pooling and KMeans on Dask.
        ``tokens_`` is then a :class:`~textcluster.cache.TokenCache`, ``texts_`` is None. See
        :func:`textcluster.cache.fit_streaming`.
        """
        from .cache import fit_streaming
        return fit_streaming(self, corpus, cache_dir=cache_dir, client=client, progress=progress)

    def fit_predict(self, docs, y=None, **kw) -> np.ndarray:
        return self.fit(docs, **kw).labels_

    # -- new documents --------------------------------------------------------------------------------
    def transform(self, docs: Iterable[str | Document]) -> np.ndarray:
        """Vectors (n, k) float32 of new documents in the space the clusterer works in."""
        self._check_fitted()
        texts, _ = _texts(docs)
        X = self.embedder_.transform(self.tokenizer_.transform(texts))
        return X if self.reducer_ is None else np.asarray(self.reducer_.transform(X), dtype=np.float32)

    def predict(self, docs: Iterable[str | Document]) -> np.ndarray:
        """Cluster labels (n,) of new documents with the fitted pipeline (merges and noise reassignment
        applied)."""
        self._check_fitted()
        texts, _ = _texts(docs)
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
        return load_model(path)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise InputError("this TextClusterer is not fitted yet; call fit(docs) first")

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

    ``params`` go to :class:`TextClusterer` (e.g. ``embedding="tfidf-lsa"``, ``random_state=1``).
    """
    texts, _ = _texts(docs)
    model = TextClusterer(k=k, **params).fit(texts)
    return [TopicGroup(t.cluster, t.label, [w for w, _ in t.words],
                       [texts[i] for i in np.flatnonzero(model.labels_ == t.cluster)]) for t in model.topics_]
