"""One table of named components: ``kind -> name -> factory``.

Every stage of a pipeline is a scikit-learn estimator; a *name* is a shortcut for one with default settings.
Kinds:

- ``"word_vectors"``: token lists -> gensim ``KeyedVectors`` in ``wv_`` (word2vec, GloVe, DeepWalk); a name of
  this kind is also an embedder: its vectors pooled into document vectors by ``DocumentEmbedder``;
- ``"embedder"``: token lists (n,) -> document vectors float32 (n, d); ``fit_transform`` / ``transform``;
- ``"reducer"``: vectors (n, d) -> vectors (n, d'); ``"passthrough"`` keeps them as they are;
- ``"clusterer"``: vectors (n, d) -> ``labels_`` (n,), -1 = noise; ``predict`` for new rows;
- ``"method"``: the whole images/tables clusterer (feature rows -> ``labels_``).

A factory is any callable returning a fresh estimator (usually the class itself). Built-ins are listed
below as ``"module:attribute"`` strings so nothing heavy (torch, umap) is imported before it is used; a new
component is one class plus one line::

    from textcluster import registry
    registry.register("clusterer", "agglomerative", MyAgglomerativeClusterer)

What a saved model may name is a separate, fixed allow-list (:mod:`textcluster.safeload`): a component
registered at run time fits and predicts, but is saved only when its class is on that list.
"""
from __future__ import annotations

import importlib
import os
from typing import Callable

from .errors import InputError

__all__ = ["DEFAULT_EMBEDDER", "CORPUS_EMBEDDER", "KINDS", "register", "unregister", "names", "factory", "build", "name_of", "is_estimator", "embedder_names",
           "make_embedder", "make_reducer", "make_clusterer", "make_method", "resolve_reducer",
           "resolve_clusterer", "word_embedder_names", "accepted_params", "LARGE_N", "is_embedding_name", "is_vectors_path", "takes_param"]

KINDS = ("word_vectors", "embedder", "reducer", "clusterer", "method")

_BUILTIN: dict[str, dict[str, str | Callable]] = {
    "word_vectors": {
        "word2vec": "textcluster.embed.word2vec:Word2VecEmbedder",
        "glove": "textcluster.embed.glove:GloVeEmbedder",
        "deepwalk": "textcluster.embed.deepwalk:DeepWalkEmbedder",
        "ppmi": "textcluster.embed.ppmi:PpmiSvdEmbedder",
    },
    "embedder": {
        "tfidf-lsa": "textcluster.embed.lsa:TfidfLsaEmbedder",
        "minilm": "textcluster.embed.sentence:SentenceEmbedder",
        "auto": "textcluster.embed.sentence:AutoEmbedder",
    },
    "reducer": {
        "passthrough": "textcluster.reduce:Passthrough",
        "pca": "textcluster.reduce:pca",
        "umap": "textcluster.reduce:UMAPReducer",
        "smooth": "textcluster.reduce:NeighbourSmoother",
        "ae": "textcluster.nn.methods:ae_reducer",
        "vae": "textcluster.nn.methods:vae_reducer",
    },
    "clusterer": {
        "kmeans": "textcluster.cluster:KMeansClusterer",
        "minibatch-kmeans": "textcluster.cluster:MiniBatchKMeansClusterer",
        "hdbscan": "textcluster.cluster:HDBSCANClusterer",
        "dec": "textcluster.nn.dec:DEC",
        "idec": "textcluster.nn.dec:IDEC",
        "clustergan": "textcluster.nn.clustergan:ClusterGAN",
        "dask-kmeans": "textcluster.distributed:DaskKMeansClusterer",
        "refined-kmeans": "textcluster.refine:SelfTrainingClusterer",
    },
    "method": {
        "ae-kmeans": "textcluster.encoder_kmeans:ae_kmeans",
        "vae-kmeans": "textcluster.encoder_kmeans:vae_kmeans",
        "n2d": "textcluster.encoder_kmeans:n2d",
        "shift-umap": "textcluster.shift_umap:shift_umap",
        "dec": "textcluster.nn.dec:DEC",
        "idec": "textcluster.nn.dec:IDEC",
        "clustergan": "textcluster.nn.clustergan:ClusterGAN",
        "kmeans": "textcluster.cluster:KMeansClusterer",
    },
}
#: the text pipeline's default embedder: "auto" = :class:`~textcluster.embed.sentence.AutoEmbedder`, which runs
#: CORPUS_EMBEDDER (skip-gram word vectors trained on the collection, SIF-pooled, beside the TF-IDF + LSA
#: lexical view) on collections of 50,000+ tokens and the local sentence model ("minilm", the [sentence] extra)
#: below that when installed (docs/benchmarks.md, "The default against both peers on every corpus")
DEFAULT_EMBEDDER = "auto"
CORPUS_EMBEDDER = "ppmi+tfidf-lsa"

#: aliases accepted where a name is: "none" = "passthrough" (the CLI's --reduce none)
_ALIASES = {("reducer", "none"): "passthrough"}

_TABLE: dict[str, dict[str, str | Callable]] = {k: dict(v) for k, v in _BUILTIN.items()}


def register(kind: str, name: str, factory: Callable) -> Callable:
    """Add (or replace) the component ``name`` of ``kind``; ``factory(**params)`` returns a new estimator."""
    if kind not in _TABLE:
        raise InputError(f"unknown component kind {kind!r}; choose one of {', '.join(KINDS)}")
    if not callable(factory):
        raise InputError(f"the factory of {kind} {name!r} must be callable (a class or a function)")
    _TABLE[kind][name] = factory
    return factory


def unregister(kind: str, name: str) -> None:
    """Remove the component ``name`` of ``kind`` (a built-in comes back as it was)."""
    _TABLE[kind].pop(name, None)
    if name in _BUILTIN.get(kind, {}):
        _TABLE[kind][name] = _BUILTIN[kind][name]


def names(kind: str) -> tuple[str, ...]:
    """The names registered for ``kind``, built-ins first."""
    return tuple(_TABLE[kind])


def word_embedder_names() -> tuple[str, ...]:
    """Names of the word-vector trainers (kind ``"word_vectors"``), pooled into document vectors."""
    return names("word_vectors")


def factory(kind: str, name: str) -> Callable:
    """The factory of ``name`` (imported on first use)."""
    name = _ALIASES.get((kind, name), name)
    table = _TABLE.get(kind)
    if table is None:
        raise InputError(f"unknown component kind {kind!r}; choose one of {', '.join(KINDS)}")
    if name not in table:
        raise InputError(f"unknown {kind} {name!r}; choose one of {', '.join(table)}")
    f = table[name]
    if isinstance(f, str):
        module, _, attr = f.partition(":")
        f = getattr(importlib.import_module(module), attr)
        table[name] = f
    return f


def is_estimator(obj) -> bool:
    """True for an object with the scikit-learn contract (``fit`` and ``get_params``)."""
    return not isinstance(obj, type) and callable(getattr(obj, "fit", None)) and \
        callable(getattr(obj, "get_params", None))


def build(kind: str, spec, **params):
    """A new estimator from ``spec``: a registered name (``params`` go to its factory) or an estimator
    (returned as it is; ``params`` are then refused)."""
    if is_estimator(spec):
        if params:
            raise InputError(f"parameters {sorted(params)} were given for a {kind} passed as an object; set them "
                             "on the object")
        return spec
    if not isinstance(spec, str):
        raise InputError(f"{kind} must be a name ({', '.join(names(kind))}) or an estimator with fit and "
                         f"get_params, got {type(spec).__name__}")
    try:
        return factory(kind, spec)(**params)
    except TypeError as exc:
        raise InputError(f"{kind} {spec!r}: {exc}") from None


def name_of(kind: str, obj) -> str | None:
    """The registered name whose factory is the class of ``obj`` (None when it is not registered)."""
    if isinstance(obj, str):
        return _ALIASES.get((kind, obj), obj)
    for name in _TABLE[kind]:
        f = factory(kind, name)
        if f is type(obj):
            return name
    return None


def takes_param(est, param: str) -> bool:
    """True when the estimator ``est`` has the constructor parameter ``param``."""
    return param in est.get_params(deep=False)


# -- embedders: names, "+"-joined combinations and vectors files ----------------------------------------------
def embedder_names() -> tuple[str, ...]:
    """Every name accepted by ``--embedding`` (besides vectors files and ``+``-joined combinations): the
    word-vector trainers, then the document embedders."""
    return names("word_vectors") + names("embedder")


def is_vectors_path(name) -> bool:
    """True when ``name`` is not an embedder name but an existing file (a pretrained vectors file)."""
    return isinstance(name, (str, os.PathLike)) and str(name) not in embedder_names() and os.path.isfile(name)


def is_embedding_name(name) -> bool:
    """True for a name :func:`make_embedder` accepts: an embedder, a vectors file, or ``+``-joined ones."""
    if not isinstance(name, (str, os.PathLike)):
        return False
    name = str(name)
    if name in embedder_names() or is_vectors_path(name):
        return True
    parts = name.split("+")
    return len(parts) > 1 and all(p in embedder_names() or is_vectors_path(p) for p in parts)


def accepted_params(name: str, params: dict) -> dict:
    """The part of ``params`` that the word-vector trainer ``name`` takes (a combination's shared settings,
    e.g. ``epochs``, go only to the trainers that have them: ppmi has no epochs nor workers)."""
    import inspect

    sig = inspect.signature(factory("word_vectors", name))
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return params
    return {k: v for k, v in params.items() if k in sig.parameters}


def make_embedder(name: str, *, pooling: str = "sif", **params):
    """A document embedder from its name.

    Parameters
    ----------
    name : str
        ``"auto"`` (the default: :data:`CORPUS_EMBEDDER` on collections of 50,000+ tokens, the local sentence
        model below that when installed; ``params`` go to the former), a registered embedder (``word2vec``,
        ``glove``, ``deepwalk``: word vectors pooled with ``pooling``; ``tfidf-lsa``; ``minilm``), the path of a pretrained GloVe/word2vec vectors file, or several of those joined by
        ``+`` (e.g. ``"ppmi+tfidf-lsa"``): a :class:`~textcluster.embed.ConcatEmbedder` of them; ``params``
        then go to every word embedder of the combination that takes them.
    pooling : {"sif", "tfidf", "mean"}
        Pooling of word vectors into document vectors (word embedders only).
    **params
        Parameters of the word embedder (``vector_size``, ``epochs``, ...) or of the document embedder.
    """
    from .embed.pooling import POOLING_METHODS, ConcatEmbedder, DocumentEmbedder

    if not isinstance(name, (str, os.PathLike)):
        return build("embedder", name, **params)
    name = str(name)
    if name == "auto":  # the corpus-trained part takes the word-vector params; the sentence model has none
        return factory("embedder", "auto")(corpus=make_embedder(CORPUS_EMBEDDER, pooling=pooling, **params))
    if "+" in name and not is_vectors_path(name):
        parts = name.split("+")
        if len(parts) != len(set(parts)):
            raise InputError(f"embedding {name!r} names a part twice")
        words = word_embedder_names()
        seed = {k: params.pop(k) for k in ("random_state",) if k in params}  # the seed goes to every part
        return ConcatEmbedder([make_embedder(p, pooling=pooling, **seed,
                                             **(accepted_params(p, params) if p in words else {}))
                               for p in parts], names=[os.path.basename(p) for p in parts])
    is_file = is_vectors_path(name)
    if not is_file and name not in embedder_names():
        raise InputError(f"unknown embedding {name!r}; choose one of {', '.join(embedder_names())} "
                         "or give the path of a GloVe/word2vec vectors file")
    if not is_file and name not in word_embedder_names():
        return build("embedder", name, **params)
    if pooling not in POOLING_METHODS:
        raise InputError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLING_METHODS)}")
    if is_file:
        from .embed.pretrained import PretrainedEmbedder
        return DocumentEmbedder(PretrainedEmbedder(name, **params), pooling=pooling)
    return DocumentEmbedder(build("word_vectors", name, **params), pooling=pooling)


# -- reducers and clusterers ------------------------------------------------------------------------------------
def resolve_reducer(reducer, clusterer) -> str | object:
    """``"auto"`` -> ``"umap"`` before density clustering (HDBSCAN finds little structure in 100-d pooled
    vectors: 2 clusters on 20 Newsgroups), ``"smooth"`` (:class:`~textcluster.reduce.NeighbourSmoother`)
    before the KMeans family, ``"passthrough"`` before the others; anything else unchanged."""
    if not isinstance(reducer, str) or reducer != "auto":
        return _ALIASES.get(("reducer", reducer), reducer) if isinstance(reducer, str) else reducer
    name = clusterer if isinstance(clusterer, str) else name_of("clusterer", clusterer)
    if name == "hdbscan":
        return "umap"
    return "smooth" if name in ("kmeans", "minibatch-kmeans", "refined-kmeans") else "passthrough"


#: above this many rows, the name "kmeans" runs as "minibatch-kmeans" (see :func:`resolve_clusterer`)
LARGE_N = 50_000


def resolve_clusterer(clusterer, n_samples: int, *, large_n: int | None = None):
    """The clusterer that runs for ``clusterer`` on ``n_samples`` rows: the name ``"kmeans"`` becomes
    ``"minibatch-kmeans"`` above ``large_n`` (default :data:`LARGE_N`; None keeps full KMeans)."""
    limit = LARGE_N if large_n is None else large_n
    if clusterer == "kmeans" and limit is not None and n_samples > limit:
        return "minibatch-kmeans"
    return clusterer


def make_reducer(name, **params):
    """The reducer ``name`` (``"none"`` / ``"passthrough"``: an identity transformer)."""
    return build("reducer", name, **params)


def make_clusterer(name, *, k: int | None = None, **params):
    """The clusterer ``name``; ``k`` goes to clusterers that take a cluster count."""
    est = build("clusterer", name, **params)
    if k is not None and takes_param(est, "k"):
        est.set_params(k=k)
    return est


def make_method(name: str, *, k: int, **params):
    """The images/tables clusterer ``name``. ``None`` values in ``params`` are dropped (unset CLI options);
    a parameter that some method takes but this one does not (``pretrain_epochs`` for ClusterGAN) is dropped
    too, one that no method takes is an error."""
    f = factory("method", name)
    accepted = f().get_params(deep=False)
    params = {key: v for key, v in params.items() if v is not None}
    known = set().union(*(factory("method", m)().get_params(deep=False) for m in names("method")))
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(f"unknown parameters {unknown} for method {name!r}")
    est = f(**{key: v for key, v in params.items() if key in accepted})
    if takes_param(est, "k"):
        est.set_params(k=k)
    return est
