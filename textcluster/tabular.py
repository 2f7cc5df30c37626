"""Read a CSV table into scaled numeric features (for ``textcluster table``).

Numeric columns are the features; text columns with few distinct values are one-hot encoded beside them
(0/1 columns, never rescaled); the numeric part is scaled by one of :data:`SCALE_METHODS`, "auto" choosing
from the data with :func:`choose_scale`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import InputError

__all__ = ["Table", "read_table", "choose_scale", "scale_columns", "IMPUTE_METHODS", "SCALE_METHODS"]

logger = logging.getLogger(__name__)

IMPUTE_METHODS = ("none", "mean", "median", "drop")
#: ``scale`` values: per-column z-scores, (x - median) / IQR, per-column [0, 1], untouched, or chosen from the data.
SCALE_METHODS = ("auto", "standard", "robust", "minmax", "none")
#: a text column is one-hot encoded when it has at most this many distinct values (and fewer than the rows).
MAX_CATEGORIES = 20
#: "auto": columns share one scale when the widest spread is at most this many times the median spread.
SHARED_SCALE_RATIO = 10.0
#: "auto": a column is heavy-tailed when more than this fraction of its values lie beyond Tukey's far-out fences.
FAR_OUT_FRACTION = 0.01


@dataclass
class Table:
    """Scaled features ``X`` float32 (n, d), row ``ids``, optional ``labels``, the ``columns`` of X (numeric
    columns, then ``name=value`` one-hot columns), and how the numeric columns were scaled: ``X = (F - mean)
    / std`` per numeric column (``mean``/``std`` hold the centre and the divisor whatever the method)."""

    X: np.ndarray
    ids: list[str]
    labels: np.ndarray | None
    columns: list[str]
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))
    n_dropped: int = 0
    scale: str = "standard"
    scale_reason: str = ""
    categorical: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _spreads(F: np.ndarray) -> np.ndarray:
    return F.max(0) - F.min(0)


def choose_scale(F: np.ndarray) -> tuple[str, str]:
    """Pick a scaling for numeric columns ``F`` (n, d) from the data alone; returns ``(method, reason)``.

    KMeans and the deep models measure distances, so what matters is how much each column can move them:

    1. **Shared scale -> "none".** When no column's spread (max - min) exceeds the median spread (taken on a
       log scale) by more than :data:`SHARED_SCALE_RATIO` (one order of magnitude), the columns are read as
       measurements in one
       unit (pixel intensities, lengths in cm): their relative spreads carry information (a near-blank border
       pixel should count little), so they are left as they are. Per-column scaling would inflate near-constant
       columns to the weight of the informative ones. (Only columns that would *dominate* distances count
       against a shared scale: a column much narrower than the rest is kept and weighs little.)
    2. **Heterogeneous units, heavy tails -> "minmax".** Otherwise columns must be put on one footing. When
       at least a quarter of the columns have more than :data:`FAR_OUT_FRACTION` of their values beyond
       Tukey's far-out fences (Q1 - 3 IQR, Q3 + 3 IQR; a normal column has about 2 in a million there), each
       column is mapped to [0, 1], which bounds what any one column adds to a squared distance by 1. Z-scores
       or "robust" (median/IQR) scaling leave far-out values 3 or more units out, so in squared distances a
       few extreme rows of the heavy-tailed columns outweigh the rest ("robust" is meant for estimating
       centres, not for distance-based clustering; it stays available with ``scale="robust"``).
    3. **Otherwise -> "standard"** (z-scores per column).
    """
    spread = _spreads(F)
    live = spread > 0
    if not live.any():
        return "none", "every column is constant"
    s = spread[live]
    typical = float(np.exp(np.median(np.log(s))))  # median on a log scale: with 2 columns, their geometric mean
    ratio = float(s.max() / typical)
    if ratio <= SHARED_SCALE_RATIO:
        return "none", (f"columns share one scale (widest spread {ratio:.1f}x the median, <= "
                        f"{SHARED_SCALE_RATIO:g}x): left unscaled")
    G = F[:, live]
    q1, q3 = np.percentile(G, [25, 75], axis=0)
    iqr = q3 - q1
    ok = iqr > 0
    far = ((G < q1 - 3 * iqr) | (G > q3 + 3 * iqr)).mean(0)
    heavy = int(((far > FAR_OUT_FRACTION) & ok).sum())
    if ok.any() and heavy >= max(1, 0.25 * int(ok.sum())):
        return "minmax", (f"spreads differ {ratio:.0f}x and {heavy} of {int(ok.sum())} columns have more than "
                          f"{FAR_OUT_FRACTION:.0%} far-out values: each column to [0, 1]")
    return "standard", (f"spreads differ {ratio:.0f}x (units differ), few outliers "
                        f"({heavy} heavy-tailed columns): z-scores")


def scale_columns(F: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Centre and divisor per column for ``method`` (not "auto"): scaled = (F - centre) / divisor."""
    d = F.shape[1]
    if method == "standard":
        centre, div = F.mean(0), F.std(0)
    elif method == "robust":
        centre = np.median(F, 0)
        q1, q3 = np.percentile(F, [25, 75], axis=0)
        div = q3 - q1
        div = np.where(div > 0, div, F.std(0))  # IQR 0 (mostly one value): fall back to the std
    elif method == "minmax":
        centre, div = F.min(0), F.max(0) - F.min(0)
    elif method == "none":
        centre, div = np.zeros(d), np.ones(d)
    else:
        raise InputError(f"--scale must be one of {', '.join(SCALE_METHODS)}, got {method!r}")
    div = np.where(div > 0, div, 1.0)
    return centre, div


def read_table(path: str | os.PathLike, *, label_field: str | None = None, id_field: str | None = None,
               columns: Sequence[str] | None = None, impute: str = "none", scale: str = "auto",
               categorical: bool = True, standardize: bool | None = None, sep: str | None = None) -> Table:
    """Read a CSV table into features.

    Parameters
    ----------
    path : path
        CSV (or TSV, separator sniffed) with a header row.
    label_field : str, optional
        Column holding gold labels (kept out of the features). Default: a column named "label" if present.
    id_field : str, optional
        Column holding row ids (default: "id" if present, else the row number).
    columns : sequence of str, optional
        Numeric feature columns (default: every numeric column except the label and id columns).
    impute : "none", "mean", "median" or "drop"
        What to do with missing numeric values: "none" refuses them with an error naming the column.
    scale : "auto", "standard", "robust", "minmax" or "none"
        Scaling of the numeric columns: z-scores, (x - median) / IQR, per-column [0, 1], none, or chosen from
        the data by :func:`choose_scale` ("auto"; the choice and its reason are in ``Table.scale`` /
        ``Table.scale_reason``).
    categorical : bool
        One-hot encode text columns with at most :data:`MAX_CATEGORIES` distinct values (fewer than the rows;
        a missing cell is its own category) when ``columns`` is not given. Other text columns are skipped
        (listed in ``Table.skipped``).
    standardize : bool, optional
        Deprecated spelling: True = ``scale="standard"``, False = ``scale="none"``.

    Returns
    -------
    Table
    """
    import pandas as pd

    path = Path(path)
    if standardize is not None:
        scale = "standard" if standardize else "none"
    if impute not in IMPUTE_METHODS:
        raise InputError(f"--impute must be one of {', '.join(IMPUTE_METHODS)}, got {impute!r}")
    if scale not in SCALE_METHODS:
        raise InputError(f"--scale must be one of {', '.join(SCALE_METHODS)}, got {scale!r}")
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
    cats: list = []
    skipped: list[str] = []
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InputError(f"--columns: {', '.join(missing)} not in {path}")
        feats = list(columns)
        bad = [c for c in feats if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]
        if bad:
            raise InputError(f"columns {', '.join(bad)} are not numeric; choose numeric columns with --columns")
    else:
        feats = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                 and not pd.api.types.is_bool_dtype(df[c])]
        for c in df.columns:
            if c in skip or c in feats:
                continue
            n_distinct = df[c].nunique(dropna=False)
            if categorical and n_distinct <= MAX_CATEGORIES and n_distinct < len(df):
                cats.append(c)
            else:
                skipped.append(str(c))
    if not feats:
        others = [str(c) for c in df.columns if c not in skip]
        raise InputError(f"{path} has no numeric column to cluster on (columns: {', '.join(others[:10]) or 'none'}"
                         f"{' ...' if len(others) > 10 else ''}); textcluster table needs at least one")
    F = np.array(df[feats].to_numpy(dtype=np.float64), copy=True)  # a single column can be a read-only view
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
    if scale == "auto":
        method, reason = choose_scale(F)
    else:
        method, reason = scale, "chosen with --scale"
    centre, div = scale_columns(F, method)
    X = (F - centre) / div
    sub = df[keep]
    names = [str(c) for c in feats]
    if cats:
        dummies = pd.get_dummies(sub[cats].astype("string").fillna("(missing)"), prefix_sep="=", dtype=np.float64)
        X = np.hstack([X, dummies.to_numpy()])
        names += [str(c) for c in dummies.columns]
    ids = sub[id_col].astype(str).tolist() if id_col else [str(i) for i in np.where(keep)[0]]
    labels = sub[label_col].astype(str).to_numpy() if label_col else None
    if labels is not None and sub[label_col].isna().any():
        raise InputError(f"label column {label_col!r} has empty cells")
    if skipped:
        logger.info("skipped text columns with more than %d distinct values: %s", MAX_CATEGORIES,
                    ", ".join(skipped))
    return Table(X.astype(np.float32), ids, labels, names, centre.astype(np.float32), div.astype(np.float32),
                 n_dropped, method, reason, [str(c) for c in cats], skipped)
