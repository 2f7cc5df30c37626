import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
import textcluster
name = sys.argv[1]; dims = [int(d) for d in sys.argv[2].split(",")]
texts, y, lang = load(name); k = len(set(y)); toks, _ = tokens(name, texts, lang)
V = np.load(f"{CACHE}/{name}.w2v-sif.npy")
M = np.load(f"{CACHE}/{name}.m2v256.npy") if os.path.exists(f"{CACHE}/{name}.m2v256.npy") else None
for d in dims:
    L, _ = vec_cache(name, f"tfidf-lsa{d}", lambda: textcluster.make_embedder("tfidf-lsa", n_components=d, random_state=0).fit_transform(toks))
    for tag, X in [(f"tfidf-lsa n_components={d}", L), (f"w2v+tfidf-lsa{d}", concat(V, L))] + ([(f"m2v+w2v+tfidf-lsa{d}", concat(M, V, L))] if M is not None else []):
        lab, _ = kmeans(X, k, 0); record(name, f"probe: {tag}", **score(y, lab))
