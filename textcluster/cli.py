"""The ``textcluster`` command line: each command parses options, calls the library, prints a summary.

Exit codes: 0 done, 2 bad input or arguments (one line on stderr), 1 anything else, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM); an interrupted run leaves the previous --out folder intact.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Optional

import click
import numpy as np
import typer

from .embed.pooling import POOLING_METHODS
from .errors import InputError
from .pipeline import STAGES
from .registry import embedder_names, names

#: the --k default, the same for cluster, images and table
DEFAULT_K = 10
K_HELP = f"Number of clusters (default: the number of label classes when the input has labels, else {DEFAULT_K})."


def _default_k(labels) -> tuple[int, str]:
    """(k, why) when --k is not given: the number of label classes when every item has a label, else DEFAULT_K."""
    if labels is not None:
        n = len({str(v) for v in labels})
        if n >= 2:
            return n, f"{n} label classes"
    return DEFAULT_K, "default"


#: inputs larger than this are streamed through the token cache unless --in-memory is given
STREAM_BYTES = 256 * 1024 * 1024

app = typer.Typer(help="Group documents by topic with learned embeddings.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)

logger = logging.getLogger("textcluster")


def _choice(default: str, names, help: str):
    """An option restricted to ``names`` (a sequence, or a callable returning one, read at parse time)."""
    def check(value: str) -> str:
        allowed = list(names() if callable(names) else names)
        if value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value
    shown = "|".join(names() if callable(names) else names)
    return typer.Option(default, help=f"{help} [{shown}]", callback=check)


def _embedding_option(default: str):
    """``--embedding``: an embedder name or the path of a pretrained vectors file (GloVe / word2vec)."""
    def check(value: str) -> str:
        from .registry import is_embedding_name
        if is_embedding_name(value):
            return value
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(embedder_names())} (or several joined by '+'), "
                                 "nor an existing vectors file (GloVe or word2vec, text or binary)")
    return typer.Option(default, help=f"Document vectors: {'|'.join(embedder_names())} (word2vec, glove, deepwalk "
                        "are trained on the corpus; tfidf-lsa = TF-IDF + truncated SVD), the path of a "
                        "pretrained GloVe/word2vec vectors file, or several joined by '+' (concatenated, e.g. "
                        "word2vec+tfidf-lsa).", callback=check)


def _word_embedder_params(embedding: str, *, vector_size: int, window: Optional[int], epochs: Optional[int],
                          min_count: Optional[int], workers: int) -> dict:
    """Parameters the CLI passes to the word embedder(s) of ``embedding`` (none for tfidf-lsa / files).

    For a combination (``word2vec+tfidf-lsa``) they go to each word-embedder part (``make_embedder``).
    ``--epochs`` is passed when given; otherwise a single word2vec/GloVe records its "auto" default, while
    DeepWalk and combinations keep each trainer's own default.
    """
    from .registry import word_embedder_names

    words = word_embedder_names()
    parts = [embedding] if embedding in words else embedding.split("+")
    if not any(p in words for p in parts):
        return {}
    params: dict = {"vector_size": vector_size, "workers": workers, "min_count": min_count or "auto"}
    if window is not None:
        params["window"] = window
    if epochs is not None:
        params["epochs"] = epochs
    elif embedding in ("word2vec", "glove"):
        params["epochs"] = "auto"
    return params


def _vector_report(embedder) -> dict:
    """Out-of-vocabulary counts of a pretrained-vectors embedder, for metrics.json (empty otherwise)."""
    inner = getattr(embedder, "word_embedder_", None)
    if inner is None or not hasattr(inner, "oov_rate_"):
        return {}
    return {"oov_tokens": inner.n_oov_tokens_, "oov_types": inner.n_oov_types_,
            "oov_rate": round(inner.oov_rate_, 4), "n_tokens": inner.n_tokens_}


def _show_version(value: bool) -> None:
    if value:
        from . import __version__
        typer.echo(f"textcluster {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """textcluster: cluster a document collection and describe its topics."""


@app.command("cluster")
def cluster_cmd(
    input: Path = typer.Argument(..., metavar="INPUT", help="Corpus: .txt (one document per line), .jsonl/.jsonl.gz, .csv, "
                                           "or a directory of .txt files (label = sub-folder)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output directory (replaced atomically)."),
    embedding: str = _embedding_option("word2vec"),
    pooling: str = _choice("sif", POOLING_METHODS, "How word vectors become document vectors (sif: smooth inverse frequency weights, first principal component removed)."),
    reduce: str = _choice("auto", ["auto", "none", *names("reducer")], "Reduce document vectors before clustering; auto = "
                                                       "UMAP to 5-d for hdbscan, none for the others."),
    algorithm: str = _choice("kmeans", list(names("clusterer")), "Clustering: hdbscan finds the count and marks noise "
                             "as -1; the others take --k."),
    k: Optional[int] = typer.Option(None, "--k", min=1, help=K_HELP),
    seed: int = typer.Option(0, min=0, max=2**32 - 1, help="Random seed for every stage."),
    lang: str = typer.Option("en", help="Language for spacy.blank (en, de, zh, ...)."),
    spacy_model: str = typer.Option("blank", help="'blank' (blank pipeline + lookup lemmatizer) or an "
                                                  "installed spaCy model name, e.g. en_core_web_sm."),
    text_field: str = typer.Option("text", help="JSONL field / CSV column with the text."),
    label_field: Optional[str] = typer.Option(None, help="JSONL field / CSV column with gold labels "
                                                          "(default: 'label' when present)."),
    id_field: str = typer.Option("id", help="JSONL field / CSV column with document ids "
                                            "(default: record number when absent)."),
    encoding_errors: str = _choice("replace", ("replace", "strict"), "Invalid UTF-8: replace bad bytes by "
                                   "U+FFFD and warn with a count (replace), or fail naming the line (strict)."),
    vector_size: int = typer.Option(100, min=2, help="Word vector dimension."),
    window: Optional[int] = typer.Option(None, min=1, help="Context window (default: 5 for word2vec, 10 for "
                                                          "glove and deepwalk)."),
    epochs: Optional[int] = typer.Option(None, min=1, help="Training epochs (default: scaled to corpus size; "
                                                           "deepwalk: passes over the walks, default 1)."),
    min_count: Optional[int] = typer.Option(None, min=1, help="Minimum word frequency (default: scaled)."),
    workers: int = typer.Option(1, min=1, help="Training threads (1 = fully reproducible)."),
    device: str = typer.Option("auto", help="Torch device of GloVe, the ae/vae reducers and dec/idec/clustergan: "
                               "'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:1', ..."),
    save_vectors: Optional[Path] = typer.Option(None, help="Also write the word vectors to this file "
                                                "(word2vec text format; word embeddings only)."),
    n_process: int = typer.Option(-1, help="Tokenizer processes (-1 = all cores; corpora under 1,000 "
                                           "documents always use one)."),
    min_cluster_size: Optional[int] = typer.Option(None, min=2, help="HDBSCAN smallest cluster "
                                                                      "(default: 0.5 % of documents, >= 5)."),
    assign_noise: bool = typer.Option(False, help="HDBSCAN: assign noise documents to the nearest cluster."),
    drop_stopwords: bool = typer.Option(True, "--drop-stopwords/--keep-stopwords", help="Drop stop words."),
    lemma: bool = typer.Option(True, "--lemma/--no-lemma", help="Replace tokens by their lemma."),
    top_words: int = typer.Option(10, min=1, help="Topic words per cluster."),
    stream: Optional[bool] = typer.Option(None, "--stream/--in-memory", help="Stream the corpus through an "
                                          "on-disk token cache (bounded memory; MiniBatchKMeans above 50,000 "
                                          "documents, HDBSCAN fitted on a sample). Default: stream when "
                                          "--dask or --cache-dir is given or the input is over 256 MB."),
    cache_dir: Optional[Path] = typer.Option(None, help="Keep the token cache here and reuse it for the same "
                                             "input and tokenizer settings (implies --stream)."),
    dask: Optional[str] = typer.Option(None, help="Run tokenization, counting, pooling and KMeans on Dask: "
                                       "'local' (a LocalCluster of 2 workers) or a scheduler address "
                                       "tcp://HOST:PORT (implies --stream; needs textcluster[dask])."),
    map_: bool = typer.Option(True, "--map/--no-map", help="Write map.html (interactive) and map.png, a 2-D "
                              "map of the documents (needs textcluster[viz])."),
    map_method: str = _choice("graph", ("graph", "umap", "tsne", "pca"), "2-D projection for the map: graph "
                              "(fast, built in), umap (needs umap-learn), tsne (slow), pca."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Cluster a document collection; write assignments.csv, topics.json, metrics.json and map.html to --out."""
    from . import TextClusterer, read_corpus
    from .atomic import atomic_dir
    from .progress import RichProgress
    from .report import children_peak_rss_mb, clustering_metrics, peak_rss_mb, write_results

    t0 = time.perf_counter()
    corpus = read_corpus(input, text_field=text_field, label_field=label_field or "auto", id_field=id_field,
                         encoding_errors=encoding_errors)
    t_read = time.perf_counter()
    if stream is None:
        stream = dask is not None or cache_dir is not None or corpus.uncompressed_bytes > STREAM_BYTES
    if not stream:
        docs = list(corpus)
        ids = [d.id for d in docs]
        labels_true = _partial_labels([d.label for d in docs])
    k_why = "--k"
    if k is None:
        found = labels_true if not stream else [d.label for d in corpus]  # streamed: one extra reading pass
        k, k_why = _default_k(None if found is None or any(v is None for v in found) else found)
    embedding_params = _word_embedder_params(embedding, vector_size=vector_size, window=window, epochs=epochs,
                                             min_count=min_count, workers=workers)
    ignored = [f"--{n.replace('_', '-')}" for n, v in (("window", window), ("epochs", epochs),
                                                        ("min_count", min_count)) if v is not None]
    if ignored and not embedding_params:
        logging.getLogger("textcluster").warning("%s ignored: --embedding %s trains no word vectors",
                                                 " and ".join(ignored), embedding)
    if save_vectors is not None and embedding == "tfidf-lsa":
        raise InputError("--save-vectors needs a word embedding (word2vec, glove, deepwalk or a vectors file), "
                         "not tfidf-lsa")
    _check_outputs(out, input, save_vectors)
    cluster_params = {}
    if algorithm == "hdbscan":
        cluster_params = {"min_cluster_size": min_cluster_size or "auto", "assign_noise": assign_noise}
    from .registry import make_clusterer, make_embedder
    model = TextClusterer(k=k, embedder=make_embedder(embedding, pooling=pooling, **embedding_params),
                          reducer=reduce, clusterer=make_clusterer(algorithm, **cluster_params),
                          lang=lang, spacy_model=spacy_model, n_process=n_process, top_n_words=top_words,
                          random_state=seed, device=device,
                          tokenizer_params={"remove_stop": drop_stopwords, "lemmatize": lemma})
    with atomic_dir(out, inputs=[input]) as tmp:
        bars = RichProgress(enabled=None if not quiet else False)
        if stream:
            import contextlib
            from .distributed import connect
            with connect(dask) if dask else contextlib.nullcontext() as client:
                model.fit_corpus(corpus, cache_dir=cache_dir, client=client, progress=bars)
            ids, labels_true = model.doc_ids_, _partial_labels(model.tokens_.labels or [])
        else:
            model.fit(docs, progress=bars)
        metrics = clustering_metrics(model.embedding_, model.labels_, labels_true, random_state=seed)
        metrics["n_empty_docs"] = model.n_empty_docs_  # no text or no known word: cluster -1, not clustered
        metrics["n_blank_lines"] = int(getattr(corpus, "n_blank", 0))  # .txt: skipped, not documents
        metrics["k_from"] = k_why  # "--k", "N label classes" or "default"
        metrics.update(_vector_report(model.embedder_))
        if save_vectors is not None:
            from .embed import save_vectors as _save_vectors
            _save_vectors(model.embedder_.wv_, save_vectors, inputs=[input])
        metrics["n_split_docs"] = int(getattr(model.tokenizer_, "n_split_", 0))  # over spaCy's max_length
        metrics["algorithm"] = getattr(model, "algorithm_", algorithm)  # what ran (e.g. minibatch-kmeans)
        metrics["streamed"] = bool(stream)
        metrics["seconds"] = {"read": round(t_read - t0, 3), **model.seconds_}
        metrics["config"] = {"input": str(input), "embedding": embedding, "pooling": pooling, "reduce": reduce,
                             "algorithm": algorithm, **{k_: v for k_, v in model.get_params(deep=False).items()
                                                        if k_ not in STAGES and not k_.endswith("_params")}}
        if map_:
            _write_maps(model, tmp, labels_true=labels_true, method=map_method, seed=seed, progress=bars,
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
    if quiet:
        typer.echo(str(out))
        return
    _print_summary(model, metrics, out)


def _partial_labels(labels: list):
    """All labels, None when no document has one; labels on only some documents are kept with a warning (the
    agreement scores are then computed on the labelled documents, see report.clustering_metrics)."""
    n = sum(lab is not None for lab in labels)
    if n == 0:
        return None
    if n < len(labels):
        warnings.warn(f"labels on {n} of {len(labels)} documents: nmi/ari/ami/acc are computed on those {n} "
                      "(n_labelled in metrics.json)")
    return labels


def _check_outputs(out: Path, input: Path, save_vectors: Optional[Path]) -> None:
    """Refuse bad --out / --save-vectors paths before the run (the writers check them again)."""
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


def _print_summary(model, metrics: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from .topics import text_snippet

    console = Console()
    k_note = f" (k = {metrics['k_from']})" if metrics.get("k_from", "--k") != "--k" else ""
    table = Table(title=f"{metrics['n_clusters']} clusters{k_note}, {metrics['n_docs']} documents",
                  title_justify="left")
    table.add_column("cluster", justify="right")
    table.add_column("size", justify="right")
    table.add_column("topic (top words)")
    table.add_column("most typical document")
    texts = getattr(model, "texts_", None)
    shown = model.topics_[:30]
    names = [text_snippet("noise / empty documents" if t.cluster < 0 else t.label, 36) for t in shown]
    # cut the example to what the terminal has left (4 columns: 13 characters of borders and padding)
    room = max(console.width - 13 - 7 - max([4] + [len(str(t.size)) for t in shown])
               - max([17] + [len(n) for n in names]), 20)
    for t, name in zip(shown, names):
        example = text_snippet(texts[t.representatives[0]], room - 1) if texts is not None and t.representatives \
            else ""
        table.add_row(str(t.cluster), str(t.size), name, example)
    if len(model.topics_) > 30:
        table.add_row("...", "", f"{len(model.topics_) - 30} more in topics.json", "")
    console.print(table)
    parts = [f"{key}={metrics[key]:.3f}" for key in ("nmi", "ari", "ami", "acc") if key in metrics]
    if metrics.get("silhouette") is not None:
        parts.append(f"silhouette={metrics['silhouette']:.3f}")
    if metrics["noise_fraction"]:
        parts.append(f"noise={metrics['noise_fraction']:.1%}")
    parts.append(f"empty docs={metrics['n_empty_docs']} (cluster -1)" if metrics["n_empty_docs"] else "empty docs=0")
    if metrics.get("n_blank_lines"):
        parts.append(f"blank lines skipped={metrics['n_blank_lines']}")
    if "oov_rate" in metrics:
        parts.append(f"OOV tokens={metrics['oov_tokens']} ({metrics['oov_rate']:.1%})")
    if metrics.get("algorithm"):
        parts.append(f"algorithm={metrics['algorithm']}")
    parts.append(f"time={metrics['seconds']['total']:.1f}s")
    parts.append(f"peak RSS={metrics['peak_rss_mb']:.0f} MB")
    console.print("  ".join(parts))
    console.print(f"results written to {out}/ (assignments.csv, topics.json, metrics.json"
                  f"{', map.html (+ plotly.min.js), map.png' if 'map' in metrics else ''}, model/)")


@app.command("predict")
def predict_cmd(
    model_dir: Path = typer.Argument(..., metavar="MODEL_DIR", help="A saved model: DIR/model written by `textcluster cluster`, or "
                                               "a folder written by TextClusterer.save."),
    input: Path = typer.Argument(..., metavar="INPUT", help="Documents to assign (same formats as `cluster`)."),
    out: str = typer.Option("predictions.csv", "--out", "-o", help="CSV file to write (id, cluster, topic, text), "
                            "replaced atomically; an existing folder or a path ending in / gets predictions.csv "
                            "inside it."),
    text_field: str = typer.Option("text", help="JSONL field / CSV column with the text."),
    id_field: str = typer.Option("id", help="JSONL field / CSV column with document ids."),
    encoding_errors: str = _choice("replace", ("replace", "strict"), "Invalid UTF-8: replace bad bytes by "
                                   "U+FFFD and warn with a count (replace), or fail naming the line (strict)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Assign new documents to the clusters of a saved model; write a CSV with id, cluster, topic and text."""
    import csv

    from . import TextClusterer, read_corpus
    from .atomic import atomic_file, check_output
    from .topics import text_snippet

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
    if quiet:
        typer.echo(str(out))
        return
    ids, counts = np.unique(labels, return_counts=True)
    typer.echo(f"{len(docs)} documents assigned to {int((ids >= 0).sum())} clusters"
               f"{f', {int(counts[ids < 0].sum())} as noise or empty' if (ids < 0).any() else ''}; "
               f"written to {out}")
    typer.echo(f"  {'cluster':>7} {'documents':>9}  topic")
    for c, n in sorted(zip(ids, counts), key=lambda x: -x[1])[:10]:
        typer.echo(f"  {int(c):>7} {int(n):>9}  {names.get(int(c), 'noise')}")
    if len(ids) > 10:
        typer.echo(f"  ... {len(ids) - 10} more clusters in {out}")


def _csv_names(value: Optional[str]):
    return None if value is None else ("all" if value == "all" else [v.strip() for v in value.split(",") if v.strip()])


@app.command("compare")
def compare_cmd(
    input: Path = typer.Argument(..., metavar="INPUT", help="Corpus (same formats as `cluster`)."),
    out: Path = typer.Option(Path("compare"), "--out", "-o", help="Output directory for compare.csv and "
                                                                  "compare.json (replaced atomically)."),
    embeddings: Optional[str] = typer.Option(None, "--embeddings", help="Comma-separated embedding names or "
                                             "'all' (default: word2vec,tfidf-lsa)."),
    reducers: Optional[str] = typer.Option(None, "--reducers", help="Comma-separated reducer names or 'all' "
                                           "(default: auto,pca; auto = UMAP before HDBSCAN, none otherwise)."),
    algorithms: Optional[str] = typer.Option(None, "--algorithms", help="Comma-separated algorithm names or "
                                             "'all' (default: kmeans,hdbscan)."),
    ks: Optional[str] = typer.Option(None, "--ks", help="Comma-separated cluster counts (default: 5,10,20,40,80,"
                                     "160, those up to documents/10)."),
    pooling: str = _choice("sif", POOLING_METHODS, "How word vectors become document vectors."),
    seed: int = typer.Option(0, min=0, max=2**32 - 1, help="Random seed for every stage."),
    lang: str = typer.Option("en", help="Language for spacy.blank (en, de, zh, ...)."),
    spacy_model: str = typer.Option("blank", help="'blank' or an installed spaCy model name."),
    text_field: str = typer.Option("text", help="JSONL field / CSV column with the text."),
    label_field: Optional[str] = typer.Option(None, help="JSONL field / CSV column with gold labels, reported "
                                                          "as NMI/ARI/ACC (default: 'label' when present)."),
    id_field: str = typer.Option("id", help="JSONL field / CSV column with document ids."),
    encoding_errors: str = _choice("replace", ("replace", "strict"), "Invalid UTF-8: replace bad bytes by "
                                   "U+FFFD and warn with a count (replace), or fail naming the line (strict)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Rank a small grid of embeddings x reducers x algorithms x k; recommend one (by NMI with labels, else by
    consensus: the partition the configurations agree on most)."""
    import json

    from . import read_corpus
    from .atomic import atomic_dir, check_output
    from .compare import compare_pipelines
    from .progress import RichProgress

    try:
        k_list = None if ks is None else [int(v) for v in ks.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--ks must be comma-separated integers, got {ks!r}") from None
    check_output(out, kind="dir", inputs=[input])
    docs = list(read_corpus(input, text_field=text_field, label_field=label_field or "auto", id_field=id_field,
                            encoding_errors=encoding_errors))
    result = compare_pipelines(docs, embeddings=_csv_names(embeddings), reducers=_csv_names(reducers),
                               algorithms=_csv_names(algorithms), ks=k_list, pooling=pooling, lang=lang,
                               spacy_model=spacy_model, random_state=seed,
                               progress=RichProgress(enabled=None if not quiet else False))
    with atomic_dir(out, inputs=[input]) as tmp:
        result.table.to_csv(tmp / "compare.csv", index=False)
        with open(tmp / "compare.json", "w", encoding="utf-8") as fh:
            json.dump(result.to_dict() | {"input": str(input)}, fh, indent=1, allow_nan=False)
    if quiet:
        typer.echo(str(out))
        return
    _print_comparison(result, input, out)


def _print_comparison(result, input: Path, out: Path) -> None:
    import pandas as pd
    from rich import box
    from rich.console import Console
    from rich.table import Table

    df = result.table
    # (column, header): the columns that decide or judge the ranking; all of them are in compare.csv
    shown = [("rank", "#"), ("embedding", "embedding"), ("reduced_with", "reduce"), ("algorithm", "algorithm"),
             ("k", "k"), ("n_clusters", "found"), ("noise_fraction", "noise"), ("consensus", "consensus"),
             ("silhouette", "silh."), ("npmi", "NPMI"), ("nmi", "NMI"), ("acc", "ACC"), ("seconds", "s")]
    shown = [(c, h) for c, h in shown if c in df]
    rule = result.settings.get("rule", "consensus")
    table = Table(title=f"{len(df)} configurations, ranked by {rule} (label-free)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)
    for c, h in shown:
        table.add_column(h, justify="left" if c in ("embedding", "reduced_with", "algorithm") else "right",
                         no_wrap=True)
    for _, row in df.head(25).iterrows():
        cells = []
        for c, _ in shown:
            v = row[c]
            missing = v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v))
            cells.append("-" if missing else f"{v:.1f}" if c == "seconds" else f"{v:.0%}" if c == "noise_fraction"
                         else f"{v:.3f}" if isinstance(v, float) else str(v))
        table.add_row(*cells)
    console = Console(width=None if sys.stdout.isatty() else 120)  # files and pipes: 120 columns, not 80
    console.print(table)
    if len(df) > 25:
        console.print(f"{len(df) - 25} more rows in {out}/compare.csv")
    failed = df["error"].notna().sum()
    if failed:
        console.print(f"{failed} configurations failed (see compare.csv, column error)")
    console.print("consensus: mean NMI of a configuration's clusters with every other configuration's (the "
                  "partition they agree on; higher is better). NPMI: how often a topic's top words occur in the "
                  "same documents, from -1 (never) through 0 (as often as chance) to 1 (always); short "
                  "documents share few words, so it is often negative: compare rows, not its sign.",
                  highlight=False)
    if result.recommendation.get("chosen_by", "").startswith("nmi"):
        console.print(f"recommended (best NMI against the labels): {result.command(str(input))}", highlight=False,
                      soft_wrap=True)
        console.print(f"label-free pick ({rule}): {result.command(str(input), label_free=True)}", highlight=False,
                      soft_wrap=True)
    else:
        console.print(f"recommended ({rule}): {result.command(str(input))}", highlight=False, soft_wrap=True)
    console.print(f"table written to {out}/ (compare.csv, compare.json: every column and row)", highlight=False)


@app.command("neighbors")
def neighbors_cmd(
    words: list[str] = typer.Argument(..., metavar="WORD", help="Word(s) to look up (as tokenized: lower-cased, lemmatized)."),
    vectors: Optional[Path] = typer.Option(None, help="A vectors file (GloVe / word2vec text or binary) to "
                                           "read instead of training."),
    corpus: Optional[Path] = typer.Option(None, help="Train word vectors on this corpus (same formats as "
                                          "`cluster`)."),
    embedding: str = _choice("word2vec", lambda: names("word_vectors"), "Trainer used with --corpus."),
    topn: int = typer.Option(10, min=1, help="Neighbours shown per word."),
    save_vectors: Optional[Path] = typer.Option(None, help="Write the trained vectors here (word2vec text)."),
    seed: int = typer.Option(0, min=0, max=2**32 - 1, help="Random seed."),
    lang: str = typer.Option("en", help="Language for spacy.blank."),
    text_field: str = typer.Option("text", help="JSONL field / CSV column with the text."),
    vector_size: int = typer.Option(100, min=2, help="Word vector dimension."),
    window: Optional[int] = typer.Option(None, min=1, help="Context window (default: the trainer's)."),
    epochs: Optional[int] = typer.Option(None, min=1, help="Training epochs (default: the trainer's)."),
    min_count: Optional[int] = typer.Option(None, min=1, help="Minimum word frequency (default: scaled)."),
    workers: int = typer.Option(1, min=1, help="Training threads (1 = fully reproducible)."),
    n_process: int = typer.Option(-1, help="Tokenizer processes (-1 = all cores)."),
) -> None:
    """Show the nearest words of WORDS by cosine similarity, from a vectors file or trained on a corpus."""
    from .embed import load_vectors, nearest_words, save_vectors as _save_vectors
    from .registry import build

    if (vectors is None) == (corpus is None):
        raise InputError("give exactly one of --vectors FILE (read vectors) or --corpus INPUT (train on it)")
    if vectors is not None:
        kv = load_vectors(vectors)
    else:
        from . import SpacyTokenizer, read_corpus
        texts = [d.text for d in read_corpus(corpus, text_field=text_field, label_field=None)]
        tokens = SpacyTokenizer(lang=lang, n_process=n_process).fit().transform(texts)
        params = _word_embedder_params(embedding, vector_size=vector_size, window=window, epochs=epochs,
                                       min_count=min_count, workers=workers)
        kv = build("word_vectors", embedding, random_state=seed, **params).fit(tokens).wv_
    if save_vectors is not None:
        _save_vectors(kv, save_vectors, inputs=[vectors, corpus])
    for word in words:
        key = word.lower() if word not in kv.key_to_index else word
        pairs = nearest_words(kv, key, topn=topn)
        typer.echo(f"{key}: " + ", ".join(f"{w} ({s:.3f})" for w, s in pairs))
    if save_vectors is not None:
        typer.echo(f"{len(kv)} vectors written to {save_vectors}")


# -- images and tables (the torch encoder core) -----------------------------------------------------------
def _deep_options():
    return names("method")


def _run_features(X, ids, labels_true, *, input: Path, kind: str, method: str, k: Optional[int], seed: int,
                  device: str, out: Path, quiet: bool, input_shape, epochs: Optional[int],
                  pretrain_epochs: Optional[int], batch_size: Optional[int], checkpoint_dir: Optional[Path],
                  checkpoint_every: int, resume: bool, t0: float, t_read: float, extra: dict,
                  arch: str = "auto", max_seconds: Optional[float] = None) -> None:
    """Cluster feature rows X (n, d) with ``method``; write assignments.csv, topics.json, metrics.json, model/."""
    from .atomic import atomic_dir
    from .registry import make_method
    from .report import clustering_metrics, peak_rss_mb, write_results

    k_why = "--k"
    if k is None:
        k, k_why = _default_k(labels_true)
    if k < 1 or k > len(X):
        raise InputError(f"--k must be between 1 and the number of items ({len(X)}), got {k}")
    model = make_method(method, k=k, random_state=seed, device=device, input_shape=input_shape,
                        verbose=not quiet and sys.stderr.isatty(), max_epochs=epochs,
                        pretrain_epochs=pretrain_epochs, batch_size=batch_size,
                        arch=None if arch == "auto" else arch,
                        **({} if method == "kmeans" else {"checkpoint_dir": str(checkpoint_dir) if checkpoint_dir
                                                           else None, "checkpoint_every": checkpoint_every,
                                                           "resume": resume}))
    labels_list = None if labels_true is None else [str(v) for v in labels_true]
    from .nn.training import progress_lines, time_limit

    with atomic_dir(out, inputs=[input]) as tmp:
        t_fit = time.perf_counter()
        # piped or logged (no terminal for a bar): a plain progress line every 10 s of training
        lines = 10.0 if not quiet and not sys.stderr.isatty() else None
        with progress_lines(lines), time_limit(max_seconds) as cut:
            model.fit(X)
        t_done = time.perf_counter()
        labels = np.asarray(model.labels_)
        emb = X if method == "kmeans" else np.asarray(model.transform(X))
        metrics = clustering_metrics(emb, labels, labels_list, random_state=seed)
        metrics["seconds"] = {"read": round(t_read - t0, 3), "cluster": round(t_done - t_fit, 3)}
        metrics["epochs"] = getattr(model, "n_epochs_", None)
        metrics["k_from"] = k_why
        if cut:
            metrics["stopped_by_max_seconds"] = [{"phase": p, "epochs": e} for p, e in cut]
        metrics["config"] = {"input": str(input), "kind": kind, "method": method, "k": int(k), "seed": seed,
                             "device": str(getattr(model, "device_", "cpu")), "n_features": int(X.shape[1]),
                             **extra}
        if hasattr(model, "save"):
            model.save(tmp / "model")
        else:
            (tmp / "model").mkdir()
            np.save(tmp / "model" / "cluster_centers.npy", model.cluster_centers_)
        metrics["seconds"]["total"] = round(time.perf_counter() - t0, 3)
        metrics["peak_rss_mb"] = peak_rss_mb()
        write_results(tmp, ids=ids, labels=labels, labels_true=labels_list, topics=None, metrics=metrics)
    if quiet:
        typer.echo(str(out))
        return
    parts = [f"{metrics['n_clusters']} clusters{f' (k = {k_why})' if k_why != '--k' else ''}, {metrics['n_docs']} items"]
    parts += [f"{key}={metrics[key]:.3f}" for key in ("acc", "nmi", "ari") if key in metrics]
    parts.append(f"time={metrics['seconds']['total']:.1f}s")
    parts.append(f"peak RSS={metrics['peak_rss_mb']:.0f} MB")
    typer.echo("  ".join(parts))
    typer.echo(f"results written to {out}/ (assignments.csv, metrics.json, model/)")


def _deep_common():
    return dict(
        method=_choice("kmeans", _deep_options, "Clustering method: kmeans on the scaled columns (no deep method "
                       "beat it on scikit-learn's tables, docs/benchmarks.md), or a deep one."),
        images_method=_choice("n2d", _deep_options, "Clustering method: n2d = autoencoder + UMAP + KMeans "
                              "(kmeans = raw pixels baseline)."),
        k=typer.Option(None, "--k", min=1, help=K_HELP),
        seed=typer.Option(0, help="Random seed (torch, KMeans)."),
        device=typer.Option("auto", help="'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:1', ..."),
        epochs=typer.Option(None, min=0, help="Training epochs (default: a step and compute budget that follows "
                            "the data size, the network and the device; more on CUDA)."),
        max_seconds=typer.Option(None, min=1, help="Stop training after this many seconds (at an epoch boundary; "
                                 "results then depend on machine speed)."),
        pretrain_epochs=typer.Option(None, min=0, help="DEC/IDEC autoencoder pretraining epochs."),
        arch=_choice("auto", lambda: ("auto", "mlp", "conv"), "Network trunk: auto = conv for images of 16x16 "
                     "pixels or more, else mlp (the DEC/IDEC papers' d-500-500-2000-10)."),
        table_arch=_choice("auto", lambda: ("auto", "mlp"), "Network trunk for table rows: auto = mlp (the "
                           "DEC/IDEC papers' d-500-500-2000-10); the conv trunk is for images."),
        batch_size=typer.Option(None, min=1, help="Minibatch size (default: 256; ClusterGAN 64)."),
        checkpoint_dir=typer.Option(None, help="Save training state here every --checkpoint-every epochs."),
        checkpoint_every=typer.Option(10, min=1, help="Epochs between checkpoints."),
        resume=typer.Option(False, help="Continue from the checkpoints in --checkpoint-dir."),
        out=typer.Option(Path("results"), "--out", "-o", help="Output directory (replaced atomically)."),
        quiet=typer.Option(False, "--quiet", "-q", help="Print only the output path."),
    )


_DC = _deep_common()


@app.command("images")
def images_cmd(
    input: Path = typer.Argument(..., metavar="INPUT", help="MNIST-style idx(.gz) file or folder of them, .npy/.npz, or a "
                                           "folder of PNG/JPEG files (labels = sub-folder names)."),
    labels: Optional[Path] = typer.Option(None, help="Labels file (idx, .npy, or one label per line)."),
    label_field: Optional[str] = typer.Option(None, help=".npz: the array holding labels."),
    limit: Optional[int] = typer.Option(None, min=1, help="Use only the first N images."),
    method: str = _DC["images_method"], k: Optional[int] = _DC["k"], seed: int = _DC["seed"],
    device: str = _DC["device"],
    epochs: Optional[int] = _DC["epochs"], pretrain_epochs: Optional[int] = _DC["pretrain_epochs"],
    arch: str = _DC["arch"], max_seconds: Optional[float] = _DC["max_seconds"],
    batch_size: Optional[int] = _DC["batch_size"], checkpoint_dir: Optional[Path] = _DC["checkpoint_dir"],
    checkpoint_every: int = _DC["checkpoint_every"], resume: bool = _DC["resume"], out: Path = _DC["out"],
    quiet: bool = _DC["quiet"],
) -> None:
    """Cluster images; write assignments.csv, metrics.json (acc/nmi/ari with labels) and model/ to --out."""
    from .images import read_images

    t0 = time.perf_counter()
    ds = read_images(input, labels=labels, label_field=label_field, limit=limit)
    t_read = time.perf_counter()
    _run_features(ds.flat(), ds.ids, ds.labels, input=input, kind="images", method=method, k=k, seed=seed,
                  device=device, out=out, quiet=quiet, input_shape=ds.shape, epochs=epochs,
                  pretrain_epochs=pretrain_epochs, arch=arch, batch_size=batch_size, checkpoint_dir=checkpoint_dir,
                  checkpoint_every=checkpoint_every, resume=resume, t0=t0, t_read=t_read, max_seconds=max_seconds,
                  extra={"image_shape": list(ds.shape)})


@app.command("table")
def table_cmd(
    input: Path = typer.Argument(..., metavar="INPUT", help="CSV/TSV file with a header row; numeric columns are the features."),
    label_field: Optional[str] = typer.Option(None, help="Column with gold labels (default: 'label' if present)."),
    id_field: Optional[str] = typer.Option(None, help="Column with row ids (default: 'id' if present)."),
    columns: Optional[str] = typer.Option(None, help="Comma-separated feature columns (default: all numeric)."),
    impute: str = _choice("none", ("none", "mean", "median", "drop"), "Missing values: refuse (none), fill with "
                                                                      "the column mean/median, or drop rows."),
    scale: str = _choice("auto", ("auto", "standard", "robust", "minmax", "none"), "Scaling of the numeric "
                         "columns: auto = none when they share one scale, minmax when some are heavy-tailed, else "
                         "standard (z-scores); robust = (x - median) / IQR."),
    method: str = _DC["method"], k: Optional[int] = _DC["k"], seed: int = _DC["seed"], device: str = _DC["device"],
    epochs: Optional[int] = _DC["epochs"], pretrain_epochs: Optional[int] = _DC["pretrain_epochs"],
    arch: str = _DC["table_arch"], max_seconds: Optional[float] = _DC["max_seconds"],
    batch_size: Optional[int] = _DC["batch_size"], checkpoint_dir: Optional[Path] = _DC["checkpoint_dir"],
    checkpoint_every: int = _DC["checkpoint_every"], resume: bool = _DC["resume"], out: Path = _DC["out"],
    quiet: bool = _DC["quiet"],
) -> None:
    """Cluster the rows of a table (numeric columns scaled, few-valued text columns one-hot encoded); same
    outputs as `textcluster images`."""
    from .tabular import read_table

    t0 = time.perf_counter()
    tab = read_table(input, label_field=label_field, id_field=id_field, impute=impute, scale=scale,
                     columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None)
    t_read = time.perf_counter()
    _run_features(tab.X, tab.ids, tab.labels, input=input, kind="table", method=method, k=k, seed=seed,
                  device=device, out=out, quiet=quiet, input_shape=None, epochs=epochs,
                  pretrain_epochs=pretrain_epochs, arch=arch, batch_size=batch_size, checkpoint_dir=checkpoint_dir,
                  checkpoint_every=checkpoint_every, resume=resume, t0=t0, t_read=t_read, max_seconds=max_seconds,
                  extra={"columns": tab.columns, "impute": impute, "rows_dropped": tab.n_dropped,
                         "scale": tab.scale, "scale_requested": scale, "scale_reason": tab.scale_reason,
                         "categorical": tab.categorical, "skipped_columns": tab.skipped})


def _fail(message: str, code: int) -> None:
    print(f"textcluster: error: {message}", file=sys.stderr)
    sys.exit(code)


class Terminated(BaseException):
    """Raised in the main process on SIGTERM (exit 143) or SIGHUP (exit 129) so that cleanup (temporary output
    folders) runs; ``args[0]`` is the signal number."""


def _install_sigterm():
    """SIGTERM -> :class:`Terminated` in this process (forked workers keep the default: they just end).

    Returns the previous handler (None when none could be installed)."""
    import signal

    main_pid = os.getpid()

    def on_term(signum, frame):
        if os.getpid() != main_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (e.g. main() called from a worker thread): keep the default
        return None
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # nohup keeps ignoring
        _PREVIOUS_HUP.append(signal.signal(signal.SIGHUP, on_term))
    return previous


_PREVIOUS_HUP: list = []


class _LowerLevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.levelname = record.levelname.lower()
        return super().format(record)


def _plain_usage(command) -> None:
    """Usage lines show required arguments as INPUT (the convention of --help pages), not typer's {INPUT}."""
    for sub in getattr(command, "commands", {}).values():
        for p in sub.params:
            if hasattr(p, "_usage_display_name") and getattr(p, "required", False):
                p._usage_display_name = lambda p=p: p.display_name_raw + ("..." if p.nargs != 1 else "")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and turns every failure into one line + exit code."""
    previous_sigterm = _install_sigterm()
    debug = bool(os.environ.get("TEXTCLUSTER_DEBUG"))
    # one format for log records and Python warnings: "textcluster: warning: ..." (like "textcluster: error: ...")
    logging.basicConfig(level=logging.INFO if debug else logging.WARNING,
                        format="textcluster: %(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_LowerLevelFormatter("textcluster: %(levelname)s: %(message)s"))
    warnings.formatwarning = lambda msg, cat, *a, **k: f"textcluster: warning: {msg}\n"
    try:
        command = typer.main.get_command(app)
        _plain_usage(command)
        code = command.main(args=argv, prog_name="textcluster", standalone_mode=False)
    except (typer.Abort, click.exceptions.Abort, KeyboardInterrupt):
        _fail("interrupted", 130)
    except Terminated as exc:
        import signal

        hup = bool(exc.args) and exc.args[0] == getattr(signal, "SIGHUP", None)
        _fail("hung up (SIGHUP); previous results are kept" if hup else "terminated", 129 if hup else 143)
    except (typer.TyperException, click.exceptions.ClickException) as exc:
        # Usage errors (unknown option, bad value): typer vendors its own click, so match both.
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `textcluster`: show the help, not an error
            print(exc.format_message(), file=sys.stderr)
            sys.exit(2)
        _fail(exc.format_message().replace("\n", " "), getattr(exc, "exit_code", 2) or 2)
    except InputError as exc:
        _fail(str(exc), 2)
    except MemoryError:
        _fail("out of memory (try a smaller corpus or fewer dimensions)", 1)
    except OSError as exc:
        if debug:
            raise
        hint = {28: " (free some space or choose another --out; previous results are kept)",
                13: " (permission denied: choose another --out)", 30: " (read-only file system: choose another "
                "--out)"}.get(exc.errno, "")
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ") + hint, 2 if hint else 1)
    except Exception as exc:  # noqa: BLE001 -- the one place that turns unknown failures into exit 1
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set TEXTCLUSTER_DEBUG=1 for the traceback)", 1)
    finally:
        if previous_sigterm is not None:
            import signal

            signal.signal(signal.SIGTERM, previous_sigterm)
            while _PREVIOUS_HUP:
                signal.signal(signal.SIGHUP, _PREVIOUS_HUP.pop())
    if code == 130:  # typer turns KeyboardInterrupt into a silent `return 130`
        _fail("interrupted", 130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # `python -m textcluster.cli ...`
    main()
