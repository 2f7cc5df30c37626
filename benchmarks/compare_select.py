"""How often does `textcluster compare` recommend the best configuration? (issue 15, point 4)

Runs the default compare grid (word2vec, tfidf-lsa x auto, pca x kmeans (k ladder), hdbscan) with labels on
the shipped demo corpus and on seeded samples of the four labelled shared text corpora, and writes each full
table (internal criteria + NMI/ARI/ACC) to benchmarks/results/compare_<name>.csv. Then, for each label-free
selection rule in textcluster.compare.SELECTION_RULES, counts on how many corpora the rule's pick is the best
row by NMI or within 0.02 NMI of it; the summary goes to benchmarks/results/compare_select.json.

    python benchmarks/compare_select.py [--n 2000] [--only NAME ...] [--rescore]

--rescore re-evaluates the rules on the stored tables without re-running the grid.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import ROOT, data_dir  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def corpora(n: int) -> dict[str, Path]:
    d = data_dir()
    return {"topics-en": ROOT / "corpora" / "topics-en.jsonl",
            "20newsgroups-stripped": d / "20newsgroups" / "20newsgroups-stripped.jsonl.gz",
            "reuters_r8": d / "reuters_r8" / "reuters_r8.jsonl.gz",
            "googlenews_ts": d / "googlenews_ts" / "googlenews_ts.jsonl.gz",
            "tweet": d / "tweet" / "tweet.jsonl.gz"}


def sample(path: Path, n: int, seed: int = 0) -> list:
    from textcluster import read_corpus
    docs = list(read_corpus(path))
    if len(docs) <= n:
        return docs
    idx = np.sort(np.random.default_rng(seed).choice(len(docs), n, replace=False))
    return [docs[i] for i in idx]


def run_grid(name: str, path: Path, n: int) -> pd.DataFrame:
    from textcluster.compare import compare_pipelines
    docs = sample(path, n)
    t0 = time.perf_counter()
    result = compare_pipelines(docs, random_state=0)
    table = result.table
    table.insert(0, "corpus", name)
    table["n_docs"] = len(docs)
    table["grid_seconds"] = round(time.perf_counter() - t0, 1)
    table.to_csv(RESULTS / f"compare_{name}.csv", index=False)
    return table


def evaluate(tables: dict[str, pd.DataFrame]) -> dict:
    from textcluster.compare import SELECTION_RULES, select
    out = {"corpora": {}, "rules": {}}
    for name, t in tables.items():
        ok = t[t["error"].isna()].reset_index(drop=True)
        best = ok.loc[ok["nmi"].idxmax()]
        out["corpora"][name] = {"n_docs": int(t["n_docs"].iloc[0]), "rows": int(len(ok)),
                                "best": {k: _plain(best[k]) for k in ("embedding", "reduce", "algorithm", "k", "nmi")}}
    for rule in SELECTION_RULES:
        hits, picks = 0, {}
        for name, t in tables.items():
            ok = t[t["error"].isna()].reset_index(drop=True)
            i = select(ok, rule=rule)
            gap = float(ok["nmi"].max() - ok.loc[i, "nmi"])
            hits += gap <= 0.02
            picks[name] = {k: _plain(ok.loc[i, k]) for k in ("embedding", "reduce", "algorithm", "k", "nmi")}
            picks[name]["gap"] = round(gap, 4)
        out["rules"][rule] = {"hits": int(hits), "of": len(tables), "picks": picks}
    return out


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 4)
    return None if v is pd.NA else v


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="documents sampled per shared corpus (seed 0)")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--rescore", action="store_true")
    a = ap.parse_args()
    tables = {}
    for name, path in corpora(a.n).items():
        if a.only and name not in a.only:
            f = RESULTS / f"compare_{name}.csv"
            if f.exists():
                tables[name] = pd.read_csv(f)
            continue
        f = RESULTS / f"compare_{name}.csv"
        if a.rescore and f.exists():
            tables[name] = pd.read_csv(f)
        else:
            print(f"{name} ...", flush=True)
            tables[name] = run_grid(name, path, a.n)
            print(f"{name}: {tables[name]['grid_seconds'].iloc[0]} s", flush=True)
    tables = {name: t for name, t in tables.items() if "consensus" in t}  # tables from older runs lack it
    for name, t in tables.items():
        t["k"] = t["k"].astype("Int64")
    summary = evaluate(tables) if tables else {}
    summary["n"] = a.n
    (RESULTS / "compare_select.json").write_text(json.dumps(summary, indent=1))
    if summary.get("rules"):
        print(markdown(summary))


if __name__ == "__main__":
    main()


def markdown(summary: dict) -> str:
    """The docs table: per corpus the best row and each rule's pick with its NMI gap (hit = within 0.02)."""
    names = list(summary["corpora"])
    lines = ["| rule | " + " | ".join(names) + " | within 0.02 NMI |", "| --- |" + " --- |" * (len(names) + 1)]
    lines.append("| best row (by NMI) | " + " | ".join(
        f"{_row(summary['corpora'][n]['best'])} {summary['corpora'][n]['best']['nmi']:.3f}" for n in names) + " | |")
    for rule, r in summary["rules"].items():
        cells = []
        for n in names:
            p = r["picks"][n]
            cells.append(f"{_row(p)} {p['nmi']:.3f} ({'-' if p['gap'] else ''}{p['gap']:.3f})")
        lines.append(f"| `{rule}` | " + " | ".join(cells) + f" | **{r['hits']} / {r['of']}** |")
    return "\n".join(lines)


def _row(p: dict) -> str:
    k = "" if p.get("k") is None else f" k={int(p['k'])}"
    return f"{p['embedding']} {p['reduce']} {p['algorithm']}{k}"
