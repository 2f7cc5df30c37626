"""Scale curve: 20 Newsgroups (stripped) replicated 1x, 5x, 20x, clustered end to end by the CLI.

Each replica holds every document ``factor`` times with ids made unique (``ID#rK``), in a shuffled order,
written as plain JSONL to a temporary folder. Each run is one ``textcluster cluster`` process
(word2vec, mean pooling, k = 20, seed 0, ``--workers 2 --n-process 2 --no-map``, streaming through
``--cache-dir``),
local or with ``--dask local`` (a LocalCluster of 2 worker processes). While it runs, the proportional set
size (PSS: shared pages split between the processes sharing them) of the whole process tree -- the CLI,
its tokenizer workers, Dask's scheduler and workers -- is sampled every 0.5 s; stage boundaries come from
the pipeline's INFO log lines, timestamped as they arrive. Also run: a 1x local/Dask pair with
``--workers 1`` (deterministic word2vec) to check that the two backends agree (NMI of one labeling
against the other).

Usage (timed: hold the shared benchmark lock)::

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/scale.py
    .venv/bin/python benchmarks/scale.py --scales 0.1 --modes local --no-agreement   # smoke test

Writes ``benchmarks/scale_results.json`` and ``docs/img/scale.png`` and prints a Markdown summary
(the tables of docs/benchmarks.md, section "Scale", with the 10 M projection).

**Many tiny documents** (issue 14: peak memory of a million one-line documents under 2 GB with the default
settings)::

    .venv/bin/python benchmarks/scale.py --tiny 200000 1000000 --embeddings word2vec word2vec+tfidf-lsa

writes a synthetic corpus per size (one document per line, 5-12 words from a 400-word vocabulary in 10
topics, seed 0) and runs the default command on it, map included: ``textcluster cluster FILE --k 10 --out
DIR --embedding E``. Peak memory is ``ru_maxrss`` of the process tree (what ``/usr/bin/time -v`` reports as
"Maximum resident set size": the largest single process, the CLI or a tokenizer worker), the CLI's own
peak (``peak_rss_mb`` in metrics.json) and the summed RSS of the tree sampled every 0.5 s. ``--command``
runs another build of the CLI (e.g. an older checkout, for a before/after pair). Writes
``benchmarks/scale_tiny_results.json`` and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("tokenize", "embed", "reduce", "cluster", "topics")
_STAGE_LINE = re.compile(r"textcluster: info: (\w+): ([\d.]+) s")
_EMBED_LINE = re.compile(r"textcluster: info: embed: word vectors ([\d.]+) s")


def data_file() -> Path:
    base = os.environ.get("TEXTCLUSTER_DATA") or str(ROOT.parent / "shared" / "data")
    return Path(base) / "20newsgroups" / "20newsgroups-stripped.jsonl.gz"


def make_replica(src: Path, factor: float, out: Path, seed: int = 0) -> int:
    """Write ``factor`` x the corpus (ids made unique, order shuffled) to ``out``; returns the count."""
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh if line.strip()]
    n = int(round(len(lines) * factor))
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    with open(out, "w", encoding="utf-8") as fh:
        for j in order.tolist():
            rec = dict(lines[j % len(lines)])
            rec["id"] = f"{rec['id']}#r{j // len(lines)}"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return n


class TreeMemory(threading.Thread):
    """Samples the summed PSS (and RSS) of a process and all its descendants every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, float, float]] = []  # (time, pss MB, rss MB)
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            pss = rss = 0
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                try:
                    info = p.memory_full_info()
                    pss += info.pss
                    rss += info.rss
                except psutil.Error:
                    pass
            self.samples.append((time.monotonic(), pss / 2**20, rss / 2**20))
            self.stop.wait(self.interval)


def run_once(data: Path, work: Path, *, dask: bool, workers: int = 2, n_process: int = 2, k: int = 20,
             deadline: float | None = None) -> dict:
    """One CLI run; returns its metrics.json plus per-stage wall time and peak tree memory.

    At ``deadline`` (epoch seconds) the run is stopped (SIGTERM) and reported as incomplete, with the
    stages it finished."""
    tag = f"{data.stem}-{'dask' if dask else 'local'}-w{workers}"
    out, cache = work / f"out-{tag}", work / f"cache-{tag}"
    cmd = [str(ROOT / ".venv" / "bin" / "textcluster"), "cluster", str(data), "--out", str(out),
           "--cache-dir", str(cache), "--k", str(k), "--seed", "0", "--workers", str(workers),
           "--n-process", str(n_process), "--no-map", "-q"] + (["--dask", "local"] if dask else [])
    env = dict(os.environ, TEXTCLUSTER_DEBUG="1", PYTHONUNBUFFERED="1")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    mon = TreeMemory(proc.pid)
    mon.start()
    killer = None
    if deadline is not None:
        killer = threading.Timer(max(deadline - time.time(), 0), proc.terminate)
        killer.daemon = True
        killer.start()
    stage_end: dict[str, tuple[float, float]] = {}
    tail: list[str] = []
    word_vectors_s = None
    for line in proc.stderr:
        m = _STAGE_LINE.search(line)
        if m and m.group(1) in STAGES:
            stage_end[m.group(1)] = (time.monotonic(), float(m.group(2)))
        m = _EMBED_LINE.search(line)
        if m:
            word_vectors_s = float(m.group(1))
        tail = (tail + [line])[-30:]
    proc.wait()
    wall = time.monotonic() - t0
    mon.stop.set()
    mon.join()
    if killer is not None:
        killer.cancel()
    samples = np.array(mon.samples) if mon.samples else np.zeros((0, 3))
    if proc.returncode != 0:
        if deadline is None or time.time() < deadline:
            raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{''.join(tail)}")
        n_docs = sum(1 for _ in open(data, encoding="utf-8"))
        stages = {}
        for name, (end, secs) in stage_end.items():
            sel = samples[(samples[:, 0] >= end - secs - 0.5) & (samples[:, 0] <= end + 0.5)]
            stages[name] = {"seconds": secs, "docs_per_s": round(n_docs / max(secs, 1e-9), 1),
                            "peak_pss_mb": round(float(sel[:, 1].max()), 1) if len(sel) else None}
        return {"tag": tag, "dask": dask, "workers": workers, "n_docs": n_docs, "incomplete": True,
                "stopped_after_s": round(wall, 1), "stages": stages, "word_vectors_s": word_vectors_s,
                "peak_pss_mb": round(float(samples[:, 1].max()), 1) if len(samples) else None,
                "_labels": {}}
    metrics = json.loads((out / "metrics.json").read_text())
    stages = {}
    for name in STAGES:
        if name not in stage_end:
            continue
        end, secs = stage_end[name]
        sel = samples[(samples[:, 0] >= end - secs - 0.5) & (samples[:, 0] <= end + 0.5)] if len(samples) else samples
        stages[name] = {"seconds": secs, "docs_per_s": round(metrics["n_docs"] / max(secs, 1e-9), 1),
                        "peak_pss_mb": round(float(sel[:, 1].max()), 1) if len(sel) else None}
    agreement_ids = [row for row in csv.reader(open(out / "assignments.csv", encoding="utf-8"))][1:]
    return {"tag": tag, "dask": dask, "workers": workers, "n_docs": metrics["n_docs"], "wall_s": round(wall, 2),
            "docs_per_s": round(metrics["n_docs"] / wall, 1),
            "peak_pss_mb": round(float(samples[:, 1].max()), 1) if len(samples) else None,
            "peak_rss_sum_mb": round(float(samples[:, 2].max()), 1) if len(samples) else None,
            "peak_rss_main_mb": metrics.get("peak_rss_mb"), "algorithm": metrics.get("algorithm"),
            "nmi": metrics.get("nmi"), "stages": stages, "word_vectors_s": word_vectors_s, "seconds": metrics.get("seconds"),
            "cache_mb": round(sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 2**20, 1),
            "_labels": {r[0]: int(r[1]) for r in agreement_ids}}


def make_tiny(n: int, out: Path, seed: int = 0) -> int:
    """Write ``n`` one-line documents to ``out`` (.txt): 5-12 words each, 70 % from one of 10 topics of 30
    made-up words, the rest from 100 words shared by all topics. Returns ``n``."""
    rng = np.random.default_rng(seed)
    syll = ["ka", "lo", "mi", "ren", "tor", "vek", "sa", "nu", "pel", "dri", "xo", "fa", "gu", "bel", "zim",
            "har", "qu", "ost", "lin", "mar"]
    vocab: list[str] = []
    while len(vocab) < 400:
        w = "".join(rng.choice(syll, rng.integers(2, 4)))
        if w not in vocab:
            vocab.append(w)
    topics = [vocab[i * 30:(i + 1) * 30] for i in range(10)]
    common = vocab[300:]
    with open(out, "w", encoding="utf-8") as fh:
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            topic = rng.integers(0, 10, m)
            lengths = rng.integers(5, 13, m)
            for t, L in zip(topic.tolist(), lengths.tolist()):
                own = rng.random(L) < 0.7
                fh.write(" ".join(topics[t][j] if o else common[c] for o, j, c in
                                  zip(own, rng.integers(0, 30, L).tolist(), rng.integers(0, 100, L).tolist())) + "\n")
    return n


def run_tiny(data: Path, work: Path, *, embedding: str, command: list[str], label: str) -> dict:
    """One default ``textcluster cluster DATA --k 10 --embedding E`` run (map included); its peak memory."""
    out = work / f"out-{data.stem}-{embedding.replace('+', '_')}"
    cmd = command + ["cluster", str(data), "--k", "10", "--out", str(out), "--embedding", embedding, "-q"]
    env = dict(os.environ, TEXTCLUSTER_DEBUG="1", PYTHONUNBUFFERED="1")
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    mon = TreeMemory(proc.pid)
    mon.start()
    tail: list[str] = []
    stages: dict[str, float] = {}
    for line in proc.stderr:
        m = _STAGE_LINE.search(line)
        if m and m.group(1) in STAGES:
            stages[m.group(1)] = float(m.group(2))
        tail = (tail + [line])[-30:]
    _, status, usage = os.wait4(proc.pid, 0)  # ru_maxrss: the largest process of the tree (as /usr/bin/time)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    mon.stop.set()
    mon.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{''.join(tail)}")
    metrics = json.loads((out / "metrics.json").read_text())
    samples = np.array(mon.samples) if mon.samples else np.zeros((0, 3))
    shutil.rmtree(out, ignore_errors=True)
    return {"n_docs": metrics["n_docs"], "embedding": embedding, "build": label, "command": " ".join(command),
            "streamed": metrics.get("streamed"), "streamed_why": metrics.get("streamed_why"),
            "algorithm": metrics.get("algorithm"), "wall_s": round(wall, 1),
            "load_avg_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "peak_rss_tree_max_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_rss_main_mb": metrics.get("peak_rss_mb"), "peak_rss_workers_mb": metrics.get("peak_rss_mb_workers"),
            "peak_rss_sum_mb": round(float(samples[:, 2].max()), 1) if len(samples) else None,
            "stages_s": stages, "seconds": metrics.get("seconds"), "silhouette": metrics.get("silhouette")}


def tiny_markdown(rows: list[dict]) -> str:
    out = ["| docs | embedding | build | path | algorithm | peak RSS MB (max process) | CLI MB | worker MB | "
           "tree sum MB | wall s | load |", "|" + " --- |" * 11]
    for r in rows:
        out.append(f"| {r['n_docs']:,} | {r['embedding']} | {r['build']} | "
                   f"{'streamed' if r['streamed'] else 'in memory'} | {r['algorithm']} | "
                   f"**{r['peak_rss_tree_max_mb']:,.0f}** | {r['peak_rss_main_mb']:,.0f} | "
                   f"{r['peak_rss_workers_mb']:,.0f} | {r['peak_rss_sum_mb']:,.0f} | {r['wall_s']:.0f} | "
                   f"{r['load_avg_1min'][0]:.1f}-{r['load_avg_1min'][1]:.1f} |")
    return "\n".join(out)


def tiny_main(args) -> None:
    import shlex

    command = shlex.split(args.command) if args.command else [str(ROOT / ".venv" / "bin" / "textcluster")]
    work = Path(tempfile.mkdtemp(prefix="tc-tiny-", dir=args.workdir))
    rows: list[dict] = []
    path = args.out if args.out != ap_default_out() else ROOT / "benchmarks" / "scale_tiny_results.json"
    try:
        for n in args.tiny:
            data = work / f"tiny-{n}.txt"
            make_tiny(n, data)
            for emb in args.embeddings:
                r = run_tiny(data, work, embedding=emb, command=command, label=args.label)
                print(json.dumps(r), flush=True)
                rows.append(r)
            data.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if rows:
            old = json.loads(path.read_text()) if path.exists() and args.merge else {"runs": []}
            path.write_text(json.dumps({"machine": {"cpus": os.cpu_count()},
                                        "runs": old["runs"] + rows}, indent=1))
            print(tiny_markdown(rows))


def ap_default_out() -> Path:
    return ROOT / "benchmarks" / "scale_results.json"


def agreement(a: dict, b: dict) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    ids = sorted(a["_labels"])
    return float(normalized_mutual_info_score([a["_labels"][i] for i in ids], [b["_labels"][i] for i in ids]))


def projection(rows: list[dict], n_target: int = 10_000_000) -> dict:
    """Project ``n_target`` documents from the largest local run's measured per-stage rates.

    Assumptions (stated in docs/benchmarks.md): time per document stays constant per stage (the measured
    curve is near-linear, word2vec epochs stay at 5 -- the "auto" floor -- and min_count at 5); the measured
    run used 2 cores; on a 16-core machine tokenization, word2vec (gensim ``corpus_file`` threads) and
    pooling run 8x faster, clustering (MiniBatchKMeans) and topic counting are not sped up; on a Dask
    cluster of 8 such nodes tokenization and pooling spread over 64x the cores, word2vec stays on one
    16-core node (8x), KMeans (dask-ml) scales with the nodes (8x), topics stay on the client (1x).
    """
    base = max((r for r in rows if not r["dask"] and r["workers"] == 2), key=lambda r: r["n_docs"])
    secs = {s: v["seconds"] for s, v in base["stages"].items()}
    w2v = base.get("word_vectors_s") or secs.get("embed", 0.0)
    secs["word2vec"] = w2v
    secs["pool"] = max(secs.pop("embed", 0.0) - w2v, 0.0)
    scale = n_target / base["n_docs"]
    single = {s: t * scale for s, t in secs.items()}
    speed16 = {"tokenize": 8, "word2vec": 8, "pool": 8, "reduce": 8, "cluster": 1, "topics": 1}
    speed_dask = {"tokenize": 64, "word2vec": 8, "pool": 64, "reduce": 8, "cluster": 8, "topics": 1}
    one = {s: t / speed16.get(s, 1) for s, t in single.items()}
    dask = {s: t / speed_dask.get(s, 1) for s, t in single.items()}
    return {"n_docs": n_target, "from_run": base["tag"], "measured_s": {s: round(t, 1) for s, t in secs.items()},
            "rates_docs_per_s_2_cores": {s: round(base["n_docs"] / t, 1) for s, t in secs.items() if t > 0},
            "hours_16_cores": round(sum(one.values()) / 3600, 2),
            "per_stage_h_16_cores": {s: round(t / 3600, 2) for s, t in one.items()},
            "hours_dask_8x16_cores": round(sum(dask.values()) / 3600, 2),
            "per_stage_h_dask_8x16_cores": {s: round(t / 3600, 2) for s, t in dask.items()},
            "disk_gb": {"token_cache": round(base["cache_mb"] * scale / 1024, 1)},
            "memory_gb": {"doc_vectors_float32_d100": round(n_target * 100 * 4 / 2**30, 1),
                          "peak_measured_x_scale_upper_bound": round(base["peak_pss_mb"] * scale / 1024, 1)}}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for dask, style in ((False, "o-"), (True, "s--")):
        rs = sorted((r for r in rows if r["dask"] == dask and r["workers"] == 2 and not r.get("incomplete")),
                    key=lambda r: r["n_docs"])
        if not rs:
            continue
        n = [r["n_docs"] for r in rs]
        label = "--dask local" if dask else "local"
        axes[0].plot(n, [r["wall_s"] for r in rs], style, label=label)
        for s in ("tokenize", "embed", "cluster"):
            axes[0].plot(n, [r["stages"].get(s, {}).get("seconds", np.nan) for r in rs], style, alpha=0.4,
                         label=f"{label}: {s}")
        axes[1].plot(n, [r["docs_per_s"] for r in rs], style, label=label)
        axes[2].plot(n, [r["peak_pss_mb"] for r in rs], style, label=label)
    axes[0].set(xscale="log", yscale="log", xlabel="documents", ylabel="wall seconds", title="time (end to end, stages)")
    axes[1].set(xscale="log", xlabel="documents", ylabel="documents / s", title="throughput (end to end)")
    axes[2].set(xscale="log", xlabel="documents", ylabel="MB", title="peak memory (PSS, process tree)")
    axes[2].axhline(3072, color="grey", lw=0.8, ls=":")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("textcluster on 20 Newsgroups replicated (word2vec + KMeans/MiniBatchKMeans, 2 cores)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def markdown(res: dict) -> str:
    rows = res["runs"]
    out = ["| docs | backend | algorithm | wall s | docs/s | peak PSS MB | main RSS MB | NMI | "
           + " | ".join(f"{s} s (peak MB)" for s in STAGES) + " |",
           "|" + " --- |" * (8 + len(STAGES))]
    for r in [r for r in rows if r.get("incomplete")]:
        out.append(f"\nstopped at the deadline: {r['tag']} after {r['stopped_after_s']:.0f} s; finished stages: "
                   + ", ".join(f"{s} {v['seconds']:.0f} s (peak {v['peak_pss_mb']} MB)" for s, v in r["stages"].items()))
    for r in sorted((r for r in rows if not r.get("incomplete")), key=lambda r: (r["workers"], r["n_docs"], r["dask"])):
        cells = [f"{r['n_docs']:,}", ("dask local" if r["dask"] else "local") + ("" if r["workers"] == 2 else " (workers 1)"),
                 str(r["algorithm"]), f"{r['wall_s']:.0f}", f"{r['docs_per_s']:.0f}", f"{r['peak_pss_mb']:.0f}",
                 f"{r['peak_rss_main_mb']:.0f}", f"{r['nmi']:.3f}" if r["nmi"] is not None else ""]
        for s in STAGES:
            st = r["stages"].get(s)
            cells.append(f"{st['seconds']:.1f} ({st['peak_pss_mb']:.0f})" if st and st["peak_pss_mb"] else
                         (f"{st['seconds']:.1f}" if st else ""))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def agreement_slice(n_docs: int, seed: int = 0) -> dict:
    """Local vs ``--dask local`` (2 workers) on a random ``n_docs`` slice of 20 Newsgroups, library calls,
    ``workers=1`` (deterministic word2vec), k = 20, same seed: vocabulary, document count and NMI."""
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from textcluster import TextClusterer, read_corpus
    from textcluster.distributed import connect

    with tempfile.TemporaryDirectory(prefix="tc-agree-") as tmp:
        with gzip.open(data_file(), "rt", encoding="utf-8") as fh:
            lines = [line for line in fh if line.strip()]
        pick = np.sort(np.random.default_rng(seed).choice(len(lines), n_docs, replace=False))
        path = Path(tmp) / "slice.jsonl"
        path.write_text("".join(lines[i] for i in pick), encoding="utf-8")
        corpus = read_corpus(path)
        params = dict(k=20, random_state=seed, n_process=2)
        local = TextClusterer(**params).fit_corpus(corpus, cache_dir=Path(tmp) / "local")
        with connect("local", n_workers=2) as client:
            dask = TextClusterer(**params).fit_corpus(corpus, cache_dir=Path(tmp) / "dask", client=client)
        gold = local.tokens_.labels
        return {"n_docs": n_docs, "same_vocabulary": local.tokens_.words == dask.tokens_.words,
                "same_n_docs": len(local.labels_) == len(dask.labels_),
                "max_vector_difference": float(np.abs(np.asarray(local.vectors_) - np.asarray(dask.vectors_)).max()),
                "nmi_local_vs_dask": round(float(nmi(local.labels_, dask.labels_)), 4),
                "nmi_gold_local": round(float(nmi(gold, local.labels_)), 4),
                "nmi_gold_dask": round(float(nmi(gold, dask.labels_)), 4),
                "algorithms": [local.algorithm_, dask.algorithm_]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 5, 20])
    ap.add_argument("--modes", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    ap.add_argument("--no-agreement", action="store_true", help="skip the 1x workers=1 local/Dask pair")
    ap.add_argument("--out", type=Path, default=ap_default_out(),
                    help="results file (default: scale_results.json, with --tiny scale_tiny_results.json)")
    ap.add_argument("--tiny", type=int, nargs="+", default=None, metavar="N",
                    help="instead of the scale curve: N one-line documents (synthetic), the default command")
    ap.add_argument("--embeddings", nargs="+", default=["word2vec", "word2vec+tfidf-lsa"],
                    help="--tiny: the --embedding values to run")
    ap.add_argument("--command", default=None, help="--tiny: the textcluster command to run "
                    "(default: this checkout's .venv/bin/textcluster)")
    ap.add_argument("--merge", action="store_true", help="--tiny: add the runs to the results file")
    ap.add_argument("--label", default="this checkout", help="--tiny: what the runs measure (e.g. a commit)")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "scale.png")
    ap.add_argument("--stop-after", default=None, help="UTC HH:MM: start no new run after this time")
    ap.add_argument("--deadline", default=None, help="UTC HH:MM: stop a run still going at this time "
                    "(reported as incomplete, with the stages it finished)")
    ap.add_argument("--workdir", type=Path, default=None, help="temporary folder (default: a new one in /tmp)")
    ap.add_argument("--agreement-slice", type=int, default=None, metavar="N",
                    help="only check local vs Dask agreement on a random N-document slice (workers=1), print JSON")
    args = ap.parse_args()
    if args.agreement_slice:
        print(json.dumps(agreement_slice(args.agreement_slice), indent=1))
        return
    if args.tiny:
        tiny_main(args)
        return

    src = data_file()
    if not src.exists():
        sys.exit(f"data not found: {src} (set TEXTCLUSTER_DATA)")
    work = Path(tempfile.mkdtemp(prefix="tc-scale-", dir=args.workdir))
    res: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "machine": {
        "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}, "runs": [], "agreement": {}}
    # 1x local and Dask first, then the other local scales (the targets), then the other Dask scales
    plan = [(f, mode, 2) for f in args.scales for mode in args.modes if mode == "local" or f == args.scales[0]]
    plan += [(f, "dask", 2) for f in args.scales[1:] if "dask" in args.modes]
    if not args.no_agreement:
        plan.append((1, "agreement", 1))
    stop_after = time.mktime(time.strptime(args.stop_after, "%H:%M")) if args.stop_after else None
    deadline = None
    if args.deadline:
        hh, mm = map(int, args.deadline.split(":"))
        now = time.time()
        deadline = now - now % 86400 + hh * 3600 + mm * 60  # today, UTC
        deadline += 86400 if deadline < now else 0
    datasets: dict = {}
    done: dict = {}

    def dataset(f: float) -> Path:
        if f not in datasets:
            datasets[f] = work / f"x{f:g}.jsonl"
            n = make_replica(src, f, datasets[f])
            print(f"{f:g}x: {n} docs, {datasets[f].stat().st_size / 2**20:.0f} MB", flush=True)
        return datasets[f]

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**res, "runs": [{k: v for k, v in r.items() if k != "_labels"}
                                                          for r in res["runs"]]}, indent=1))
    try:
        for f, mode, workers in plan:
            now = time.gmtime()
            if stop_after is not None and time.mktime(time.strptime(time.strftime("%H:%M", now), "%H:%M")) > stop_after:
                res.setdefault("skipped", []).append(f"{f:g}x {mode} (after --stop-after {args.stop_after})")
                continue
            if mode == "agreement":
                a = run_once(dataset(f), work, dask=False, workers=1)
                b = run_once(dataset(f), work, dask=True, workers=1)
                res["runs"] += [a, b]
                res["agreement"][f"{f:g}x_workers1"] = round(agreement(a, b), 4)
            else:
                r = run_once(dataset(f), work, dask=mode == "dask", workers=workers, deadline=deadline)
                res["runs"].append(r)
                print(json.dumps({k: v for k, v in r.items() if k != "_labels"}), flush=True)
                done[(f, mode)] = r
                if (f, "local") in done and (f, "dask") in done:
                    res["agreement"][f"{f:g}x_workers2"] = round(agreement(done[(f, "local")], done[(f, "dask")]), 4)
            for p in work.glob("cache-*"):
                shutil.rmtree(p, ignore_errors=True)
            save()
    finally:
        res["machine"]["load_avg_at_end"] = os.getloadavg()
        for r in res["runs"]:
            r.pop("_labels", None)
        local = {r["n_docs"]: r for r in res["runs"] if not r["dask"] and r["workers"] == 2
                 and not r.get("incomplete")}
        if len(local) >= 2:
            lo, hi = local[min(local)], local[max(local)]
            res["ratios_largest_vs_smallest_local"] = {
                "docs": round(hi["n_docs"] / lo["n_docs"], 2), "wall": round(hi["wall_s"] / lo["wall_s"], 2),
                "peak_pss": round(hi["peak_pss_mb"] / lo["peak_pss_mb"], 2)}
            res["projection_10M"] = projection(list(local.values()))
        save()
        if res["runs"]:
            plot(res["runs"], args.plot)
        print(markdown(res))
        print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=1))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
