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

Every output path goes through :func:`check_output` first: never an input of the run, never inside a saved
model's folder, never a device, FIFO or socket (``/dev/null`` is refused, not replaced by a file); a symbolic
link is followed to its target (the link stays), a dangling one is refused; missing parent folders are
created. An existing folder is replaced only when everything in it was written by textcluster: the marker
file ``.textcluster-output`` lists what a run wrote (its manifest), and a folder holding anything else (a
user's notes, a predictions file, the input) is refused with exit 2 and left untouched.

A run killed even with SIGKILL leaves its hidden ``.NAME.tmp-*`` / ``.NAME.old-*`` folders behind; the next
run writing to ``NAME`` removes those whose process has ended, and if ``NAME`` itself is missing while an
``.old-*/previous`` folder survives (a kill between the two fallback renames), puts it back first.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

from .errors import InputError

__all__ = ["atomic_dir", "atomic_file", "atomic_path", "check_output", "cleanup_stale", "MARKER"]

logger = logging.getLogger(__name__)

#: written into every output folder; only folders carrying it (or empty ones) are ever replaced.
MARKER = ".textcluster-output"

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


#: what textcluster wrote into output folders before the marker listed its files (older versions)
_LEGACY_NAMES = {"assignments.csv", "topics.json", "metrics.json", "map.html", "map.png", "model",
                 "compare.csv", "compare.json", "config.json", "weights.safetensors"}
_TMP_SUFFIX = 40  # ".NAME.tmp-PID-XXXXXXXX" / ".NAME.old-..." beside NAME: bytes added to the name


def _manifest(out: Path) -> set[str] | None:
    """Relative paths textcluster wrote into ``out`` (None: a legacy marker without a list)."""
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
        files = data["files"] if isinstance(data, dict) else None
        return {str(f) for f in files} if isinstance(files, list) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _entries(root: Path) -> list[str]:
    """Every file, link and empty folder under ``root`` as relative POSIX paths (links are not followed)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: found.append(os.path.relpath(
            e.filename, root).replace(os.sep, "/"))):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = [d for d in dirnames if d not in links]
        found += [prefix + n for n in filenames + links]
        if not filenames and not dirnames and not links and prefix:
            found.append(prefix)
    return found


def foreign_entries(out: Path) -> list[str]:
    """What ``out`` holds that textcluster did not write there (empty for a folder it may replace)."""
    written = _manifest(out)
    foreign = []
    for rel in _entries(out):
        if rel == MARKER:
            continue
        if written is None:
            if rel.split("/")[0] not in _LEGACY_NAMES:
                foreign.append(rel)
        elif rel not in written and not (rel.endswith("/") and any(w.startswith(rel) for w in written)) \
                and not _owned_below(out, rel):
            foreign.append(rel)
    return sorted(foreign)


def _owned_below(out: Path, rel: str) -> bool:
    """True when a sub-folder's own manifest lists ``rel`` (e.g. a model re-saved into ``DIR/model``)."""
    parts = rel.rstrip("/").split("/")
    for i in range(1, len(parts)):
        written = _manifest(out.joinpath(*parts[:i]))
        if written is not None and "/".join(parts[i:]) in written:
            return True
    return False


def _check_replaceable(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--out {out} exists and is not a directory; choose a directory path")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise InputError(f"--out {out} is a non-empty directory that textcluster did not write; "
                             "choose a new or empty directory")
        foreign = foreign_entries(out)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise InputError(f"--out {out} holds {len(foreign)} file(s) textcluster did not write ({shown}); "
                             "move them out or choose another --out (nothing was changed)")


def _write_manifest(tmp: Path) -> None:
    files = sorted(e for e in _entries(tmp) if e != MARKER)
    (tmp / MARKER).write_text(json.dumps({"written_by": "textcluster", "files": files}, indent=0) + "\n",
                              encoding="utf-8")


def _is_model_dir(p: Path) -> bool:
    return (p / "config.json").is_file() and ((p / MARKER).is_file() or (p / "weights.safetensors").is_file())


def _name_max(p: Path) -> int:
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return os.pathconf(p, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def check_output(path: str | os.PathLike, *, kind: str = "dir", inputs: Iterable = (), what: str = "--out",
                 allow_model: bool = False) -> Path:
    """Validate an output path before anything is written; returns the path to write (links followed).

    ``kind`` is ``"dir"`` (a folder replaced as a whole) or ``"file"``. Refuses, with an :class:`InputError`:
    one of ``inputs`` (or a folder holding one, or a path inside an input folder), a path inside a saved
    model's folder (or a model folder itself unless ``allow_model``), a device / FIFO / socket, a file where a
    folder is wanted or the reverse, a dangling symbolic link, a name too long for the file system.
    Missing parent folders are created.
    """
    path = Path(path)
    if os.path.islink(path):
        target = Path(os.path.realpath(path))
        if not target.exists():
            raise InputError(f"{what} {path} is a symbolic link to {target}, which does not exist (or loops); "
                             "remove the link or choose another path")
        path = target
    limit = _name_max(path.parent) - _TMP_SUFFIX
    if len(os.fsencode(path.name)) > limit:
        raise InputError(f"{what} name {path.name[:40]}... is {len(os.fsencode(path.name))} bytes long; this file "
                         f"system allows {limit} for an output name: choose a shorter one")
    real = Path(os.path.realpath(path))
    for parent in real.parents:
        if _is_model_dir(parent):
            raise InputError(f"{what} {path} lies inside the saved model {parent}; write it elsewhere "
                             "(nothing was changed)")
    for item in inputs:
        if item is None or str(item) == "-":
            continue
        src = Path(os.path.realpath(item))
        if src == real or (src.exists() and path.exists() and os.path.samefile(src, path)):
            raise InputError(f"{what} {path} is the input {item}; choose another path (nothing was changed)")
        if kind == "dir" and real in src.parents:
            raise InputError(f"{what} {path} contains the input {item} and would be replaced; choose another "
                             "path (nothing was changed)")
        if src.is_dir() and src in real.parents:
            raise InputError(f"{what} {path} lies inside the input folder {item}; choose a path outside it")
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise InputError(f"cannot use {what} {path}: {exc.strerror or exc}") from None
    if st is not None:
        if kind == "file" and stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what} {path} is a directory; give a file name, e.g. {path / 'predictions.csv'}")
        if kind == "dir" and not stat.S_ISDIR(st.st_mode) and stat.S_ISREG(st.st_mode):
            raise InputError(f"{what} {path} exists and is not a directory; choose a directory path")
        if not stat.S_ISDIR(st.st_mode) and not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what} {path} is not a regular file (a device, FIFO or socket); "
                             "give the path of a file to create")
    if not allow_model and st is not None and stat.S_ISDIR(st.st_mode) and _is_model_dir(path):
        raise InputError(f"{what} {path} is a saved model folder; choose another path (nothing was changed)")
    for p in real.parents:
        if p.exists():
            if not p.is_dir():
                raise InputError(f"cannot write to {path}: {p} is a file, not a directory (choose another {what})")
            break
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder {real.parent} for {what}: {exc.strerror or exc}") from None
    if kind == "dir":
        _check_replaceable(path)
    return path


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
            _check_replaceable(out)  # a file put into the old folder during the run is never deleted
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
def atomic_dir(out: str | os.PathLike, *, inputs: Iterable = (), what: str = "--out",
               allow_model: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``out`` (on error it is removed).

    Raises
    ------
    InputError
        ``out`` fails :func:`check_output` (an input, inside a model, a file, a device, ...), holds files
        textcluster did not write, or its parent cannot be written.
    """
    out = check_output(out, kind="dir", inputs=inputs, what=what, allow_model=allow_model)
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
        _write_manifest(tmp)
        _swap_in(tmp, out, parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, inputs: Iterable = (), what: str = "--out") -> Iterator[Path]:
    """Yield a temporary file name beside ``path`` (after :func:`check_output`; a link is followed and its
    target replaced); it replaces ``path`` only when the block succeeds and is removed otherwise."""
    path = check_output(path, kind="file", inputs=inputs, what=what)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise InputError(f"cannot write to {path.parent}: {exc.strerror or exc} (choose another {what})") from None
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", *, inputs: Iterable = (), what: str = "--out", **kw):
    """Open a temporary file beside ``path``; it replaces ``path`` only when the block succeeds (see
    :func:`atomic_path`)."""
    with atomic_path(path, inputs=inputs, what=what) as tmp:
        with open(tmp, mode, **kw) as fh:
            yield fh
