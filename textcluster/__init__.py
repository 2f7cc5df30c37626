"""textcluster: group documents by topic with learned embeddings, and images/tables with deep clustering."""
import logging

from .cache import TokenCache
from .cache_build import build_token_cache
from .cluster import HDBSCANClusterer, KMeansClusterer, MiniBatchKMeansClusterer
from .corpus import Corpus, Document, read_corpus
from .cooccurrence import CooccurrenceCounter
from .embed import (DeepWalkEmbedder, DocumentEmbedder, GloVeEmbedder, PpmiSvdEmbedder, PretrainedEmbedder,
                    TfidfLsaEmbedder, Word2VecEmbedder, load_vectors, nearest_words, save_vectors)
from . import registry
from .registry import make_clusterer, make_embedder, make_method, make_reducer
from .errors import InputError, NotFittedError, TextclusterWarning
from .metrics import cluster_accuracy, external_scores, silhouette
from .compare import Comparison, compare_pipelines
from .pipeline import TextClusterer, TopicGroup, group_topics
from .tokenize import SpacyTokenizer
from .nn import DEC, IDEC, VAE, AutoEncoder, ClusterGAN, load_model as load_nn_model
from .encoder_kmeans import AutoEncoderKMeans
from .datasets import load_digits, load_fashion_mnist, load_mnist
from .images import ImageSet, read_images
from .tabular import Table, read_table
from .topics import Topic, TopicHierarchy, ctfidf_words, extract_topics, representative_documents, topic_coherence
from .viz import MapProjector, map_figure, plot_word_neighbourhood, write_maps

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Corpus", "Document", "read_corpus",
    "SpacyTokenizer",
    "Word2VecEmbedder", "DocumentEmbedder", "TfidfLsaEmbedder", "make_embedder",
    "GloVeEmbedder", "DeepWalkEmbedder", "PpmiSvdEmbedder", "PretrainedEmbedder", "CooccurrenceCounter",
    "load_vectors", "save_vectors", "nearest_words",
    "KMeansClusterer", "HDBSCANClusterer", "MiniBatchKMeansClusterer", "make_clusterer",
    "TokenCache", "build_token_cache",
    "Topic", "ctfidf_words", "representative_documents", "extract_topics", "TopicHierarchy", "topic_coherence",
    "compare_pipelines", "Comparison",
    "cluster_accuracy", "external_scores", "silhouette",
    "TextClusterer", "TopicGroup", "group_topics",
    "MapProjector", "map_figure", "plot_word_neighbourhood", "write_maps",
    "InputError", "NotFittedError", "TextclusterWarning", "registry", "make_reducer", "make_method",
    "AutoEncoder", "VAE", "AutoEncoderKMeans", "DEC", "IDEC", "ClusterGAN", "load_nn_model",
    "load_digits", "load_mnist", "load_fashion_mnist", "ImageSet", "read_images", "Table", "read_table",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
