"""Choose k and the algorithm: run a small grid of embedders x reducers x algorithms (x k) and rank it.

Every configuration is scored with internal criteria (silhouette, Calinski-Harabasz, Davies-Bouldin in the
space the clusterer saw, and NPMI coherence of the c-TF-IDF topic words over the corpus) and, when labels
are given, NMI / ARI / ACC. Configurations are ranked by the mean of their ranks on the four internal
criteria; the first is recommended. Labels never influence the ranking (they are reported beside it).

Caveats, worth knowing when reading the table: silhouette, Calinski-Harabasz and Davies-Bouldin are
measured in each configuration's own vector space, so they compare k and algorithms within one embedding
better than across embeddings; NPMI depends only on the tokens and compares across all of them. Noise
(HDBSCAN's -1) counts as one more group in the internal scores, so discarding hard documents as noise is
not rewarded.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .errors import InputError
from .progress import NullProgress, Progress

__all__ = ["compare_pipelines", "Comparison", "default_ks", "DEFAULT_EMBEDDINGS", "DEFAULT_REDUCERS",
           "DEFAULT_ALGORITHMS", "internal_scores"]

logger = logging.getLogger(__name__)

#: the grid's defaults (each intersected with its registry); "all" selects every registered name
DEFAULT_EMBEDDINGS = ("word2vec", "tfidf-lsa")
DEFAULT_REDUCERS = ("auto", "pca")
DEFAULT_ALGORITHMS = ("kmeans", "hdbscan")
_K_LADDER = (5, 10, 20, 40, 80, 160)
#: internal criteria and whether higher is better
CRITERIA = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False, "npmi": True}


def default_ks(n_docs: int) -> list[int]:
    """A doubling ladder of cluster counts for ``n_docs`` documents: 5, 10, 20, 40, 80, 160, kept up to
    ``n_docs // 10``; [3] (or fewer for tiny inputs) when even 5 is too many."""
    top = n_docs // 10
    return [k for k in _K_LADDER if k <= top] or [max(1, min(3, n_docs - 1))]


def internal_scores(X: np.ndarray, labels: np.ndarray, *, sample_size: int = 5000,
                    random_state: int | None = 0) -> dict[str, float | None]:
    """Silhouette (cosine, on a sample of at most ``sample_size``), Calinski-Harabasz and Davies-Bouldin
    (Euclidean) of ``labels`` (n,) on ``X`` (n, d), noise counted as one group; None where undefined."""
    from sklearn import metrics as skm

    labels = np.asarray(labels)
    out: dict[str, float | None] = {"silhouette": None, "calinski_harabasz": None, "davies_bouldin": None}
    n_groups = len(np.unique(labels))
    if n_groups < 2 or n_groups >= len(labels):
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            size = min(sample_size, len(labels))
            metric = "cosine" if np.all(np.linalg.norm(X, axis=1) > 0) else "euclidean"
            out["silhouette"] = float(skm.silhouette_score(X, labels, metric=metric, sample_size=size,
                                                           random_state=random_state))
        except ValueError:
            pass
        out["calinski_harabasz"] = float(skm.calinski_harabasz_score(X, labels))
        out["davies_bouldin"] = float(skm.davies_bouldin_score(X, labels))
    return out


def _names(value, registry, defaults, what: str) -> list[str]:
    names = list(registry)
    if value is None:
        chosen = [n for n in defaults if n in names]
    elif value == "all" or value == ["all"]:
        chosen = names
    else:
        chosen = [value] if isinstance(value, str) else list(value)
        bad = [n for n in chosen if n not in names]
        if bad:
            raise InputError(f"unknown {what} {', '.join(map(repr, bad))}; choose from {', '.join(names)} or 'all'")
    if not chosen:
        raise InputError(f"no {what} to compare; choose from {', '.join(names)}")
    return list(dict.fromkeys(chosen))


@dataclass
class Comparison:
    """Result of :func:`compare_pipelines`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per configuration, best first: ``rank``, ``embedding``, ``reduce``, ``algorithm``, ``k``
        (None for algorithms that find the count), ``n_clusters``, ``noise_fraction``, the internal criteria,
        ``rank_score`` (mean rank, lower is better), ``nmi``/``ari``/``acc`` with labels, ``seconds`` (to embed,
        reduce and cluster with this configuration; scoring not counted),
        ``error`` (why a configuration failed; failed rows are last).
    recommendation : dict
        The best configuration as ``textcluster cluster`` options (embedding, reduce, algorithm, k, pooling).
    settings : dict
        What was compared.
    """

    table: "object"
    recommendation: dict
    settings: dict = field(default_factory=dict)

    def command(self, input: str = "INPUT") -> str:
        """The ``textcluster cluster`` command line of the recommendation."""
        r = self.recommendation
        parts = [f"textcluster cluster {input}", f"--embedding {r['embedding']}", f"--reduce {r['reduce']}",
                 f"--algorithm {r['algorithm']}"]
        if r.get("k") is not None and "k" in r.get("_takes", ("k",)):
            parts.append(f"--k {r['k']}")
        if r.get("pooling") and r.get("embedding") != "tfidf-lsa":
            parts.append(f"--pooling {r['pooling']}")
        return " ".join(parts)

    def to_dict(self) -> dict:
        rows = self.table.astype(object).replace({np.nan: None, np.inf: None}).to_dict(orient="records")
        return {"recommendation": {k: v for k, v in self.recommendation.items() if not k.startswith("_")},
                "command": self.command(), "settings": self.settings, "table": rows}


def compare_pipelines(docs: Iterable, *, labels: Sequence | None = None, embeddings=None, reducers=None,
                      algorithms=None, ks: Sequence[int] | None = None, pooling: str = "sif",
                      lang: str = "en", spacy_model: str = "blank", tokenizer_params: dict | None = None,
                      embedding_params: dict | None = None, reduce_params: dict | None = None,
                      cluster_params: dict | None = None, top_n_words: int = 10, random_state: int | None = 0,
                      progress: Progress | bool | None = None) -> Comparison:
    """Cluster ``docs`` with every configuration of a small grid and rank them.

    Parameters
    ----------
    docs : collection of str or :class:`~textcluster.corpus.Document`
    labels : sequence of n gold labels, optional
        Reported as NMI / ARI / ACC; never used for ranking. Taken from the Documents when all have one.
    embeddings, reducers, algorithms : list of names, "all", or None
        Names from :mod:`textcluster.registry` (embedders, reducers plus ``"auto"``: UMAP before HDBSCAN,
        nothing before the others, as in :class:`TextClusterer`; the table's ``reduced_with`` column says
        which ran; clusterers); None = the defaults
        (word2vec + tfidf-lsa, auto + pca, kmeans + hdbscan).
    ks : list of int, optional
        Cluster counts for algorithms that take one; default :func:`default_ks`.
    embedding_params, reduce_params, cluster_params : dict name -> dict of parameters, optional
        Extra parameters per component name, e.g. ``{"word2vec": {"epochs": 5}}``.
    progress : Progress or True, optional
        ``True`` shows the CLI's rich progress bars (e.g. in a notebook).

    Returns
    -------
    :class:`Comparison`
    """
    import pandas as pd

    from .corpus import texts_of
    from .metrics import external_scores
    from .registry import embedder_names, make_clusterer, make_embedder, make_reducer, names, resolve_reducer
    from .tokenize import SpacyTokenizer
    from .topics import extract_topics, topic_coherence

    if progress is True:  # notebooks: the CLI's bars
        from .progress import RichProgress
        progress = RichProgress(enabled=True)
    progress = progress or NullProgress()
    texts, documents = texts_of(docs)
    if labels is None and documents and all(d.label is not None for d in documents):
        labels = [d.label for d in documents]
    if labels is not None and len(labels) != len(texts):
        raise InputError(f"labels has {len(labels)} entries for {len(texts)} documents")
    emb_names = _names(embeddings, embedder_names(), DEFAULT_EMBEDDINGS, "embedding")
    # "auto" (the pipeline's default: UMAP before HDBSCAN, nothing otherwise) and "none" are accepted; "all"
    # means the reducers themselves (auto would repeat two of them)
    red_names = _names(reducers, names("reducer") if reducers in ("all", ["all"])
                       else ("auto", "none", *names("reducer")), DEFAULT_REDUCERS, "reducer")
    alg_names = _names(algorithms, names("clusterer"), DEFAULT_ALGORITHMS, "algorithm")
    n = len(texts)
    ks = default_ks(n) if ks is None else sorted({int(k) for k in ks})
    if any(k < 1 for k in ks):
        raise InputError(f"ks must be positive integers, got {ks}")
    ks = [k for k in ks if k < n] or [max(1, n - 1)]
    takes_k = {a: "k" in make_clusterer(a).get_params() for a in alg_names}
    cells = [(e, r, a, k) for e in emb_names for r in red_names for a in alg_names
             for k in (ks if takes_k[a] else [None])]
    settings = {"n_docs": n, "embeddings": emb_names, "reducers": red_names, "algorithms": alg_names,
                "ks": ks, "pooling": pooling, "random_state": random_state, "labels": labels is not None}
    logger.info("compare: %d configurations on %d documents", len(cells), n)

    with progress.stage("tokenize", n) as advance:
        tok = SpacyTokenizer(lang=lang, model=spacy_model, **(tokenizer_params or {})).fit()
        tokens = tok.transform(texts, progress=advance)
    rows = []
    with progress.stage("compare", len(cells)) as advance:
        for e in emb_names:
            t_e = time.perf_counter()
            try:
                vectors = make_embedder(e, pooling=pooling, random_state=random_state,
                                        **(embedding_params or {}).get(e, {})).fit_transform(tokens)
                err_e = None
            except (InputError, ValueError, RuntimeError) as exc:
                vectors, err_e = None, f"{type(exc).__name__}: {exc}"
            sec_e = time.perf_counter() - t_e
            reduced: dict = {}  # effective reducer name -> (Z, error, seconds), once per embedding

            def reduce_as(name: str):
                if name not in reduced:
                    t_r = time.perf_counter()
                    Z, err_r = None, err_e
                    if vectors is not None:
                        try:
                            reducer = make_reducer(name, **({"random_state": random_state}
                                                            if name != "passthrough" else {}),
                                                   **(reduce_params or {}).get(name, {}))
                            Z = np.asarray(reducer.fit(vectors).transform(vectors), dtype=np.float32)
                        except (InputError, ValueError, RuntimeError) as exc:
                            err_r = f"{type(exc).__name__}: {exc}"
                    reduced[name] = (Z, err_r, time.perf_counter() - t_r)
                return reduced[name]

            for r in red_names:
                for e_, r_, a, k in [c for c in cells if c[0] == e and c[1] == r]:
                    effective = resolve_reducer(r, a)  # "auto": UMAP before HDBSCAN, nothing otherwise
                    Z, err_r, sec_r = reduce_as(effective)
                    row = {"embedding": e, "reduce": r, "reduced_with": effective, "algorithm": a, "k": k,
                           "error": err_r}
                    t_c = time.perf_counter()
                    if Z is not None:
                        try:
                            cl = make_clusterer(a, k=k if k is not None else 10, random_state=random_state,
                                                **(cluster_params or {}).get(a, {}))
                            lab = np.asarray(cl.fit(Z).labels_)
                            row["seconds"] = round(sec_e + sec_r + time.perf_counter() - t_c, 3)
                            row.update(_score(Z, lab, tokens, labels, top_n_words, random_state,
                                              extract_topics, topic_coherence, external_scores))
                        except (InputError, ValueError, RuntimeError) as exc:
                            row["error"] = f"{type(exc).__name__}: {exc}"
                    row.setdefault("seconds", round(sec_e + sec_r + time.perf_counter() - t_c, 3))
                    rows.append(row)
                    advance(1)
    table = _rank(pd.DataFrame(rows), has_labels=labels is not None)
    ok = table[table["error"].isna()]
    if ok.empty:
        raise InputError("every configuration failed: " + str(table["error"].iloc[0]))
    best = ok.iloc[0]
    rec = {"embedding": best["embedding"], "reduce": best["reduce"], "algorithm": best["algorithm"],
           "k": None if pd.isna(best["k"]) else int(best["k"]), "pooling": pooling,
           "_takes": ("k",) if takes_k[best["algorithm"]] else ()}
    return Comparison(table, rec, settings)


def _score(Z, lab, tokens, labels, top_n, seed, extract_topics, topic_coherence, external_scores) -> dict:
    out = {"n_clusters": int(len(np.unique(lab[lab >= 0]))), "noise_fraction": round(float((lab < 0).mean()), 4)}
    out.update(internal_scores(Z, lab, random_state=seed))
    topics = extract_topics(tokens, lab, Z, top_n=top_n, n_representatives=1)
    out["npmi"] = topic_coherence(tokens, topics, top_n=top_n)
    if labels is not None:
        ext = external_scores(labels, lab)
        out.update({"nmi": ext["nmi"], "ari": ext["ari"], "acc": ext["acc"]})
    return out


def _rank(df, *, has_labels: bool):
    """Add ``rank_score`` (mean rank over the internal criteria; failed or undefined = worst) and ``rank``."""
    import pandas as pd

    for c in list(CRITERIA) + ["n_clusters", "noise_fraction"] + (["nmi", "ari", "acc"] if has_labels else []):
        if c not in df:
            df[c] = np.nan
    df["k"] = df["k"].astype("Int64")
    ranks = []
    for c, higher in CRITERIA.items():
        v = pd.to_numeric(df[c], errors="coerce")
        ranks.append(v.rank(ascending=not higher, method="average", na_option="bottom"))
    df["rank_score"] = np.round(np.mean(ranks, axis=0), 3)
    df.loc[df["error"].notna(), "rank_score"] = np.inf
    df = df.sort_values(["rank_score", "npmi"], ascending=[True, False], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    cols = ["rank", "embedding", "reduce", "reduced_with", "algorithm", "k", "n_clusters", "noise_fraction", *CRITERIA,
            "rank_score"] + (["nmi", "ari", "acc"] if has_labels else []) + ["seconds", "error"]
    return df[cols]
