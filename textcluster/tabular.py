"""Read a CSV table into standardised numeric features (for ``textcluster table``)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import InputError

__all__ = ["Table", "read_table", "IMPUTE_METHODS"]

IMPUTE_METHODS = ("none", "mean", "median", "drop")


@dataclass
class Table:
    """Standardised features ``X`` float32 (n, d), row ``ids``, optional ``labels``, the ``columns`` used,
    and the per-column ``mean``/``std`` that were removed."""

    X: np.ndarray
    ids: list[str]
    labels: np.ndarray | None
    columns: list[str]
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))
    n_dropped: int = 0


def read_table(path: str | os.PathLike, *, label_field: str | None = None, id_field: str | None = None,
               columns: Sequence[str] | None = None, impute: str = "none", standardize: bool = True,
               sep: str | None = None) -> Table:
    """Read numeric columns of a CSV file.

    Parameters
    ----------
    path : path
        CSV (or TSV, separator sniffed) with a header row.
    label_field : str, optional
        Column holding gold labels (kept out of the features). Default: a column named "label" if present.
    id_field : str, optional
        Column holding row ids (default: "id" if present, else the row number).
    columns : sequence of str, optional
        Feature columns (default: every numeric column except the label and id columns).
    impute : "none", "mean", "median" or "drop"
        What to do with missing values: "none" refuses them with an error naming the column.
    standardize : bool
        Scale each feature to mean 0, standard deviation 1 (constant columns are only centred).

    Returns
    -------
    Table
    """
    import pandas as pd

    path = Path(path)
    if impute not in IMPUTE_METHODS:
        raise InputError(f"--impute must be one of {', '.join(IMPUTE_METHODS)}, got {impute!r}")
    if not path.exists():
        raise InputError(f"input not found: {path}")
    try:
        df = pd.read_csv(path, sep=sep, engine="python" if sep is None else "c")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse {path} as CSV: {exc}".replace("\n", " ")) from None
    if df.empty:
        raise InputError(f"{path} has no data rows")
    if label_field is not None and label_field not in df.columns:
        raise InputError(f"--label-field {label_field!r} is not a column of {path} (columns: "
                         f"{', '.join(map(str, df.columns[:20]))})")
    label_col = label_field if label_field is not None else ("label" if "label" in df.columns else None)
    id_col = id_field if id_field is not None and id_field in df.columns else ("id" if "id" in df.columns else None)
    if id_field is not None and id_field not in df.columns:
        raise InputError(f"--id-field {id_field!r} is not a column of {path}")
    skip = {c for c in (label_col, id_col) if c is not None}
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InputError(f"--columns: {', '.join(missing)} not in {path}")
        feats = list(columns)
        bad = [c for c in feats if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise InputError(f"columns {', '.join(bad)} are not numeric; choose numeric columns with --columns")
    else:
        feats = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                 and not pd.api.types.is_bool_dtype(df[c])]
    if not feats:
        raise InputError(f"{path} has no numeric feature columns")
    F = df[feats].to_numpy(dtype=np.float64)
    F[~np.isfinite(F)] = np.nan
    nan = np.isnan(F)
    n_dropped = 0
    keep = np.ones(len(df), dtype=bool)
    if nan.any():
        if impute == "none":
            cols = [str(feats[j]) for j in np.where(nan.any(0))[0]]
            raise InputError(f"{int(nan.sum())} missing values in column(s) {', '.join(cols[:10])}; "
                             "fill them or choose --impute mean|median|drop")
        if impute == "drop":
            keep = ~nan.any(1)
            n_dropped = int((~keep).sum())
            F = F[keep]
            if len(F) == 0:
                raise InputError("--impute drop removed every row (each has a missing value)")
        else:
            fill = np.nanmean(F, 0) if impute == "mean" else np.nanmedian(F, 0)
            if np.isnan(fill).any():
                cols = [str(feats[j]) for j in np.where(np.isnan(fill))[0]]
                raise InputError(f"column(s) {', '.join(cols)} have no values at all; drop them with --columns")
            F = np.where(np.isnan(F), fill, F)
    mean = F.mean(0) if standardize else np.zeros(F.shape[1])
    std = F.std(0) if standardize else np.ones(F.shape[1])
    std = np.where(std > 0, std, 1.0)
    X = ((F - mean) / std).astype(np.float32)
    sub = df[keep]
    ids = sub[id_col].astype(str).tolist() if id_col else [str(i) for i in np.where(keep)[0]]
    labels = sub[label_col].astype(str).to_numpy() if label_col else None
    if labels is not None and sub[label_col].isna().any():
        raise InputError(f"label column {label_col!r} has empty cells")
    return Table(X, ids, labels, [str(c) for c in feats], mean.astype(np.float32), std.astype(np.float32),
                 n_dropped)
