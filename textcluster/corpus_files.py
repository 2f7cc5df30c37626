"""The input files of a corpus before their documents are read: the format a name stands for, gzip,
the decompressed size, refusing binary and UTF-16/32 files, and the error for a document over the size limit.
"""
from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path

from .errors import InputError

__all__ = ["format_of", "open_binary", "uncompressed_size", "check_not_binary", "too_large"]

_SNIFF_BYTES = 8192


def format_of(path: Path) -> str:
    """The reader a path needs: "dir", "jsonl", "csv", "tsv" or "txt" (by its name, a .gz suffix aside)."""
    if path.is_dir():
        return "dir"
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".csv", "csv"),
                     (".tsv", "tsv"), (".txt", "txt")):
        if name.endswith(ext):
            return fmt
    return "txt"


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz") or path.name.endswith(".stdin-gz")


def open_binary(path: Path) -> io.BufferedIOBase:
    """``path`` opened for reading bytes, decompressed when it is gzip (by name)."""
    raw = open(path, "rb")
    if _is_gzip(path):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


def _size_mb(n: int) -> str:
    return f"{n / (1 << 20):.0f} MB" if n >= (1 << 20) else f"{n} bytes"


def too_large(where: str, limit: int) -> InputError:
    """The error for a document over ``limit`` bytes at ``where``."""
    return InputError(f"{where}: a document larger than {_size_mb(limit)}, the limit per document (split it, "
                      "or raise the limit with TEXTCLUSTER_MAX_DOC_MB)")


def uncompressed_size(path: Path) -> int:
    """Bytes the file holds once decompressed (gzip: its trailer's size, modulo 4 GiB, at least the file size)."""
    size = path.stat().st_size
    if _is_gzip(path) and size >= 18:
        with open(path, "rb") as fh:
            fh.seek(-4, os.SEEK_END)
            (isize,) = struct.unpack("<I", fh.read(4))
        return max(isize, size)
    return size


def check_not_binary(path: Path) -> None:
    """Refuse files whose first bytes contain NUL bytes (images, archives, executables) or are UTF-16/32."""
    try:
        with open_binary(path) as fh:
            head = fh.read(_SNIFF_BYTES)
    except gzip.BadGzipFile as exc:
        raise InputError(f"{path} is not valid gzip ({exc}); remove the .gz suffix or re-compress it") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path} is UTF-16/UTF-32 encoded; re-encode it as UTF-8 "
                         "(e.g. iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in head:
        raise InputError(f"{path} looks like a binary file (it contains NUL bytes), not text")
