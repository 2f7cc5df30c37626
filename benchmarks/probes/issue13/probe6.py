import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
for name in sys.argv[1:]:
    texts, y, lang = load(name); k = len(set(y))
    B = {b: np.load(f"{CACHE}/{name}.{b}.npy") for b in ("m2v256", "w2v-sif-win10", "tfidf-lsa")}
    for combo in (("m2v256", "w2v-sif-win10"), ("m2v256", "w2v-sif-win10", "tfidf-lsa")):
        lab, _ = kmeans(concat(*[B[c] for c in combo]), k, 0); record(name, "probe: " + "+".join(combo), **score(y, lab))
