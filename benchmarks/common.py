"""Helpers shared by the benchmark scripts: data location, running the CLI, summarising, docs sections."""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"


#: the start of a peer script run in a fresh process: starts the clock ``t0`` and reads ``texts`` and
#: ``labels`` from the JSONL(.gz) file ``{path}`` (``text`` / ``label`` fields); format with ``path``
READ_JSONL = """
import gzip, json, resource, time
t0 = time.perf_counter()
path = {path!r}
opener = gzip.open if path.endswith(".gz") else open
docs = [json.loads(l) for l in opener(path, "rt", encoding="utf-8") if l.strip()]
texts, labels = [d["text"] for d in docs], [str(d["label"]) for d in docs]
"""

#: the scikit-learn recipe as BENCHMARKS.md fixes it, run in a fresh process (``run_python``) on a JSONL(.gz)
#: file with ``text`` / ``label`` fields: format with ``path``, ``seed`` and ``k``. Prints external scores,
#: n_clusters, noise_fraction, peak_rss_mb and seconds (``{"total": ...}``).
RECIPE = """
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from textcluster.metrics import external_scores
""" + READ_JSONL + """
X = TfidfVectorizer(max_df=0.5, min_df=5, stop_words="english", sublinear_tf=True).fit_transform(texts)
Z = make_pipeline(TruncatedSVD(min(100, X.shape[1] - 1), random_state={seed}),
                  Normalizer(copy=False)).fit_transform(X)
pred = KMeans({k}, n_init=10, random_state={seed}).fit_predict(Z)
m = external_scores(labels, pred)
m.update(n_clusters={k}, noise_fraction=0.0,
         peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
         seconds={{"total": time.perf_counter() - t0}})
print(json.dumps(m))
"""


def data_dir() -> Path:
    """$TEXTCLUSTER_DATA, else ../shared/data beside the checkout."""
    d = Path(os.environ.get("TEXTCLUSTER_DATA") or ROOT.parent / "shared" / "data")
    if not d.is_dir():
        sys.exit(f"data directory not found: {d} (set TEXTCLUSTER_DATA)")
    return d


def newsgroups_path(stripped: bool = True) -> Path:
    name = "20newsgroups-stripped.jsonl.gz" if stripped else "20newsgroups.jsonl.gz"
    return data_dir() / "20newsgroups" / name


def run_cli(args: list[str], *, timeout: float = 1800, no_map: bool = False) -> dict:
    """Run ``textcluster cluster ...`` in a fresh process, as a user would (map and model included unless
    ``no_map``); returns its metrics.json plus measured wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "textcluster.cli", "cluster", *map(str, args), "--out", str(out), "--quiet"]
        if no_map:
            cmd.append("--no-map")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
        metrics = json.loads((out / "metrics.json").read_text())
    metrics["wall_s"] = round(wall, 2)
    return metrics


def run_python(code: str, *, timeout: float = 3600) -> dict:
    """Run a Python snippet in a fresh process that prints one JSON object on its last stdout line."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(wall, 2)
    return result


def mean_sd(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def update_section(name: str, body: str, *, path: Path = DOCS) -> None:
    """Replace the text between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in docs/benchmarks.md."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def machine_line() -> str:
    import platform

    return f"{platform.node() or 'host'}: {os.cpu_count()} cores, Python {platform.python_version()}"
