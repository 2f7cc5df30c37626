"""Dask backend: the data-parallel stages of the streaming path as Dask tasks.

``connect("local")`` starts a ``LocalCluster`` (2 worker processes by default); ``connect("tcp://HOST:PORT")``
attaches to a running scheduler. :meth:`TextClusterer.fit_corpus(corpus, client=client)
<textcluster.pipeline.TextClusterer.fit_corpus>` then runs

- **tokenization and vocabulary counting** as one task per partition of the input
  (:func:`dask_mapper`): each task returns its partition's token ids, local vocabulary, counts and document
  frequencies; the client merges the small vocabularies in input order and writes the token cache;
- **pooling** of word vectors into document vectors as one task per block of documents
  (:func:`dask_block_mapper`; word vectors and weights are scattered to every worker once);
- **co-occurrence counting** (GloVe/DeepWalk's input) as one task per block of the cache
  (:func:`dask_cooccurrences`), summed on the client;
- **KMeans** with dask-ml's ``KMeans`` (k-means|| initialisation, Lloyd iterations over chunks)
  (:class:`DaskKMeansClusterer`).

Word-vector training (Word2Vec, GloVe, DeepWalk) stays on one node: it is sequential stochastic gradient
descent over a model that every update touches (the whole embedding matrix), so splitting it over machines
would mean exchanging the model after every few batches -- more network traffic than the work saved, and
results that depend on the cluster's timing. One node's threads (gensim ``workers`` / ``corpus_file``) scale
it instead; its input (the token cache) and output (V x d vectors) are small next to the corpus.

The input file is read by the client and sent to the workers partition by partition (at most two per worker
in flight), so workers need no shared file system; they need ``textcluster`` installed in the same version.
"""
from __future__ import annotations

import collections
import contextlib
import logging
import warnings
from typing import Iterable, Iterator

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .errors import InputError

__all__ = ["connect", "dask_mapper", "dask_block_mapper", "dask_cooccurrences", "DaskKMeansClusterer"]

logger = logging.getLogger(__name__)


def _require_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--dask needs the optional Dask packages: pip install 'textcluster[dask]'") from None


@contextlib.contextmanager
def connect(address: str = "local", *, n_workers: int = 2, threads_per_worker: int = 1,
            processes: bool = True, memory_limit: str | None = "auto"):
    """Context manager yielding a ``dask.distributed.Client``.

    Parameters
    ----------
    address : str
        ``"local"``: start a ``LocalCluster`` of ``n_workers`` workers (closed on exit);
        ``"tcp://HOST:PORT"`` (or any scheduler address Dask accepts): connect to a running scheduler.
    n_workers, threads_per_worker, processes, memory_limit :
        ``LocalCluster`` settings (ignored for a remote scheduler). Worker processes (default) keep spaCy
        and NumPy work off the GIL of one process.
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if not isinstance(address, str) or not address:
        raise InputError(f"--dask must be 'local' or a scheduler address like tcp://HOST:8786, got {address!r}")
    if address == "local":
        with LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=processes,
                          dashboard_address=None, memory_limit=memory_limit) as cluster, Client(cluster) as client:
            logger.info("dask: LocalCluster with %d workers", n_workers)
            yield client
        return
    if "://" not in address:
        raise InputError(f"--dask {address!r}: expected 'local' or a scheduler address like tcp://HOST:8786")
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--dask {address}: cannot reach the Dask scheduler ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def _n_workers(client) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 -- only used to size the in-flight window
        return 2


def _ordered(client, func, items: Iterable, shared=(), window: int | None = None) -> Iterator:
    """Submit ``func(*shared, *item)`` for each item, at most ``window`` in flight; yield results in order."""
    window = window or 2 * _n_workers(client)
    pending: collections.deque = collections.deque()
    try:
        for item in items:
            pending.append(client.submit(func, *shared, *item, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()


def dask_mapper(client):
    """A :data:`textcluster.cache.Mapper` running ``tokenize_partition`` as one Dask task per partition."""
    from .cache import tokenize_partition

    def run(settings: dict, partitions: Iterable[list]):
        yield from _ordered(client, tokenize_partition, ((texts,) for texts in partitions), shared=(settings,))
    return run


def dask_block_mapper(client):
    """A :data:`textcluster.streaming.BlockMapper` pooling each block of documents as one Dask task.

    The word vectors, id map and weights are scattered to every worker once; each task gets only its
    block's token ids and lengths."""
    from .streaming import pool_block

    def run(blocks, shared: tuple):
        remap, vectors, weights, normalize = shared
        f_remap, f_vectors = client.scatter([remap, vectors], broadcast=True)
        f_weights = client.scatter(weights, broadcast=True) if weights is not None else None
        items = ((flat, lengths, f_remap, f_vectors, f_weights, normalize) for flat, lengths in blocks)
        yield from _ordered(client, pool_block, items)
    return run


def _cooc_block(docs, key_to_index, kwargs):
    from .cooccurrence import count_cooccurrences
    return count_cooccurrences(docs, key_to_index, **kwargs)


def dask_cooccurrences(client, token_docs, key_to_index: dict, *, block_docs: int = 20_000, **kwargs):
    """:func:`textcluster.cooccurrence.count_cooccurrences` over blocks of ``token_docs`` as Dask tasks.

    Windows never cross documents, so the blocks' matrices add up to the whole corpus's matrix
    (symmetrisation commutes with the sum). Returns float32 CSR (V, V), as the local function does.
    """
    f_index = client.scatter(key_to_index, broadcast=True)
    n = len(token_docs)
    items = ((token_docs[s:s + block_docs], f_index, kwargs) for s in range(0, n, block_docs))
    total = None
    for part in _ordered(client, _cooc_block, items):
        total = part.astype(np.float64) if total is None else total + part
    if total is None:
        raise InputError("no documents given")
    X = total.astype(np.float32).tocsr()
    X.eliminate_zeros()
    X.sort_indices()
    return X


class DaskKMeansClusterer(ClusterMixin, BaseEstimator):
    """KMeans with dask-ml (``dask_ml.cluster.KMeans``: Lloyd iterations over row chunks of ``X`` on Dask).

    Parameters
    ----------
    k : int
    init : {"sample", "k-means||"}
        ``"sample"`` (default): the initial centres are scikit-learn ``KMeans(k, n_init)`` fitted on a random
        sample of ``sample_size`` rows on the client (seeding from a sample solution, Bradley & Fayyad
        1998), then dask-ml refines them on all rows. With ``n <= sample_size`` it starts from the
        in-memory solution, so the Dask run reproduces the local one. ``"k-means||"``: dask-ml's scalable
        k-means++ (Bahmani et al. 2012).
    n_init, sample_size : restarts and rows of the sample fit.
    max_iter, tol : Lloyd iterations and convergence tolerance.
    chunk_rows : int
        Rows per Dask chunk.
    random_state : int or None

    Runs on Dask's current client (the one :func:`connect` opened). Only the centres, labels, inertia and
    iteration count are kept, so ``predict`` (nearest centre, NumPy) and saving need no cluster.
    """

    def __init__(self, k: int = 10, *, init: str = "sample", n_init: int = 10, sample_size: int = 20_000,
                 max_iter: int = 100, tol: float = 1e-4, chunk_rows: int = 50_000,
                 random_state: int | None = 0, **ignored):
        self.k = k
        self.init = init
        self.n_init = n_init
        self.sample_size = sample_size
        self.max_iter = max_iter
        self.tol = tol
        self.chunk_rows = chunk_rows
        self.random_state = random_state
        if ignored:
            logger.info("dask-kmeans ignores %s", ", ".join(sorted(ignored)))

    def fit(self, X, y=None) -> "DaskKMeansClusterer":
        _require_dask()
        import dask.array as da
        from dask_ml.cluster import KMeans

        from .errors import check_k, check_vectors

        X = check_vectors(X)
        check_k(self.k, X.shape[0])
        if self.init == "sample":
            from sklearn.cluster import KMeans as SkKMeans
            rng = np.random.default_rng(self.random_state)
            rows = np.arange(len(X)) if len(X) <= self.sample_size else \
                np.sort(rng.choice(len(X), int(self.sample_size), replace=False))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*distinct clusters.*")
                init = SkKMeans(int(self.k), n_init=self.n_init, random_state=self.random_state
                                ).fit(np.asarray(X[rows])).cluster_centers_
        elif self.init == "k-means||":
            init = "k-means||"
        else:
            raise InputError(f"init must be 'sample' or 'k-means||', got {self.init!r}")
        dX = da.from_array(np.ascontiguousarray(X), chunks=(min(self.chunk_rows, len(X)), X.shape[1]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=(FutureWarning, DeprecationWarning, UserWarning))
            model = KMeans(n_clusters=int(self.k), init=init, n_init=1, max_iter=self.max_iter,
                           tol=self.tol, random_state=self.random_state).fit(dX)
        self.cluster_centers_ = np.asarray(model.cluster_centers_, dtype=np.float32)
        self.labels_ = np.asarray(model.labels_, dtype=np.int64)
        self.inertia_ = float(model.inertia_)
        self.n_iter_ = int(model.n_iter_)
        return self

    def predict(self, X) -> np.ndarray:
        from .cluster import nearest_centroid
        from .errors import check_fitted, check_vectors
        check_fitted(self, "cluster_centers_")
        return nearest_centroid(check_vectors(X), self.cluster_centers_)
