import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
name = sys.argv[1]
texts, y, lang = load(name); k = len(set(y))
M = np.load(f"{CACHE}/{name}.m2v256.npy"); W = np.load(f"{CACHE}/{name}.m2v256-words-sif.npy")
L = np.load(f"{CACHE}/{name}.tfidf-lsa.npy"); V = np.load(f"{CACHE}/{name}.w2v-sif.npy")
print("m2v norms", np.linalg.norm(M, axis=1)[:5])
for tag, X in [("m2v unit", unit(M)), ("m2v unit, pc1 removed", None), ("m2v+lsa w=2:1", concat(M, L, weights=[2, 1])),
               ("m2v+w2v+lsa w=2:1:1", concat(M, V, L, weights=[2, 1, 1])), ("m2v+words-sif", concat(M, W)),
               ("m2v+words+lsa", concat(M, W, L))]:
    if X is None:
        from sklearn.decomposition import TruncatedSVD
        U = unit(M); pc = TruncatedSVD(1, random_state=0).fit(U).components_[0]; X = unit(U - np.outer(U @ pc, pc))
    for ni in (10,):
        lab, _ = kmeans(X, k, 0, n_init=ni)
        record(name, f"probe: {tag}", **score(y, lab))
