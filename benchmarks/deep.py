"""Deep clustering benchmarks (docs/benchmarks.md, section "Deep clustering").

  python benchmarks/deep.py images --dataset digits --methods kmeans,ae-kmeans,n2d,dec,idec,clustergan --seeds 0,1,2
  python benchmarks/deep.py images --dataset mnist --limit 10000 --methods ... --device cuda --json out.json
  python benchmarks/deep.py text --limit 0      # stripped 20 Newsgroups: reduce none/ae/vae x kmeans/hdbscan
  python benchmarks/deep.py cli --dataset digits   # `textcluster images` end to end, CLI defaults, per method
  python benchmarks/deep.py cli --dataset mnist --first 3000 --methods n2d  # `images mnist/ --limit 3000`
  python benchmarks/deep.py tables --seeds 0,1,2   # iris, wine, breast cancer, digits as CSV: every method

Each result row: dataset, n, method, seed, acc, nmi, ari, seconds (fit), epochs, peak_rss_mb, device.
Data come from $TEXTCLUSTER_DATA (mnist/, fashion-mnist/, 20newsgroups/); digits ship with scikit-learn.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
try:  # the full package (spaCy, gensim, ...) when installed
    import textcluster  # noqa: F401
except ImportError:  # a minimal GPU box: torch + numpy + scipy + scikit-learn are enough for the image runs
    import types

    _pkg = types.ModuleType("textcluster")
    _pkg.__path__ = [str(ROOT / "textcluster")]
    sys.modules["textcluster"] = _pkg

from textcluster.metrics import external_scores  # noqa: E402
from textcluster.report import peak_rss_mb  # noqa: E402

# Per-dataset training settings (epochs); the CLI defaults ("auto") are used where a value is None.
SETTINGS = {
    "digits": {"ae-kmeans": dict(max_epochs=60, hidden=(256, 128)),
               "n2d": dict(max_epochs=60, hidden=(256, 128)),
               "vae-kmeans": dict(max_epochs=60, hidden=(256, 128), beta=0.1),
               "dec": dict(pretrain_epochs=60, max_epochs=40, hidden=(256, 128), cluster_lr=1e-3),
               "idec": dict(pretrain_epochs=60, max_epochs=40, hidden=(256, 128)),
               "clustergan": dict(max_epochs=300, hidden=(256, 256))},
    "mnist": {"ae-kmeans": dict(max_epochs=50), "n2d": {}, "vae-kmeans": dict(max_epochs=50, beta=0.1),
              "dec": dict(pretrain_epochs=50, max_epochs=50), "idec": dict(pretrain_epochs=50, max_epochs=50),
              "clustergan": dict(max_epochs=40, batch_size=128)},
}
SETTINGS["fashion-mnist"] = SETTINGS["mnist"]


def load(dataset: str, limit: int | None):
    from textcluster import datasets

    if dataset == "digits":
        ds = datasets.load_digits()
    elif dataset == "mnist":
        ds = datasets.load_mnist()
    elif dataset == "fashion-mnist":
        ds = datasets.load_fashion_mnist()
    else:
        raise SystemExit(f"unknown dataset {dataset}")
    X, y = ds.flat(), ds.labels
    if limit:
        rng = np.random.default_rng(12345)  # a fixed stratum-free random subset, same for every method
        keep = np.sort(rng.choice(len(X), size=min(limit, len(X)), replace=False))
        X, y = X[keep], y[keep]
    return X, y, ds.shape


def run_images(args) -> list[dict]:
    from textcluster.registry import make_method
    from textcluster.nn.training import time_limit

    X, y, shape = load(args.dataset, args.limit)
    overrides = json.loads(args.params)
    rows = []
    t_start = time.perf_counter()
    for method in args.methods.split(","):
        if args.deadline and time.perf_counter() - t_start > args.deadline:
            print(json.dumps({"skipped": method, "reason": f"deadline {args.deadline} s"}), flush=True)
            continue
        for seed in [int(s) for s in args.seeds.split(",")]:
            params = {**SETTINGS.get(args.dataset, {}).get(method, {}), **overrides.get(method, {})}
            if args.epochs_scale != 1.0:
                for key in ("max_epochs", "pretrain_epochs"):
                    if isinstance(params.get(key), int):
                        params[key] = max(1, int(round(params[key] * args.epochs_scale)))
            model = make_method(method, k=len(np.unique(y)), random_state=seed, device=args.device,
                                input_shape=shape, verbose=args.verbose, **({} if method == "kmeans" else params))
            t0 = time.perf_counter()
            limits = [args.time_limit] if args.time_limit else []
            if args.deadline:  # no fit trains past the job's deadline either
                limits.append(max(1.0, args.deadline - (t0 - t_start)))
            with time_limit(min(limits) if limits else None) as cut:
                model.fit(X)
            secs = time.perf_counter() - t0
            s = external_scores(y, model.labels_)
            row = {"dataset": args.dataset, "n": int(len(X)), "method": method, "seed": seed,
                   "acc": round(s["acc"], 4), "nmi": round(s["nmi"], 4), "ari": round(s["ari"], 4),
                   "seconds": round(secs, 1), "epochs": getattr(model, "n_epochs_", None),
                   "peak_rss_mb": peak_rss_mb(), "device": str(getattr(model, "device_", "cpu")),
                   "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
                   if method != "kmeans" else {}}
            if cut:  # the time limit ended these phases early: the row is not the full setting
                row["cut_by_time_limit"] = [list(c) for c in cut]
            if hasattr(model, "kmeans_labels_"):  # DEC/IDEC: KMeans on the pretrained codes = AE + KMeans
                s0 = external_scores(y, model.kmeans_labels_)
                row["init_kmeans"] = {"acc": round(s0["acc"], 4), "nmi": round(s0["nmi"], 4),
                                      "ari": round(s0["ari"], 4)}
            if row["device"].startswith("cuda"):
                import torch
                row["gpu_peak_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
                row["gpu"] = torch.cuda.get_device_name()
            print(json.dumps(row), flush=True)
            rows.append(row)
            if args.json:  # after every row, so a run killed later keeps what it finished
                write_json(args.json, rows, summarise(rows, ("dataset", "method")))
    return rows


def run_text(args) -> list[dict]:
    """Embed stripped 20NG once (word2vec + mean pooling), then cluster with/without AE/VAE reduction."""
    from textcluster import TextClusterer
    from textcluster.datasets import load_20newsgroups
    from textcluster.registry import make_clusterer, make_embedder, make_reducer

    docs = list(load_20newsgroups())
    if args.limit:  # a random subset (the file is sorted by newsgroup, so a prefix would be one or two groups)
        keep = np.sort(np.random.default_rng(12345).choice(len(docs), size=min(args.limit, len(docs)),
                                                           replace=False))
        docs = [docs[i] for i in keep]
    y = [d.label for d in docs]
    t0 = time.perf_counter()
    if args.cache and args.cache.exists():  # vectors of an earlier run with the same --limit
        V = np.load(args.cache, allow_pickle=False)
        print(json.dumps({"vectors_from": str(args.cache), "n": len(docs), "dim": int(V.shape[1])}), flush=True)
    else:
        base = TextClusterer(k=20, embedder=make_embedder("word2vec", workers=2), reducer="passthrough",
                             clusterer="kmeans", random_state=0).fit(docs)
        V = base.vectors_
        if args.cache:
            np.save(args.cache, V)
        print(json.dumps({"embed_seconds": round(time.perf_counter() - t0, 1), "n": len(docs),
                          "dim": int(V.shape[1]),
                          "baseline_kmeans_nmi": round(external_scores(y, base.labels_)["nmi"], 4)}), flush=True)
    assert len(V) == len(docs)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for reduce in args.reducers.split(","):
            t1 = time.perf_counter()
            extra = {"device": args.device, **json.loads(args.reduce_params)} if reduce in ("ae", "vae") else {}
            red = make_reducer(reduce, random_state=seed, **extra)
            Z = V if red is None else np.asarray(red.fit_transform(V), dtype=np.float32)
            t_red = time.perf_counter() - t1
            for algo in ("kmeans", "hdbscan"):
                t2 = time.perf_counter()
                cl = make_clusterer(algo, k=20, random_state=seed).fit(Z)
                s = external_scores(y, cl.labels_)
                row = {"dataset": "20ng-stripped", "n": len(docs), "reduce": reduce, "algorithm": algo,
                       "reduce_params": extra if reduce in ("ae", "vae") else {},
                       "seed": seed, "nmi": round(s["nmi"], 4), "ari": round(s["ari"], 4), "acc": round(s["acc"], 4),
                       "noise_fraction": round(float((cl.labels_ < 0).mean()), 4),
                       "n_clusters": int(len(np.unique(cl.labels_[cl.labels_ >= 0]))),
                       "reduce_seconds": round(t_red, 1), "cluster_seconds": round(time.perf_counter() - t2, 1),
                       "reduce_epochs": getattr(red, "n_epochs_", None)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def _images_cli(options: list[str], out: Path) -> tuple[dict, float, str]:
    """Run `textcluster images OPTIONS --out OUT` in a fresh process: (its metrics.json, wall seconds, stderr)."""
    import subprocess

    cmd = [sys.executable, "-m", "textcluster.cli", "images", *options, "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-1000:]}")
    return json.loads((out / "metrics.json").read_text()), wall, proc.stderr


def run_cli_images(args) -> list[dict]:
    """`textcluster images DATA.npz --method M --k K` in a fresh process per method with the CLI defaults:
    wall seconds (reading, training, writing included) and the scores of its metrics.json."""
    import tempfile

    X, y, shape = load(args.dataset, args.limit)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / f"{args.dataset}.npz"
        np.savez(data, images=X.reshape(len(X), *shape), labels=y)  # (n, c, h, w)
        for method in args.methods.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                out = Path(tmp) / f"out-{method}-{seed}"
                m, wall, _ = _images_cli([str(data), "--label-field", "labels", "--method", method, "--k",
                                          str(len(np.unique(y))), "--seed", str(seed), "--device", args.device,
                                          "--quiet"], out)
                row = {"dataset": args.dataset, "n": int(len(X)), "method": method, "seed": seed,
                       "acc": round(m["acc"], 4), "nmi": round(m["nmi"], 4), "ari": round(m["ari"], 4),
                       "seconds": round(wall, 1), "peak_rss_mb": m.get("peak_rss_mb")}
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


TABLES = ("iris", "wine", "breast_cancer", "digits")


def run_tables(args) -> list[dict]:
    """scikit-learn's bundled tables written as CSV, read by ``read_table`` (what ``textcluster table`` does):
    KMeans on every scaling, and every method with the CLI defaults on the "auto" scaling."""
    import tempfile

    import pandas as pd
    from sklearn import datasets as skd

    from textcluster.registry import make_method
    from textcluster.tabular import read_table

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.tables.split(","):
            d = getattr(skd, f"load_{name}")()
            cols = [str(c) for c in getattr(d, "feature_names", range(d.data.shape[1]))]
            df = pd.DataFrame(d.data, columns=[f"f{c}" if c.isdigit() else c for c in cols])
            df["label"] = d.target
            path = Path(tmp) / f"{name}.csv"
            df.to_csv(path, index=False)
            k = len(np.unique(d.target))
            for scale in args.scales.split(","):
                tab = read_table(path, scale=scale)
                methods = args.methods.split(",") if scale == "auto" else ["kmeans"]
                for method in methods:
                    for seed in [int(v) for v in args.seeds.split(",")]:
                        model = make_method(method, k=k, random_state=seed, device=args.device,
                                            **json.loads(args.params).get(method, {}))
                        t0 = time.perf_counter()
                        model.fit(tab.X)
                        secs = time.perf_counter() - t0
                        sc = external_scores(tab.labels, model.labels_)
                        row = {"dataset": name, "n": len(tab.X), "scale": scale, "chosen": tab.scale,
                               "method": method, "seed": seed, "acc": round(sc["acc"], 4),
                               "nmi": round(sc["nmi"], 4), "ari": round(sc["ari"], 4), "seconds": round(secs, 2),
                               "epochs": getattr(model, "n_epochs_", None)}
                        print(json.dumps(row), flush=True)
                        rows.append(row)
                        if args.json:
                            write_json(args.json, rows, summarise(rows, ("dataset", "scale", "method")))
    return rows


def run_cli_first(args) -> list[dict]:
    """`textcluster images $TEXTCLUSTER_DATA/<dataset> --limit N` exactly as a user runs it (the first N
    images of the folder: MNIST's training images), one fresh process per method and seed."""
    import os
    import tempfile

    data = Path(os.environ.get("TEXTCLUSTER_DATA", "data")) / args.dataset
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods.split(","):
            for seed in [int(v) for v in args.seeds.split(",")]:
                out = Path(tmp) / f"out-{method}-{seed}"
                m, wall, stderr = _images_cli([str(data), "--limit", str(args.first), "--method", method,
                                               "--seed", str(seed), "--device", args.device], out)
                row = {"dataset": args.dataset, "n": m["n_docs"], "method": method, "seed": seed,
                       "acc": round(m["acc"], 4), "nmi": round(m["nmi"], 4), "ari": round(m["ari"], 4),
                       "seconds": round(wall, 1), "fit_seconds": m["seconds"]["cluster"], "epochs": m.get("epochs"),
                       "peak_rss_mb": m.get("peak_rss_mb"), "progress_lines": stderr.count(" step ")}
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def summarise(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    groups: dict = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        agg = dict(zip(keys, key))
        for m in ("acc", "nmi", "ari", "seconds", "noise_fraction"):
            vals = [r[m] for r in rs if m in r]
            if vals:
                agg[m] = round(statistics.mean(vals), 4)
                agg[m + "_sd"] = round(statistics.pstdev(vals), 4) if len(vals) > 1 else 0.0
        agg["seeds"] = len(rs)
        out.append(agg)
    return out


def write_json(path: Path, rows: list[dict], summary: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"rows": rows, "summary": summary, "argv": sys.argv}, indent=1))
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    im = sub.add_parser("images")
    im.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"])
    im.add_argument("--limit", type=int, default=0, help="random subset of this size (0 = all)")
    im.add_argument("--methods", default="kmeans,ae-kmeans,vae-kmeans,n2d,dec,idec,clustergan")
    im.add_argument("--epochs-scale", type=float, default=1.0, help="multiply the epoch settings")
    im.add_argument("--deadline", type=float, default=0, help="skip methods not started after this many s; "
                    "fits stop training at it too")
    im.add_argument("--time-limit", type=float, default=0,
                    help="end each fit's training at an epoch boundary after this many s (0 = none); "
                         "rows say which phases were cut")
    im.add_argument("--params", default="{}",
                    help='JSON per method overriding SETTINGS, e.g. {"idec": {"arch": "mlp", "pretrain_epochs": 200}}')
    im.add_argument("--log-epochs", action="store_true", help="log each epoch's loss terms with timestamps")
    cl = sub.add_parser("cli")
    cl.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist"])
    cl.add_argument("--limit", type=int, default=0, help="random subset of this size (0 = all)")
    cl.add_argument("--methods", default="kmeans,ae-kmeans,vae-kmeans,n2d,dec,idec,clustergan")
    cl.add_argument("--first", type=int, default=0, help="run `images <data>/<dataset> --limit FIRST` on the "
                    "dataset folder itself (its first images) instead of a written .npz")
    tb = sub.add_parser("tables")
    tb.add_argument("--tables", default=",".join(TABLES))
    tb.add_argument("--scales", default="auto,none,standard,robust,minmax", help="kmeans runs on each; "
                    "the other methods on 'auto'")
    tb.add_argument("--methods", default="kmeans,ae-kmeans,vae-kmeans,n2d,dec,idec,clustergan")
    tb.add_argument("--params", default="{}", help='JSON per method, e.g. {"clustergan": {"lr": 0.0001}}')
    tx = sub.add_parser("text")
    tx.add_argument("--limit", type=int, default=0)
    tx.add_argument("--reducers", default="none,ae,vae")
    tx.add_argument("--cache", type=Path, help="save/load the document vectors here (.npy)")
    tx.add_argument("--reduce-params", default="{}", help='JSON for the ae/vae reducers, e.g. {"beta": 0.1}')
    for p in (im, tx, cl, tb):
        p.add_argument("--seeds", default="0,1,2")
        p.add_argument("--device", default="auto")
        p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
        p.add_argument("--json", type=Path, help="write rows + summary here")
        p.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if getattr(args, "log_epochs", False):
        import logging
        logging.basicConfig(format="%(relativeCreated)9.0f ms %(name)s %(message)s", stream=sys.stderr)
        logging.getLogger("textcluster.nn").setLevel(logging.DEBUG)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    if args.cmd == "images":
        rows = run_images(args)
    elif args.cmd == "cli":
        rows = run_cli_first(args) if args.first else run_cli_images(args)
    elif args.cmd == "tables":
        rows = run_tables(args)
    else:
        rows = run_text(args)
    keys = {"text": ("reduce", "algorithm"), "tables": ("dataset", "scale", "method")}.get(args.cmd,
                                                                                        ("dataset", "method"))
    summary = summarise(rows, keys)
    for s in summary:
        print("SUMMARY", json.dumps(s), flush=True)
    if args.json:
        write_json(args.json, rows, summary)


if __name__ == "__main__":
    main()
