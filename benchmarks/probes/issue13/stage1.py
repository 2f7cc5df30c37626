import sys, time, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
import textcluster
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import Normalizer
from sklearn.pipeline import make_pipeline

order = sys.argv[1:] or ["topics-en", "topics-de", "tweet", "r8", "googlenews", "20ng"]
for name in order:
    texts, y, lang = load(name)
    k = len(set(y))
    toks, tt = tokens(name, texts, lang)
    if tt is not None:
        record(name, "_tokenize", seconds=round(tt, 1), n=len(texts), k=k)
    # peer TF-IDF recipe on raw texts
    t = time.time()
    sw = "english" if lang == "en" else None
    n = len(texts)
    try:
        T = TfidfVectorizer(max_df=0.5, min_df=5, stop_words=sw, sublinear_tf=True).fit_transform(texts)
        Z = make_pipeline(TruncatedSVD(min(100, T.shape[1] - 1), random_state=0), Normalizer()).fit_transform(T)
        lab = KMeans(k, n_init=10, random_state=0).fit_predict(Z)
        record(name, "peer:tfidf-recipe", **score(y, lab), seconds=round(time.time() - t, 1))
    except Exception as e:
        record(name, "peer:tfidf-recipe", error=repr(e))
    w2v, tw = vec_cache(name, "w2v-sif", lambda: textcluster.make_embedder("word2vec", pooling="sif", random_state=0).fit_transform(toks))
    lsa, tl = vec_cache(name, "tfidf-lsa", lambda: textcluster.make_embedder("tfidf-lsa", random_state=0).fit_transform(toks))
    for key, X, te in [("word2vec+sif (default)", w2v, tw), ("tfidf-lsa", lsa, tl), ("word2vec+tfidf-lsa", concat(w2v, lsa), None)]:
        t = time.time(); lab, _ = kmeans(X, k, 0)
        record(name, key, **score(y, lab), embed_s=(round(te, 1) if te else None), kmeans_s=round(time.time() - t, 1))
