"""The ``textcluster`` command line: each command parses options, calls the library, prints a summary.

Exit codes: 0 done, 2 bad input or arguments (one line on stderr), 1 anything else, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM); an interrupted run leaves the previous --out folder intact.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import typer

from .embed.pooling import POOLING_METHODS
from .errors import InputError
from .registry import DEFAULT_EMBEDDER, embedder_names, names

from .console import print_comparison, print_features, print_summary
from .jobs import DEFAULT_K
from .process import run_console

K_HELP = f"Number of clusters (default: the number of label classes when the input has labels, else {DEFAULT_K})."

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
    return typer.Option(default, help=f"Document vectors: {'|'.join(embedder_names())} (auto: ppmi+tfidf-lsa "
                        "from 50,000 tokens on, below that minilm when textcluster[sentence] is installed and the "
                        "text is English; ppmi, word2vec, glove, deepwalk are trained on the corpus; tfidf-lsa = TF-IDF + "
                        "truncated SVD; minilm = the local all-MiniLM-L6-v2), the path of a pretrained "
                        "GloVe/word2vec vectors file, or several joined by '+' (concatenated, e.g. "
                        "word2vec+tfidf-lsa).", callback=check)


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
    embedding: str = _embedding_option(DEFAULT_EMBEDDER),
    pooling: str = _choice("sif", POOLING_METHODS, "How word vectors become document vectors (sif: smooth inverse frequency weights, first principal component removed)."),
    reduce: str = _choice("auto", ["auto", "none", *names("reducer")], "Reduce document vectors before clustering; auto = "
                                                       "UMAP to 5-d for hdbscan, smooth (each vector moved towards "
                                                       "its nearest neighbours) for the kmeans family, none for the "
                                                       "others."),
    algorithm: str = _choice("kmeans", list(names("clusterer")), "Clustering: hdbscan finds the count and marks noise "
                             "as -1; the others take --k."),
    k: Optional[int] = typer.Option(None, "--k", min=1, help=K_HELP),
    seed: int = typer.Option(0, min=0, max=2**32 - 1, help="Random seed for every stage."),
    lang: str = typer.Option("en", help="Language for spacy.blank (en, de, zh, ...)."),
    spacy_model: str = typer.Option("blank", help="'blank' (blank pipeline + lookup lemmatizer) or an "
                                                  "installed spaCy model name, e.g. en_core_web_sm."),
    segmenter: str = _choice("auto", ("auto", "jieba", "sudachi", "char"), "Word segmentation for --lang zh / ja: "
                             "auto = jieba (zh) or SudachiPy (ja) when installed (pip install 'textcluster[cjk]'), "
                             "else single characters with a warning; char = single characters (often better on "
                             "collections of a few hundred short texts, see docs/languages.md)."),
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
                                          "--dask or --cache-dir is given, the input is over 256 MB or holds "
                                          "over 200,000 documents."),
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
    options = dict(locals())
    from .jobs import run_cluster
    from .progress import RichProgress

    quiet = options.pop("quiet")
    model, metrics = run_cluster(progress=RichProgress(enabled=None if not quiet else False), **options)
    if quiet:
        typer.echo(str(out))
        return
    print_summary(model, metrics, out)


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
    from .jobs import run_predict

    out, docs, labels, names = run_predict(model_dir, input, out, text_field=text_field, id_field=id_field,
                                           encoding_errors=encoding_errors)
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
                                             "'all' (default: auto,tfidf-lsa)."),
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
    from .jobs import run_compare
    from .progress import RichProgress

    try:
        k_list = None if ks is None else [int(v) for v in ks.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--ks must be comma-separated integers, got {ks!r}") from None
    result = run_compare(input, out, text_field=text_field, label_field=label_field, id_field=id_field,
                         encoding_errors=encoding_errors, embeddings=_csv_names(embeddings),
                         reducers=_csv_names(reducers), algorithms=_csv_names(algorithms), ks=k_list,
                         pooling=pooling, lang=lang, spacy_model=spacy_model, random_state=seed,
                         progress=RichProgress(enabled=None if not quiet else False))
    if quiet:
        typer.echo(str(out))
        return
    print_comparison(result, input, out)


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
    from .jobs import train_word_vectors

    if (vectors is None) == (corpus is None):
        raise InputError("give exactly one of --vectors FILE (read vectors) or --corpus INPUT (train on it)")
    kv = load_vectors(vectors) if vectors is not None else train_word_vectors(
        corpus, embedding=embedding, seed=seed, lang=lang, text_field=text_field, n_process=n_process,
        vector_size=vector_size, window=window, epochs=epochs, min_count=min_count, workers=workers)
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


def _run_deep(run, options: dict) -> None:
    """Run ``run`` (feature_jobs.run_images / run_table) with the command's options, then print."""
    quiet = options.pop("quiet")
    # a bar on a terminal; piped or logged, a plain progress line every 10 s of training
    _, metrics = run(verbose=not quiet and sys.stderr.isatty(),
                     progress_every=10.0 if not quiet and not sys.stderr.isatty() else None, **options)
    if quiet:
        typer.echo(str(options["out"]))
        return
    print_features(metrics, options["out"])


def _deep_common():
    return dict(
        method=_choice("kmeans", _deep_options, "Clustering method: kmeans on the scaled columns (no deep method "
                       "beat it on scikit-learn's tables, docs/benchmarks.md), or a deep one."),
        images_method=_choice("auto", lambda: ("auto", *_deep_options()), "Clustering method: auto = shift-umap "
                              "for up to 20,000 images of 16x16 pixels or more (UMAP of neighbours that tolerate "
                              "1-pixel shifts, then KMeans; no training), else n2d (autoencoder + UMAP + KMeans); "
                              "kmeans = raw pixels baseline."),
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
    options = dict(locals())
    from .feature_jobs import run_images

    _run_deep(run_images, options)


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
    options = dict(locals())
    from .feature_jobs import run_table

    options["columns"] = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    _run_deep(run_table, options)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and turns every failure into one line + exit code."""
    run_console(lambda: typer.main.get_command(app), argv)


if __name__ == "__main__":  # `python -m textcluster.cli ...`
    main()
