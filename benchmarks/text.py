"""Text pipelines on stripped 20 Newsgroups (BENCHMARKS.md protocol) beside scikit-learn's TF-IDF+LSA+KMeans.

Every method runs in its own fresh process, seeds 0, 1, 2 (k = 20); quality is mean ± sd over seeds, wall
time the median, and each method's time is also given as a ratio to the scikit-learn recipe timed in the
same run. Writes the "text" section of docs/benchmarks.md and benchmarks/text_results.json.

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/text.py            # full run
    .venv/bin/python benchmarks/text.py --seeds 0 --methods recipe word2vec-kmeans  # quick look
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import (RECIPE, ROOT, machine_line, mean_sd, median, newsgroups_path, run_cli, run_python,
                    update_section)

METHODS = {
    "recipe": ("scikit-learn TF-IDF + LSA + KMeans (peer)", None),
    "word2vec-kmeans": ("textcluster word2vec (sif) + KMeans: the default", ["--embedding", "word2vec", "--algorithm", "kmeans"]),
    "tfidf-lsa-kmeans": ("textcluster tfidf-lsa + KMeans", ["--embedding", "tfidf-lsa", "--algorithm", "kmeans"]),
    "word2vec-hdbscan": ("textcluster word2vec (sif) + UMAP + HDBSCAN", ["--embedding", "word2vec", "--algorithm", "hdbscan"]),
    "word2vec-lsa": ("textcluster word2vec + tfidf-lsa, sif + KMeans", ["--embedding", "word2vec+tfidf-lsa",
                                                                         "--algorithm", "kmeans"]),
    "best": ("textcluster word2vec (window 10, 10 epochs) + tfidf-lsa, sif + KMeans",
             ["--embedding", "word2vec+tfidf-lsa", "--window", "10", "--epochs", "10", "--algorithm", "kmeans"]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    ap.add_argument("--merge", action="store_true", help="keep the other methods' results from the last run")
    args = ap.parse_args()
    path = newsgroups_path(stripped=True)
    results: dict[str, list[dict]] = {}
    for method in args.methods:
        for seed in args.seeds:
            _, cli_args = METHODS[method]
            if cli_args is None:
                r = run_python(RECIPE.format(path=str(path), seed=seed, k=20))
            else:
                r = run_cli([path, "--k", 20, "--seed", seed, *cli_args])
            results.setdefault(method, []).append(r)
            print(f"{method} seed={seed}: nmi={r['nmi']:.3f} ari={r['ari']:.3f} acc={r['acc']:.3f} "
                  f"clusters={r['n_clusters']} wall={r['wall_s']:.1f}s peak={r['peak_rss_mb']:.0f}MB", flush=True)
    out = ROOT / "benchmarks" / "text_results.json"
    if args.merge and out.exists():  # methods not run this time keep their last results
        results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=1))
    if not args.no_docs:
        update_section("text", render(results, args.seeds))


def render(results: dict, seeds: list[int]) -> str:
    recipe_wall = median([r["wall_s"] for r in results["recipe"]]) if "recipe" in results else None
    lines = [
        "## Text pipelines vs the scikit-learn recipe (stripped 20 Newsgroups, 18,846 documents, k = 20)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine_line()}, seeds {', '.join(map(str, seeds))}; "
        "each run a fresh process; quality mean ± sd over seeds; wall = median end-to-end seconds of the process "
        "(reading, tokenizing, training, clustering, topics, the map, the saved model, writing: the default `cluster` command); ratio = wall / the recipe's wall in this "
        "run; peak = max RSS of the main process (tokenizer workers are separate processes, "
        "`peak_rss_mb_workers` in metrics.json). HDBSCAN: noise counted as one extra cluster.",
        "Command: `flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/text.py`.",
        "",
        "| method | NMI | ARI | ACC | clusters | noise | wall s (median) | × recipe | peak MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method, runs in results.items():
        wall = median([r["wall_s"] for r in runs])
        ratio = f"{wall / recipe_wall:.1f}" if recipe_wall else "-"
        lines.append(
            f"| {METHODS[method][0]} | {mean_sd([r['nmi'] for r in runs])} | {mean_sd([r['ari'] for r in runs])} | "
            f"{mean_sd([r['acc'] for r in runs])} | {median([r['n_clusters'] for r in runs]):.0f} | "
            f"{median([r['noise_fraction'] for r in runs]):.1%} | {wall:.1f} | {ratio} | "
            f"{max(r['peak_rss_mb'] for r in runs):.0f} |")
    stage_rows = [(m, runs) for m, runs in results.items() if "tokenize" in runs[0].get("seconds", {})]
    if stage_rows:
        stages = ["read", "tokenize", "embed", "reduce", "cluster", "topics", "map_project", "map_html", "map_png",
                  "write"]
        lines += ["", "Seconds per stage (median over seeds):", "",
                  "| method | " + " | ".join(stages) + " |", "| --- |" + " --- |" * len(stages)]
        for m, runs in stage_rows:
            cells = [f"{median([r['seconds'].get(s, 0.0) for r in runs]):.1f}" for s in stages]
            lines.append(f"| {METHODS[m][0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
