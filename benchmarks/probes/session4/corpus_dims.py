import os
import gzip, json, sys, time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from textcluster import registry
from textcluster.pipeline import TextClusterer
from textcluster.metrics import external_scores
D = os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + ""
CORPORA = {"20ng": f"{D}/20newsgroups/20newsgroups-stripped.jsonl.gz", "r8": f"{D}/reuters_r8/reuters_r8.jsonl.gz",
           "gn": f"{D}/googlenews_ts/googlenews_ts.jsonl.gz"}
for name in sys.argv[1:]:
    rows = [json.loads(l) for l in gzip.open(CORPORA[name], "rt")]
    texts, y = [r["text"] for r in rows], [str(r["label"]) for r in rows]
    k = len(set(y))
    for vs, lsa in ((100, 100), (200, 100), (100, 200), (200, 200)):
        e = registry.make_embedder("ppmi+tfidf-lsa")
        e.set_params(**{"ppmi__word_embedder__vector_size": vs, "tfidf-lsa__n_components": lsa})
        t = time.time()
        m = TextClusterer(k=k, embedder=e, n_process=2, random_state=0).fit(texts)
        print(f"{name} ppmi {vs} lsa {lsa}: NMI {external_scores(y, m.labels_)['nmi']:.3f} {time.time()-t:.1f}s", flush=True)
