"""Topics and model selection on stripped 20 Newsgroups (all 18,846 documents, seed 0).

Part ``fit``: for word2vec + KMeans (k = 20), TF-IDF/LSA + KMeans (k = 20) and word2vec + HDBSCAN:
external scores, NPMI coherence of the top-10 c-TF-IDF terms with words only / collocation bigrams ("auto") /
all frequent bigrams, each cluster's label beside its majority newsgroup, and the save -> load -> predict
round trip (agreement of re-predicted labels with the fitted ones, model size, seconds).
Part ``compare``: ``compare_pipelines`` on a 2 x 1 x 2 grid with k in 10, 20, 40.
Part ``bigrams``: NPMI with and without bigrams for the newsgroups themselves and TF-IDF/LSA + KMeans.

Usage (timed: take the shared lock)::

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part fit --out /tmp/topics_fit.json
    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part compare --out /tmp/topics_compare.json
    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part bigrams --out /tmp/topics_bigrams.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import newsgroups_path  # noqa: E402
from textcluster import TextClusterer, read_corpus  # noqa: E402
from textcluster.metrics import external_scores  # noqa: E402
from textcluster.topics import extract_topics, npmi_coherence  # noqa: E402

CONFIGS = {
    "word2vec + kmeans": dict(k=20),
    "tfidf-lsa + kmeans": dict(k=20, embedding="tfidf-lsa"),
    "word2vec + hdbscan": dict(algorithm="hdbscan"),
}


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.iterdir()) / 2**20, 2)


def part_fit(docs, labels) -> dict:
    out = {}
    for name, params in CONFIGS.items():
        t0 = time.perf_counter()
        m = TextClusterer(random_state=0, topic_bigrams=False, **params).fit(docs)
        res = {"fit_s": round(time.perf_counter() - t0, 1), "n_clusters": m.n_clusters_,
               "noise_fraction": round(m.noise_fraction_, 4)}
        res.update({k: round(v, 4) for k, v in external_scores(labels, m.labels_).items() if k in ("nmi", "ari", "acc")})
        for mode in (False, "auto", True):
            t = time.perf_counter()
            topics = extract_topics(m.tokens_, m.labels_, m.embedding_, top_n=10, bigrams=mode)
            secs = time.perf_counter() - t
            real = [tp for tp in topics if tp.cluster >= 0]
            per = npmi_coherence(m.tokens_, [[w for w, _ in tp.words] for tp in real])
            vals = [v for v in per if v is not None]
            n_bi = sum(" " in w for tp in real for w, _ in tp.words)
            res[f"npmi_bigrams_{mode}"] = round(float(np.mean(vals)), 4)
            res[f"topics_s_bigrams_{mode}"] = round(secs, 2)
            res[f"bigram_terms_{mode}"] = n_bi
            if mode == "auto":
                lab = np.asarray(labels)
                res["topics"] = [{"cluster": tp.cluster, "size": tp.size, "label": tp.label,
                                  "words": [w for w, _ in tp.words[:6]],
                                  "majority": Counter(lab[m.labels_ == tp.cluster]).most_common(1)[0][0],
                                  "npmi": round(v, 3) if v is not None else None}
                                 for tp, v in zip(real, per)][:25]
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            m.save(Path(tmp) / "m")
            res["save_s"] = round(time.perf_counter() - t, 2)
            res["model_mb"] = dir_mb(Path(tmp) / "m")
            t = time.perf_counter()
            loaded = TextClusterer.load(Path(tmp) / "m")
            res["load_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            pred = loaded.predict(docs)
            res["predict_s"] = round(time.perf_counter() - t, 1)
        res["predict_agreement"] = round(float((pred == m.labels_).mean()), 6)
        res["predict_disagreements"] = int((pred != m.labels_).sum())
        out[name] = res
        print(name, json.dumps({k: v for k, v in res.items() if k != "topics"}), flush=True)
    return out


def part_compare(docs) -> dict:
    from textcluster.compare import compare_pipelines

    t = time.perf_counter()
    c = compare_pipelines(docs, embeddings=["word2vec", "tfidf-lsa"], reducers=["none"],
                          algorithms=["kmeans", "hdbscan"], ks=[10, 20, 40], random_state=0)
    res = c.to_dict()
    res["wall_s"] = round(time.perf_counter() - t, 1)
    print(c.table.drop(columns=["error"]).round(3).to_string(), flush=True)
    return res


def part_bigrams(docs, labels) -> dict:
    """NPMI of the top-10 terms with words only / collocations / all bigrams, for the 20 newsgroups themselves
    and for TF-IDF/LSA + KMeans (k = 20) clusters."""
    from textcluster.cluster import make_clusterer
    from textcluster.embed import make_embedder
    from textcluster.tokenize import SpacyTokenizer

    tokens = SpacyTokenizer(n_process=-1).fit().transform([d.text for d in docs])
    X = make_embedder("tfidf-lsa", random_state=0).fit_transform(tokens)
    groupings = {"newsgroups": np.unique(labels, return_inverse=True)[1],
                 "tfidf-lsa + kmeans": make_clusterer("kmeans", k=20, random_state=0).fit(X).labels_}
    out = {}
    for name, lab in groupings.items():
        for mode in (False, "auto", True):
            t = time.perf_counter()
            topics = extract_topics(tokens, lab, X, top_n=10, bigrams=mode)
            secs = time.perf_counter() - t
            vals = [v for v in npmi_coherence(tokens, [[w for w, _ in tp.words] for tp in topics]) if v is not None]
            out[f"{name} | bigrams={mode}"] = {
                "npmi": round(float(np.mean(vals)), 4), "topics_s": round(secs, 2),
                "bigram_terms": sum(" " in w for tp in topics for w, _ in tp.words),
                "examples": sorted({w for tp in topics for w, _ in tp.words if " " in w})[:15]}
            print(name, mode, json.dumps(out[f"{name} | bigrams={mode}"]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["fit", "compare", "bigrams"], default="fit")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    docs = list(read_corpus(newsgroups_path(stripped=True)))
    labels = [d.label for d in docs]
    res = part_fit(docs, labels) if args.part == "fit" else part_compare(docs) if args.part == "compare" \
        else part_bigrams(docs, labels)
    args.out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
