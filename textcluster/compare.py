"""Choose k and the algorithm: run a small grid of embedders x reducers x algorithms (x k) and rank it.

Every configuration is scored with label-free criteria: silhouette, Calinski-Harabasz and Davies-Bouldin in
the space the clusterer saw, NPMI coherence of the c-TF-IDF topic words over the corpus, and **consensus**
(the mean NMI of its partition with every other configuration's partition: Strehl & Ghosh's cluster-ensemble
criterion); with labels also NMI / ARI / ACC. The table is ranked by a selection rule
(:data:`SELECTION_RULES`, default ``"consensus"``); labels never change that ranking.

The recommendation: with labels, the row with the highest NMI against them (labels are the user's own
definition of a good grouping); without labels, the first row of the ranking. ``label_free`` holds the
first row either way. ``benchmarks/compare_select.py`` measures how often each rule's pick is the best row
(or within 0.02 NMI of it) on the labelled corpora; results in docs/benchmarks.md ("Choosing a
configuration").

Why consensus and not the internal indices: silhouette, Calinski-Harabasz and Davies-Bouldin are measured in
each configuration's own space, and UMAP (before HDBSCAN) makes any space look well separated, so they rank
HDBSCAN on UMAP first; they also favour the smallest k. NPMI depends only on the tokens and compares across
configurations, but it is negative on short documents (few words share a document) and drifts with k. A
partition that many different configurations agree on is one that none of their individual artefacts made.
Noise (HDBSCAN's -1) counts as one more group everywhere, so discarding hard documents is not rewarded.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .errors import InputError
from .registry import DEFAULT_EMBEDDER
from .progress import NullProgress, Progress, as_progress

__all__ = ["compare_pipelines", "Comparison", "default_ks", "DEFAULT_EMBEDDINGS", "DEFAULT_REDUCERS",
           "DEFAULT_ALGORITHMS", "internal_scores", "consensus_scores", "SELECTION_RULES", "rule_scores", "select"]

logger = logging.getLogger(__name__)

#: the grid's defaults (each intersected with its registry); "all" selects every registered name
DEFAULT_EMBEDDINGS = (DEFAULT_EMBEDDER, "tfidf-lsa")
DEFAULT_REDUCERS = ("auto", "pca")
DEFAULT_ALGORITHMS = ("kmeans", "hdbscan")
_K_LADDER = (5, 10, 20, 40, 80, 160)
#: label-free criteria and whether higher is better
CRITERIA = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False, "npmi": True,
            "consensus": True}
#: label-free selection rules: name -> (criteria whose ranks are averaged, largest noise fraction allowed);
#: rows with more noise rank after the others. benchmarks/compare_select.py measures each on labelled corpora.
SELECTION_RULES = {
    "consensus": (("consensus",), 1.0),
    "consensus_low_noise": (("consensus",), 0.05),
    "mean_rank": (("silhouette", "calinski_harabasz", "davies_bouldin", "npmi"), 1.0),
    "mean_rank_low_noise": (("silhouette", "calinski_harabasz", "davies_bouldin", "npmi"), 0.05),
    "silhouette_npmi_low_noise": (("silhouette", "npmi"), 0.05),
    "npmi_low_noise": (("npmi",), 0.05),
    "consensus_npmi_low_noise": (("consensus", "npmi"), 0.05),
}


def consensus_scores(partitions: Sequence[np.ndarray | None]) -> list[float | None]:
    """Mean NMI of each partition with every other one (None where a configuration failed).

    The cluster-ensemble criterion of Strehl & Ghosh (2002, "average normalized mutual information"): the
    partition that shares the most information with all the others is the one the different embeddings,
    reductions, algorithms and cluster counts agree on, which no single configuration's artefacts (a
    reduction that inflates separation, a k that splits or merges topics) can fake. Noise (-1) counts as a
    group of its own.
    """
    from sklearn.metrics import normalized_mutual_info_score

    idx = [i for i, p in enumerate(partitions) if p is not None]
    out: list[float | None] = [None] * len(partitions)
    if len(idx) < 2:
        return out
    M = np.eye(len(idx))
    for a in range(len(idx)):
        for b in range(a + 1, len(idx)):
            M[a, b] = M[b, a] = normalized_mutual_info_score(partitions[idx[a]], partitions[idx[b]])
    for a, i in enumerate(idx):
        out[i] = round(float((M[a].sum() - 1) / (len(idx) - 1)), 6)
    return out


def rule_scores(df, rule: str = "consensus") -> np.ndarray:
    """Mean rank (lower is better) of each row of a comparison table under the selection ``rule``; rows
    above the rule's noise limit come after all others, failed rows last (inf)."""
    import pandas as pd

    if rule not in SELECTION_RULES:
        raise InputError(f"unknown rule {rule!r}; choose from {', '.join(SELECTION_RULES)}")
    criteria, max_noise = SELECTION_RULES[rule]
    failed = df["error"].notna().to_numpy() if "error" in df else np.zeros(len(df), bool)
    noisy = pd.to_numeric(df["noise_fraction"], errors="coerce").fillna(1).to_numpy() > max_noise
    ranks = [pd.to_numeric(df[c], errors="coerce").rank(ascending=not CRITERIA[c], method="average",
                                                        na_option="bottom").to_numpy() for c in criteria]
    score = np.mean(ranks, axis=0) + np.where(noisy, len(df) + 1.0, 0.0)
    return np.where(failed, np.inf, score)


def select(df, rule: str = "consensus") -> int:
    """Index (label) of the row of ``df`` that ``rule`` recommends."""
    return df.index[int(np.argmin(rule_scores(df, rule)))]


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


def _names(value, registry, defaults, what: str, valid=None) -> list[str]:
    """The names to compare: ``value`` checked against ``registry`` (or the predicate ``valid``), its
    ``defaults`` when None, every registered name for "all"."""
    names = list(registry)
    ok = valid or (lambda n: n in names)
    if value is None:
        chosen = [n for n in defaults if ok(n)]
    elif value == "all" or value == ["all"]:
        chosen = names
    else:
        chosen = [value] if isinstance(value, str) else list(value)
        bad = [n for n in chosen if not ok(n)]
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
        The recommended configuration as ``textcluster cluster`` options (embedding, reduce, algorithm, k,
        pooling), and ``chosen_by``: with labels the row with the highest NMI, else the first row under the
        selection rule.
    label_free : dict
        The first row under the label-free selection rule (the recommendation when there are no labels).
    settings : dict
        What was compared.
    """

    table: "object"
    recommendation: dict
    settings: dict = field(default_factory=dict)
    label_free: dict | None = None

    def command(self, input: str = "INPUT", *, label_free: bool = False) -> str:
        """The ``textcluster cluster`` command line of the recommendation (or of the label-free pick)."""
        r = self.label_free if label_free and self.label_free else self.recommendation
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
                "command": self.command(), "label_free_command": self.command(label_free=True),
                "settings": self.settings, "table": rows}


def compare_pipelines(docs: Iterable, *, labels: Sequence | None = None, embeddings=None, reducers=None,
                      algorithms=None, ks: Sequence[int] | None = None, pooling: str = "sif",
                      lang: str = "en", spacy_model: str = "blank", tokenizer_params: dict | None = None,
                      embedding_params: dict | None = None, reduce_params: dict | None = None,
                      cluster_params: dict | None = None, top_n_words: int = 10, random_state: int | None = 0,
                      rule: str = "consensus", progress: Progress | bool | None = None) -> Comparison:
    """Cluster ``docs`` with every configuration of a small grid and rank them.

    Each configuration is ``clone(base).set_params(embedder=..., reducer=..., clusterer=..., k=...)`` of one
    :class:`TextClusterer`, fitted on tokens computed once; an embedder or reducer that several configurations
    share is fitted once (``TextClusterer._fit_tokens(memo=...)``), so every row is what ``textcluster
    cluster`` with those options gives.

    Parameters
    ----------
    docs : collection of str or :class:`~textcluster.corpus.Document`
    labels : sequence of n gold labels, optional
        Reported as NMI / ARI / ACC; never used for ranking. Taken from the Documents when all have one.
    embeddings, reducers, algorithms : list of names, "all", or None
        Names from :mod:`textcluster.registry` (embedders, reducers plus ``"auto"``: UMAP before HDBSCAN,
        nothing before the others, as in :class:`TextClusterer`; the table's ``reduced_with`` column says
        which ran; clusterers); None = the defaults
        (auto + tfidf-lsa, auto + pca, kmeans + hdbscan).
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

    from sklearn.base import clone

    from .corpus import texts_of
    from .metrics import external_scores
    from .pipeline import TextClusterer
    from .registry import (embedder_names, is_embedding_name, make_clusterer, make_embedder, make_reducer, names,
                           resolve_reducer)
    from .topics import extract_topics, topic_coherence

    progress = as_progress(progress)
    texts, documents = texts_of(docs)
    if labels is None and documents and all(d.label is not None for d in documents):
        labels = [d.label for d in documents]
    if labels is not None and len(labels) != len(texts):
        raise InputError(f"labels has {len(labels)} entries for {len(texts)} documents")
    emb_names = _names(embeddings, embedder_names(), DEFAULT_EMBEDDINGS, "embedding", valid=is_embedding_name)
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

    base = TextClusterer(lang=lang, spacy_model=spacy_model, top_n_words=top_n_words, random_state=random_state,
                         tokenizer_params=tokenizer_params)
    with progress.stage("tokenize", n) as advance:
        tok = base.make_tokenizer().fit()
        tokens = tok.transform(texts, progress=advance)
    rows = []
    partitions: dict[int, np.ndarray] = {}  # row -> cluster labels, for the consensus score
    memo: dict = {}  # fitted embedders and reducers shared by the configurations (same tokens)

    def topics(model):
        return extract_topics(tokens, model.labels_, model.embedding_, top_n=top_n_words, n_representatives=1)

    with progress.stage("compare", len(cells)) as advance:
        for e, r, a, k in cells:
            effective = resolve_reducer(r, a)  # "auto": UMAP before HDBSCAN, nothing otherwise
            row = {"embedding": e, "reduce": r, "reduced_with": effective, "algorithm": a, "k": k, "error": None}
            try:
                model = clone(base).set_params(
                    k=k if k is not None else 10, reducer=make_reducer(effective, **(reduce_params or {}).get(effective, {})),
                    embedder=make_embedder(e, pooling=pooling, **(embedding_params or {}).get(e, {})),
                    clusterer=make_clusterer(a, **(cluster_params or {}).get(a, {})))
                model._start(None, n)
                model.tokenizer_ = tok
                model._fit_tokens(tokens, NullProgress(), topics=topics, memo=memo)
                lab = model.labels_
                partitions[len(rows)] = lab
                row["seconds"] = round(sum(model.seconds_[s] for s in ("embed", "reduce", "cluster")), 3)
                row.update(_score(model, labels, top_n_words, random_state, topic_coherence, external_scores))
            except (InputError, ValueError, RuntimeError) as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            rows.append(row)
            advance(1)
    frame = pd.DataFrame(rows)
    frame["consensus"] = consensus_scores([partitions.get(i) for i in range(len(rows))])
    table = _rank(frame, has_labels=labels is not None, rule=rule)
    ok = table[table["error"].isna()]
    if ok.empty:
        raise InputError("every configuration failed: " + str(table["error"].iloc[0]))

    def params(row) -> dict:
        return {"embedding": row["embedding"], "reduce": row["reduce"], "algorithm": row["algorithm"],
                "k": None if pd.isna(row["k"]) else int(row["k"]), "pooling": pooling,
                "_takes": ("k",) if takes_k[row["algorithm"]] else ()}

    # with labels the recommendation is the row that agrees best with them (NMI); the label-free pick (the
    # first row under ``rule``) is reported beside it
    label_free = params(ok.iloc[0])
    best = ok.iloc[0] if labels is None else ok.loc[pd.to_numeric(ok["nmi"]).idxmax()]
    rec = params(best) | {"chosen_by": "nmi (labels)" if labels is not None else rule}
    settings["rule"] = rule
    return Comparison(table, rec, settings, label_free=label_free)


def _score(model, labels, top_n, seed, topic_coherence, external_scores) -> dict:
    """Internal criteria, NPMI of the topic words and (with labels) NMI/ARI/ACC of a fitted model."""
    lab, Z = model.labels_, model.embedding_
    out = {"n_clusters": int(len(np.unique(lab[lab >= 0]))), "noise_fraction": round(float((lab < 0).mean()), 4)}
    out.update(internal_scores(Z, lab, random_state=seed))
    out["npmi"] = topic_coherence(model.tokens_, model.topics_, top_n=top_n)
    if labels is not None:
        ext = external_scores(labels, lab)
        out.update({"nmi": ext["nmi"], "ari": ext["ari"], "acc": ext["acc"]})
    return out


def _rank(df, *, has_labels: bool, rule: str = "consensus"):
    """Add ``rank_score`` (mean rank under the selection ``rule``; failed = inf) and ``rank``; sort by it."""
    for c in list(CRITERIA) + ["n_clusters", "noise_fraction"] + (["nmi", "ari", "acc"] if has_labels else []):
        if c not in df:
            df[c] = np.nan
    df["k"] = df["k"].astype("Int64")
    df["rank_score"] = np.round(rule_scores(df, rule), 3)
    df = df.sort_values(["rank_score", "npmi"], ascending=[True, False], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    cols = ["rank", "embedding", "reduce", "reduced_with", "algorithm", "k", "n_clusters", "noise_fraction", *CRITERIA,
            "rank_score"] + (["nmi", "ari", "acc"] if has_labels else []) + ["seconds", "error"]
    return df[cols]
