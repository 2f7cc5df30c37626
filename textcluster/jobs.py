"""What each ``textcluster`` command does, as library functions: read the input, fit, write the results.

The CLI (:mod:`textcluster.cli`) parses options, calls one of these and prints; a notebook or script can call
them just the same (``run_cluster("docs.jsonl", "results", k=20)``). Every output goes through the checked
writers of :mod:`textcluster.atomic` (never the input, never inside a model folder; replaced atomically).
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Optional

from .errors import InputError
from .registry import DEFAULT_EMBEDDER

__all__ = ["DEFAULT_K", "STREAM_BYTES", "STREAM_DOCS", "choose_stream", "default_k", "partial_labels",
           "word_embedder_params", "run_cluster",
           "run_predict", "run_compare", "train_word_vectors"]

logger = logging.getLogger("textcluster")

#: the k default, the same for cluster, images and table
DEFAULT_K = 10
#: inputs larger than this (uncompressed) are streamed through the token cache unless ``stream=False``
STREAM_BYTES = 256 * 1024 * 1024
#: inputs of more documents than this are streamed too (millions of tiny documents are small in bytes, but
#: their token lists, texts and per-document objects are not); ``run_cluster(stream_docs=...)`` overrides it
STREAM_DOCS = 200_000


def choose_stream(corpus, *, stream_bytes: int = STREAM_BYTES, stream_docs: int = STREAM_DOCS) -> tuple[bool, str]:
    """(stream?, why) for ``corpus``: by its uncompressed size, then by its (estimated) number of documents.

    The documents are counted (one pass over the raw bytes, no parsing) only when the input is large enough
    to hold more than ``stream_docs`` of them (every document takes at least two bytes)."""
    size = corpus.uncompressed_bytes
    if size > stream_bytes:
        return True, f"{size / 2**20:.0f} MB > {stream_bytes / 2**20:.0f} MB"
    if size > 2 * stream_docs:
        n = corpus.estimate_docs()
        if n is not None and n > stream_docs:
            return True, f"about {n:,} documents > {stream_docs:,}"
    return False, "small input"


def default_k(labels) -> tuple[int, str]:
    """(k, why) when no k is given: the number of label classes when every item has a label, else DEFAULT_K."""
    if labels is not None:
        n = len({str(v) for v in labels})
        if n >= 2:
            return n, f"{n} label classes"
    return DEFAULT_K, "default"


def partial_labels(labels: list):
    """All labels, None when no document has one; labels on only some documents are kept with a warning (the
    agreement scores are then computed on the labelled documents, see report.clustering_metrics)."""
    n = sum(lab is not None for lab in labels)
    if n == 0:
        return None
    if n < len(labels):
        warnings.warn(f"labels on {n} of {len(labels)} documents: nmi/ari/ami/acc are computed on those {n} "
                      "(n_labelled in metrics.json)")
    return labels


def word_embedder_params(embedding: str, *, vector_size: int = 100, window: Optional[int] = None,
                         epochs: Optional[int] = None, min_count: Optional[int] = None, workers: int = 1) -> dict:
    """Parameters for the word embedder(s) of ``embedding`` (none for tfidf-lsa / files).

    For a combination (``ppmi+tfidf-lsa``) they go to each word-embedder part that takes them (``make_embedder``).
    ``epochs`` is passed when given; otherwise a single word2vec/GloVe records its "auto" default, while
    DeepWalk and combinations keep each trainer's own default.
    """
    from .registry import CORPUS_EMBEDDER, accepted_params, word_embedder_names

    words = word_embedder_names()
    parts = [embedding] if embedding in words else (CORPUS_EMBEDDER if embedding == "auto" else embedding).split("+")
    if not any(p in words for p in parts):
        return {}
    params: dict = {"vector_size": vector_size, "workers": workers, "min_count": min_count or "auto"}
    if window is not None:
        params["window"] = window
    if epochs is not None:
        params["epochs"] = epochs
    elif embedding in ("word2vec", "glove"):
        params["epochs"] = "auto"
    return accepted_params(embedding, params) if embedding in words else params


def _vector_report(embedder) -> dict:
    """Out-of-vocabulary counts of a pretrained-vectors embedder, for metrics.json (empty otherwise)."""
    inner = getattr(embedder, "word_embedder_", None)
    if inner is None or not hasattr(inner, "oov_rate_"):
        return {}
    return {"oov_tokens": inner.n_oov_tokens_, "oov_types": inner.n_oov_types_,
            "oov_rate": round(inner.oov_rate_, 4), "n_tokens": inner.n_tokens_}


def _check_cluster_outputs(out: Path, input: Path, save_vectors: Optional[Path]) -> None:
    """Refuse bad ``out`` / ``save_vectors`` paths before the run (the writers check them again)."""
    from .atomic import check_output

    check_output(out, kind="dir", inputs=[input])
    if save_vectors is not None:
        vec, o = Path(os.path.realpath(save_vectors)), Path(os.path.realpath(out))
        if o == vec or o in vec.parents:
            raise InputError(f"--save-vectors {save_vectors} lies inside --out {out}, which is replaced as a "
                             "whole; write the vectors elsewhere")
        check_output(save_vectors, kind="file", inputs=[input], what="--save-vectors")


def _write_maps(model, out: Path, *, labels_true, method: str, seed: int, progress, metrics: dict) -> None:
    """map.html + map.png into ``out``; skipped with a warning when plotly/matplotlib are not installed."""
    try:
        import matplotlib  # noqa: F401
        import plotly  # noqa: F401
    except ImportError:
        warnings.warn("map skipped: plotly and matplotlib are needed (pip install 'textcluster[viz]'); "
                      "--no-map silences this")
        return
    if len(model.labels_) < 3:  # a 2-D layout needs 3 points; the clustering itself is still valid
        warnings.warn(f"map skipped: {len(model.labels_)} document(s), a map needs at least 3")
        return
    from .viz import write_maps

    with progress.stage("map") as advance:
        done = write_maps(model, out, method=method, labels_true=labels_true, random_state=seed)
        advance(1)
    metrics["seconds"].update({f"map_{k_}": v for k_, v in done["seconds"].items()})
    metrics["map"] = {"method": method, "points": int(len(done["coords"]))}


def text_model(*, k: int, embedding: str = DEFAULT_EMBEDDER, pooling: str = "sif", reduce: str = "auto",
               algorithm: str = "kmeans", seed: int = 0, lang: str = "en", spacy_model: str = "blank",
               segmenter: str = "auto",
               vector_size: int = 100, window: Optional[int] = None, epochs: Optional[int] = None,
               min_count: Optional[int] = None, workers: int = 1, device: str = "auto", n_process: int = -1,
               min_cluster_size: Optional[int] = None, assign_noise: bool = False, drop_stopwords: bool = True,
               lemma: bool = True, top_words: int = 10):
    """The :class:`~textcluster.pipeline.TextClusterer` that ``textcluster cluster`` options describe."""
    from .pipeline import TextClusterer
    from .registry import make_clusterer, make_embedder

    embedding_params = word_embedder_params(embedding, vector_size=vector_size, window=window, epochs=epochs,
                                            min_count=min_count, workers=workers)
    ignored = [f"--{n.replace('_', '-')}" for n, v in (("window", window), ("epochs", epochs),
                                                        ("min_count", min_count)) if v is not None]
    if ignored and not embedding_params:
        logger.warning("%s ignored: --embedding %s trains no word vectors", " and ".join(ignored), embedding)
    clusterer = algorithm  # a name: "kmeans" then runs as "minibatch-kmeans" above registry.LARGE_N documents
    if algorithm == "hdbscan":
        clusterer = make_clusterer(algorithm, min_cluster_size=min_cluster_size or "auto", assign_noise=assign_noise)
    return TextClusterer(k=k, embedder=make_embedder(embedding, pooling=pooling, **embedding_params),
                         reducer=reduce, clusterer=clusterer, lang=lang,
                         spacy_model=spacy_model, n_process=n_process, top_n_words=top_words, random_state=seed,
                         device=device, tokenizer_params={"remove_stop": drop_stopwords, "lemmatize": lemma,
                                                          "segmenter": segmenter})


def run_cluster(input, out="results", *, k: Optional[int] = None, text_field: str = "text",
                label_field: Optional[str] = None, id_field: str = "id", encoding_errors: str = "replace",
                save_vectors=None, stream: Optional[bool] = None, cache_dir=None, dask: Optional[str] = None,
                map_: bool = True, map_method: str = "graph", progress=None, stream_docs: int = STREAM_DOCS,
                **model_options):
    """Cluster the collection ``input`` into the folder ``out`` (assignments.csv, topics.json, metrics.json,
    map.html + map.png, model/), as ``textcluster cluster`` does; returns ``(model, metrics)``.

    ``model_options`` are :func:`text_model`'s (embedding, pooling, reduce, algorithm, seed, ...). Without
    ``k``, the number of label classes when every document has a label, else :data:`DEFAULT_K`.
    ``stream``: None = streamed through the token cache when ``dask`` or ``cache_dir`` is given, the input is
    over :data:`STREAM_BYTES` uncompressed or holds more than ``stream_docs`` documents (:func:`choose_stream`).
    """
    from .atomic import atomic_dir
    from .corpus import read_corpus
    from .progress import NullProgress
    from .report import children_peak_rss_mb, clustering_metrics, describe_choices, peak_rss_mb, write_results

    input, out = Path(input), Path(out)
    progress = progress or NullProgress()
    seed = model_options.get("seed", 0)
    t0 = time.perf_counter()
    corpus = read_corpus(input, text_field=text_field, label_field=label_field or "auto", id_field=id_field,
                         encoding_errors=encoding_errors)
    t_read = time.perf_counter()
    stream_why = "--stream" if stream else "--in-memory"
    if stream is None:
        stream, stream_why = (True, "--dask" if dask is not None else "--cache-dir") \
            if dask is not None or cache_dir is not None else choose_stream(corpus, stream_docs=stream_docs)
    logger.info("streamed: %s (%s)", bool(stream), stream_why)
    labels_true = docs = None
    if not stream:
        docs = list(corpus)
        ids = [d.id for d in docs]
        labels_true = partial_labels([d.label for d in docs])
    k_why = "--k"
    if k is None:
        found = labels_true if not stream else [d.label for d in corpus]  # streamed: one extra reading pass
        k, k_why = default_k(None if found is None or any(v is None for v in found) else found)
    embedding = model_options.get("embedding", DEFAULT_EMBEDDER)
    if save_vectors is not None and embedding == "tfidf-lsa":
        raise InputError("--save-vectors needs a word embedding (ppmi, word2vec, glove, deepwalk or a vectors file), "
                         "not tfidf-lsa")
    _check_cluster_outputs(out, input, save_vectors)
    model = text_model(k=k, **model_options)
    with atomic_dir(out, inputs=[input]) as tmp:
        if stream:
            from .distributed import connect
            with connect(dask) if dask else contextlib.nullcontext() as client:
                model.fit_corpus(corpus, cache_dir=cache_dir, client=client, progress=progress)
            ids, labels_true = model.doc_ids_, partial_labels(model.tokens_.labels or [])
        else:
            model.fit(docs, progress=progress)
        metrics = clustering_metrics(model.embedding_, model.labels_, labels_true, random_state=seed)
        metrics["n_empty_docs"] = model.n_empty_docs_  # no text or no known word: cluster -1, not clustered
        metrics["n_blank_lines"] = int(getattr(corpus, "n_blank", 0))  # .txt: skipped, not documents
        metrics["k_from"] = k_why  # "--k", "N label classes" or "default"
        metrics.update(_vector_report(model.embedder_))
        if save_vectors is not None:
            from .embed import save_vectors as _save_vectors
            wv = getattr(model.embedder_, "wv_", None)
            if wv is None:  # "auto" chose the sentence model for a small collection: no word vectors
                raise InputError("--save-vectors: this run used no word vectors (the default chose the sentence "
                                 "model for a small collection); pass --embedding ppmi+tfidf-lsa to train them")
            _save_vectors(wv, save_vectors, inputs=[input])
        metrics["n_split_docs"] = int(getattr(model.tokenizer_, "n_split_", 0))  # over spaCy's max_length
        metrics["algorithm"] = model.algorithm_  # what ran (e.g. minibatch-kmeans)
        metrics["choice"] = describe_choices(model)  # what "auto" chose, and a note for small collections
        metrics["streamed"] = bool(stream)
        metrics["streamed_why"] = stream_why
        metrics["seconds"] = {"read": round(t_read - t0, 3), **model.seconds_}
        metrics["config"] = {"input": str(input), "embedding": embedding,
                             **{o: model_options.get(o, d) for o, d in (("pooling", "sif"), ("reduce", "auto"),
                                                                          ("algorithm", "kmeans"))},
                             **{p: v for p, v in model.get_params(deep=False).items()
                                if p not in ("embedder", "reducer", "clusterer") and not p.endswith("_params")}}
        if map_:
            _write_maps(model, tmp, labels_true=labels_true, method=map_method, seed=seed, progress=progress,
                        metrics=metrics)
        t_write = time.perf_counter()
        write_results(tmp, ids=ids, labels=model.labels_, labels_true=labels_true, topics=model.topics_,
                      metrics=metrics, texts=getattr(model, "texts_", None))
        model.save(tmp / "model")  # what `textcluster predict` loads
        metrics["seconds"]["write"] = round(time.perf_counter() - t_write, 3)
        metrics["seconds"]["total"] = round(time.perf_counter() - t0, 3)
        metrics["peak_rss_mb"] = peak_rss_mb()
        metrics["peak_rss_mb_workers"] = children_peak_rss_mb()
        write_results(tmp, ids=ids, labels=model.labels_, labels_true=labels_true, topics=model.topics_,
                      metrics=metrics, texts=getattr(model, "texts_", None))
    return model, metrics


def run_predict(model_dir, input, out="predictions.csv", *, text_field: str = "text", id_field: str = "id",
                encoding_errors: str = "replace"):
    """Assign the documents of ``input`` to the clusters of a saved model; write a CSV (id, cluster, topic,
    text) to ``out`` (an existing folder or a path ending in / gets predictions.csv inside it). Returns
    ``(path written, documents, labels (n,), {cluster: topic label})``."""
    import csv

    from .atomic import atomic_file, check_output
    from .corpus import read_corpus
    from .pipeline import TextClusterer
    from .topics import text_snippet

    out = str(out)
    is_dir = out.endswith(("/", os.sep)) or Path(out).is_dir()
    out = Path(out) / "predictions.csv" if is_dir else Path(out)
    check_output(out, kind="file", inputs=[input, model_dir])
    model = TextClusterer.load(model_dir)
    docs = list(read_corpus(input, text_field=text_field, label_field=None, id_field=id_field,
                            encoding_errors=encoding_errors))
    labels = model.predict(docs)
    names = {t.cluster: t.label for t in model.topics_}
    with atomic_file(out, "w", newline="", encoding="utf-8", inputs=[input, model_dir]) as fh:
        w = csv.writer(fh)
        w.writerow(["id", "cluster", "topic", "text"])
        w.writerows([d.id, int(c), names.get(int(c), "noise"), text_snippet(d.text, 120)]
                    for d, c in zip(docs, labels))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out, 0o666 & ~umask)  # an ordinary file, like cluster's outputs (the temporary file was 0600)
    return out, docs, labels, names


def run_compare(input, out="compare", *, text_field: str = "text", label_field: Optional[str] = None,
                id_field: str = "id", encoding_errors: str = "replace", progress=None, **options):
    """Rank a grid of configurations on ``input`` (:func:`~textcluster.compare.compare_pipelines`, which takes
    ``options``); write compare.csv and compare.json to ``out``; returns the :class:`Comparison`."""
    import json

    from .atomic import atomic_dir, check_output
    from .compare import compare_pipelines
    from .corpus import read_corpus

    check_output(out, kind="dir", inputs=[input])
    docs = list(read_corpus(input, text_field=text_field, label_field=label_field or "auto", id_field=id_field,
                            encoding_errors=encoding_errors))
    result = compare_pipelines(docs, progress=progress, **options)
    with atomic_dir(out, inputs=[input]) as tmp:
        result.table.to_csv(tmp / "compare.csv", index=False)
        with open(tmp / "compare.json", "w", encoding="utf-8") as fh:
            json.dump(result.to_dict() | {"input": str(input)}, fh, indent=1, allow_nan=False)
    return result


def train_word_vectors(corpus, *, embedding: str = "word2vec", seed: int = 0, lang: str = "en",
                       text_field: str = "text", n_process: int = -1, **params):
    """Word vectors (gensim ``KeyedVectors``) trained by ``embedding`` on the collection ``corpus``;
    ``params`` as :func:`word_embedder_params` (vector_size, window, epochs, min_count, workers)."""
    from .corpus import read_corpus
    from .registry import build
    from .tokenize import SpacyTokenizer

    texts = [d.text for d in read_corpus(corpus, text_field=text_field, label_field=None)]
    tokens = SpacyTokenizer(lang=lang, n_process=n_process).fit().transform(texts)
    return build("word_vectors", embedding, random_state=seed,
                 **word_embedder_params(embedding, **params)).fit(tokens).wv_


