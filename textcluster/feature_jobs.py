"""The jobs of the images and table commands: read the features, fit the chosen method (the torch
encoder core or KMeans), write assignments, metrics and the model atomically."""
from __future__ import annotations

import time
from typing import Optional, Sequence

import numpy as np

from .errors import InputError
from .jobs import default_k

__all__ = ["run_features", "run_images", "run_table"]


def run_features(X, ids, labels_true, *, input, out="results", kind: str, method: str, k: Optional[int] = None,
                 seed: int = 0, device: str = "auto", input_shape=None, epochs: Optional[int] = None,
                 pretrain_epochs: Optional[int] = None, batch_size: Optional[int] = None, checkpoint_dir=None,
                 checkpoint_every: int = 10, resume: bool = False, arch: str = "auto",
                 max_seconds: Optional[float] = None, verbose: bool = False, progress_every: Optional[float] = None,
                 extra: Optional[dict] = None, t0: Optional[float] = None, t_read: Optional[float] = None):
    """Cluster feature rows ``X`` (n, d) with the images/tables ``method``; write assignments.csv,
    metrics.json and model/ to ``out``. Returns ``(model, metrics)``; ``metrics["k_from"]`` says where k came
    from. ``progress_every``: a plain progress line every that many seconds of training (for pipes and logs)."""
    from .atomic import atomic_dir
    from .nn.training import progress_lines, time_limit
    from .registry import make_method
    from .report import clustering_metrics, peak_rss_mb, write_results

    t0 = time.perf_counter() if t0 is None else t0
    t_read = t0 if t_read is None else t_read
    k_why = "--k"
    if k is None:
        k, k_why = default_k(labels_true)
    if k < 1 or k > len(X):
        raise InputError(f"--k must be between 1 and the number of items ({len(X)}), got {k}")
    model = make_method(method, k=k, random_state=seed, device=device, input_shape=input_shape, verbose=verbose,
                        max_epochs=epochs, pretrain_epochs=pretrain_epochs, batch_size=batch_size,
                        arch=None if arch == "auto" else arch,
                        **({} if method == "kmeans" else {"checkpoint_dir": str(checkpoint_dir) if checkpoint_dir
                                                           else None, "checkpoint_every": checkpoint_every,
                                                           "resume": resume}))
    labels_list = None if labels_true is None else [str(v) for v in labels_true]
    with atomic_dir(out, inputs=[input]) as tmp:
        t_fit = time.perf_counter()
        with progress_lines(progress_every), time_limit(max_seconds) as cut:
            model.fit(X)
        t_done = time.perf_counter()
        labels = np.asarray(model.labels_)
        # the fitted items' coordinates where the model keeps them (shift-umap: transform compares every pair again)
        emb = X if method == "kmeans" else np.asarray(model.embedding_ if hasattr(model, "embedding_")
                                                      else model.transform(X))
        metrics = clustering_metrics(emb, labels, labels_list, random_state=seed)
        metrics["seconds"] = {"read": round(t_read - t0, 3), "cluster": round(t_done - t_fit, 3)}
        metrics["epochs"] = getattr(model, "n_epochs_", None)
        metrics["k_from"] = k_why
        if cut:
            metrics["stopped_by_max_seconds"] = [{"phase": p, "epochs": e} for p, e in cut]
        metrics["config"] = {"input": str(input), "kind": kind, "method": method, "k": int(k), "seed": seed,
                             "device": str(getattr(model, "device_", "cpu")), "n_features": int(X.shape[1]),
                             **(extra or {})}
        if hasattr(model, "save"):  # the torch models: their own folder (config.json + weights.safetensors)
            model.save(tmp / "model")
        else:  # kmeans: the text models' format (config.json + .npy), read back by persistence.load_model
            from .persistence import save_model
            save_model(model, tmp / "model")
        metrics["seconds"]["total"] = round(time.perf_counter() - t0, 3)
        metrics["peak_rss_mb"] = peak_rss_mb()
        write_results(tmp, ids=ids, labels=labels, labels_true=labels_list, topics=None, metrics=metrics)
    return model, metrics


def run_images(input, out="results", *, labels=None, label_field: Optional[str] = None,
               limit: Optional[int] = None, **options):
    """``textcluster images``: read images (idx, .npy/.npz, a folder of PNG/JPEG) and :func:`run_features`."""
    from .images import read_images

    t0 = time.perf_counter()
    ds = read_images(input, labels=labels, label_field=label_field, limit=limit)
    extra = {"image_shape": list(ds.shape)}
    if options.get("method", "auto") == "auto":
        options["method"], extra["method_reason"] = auto_image_method(len(ds.X), ds.shape)
        extra["method_requested"] = "auto"
    return run_features(ds.flat(), ds.ids, ds.labels, input=input, out=out, kind="images", input_shape=ds.shape,
                        t0=t0, t_read=time.perf_counter(), extra=extra, **options)


def auto_image_method(n: int, shape) -> tuple[str, str]:
    """``textcluster images --method auto``: (method, why) for ``n`` images of ``shape`` (c, h, w).

    shift-umap for up to ``MAX_ITEMS`` images of 16 x 16 pixels or more: there N2D's convolutional autoencoder
    gets too few steps on a CPU budget (3,000 MNIST images: ACC 0.675 in 150 s against 0.806 in 12 s); N2D
    for smaller images, whose MLP autoencoder trains fully in seconds (digits 8 x 8: 0.905 against 0.888), and
    for more images (every pair compared under shifts grows with n^2)."""
    from .shift_umap import MAX_ITEMS

    side = min(int(shape[-2]), int(shape[-1]))
    if n > MAX_ITEMS:
        return "n2d", (f"{n:,} images (> {MAX_ITEMS:,}): enough to train N2D's autoencoder, and comparing every "
                       "pair under shifts would grow with n^2")
    if side < 16:
        return "n2d", (f"images of {shape[-2]}x{shape[-1]} pixels: N2D's small MLP autoencoder trains fully in "
                       "seconds")
    return "shift-umap", (f"{n:,} images (<= {MAX_ITEMS:,}) of {shape[-2]}x{shape[-1]} pixels: too few to train "
                          "a convolutional autoencoder well on a CPU budget; UMAP of shift-tolerant neighbours "
                          "needs no training")


def run_table(input, out="results", *, label_field: Optional[str] = None, id_field: Optional[str] = None,
              columns: Optional[Sequence[str]] = None, impute: str = "none", scale: str = "auto", **options):
    """``textcluster table``: read a CSV/TSV table (numeric columns scaled, few-valued text columns one-hot)
    and :func:`run_features`."""
    from .tabular import read_table

    t0 = time.perf_counter()
    tab = read_table(input, label_field=label_field, id_field=id_field, impute=impute, scale=scale,
                     columns=list(columns) if columns else None)
    return run_features(tab.X, tab.ids, tab.labels, input=input, out=out, kind="table", input_shape=None,
                        t0=t0, t_read=time.perf_counter(),
                        extra={"columns": tab.columns, "impute": impute, "rows_dropped": tab.n_dropped,
                               "scale": tab.scale, "scale_requested": scale, "scale_reason": tab.scale_reason,
                               "categorical": tab.categorical, "skipped_columns": tab.skipped}, **options)
