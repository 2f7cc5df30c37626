import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
import textcluster
for name in sys.argv[1:]:
    texts, y, lang = load(name); k = len(set(y)); toks, _ = tokens(name, texts, lang)
    L = np.load(f"{CACHE}/{name}.tfidf-lsa.npy")
    V, tv = vec_cache(name, "w2v-sif-win10", lambda: textcluster.make_embedder("word2vec", pooling="sif", window=10, random_state=0).fit_transform(toks))
    for tag, X in [("word2vec window=10 sif", V), ("word2vec window=10 + tfidf-lsa", concat(V, L))]:
        lab, _ = kmeans(X, k, 0); record(name, f"probe: {tag}", **score(y, lab), embed_s=(round(tv, 1) if tv else None))
