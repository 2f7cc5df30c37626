"""Read image collections into float32 arrays: MNIST-style idx (.gz) files, .npy/.npz, or a folder of images.

Every reader returns :class:`ImageSet`: ``X`` float32 (n, c, h, w) scaled to [0, 1] for 8-bit data, ``ids``
(list of str) and ``labels`` (array or None).
"""
from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["ImageSet", "read_idx", "read_images", "read_labels_file", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class ImageSet:
    """Images ``X`` float32 (n, c, h, w), item ``ids`` and optional ``labels`` (n,)."""

    X: np.ndarray
    ids: list[str]
    labels: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.X.shape[1:])

    def flat(self) -> np.ndarray:
        """(n, c*h*w) view for estimators that take feature rows."""
        return self.X.reshape(len(self.X), -1)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one idx file (optionally gzip-compressed): big-endian magic, dimension sizes, then data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4)
            if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise InputError(f"{path} is not an idx file (bad magic number {head.hex()})")
            ndim = head[3]
            dims = struct.unpack(f">{ndim}I", fh.read(4 * ndim))
            dtype = np.dtype(_IDX_TYPES[head[2]])
            data = np.frombuffer(fh.read(), dtype=dtype)
    except (OSError, EOFError, struct.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError(f"file not found: {path}") from None
        raise InputError(f"cannot read idx file {path}: {exc}") from None
    if data.size != int(np.prod(dims)):
        raise InputError(f"{path}: header says {dims} but holds {data.size} values (truncated file?)")
    return data.reshape(dims)


def _to_float(a: np.ndarray, source) -> np.ndarray:
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if not np.issubdtype(a.dtype, np.number):
        raise InputError(f"{source}: images must be numeric, got dtype {a.dtype}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise InputError(f"{source}: images contain NaN or infinite values")
    return a


def _as_nchw(a: np.ndarray, source) -> np.ndarray:
    if a.ndim == 2:  # (n, d): flat rows; keep as (n, 1, 1, d)? Use (n, 1, h, w) when d is a square
        side = int(round(np.sqrt(a.shape[1])))
        return a.reshape(len(a), 1, side, side) if side * side == a.shape[1] else a.reshape(len(a), 1, 1, -1)
    if a.ndim == 3:
        return a[:, None]
    if a.ndim == 4:
        return a if a.shape[1] <= 4 or a.shape[-1] > 4 else a.transpose(0, 3, 1, 2)  # NHWC -> NCHW
    raise InputError(f"{source}: expected images of shape (n, h, w) or (n, c, h, w), got {a.shape}")


def _idx_labels_beside(path: Path) -> Path | None:
    """MNIST naming: train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz."""
    name = path.name.replace("images-idx3", "labels-idx1")
    cand = path.with_name(name)
    return cand if name != path.name and cand.exists() else None


def read_labels_file(path: str | os.PathLike, n: int | None = None) -> np.ndarray:
    """Labels from an idx file, a .npy array, or a text file with one label per line."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"--labels file not found: {path}")
    if ".idx" in path.name or "idx1" in path.name:
        labels = read_idx(path)
    elif path.suffix == ".npy":
        labels = np.load(path, allow_pickle=False)
    else:
        with open(path, encoding="utf-8") as fh:
            labels = np.array([line.strip() for line in fh if line.strip()])
    labels = np.asarray(labels).reshape(-1)
    if n is not None and len(labels) != n:
        raise InputError(f"--labels {path} has {len(labels)} labels for {n} images")
    return labels


def read_images(path: str | os.PathLike, *, labels: str | os.PathLike | None = None,
                label_field: str | None = None, limit: int | None = None) -> ImageSet:
    """Read an image collection.

    Parameters
    ----------
    path : path
        - a directory holding MNIST-style idx files (``*-images-idx3-ubyte[.gz]``; all image files are
          concatenated in sorted order, train before t10k, with their label files when present);
        - one idx file (labels read from the matching ``*-labels-idx1-ubyte`` file beside it);
        - ``.npy`` (an array of images) or ``.npz`` (array ``label_field`` or ``"X"``/``"x"``/first array
          for images; ``"y"``/``"labels"`` for labels);
        - a folder of PNG/JPEG/... files (read with Pillow; labels = sub-folder names when files sit in
          sub-folders); all images must have the same size.
    labels : path, optional
        Labels file (idx, .npy or one label per line) overriding any found automatically.
    label_field : str, optional
        For ``.npz``: the array holding labels.
    limit : int, optional
        Read only the first ``limit`` items.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_dir():
        idx_files = sorted(p for p in path.iterdir() if "images-idx3" in p.name)
        if idx_files:
            idx_files.sort(key=lambda p: (not p.name.startswith("train"), p.name))
            parts = [_read_idx_set(p) for p in idx_files]
            X = np.concatenate([p.X for p in parts])
            ids = [i for p in parts for i in p.ids]
            y = np.concatenate([p.labels for p in parts]) if all(p.labels is not None for p in parts) else None
            out = ImageSet(X, ids, y)
        else:
            out = _read_folder(path)
    elif "idx" in path.name:
        out = _read_idx_set(path)
    elif path.suffix == ".npy":
        a = np.load(path, allow_pickle=False)
        out = ImageSet(_as_nchw(_to_float(a, path), path), [str(i) for i in range(len(a))])
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.keys())
            xk = next((k for k in ("X", "x", "images", "data") if k in keys), keys[0])
            yk = label_field or next((k for k in ("y", "labels", "label", "target") if k in keys), None)
            if label_field and label_field not in keys:
                raise InputError(f"--label-field {label_field!r} is not an array in {path} (has {keys})")
            a = z[xk]
            out = ImageSet(_as_nchw(_to_float(a, path), path), [str(i) for i in range(len(a))],
                           np.asarray(z[yk]).reshape(-1) if yk is not None else None)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"{path} is a single image; pass the folder that holds the images")
    else:
        raise InputError(f"unsupported image input {path}: use idx(.gz) files, .npy/.npz or a folder of images")
    if labels is not None:
        out.labels = read_labels_file(labels, len(out.X))
    if limit is not None:
        out = ImageSet(out.X[:limit], out.ids[:limit], None if out.labels is None else out.labels[:limit])
    if len(out.X) == 0:
        raise InputError(f"no images found in {path}")
    return out


def _read_idx_set(path: Path) -> ImageSet:
    a = read_idx(path)
    X = _as_nchw(_to_float(a, path), path)
    lab = _idx_labels_beside(path)
    y = read_idx(lab) if lab is not None else None
    if y is not None and len(y) != len(X):
        raise InputError(f"{lab} has {len(y)} labels for {len(X)} images in {path}")
    stem = path.name.split("-")[0]
    return ImageSet(X, [f"{stem}/{i}" for i in range(len(X))], y)


def _read_folder(path: Path) -> ImageSet:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a core dependency
        raise InputError("reading image folders needs Pillow: pip install pillow") from None
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {path}")
    arrays, ids, labels = [], [], []
    size = None
    for f in files:
        try:
            with Image.open(f) as im:
                im = im.convert("L") if im.mode in ("1", "L", "P", "I;16", "I", "F") else im.convert("RGB")
                a = np.asarray(im)
        except OSError as exc:
            raise InputError(f"cannot read image {f}: {exc}") from None
        if size is None:
            size = a.shape
        elif a.shape != size:
            raise InputError(f"images differ in size: {files[0].name} is {size}, {f.name} is {a.shape}; "
                             "resize them to one size first")
        arrays.append(a)
        rel = f.relative_to(path)
        ids.append(str(rel))
        labels.append(rel.parts[0] if len(rel.parts) > 1 else None)
    a = np.stack(arrays)
    X = _as_nchw(_to_float(a, path), path) if a.ndim == 3 else _to_float(a, path).transpose(0, 3, 1, 2)
    y = np.array(labels) if all(lab is not None for lab in labels) else None
    return ImageSet(X, ids, y)
