"""Atomic output: build results in a temporary folder beside the target, then swap it in.

An existing output folder is replaced only after the new results are complete, so an interrupted or
failed run leaves the previous results intact and never a mix of two runs:

1. results are written into ``.NAME.tmp-PID-XXXX`` beside ``NAME`` (same file system);
2. every file is flushed to disk (``fsync``);
3. the folders are swapped in one step: ``renameat2(RENAME_EXCHANGE)`` on Linux, which exchanges the two
   directory entries atomically, so no moment exists at which ``NAME`` is missing or mixed. Where that call
   is unavailable (other systems, file systems without it), the old folder is first renamed to
   ``.NAME.old-PID-XXXX/previous`` and the new one renamed into place, with SIGINT/SIGTERM held back for
   those two renames;
4. the previous results are removed.

A run killed even with SIGKILL leaves its hidden ``.NAME.tmp-*`` / ``.NAME.old-*`` folders behind; the next
run writing to ``NAME`` removes those whose process has ended, and if ``NAME`` itself is missing while an
``.old-*/previous`` folder survives (a kill between the two fallback renames), puts it back first.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from .errors import InputError

__all__ = ["atomic_dir", "atomic_file", "cleanup_stale", "MARKER"]

logger = logging.getLogger(__name__)

#: written into every output folder; only folders carrying it (or empty ones) are ever replaced.
MARKER = ".textcluster-output"

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _check_replaceable(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--out {out} exists and is not a directory; choose a directory path")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise InputError(f"--out {out} is a non-empty directory that textcluster did not write; "
                             "choose a new or empty directory")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def cleanup_stale(out: str | os.PathLike) -> int:
    """Remove hidden temporary folders that killed runs left beside ``out``; returns how many.

    Folders of a run that is still going (its process id is alive) are left alone. When ``out`` is
    missing but a killed run's ``.old-*/previous`` survives, it is renamed back to ``out`` first.
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return 0
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(tmp|old)-(\d+)-")
    removed = 0
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return 0
    for entry in entries:
        m = pattern.match(entry.name)
        if not m or not entry.is_dir() or _pid_alive(int(m.group(2))):
            continue
        previous = entry / "previous"
        if m.group(1) == "old" and previous.is_dir() and not out.exists():
            logger.warning("restoring %s from an interrupted run's %s", out, previous)
            with contextlib.suppress(OSError):
                os.rename(previous, out)
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    if removed:
        logger.info("removed %d temporary folder(s) left by interrupted runs beside %s", removed, out)
    return removed


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` to disk (best effort on systems without dir fsync)."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with contextlib.suppress(OSError):
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange directory entries ``a`` and ``b`` (Linux renameat2); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back for the duration of the block, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    sigs = [s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None]
    old = {}
    for s in sigs:
        with contextlib.suppress(ValueError, OSError):
            old[s] = signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)


def _swap_in(tmp: Path, out: Path, parent: Path) -> None:
    _fsync_tree(tmp)
    leftover: Path | None = None  # what to delete once the new results are in place
    try:
        with _signals_deferred():  # a signal arriving here is delivered after the swap
            if not out.exists():
                os.rename(tmp, out)
            elif _exchange(tmp, out):  # tmp now holds the previous results
                leftover = tmp
            else:
                leftover = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=parent))
                os.rename(out, leftover / "previous")
                os.rename(tmp, out)
            _fsync_dir(parent)
    finally:
        if leftover is not None:
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``out`` (on error it is removed).

    Raises
    ------
    InputError
        ``out`` is a file, a non-empty folder textcluster did not write, or its parent cannot be written.
    """
    out = Path(out)
    _check_replaceable(out)
    parent = out.parent if str(out.parent) else Path(".")
    for p in (parent, *parent.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(f"cannot write to {out}: {p} is a file, not a directory (choose another --out)")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
        cleanup_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot write to {parent}: {exc.strerror or exc} (choose another --out)") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; results are ordinary folders
        (tmp / MARKER).write_text("written by textcluster\n")
        yield tmp
        _swap_in(tmp, out, parent)
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
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
