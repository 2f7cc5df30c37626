"""Atomic output: build results in a temporary folder beside the target, then swap it in.

An existing output folder is replaced only after the new results are complete, so an interrupted or
failed run leaves the previous results intact and never a mix of two runs.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import InputError

__all__ = ["atomic_dir", "atomic_file", "MARKER"]

#: written into every output folder; only folders carrying it (or empty ones) are ever replaced.
MARKER = ".textcluster-output"


def _check_replaceable(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--out {out} exists and is not a directory")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise InputError(f"--out {out} is a non-empty directory that textcluster did not write; "
                             "choose a new or empty directory")


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``out`` (on error it is removed)."""
    out = Path(out)
    _check_replaceable(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    try:
        (tmp / MARKER).write_text("written by textcluster\n")
        yield tmp
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.rename(out, old / "previous")
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", **kw):
    """Open a temporary file beside ``path``; it replaces ``path`` only when the block succeeds."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
