"""Read document collections as restartable streams of :class:`Document`.

Supported inputs: ``.txt`` (one document per line; blank lines are skipped and counted in ``n_blank``, ids
are line numbers), ``.jsonl`` / ``.jsonl.gz``, ``.csv`` (any of them
optionally gzip-compressed) and a directory of ``.txt`` files (label = first sub-folder name).
``-`` is standard input; it, FIFOs and other one-shot streams are read exactly once (into a temporary file
that later passes re-read), as ``.txt`` lines unless their name says otherwise (gzip is recognised by its
magic bytes). Every document is capped at :data:`MAX_DOC_BYTES` (a clear error names the line).
"""
from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import stat
import sys
import tempfile
import warnings
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .corpus_files import check_not_binary, format_of, open_binary, too_large, uncompressed_size
from .errors import InputError, TextclusterWarning

__all__ = ["Document", "Corpus", "read_corpus", "texts_of"]

AUTO = "auto"
#: largest document (bytes of one line, CSV field or file) read by default; TEXTCLUSTER_MAX_DOC_MB overrides it
MAX_DOC_BYTES = int(float(os.environ.get("TEXTCLUSTER_MAX_DOC_MB", "32")) * (1 << 20))


@dataclass(frozen=True)
class Document:
    """One document: its id, its text and, when the corpus has one, its label."""

    id: str
    text: str
    label: str | None = None


class Corpus:
    """A restartable iterable of :class:`Document` read lazily from ``path``.

    Each ``iter(corpus)`` reopens the source, so the corpus can be passed over several times without
    being held in memory.

    Parameters
    ----------
    path : str or Path
        File or directory (see module docstring for formats).
    text_field, label_field, id_field : str
        Field (JSONL) or column (CSV) names. ``label_field="auto"`` uses ``"label"`` when present;
        an explicitly named label field must exist. Missing ids become the 1-based record number.
    encoding_errors : {"replace", "strict"}
        Invalid UTF-8 (including lines in another encoding, e.g. Latin-1, in a UTF-8 file) is replaced by
        U+FFFD, counted in :attr:`n_replaced` and reported in one :class:`TextclusterWarning` per pass
        (``"replace"``, the default), or fails with a message naming the line (``"strict"``).

    Raises
    ------
    InputError
        Missing path; while iterating: no documents, a binary / UTF-16 / truncated gzip file, a JSONL line
        that is not a JSON object (with its line number), a missing text column or field, invalid UTF-8
        under ``encoding_errors="strict"``.
    """

    def __init__(self, path: str | os.PathLike, *, text_field: str = "text", label_field: str | None = AUTO,
                 id_field: str = "id", encoding_errors: str = "replace", max_doc_bytes: int | None = None):
        self.path = Path(path)
        self.max_doc_bytes = MAX_DOC_BYTES if max_doc_bytes is None else int(max_doc_bytes)
        self._source = self.path  # what is read: the file itself, or the copy of a one-shot stream
        self.text_field = text_field
        self.label_field = label_field
        self.id_field = id_field
        if encoding_errors not in ("strict", "replace"):
            raise InputError(f"encoding_errors must be 'replace' or 'strict', got {encoding_errors!r}")
        self.encoding_errors = encoding_errors
        if str(path) == "-":
            self._spool(sys.stdin.buffer, "stdin")
        elif not self.path.exists():
            raise InputError(f"input not found: {self.path}")
        elif not self.path.is_dir() and not self.path.is_file():  # FIFO, /dev/stdin, <(...): one pass only
            try:
                with open(self.path, "rb") as fh:
                    self._spool(fh, self.path.name)
            except OSError as exc:
                raise InputError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        self.format = format_of(self.path) if str(path) != "-" else "txt"
        self.n_replaced = 0
        self.n_blank = 0  # .txt: blank lines skipped in the last pass (they separate documents)

    def _spool(self, stream, name: str) -> None:
        """Copy a one-shot stream into a temporary file once; every pass then reads that copy."""
        tmp = tempfile.NamedTemporaryFile(prefix="textcluster-input-", delete=False)
        try:
            with tmp:
                shutil.copyfileobj(stream, tmp, 1 << 20)
        except OSError as exc:
            os.unlink(tmp.name)
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        with open(tmp.name, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        if gz and not tmp.name.endswith(".stdin-gz"):
            os.rename(tmp.name, tmp.name + ".stdin-gz")
        self._source = Path(tmp.name + (".stdin-gz" if gz else ""))
        weakref.finalize(self, _unlink_quietly, str(self._source))

    @property
    def uncompressed_bytes(self) -> int:
        """Size of the text once decompressed (a directory: its .txt files): what streaming is chosen by."""
        if self.format == "dir":
            return sum(os.path.getsize(p) for p in self._dir_files()[0])
        return uncompressed_size(self._source)

    def estimate_docs(self) -> int | None:
        """About how many documents the corpus holds, without parsing it: the lines of a .txt / JSONL file
        (blank lines included), the lines of a CSV/TSV file less its header (an upper bound: a quoted field
        may span lines), the .txt files of a folder; None when the file cannot be read."""
        if self.format == "dir":
            return len(self._dir_files()[0])
        n, last = 0, b""
        try:
            with open_binary(self._source) as fh:
                while chunk := fh.read(1 << 22):
                    n += chunk.count(b"\n")
                    last = chunk
        except Exception:  # noqa: BLE001 -- an estimate only; the real pass reports read errors
            return None
        if last and not last.endswith(b"\n"):
            n += 1  # a last line without its newline
        return max(n - 1, 0) if self.format in ("csv", "tsv") else n

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r}, format={self.format!r})"

    def __iter__(self) -> Iterator[Document]:
        self.n_replaced = 0
        self.n_blank = 0
        reader = {"dir": self._iter_dir, "jsonl": self._iter_jsonl, "csv": self._iter_csv,
                  "tsv": self._iter_csv, "txt": self._iter_txt}[self.format]
        n = 0
        for doc in reader():
            n += 1
            yield doc
        if n == 0:
            hint = " (a directory is read as its .txt files, recursively)" if self.format == "dir" else ""
            raise InputError(f"{self.path} contains no documents{hint}")
        if self.n_replaced:
            warnings.warn(f"{self.path}: {self.n_replaced} line(s) or file(s) had invalid UTF-8, replaced by "
                          "U+FFFD (use --encoding-errors strict to fail instead)", TextclusterWarning,
                          stacklevel=2)

    # -- decoding -------------------------------------------------------------------------------
    def _decode(self, raw: bytes, where: str) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.encoding_errors == "strict":
                raise InputError(f"{where}: invalid UTF-8 at byte {exc.start} (re-encode the file as UTF-8, "
                                 "or use --encoding-errors replace)") from None
            self.n_replaced += 1
            return raw.decode("utf-8", errors="replace")

    def _lines(self, path: Path, *, keep_ends: bool = False) -> Iterator[tuple[int, str]]:
        """Yield (1-based line number, decoded line without its line end unless ``keep_ends``)."""
        check_not_binary(path)
        cap = self.max_doc_bytes
        shown = self.path if path == self._source else path
        try:
            with open_binary(path) as fh:
                i = 0
                while True:
                    raw = fh.readline(cap + 3)
                    if not raw:
                        break
                    i += 1
                    if len(raw) > cap and len(raw.rstrip(b"\r\n")) > cap:
                        raise too_large(f"{shown}, line {i}", cap)
                    if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                    line = self._decode(raw, f"{shown}, line {i}")
                    yield i, line if keep_ends else line.rstrip("\r\n")
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(f"{shown} is truncated or not valid gzip: {exc}") from None
        except OSError as exc:
            raise InputError(f"cannot read {shown}: {exc}") from None

    # -- formats --------------------------------------------------------------------------------
    def _iter_txt(self) -> Iterator[Document]:
        # A blank (whitespace-only) line separates documents; it is not one. Ids stay line numbers.
        for i, line in self._lines(self._source):
            if not line.strip():
                self.n_blank += 1
                continue
            yield Document(str(i), line)

    def _iter_jsonl(self) -> Iterator[Document]:
        explicit_label = self.label_field not in (None, AUTO)
        label_key = "label" if self.label_field == AUTO else self.label_field
        n = 0
        for i, line in self._lines(self._source):
            if not line.strip():
                continue
            where = f"{self.path}, line {i}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise InputError(f"{where}: JSON nested too deeply") from None
            if not isinstance(rec, dict):
                raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
            n += 1
            yield self._record(rec, n, where, label_key, explicit_label)

    def _iter_csv(self) -> Iterator[Document]:
        """CSV/TSV through the csv module: quoted fields keep their newlines; malformed rows name their line."""
        explicit_label = self.label_field not in (None, AUTO)
        label_key = "label" if self.label_field == AUTO else self.label_field
        delimiter = "\t" if self.format == "tsv" else ","
        start = 1  # physical line at which the current record starts
        old_limit = csv.field_size_limit()
        csv.field_size_limit(self.max_doc_bytes)
        try:
            reader = csv.reader((line for _, line in self._lines(self._source, keep_ends=True)),
                                delimiter=delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            if self.text_field not in header:
                raise InputError(f"{self.path}: no column {self.text_field!r} (columns: "
                                 f"{', '.join(header)}); choose one with --text-field")
            if explicit_label and label_key not in header:
                raise InputError(f"{self.path}: no column {label_key!r} for --label-field")
            for name in (self.text_field, label_key, self.id_field):
                if name is not None and header.count(name) > 1:
                    raise InputError(f"{self.path}, line 1: the header names column {name!r} "
                                     f"{header.count(name)} times; rename the duplicates")
            n = 0
            while True:
                start = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    break
                if not row:  # a blank line between records
                    continue
                n += 1
                where = f"{self.path}, record {n} (line {start})"
                if len(row) > len(header):
                    raise InputError(f"{where}: the row has {len(row)} fields, the header {len(header)} (quote "
                                     "fields that contain the delimiter)")
                if len(row) <= header.index(self.text_field):
                    raise InputError(f"{where}: the row has fewer columns than the header "
                                     f"(no value for {self.text_field!r})")
                yield self._record(dict(zip(header, row)), n, where, label_key, explicit_label)
        except csv.Error as exc:
            line = start
            if "field larger than field limit" in str(exc):
                raise too_large(f"{self.path}, line {line}", self.max_doc_bytes) from None
            if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                raise InputError(f"{self.path}, line {line}: a quoted field is never closed (unterminated "
                                 "quote)") from None
            raise InputError(f"{self.path}, line {line}: malformed CSV ({exc})") from None
        finally:
            csv.field_size_limit(old_limit)

    def _record(self, rec: dict, n: int, where: str, label_key: str | None, explicit_label: bool) -> Document:
        if self.text_field not in rec:
            raise InputError(f"{where}: no field {self.text_field!r} (choose one with --text-field)")
        text = rec[self.text_field]
        if text is None:  # JSON null: an empty document
            text = ""
        elif isinstance(text, (list, dict)):
            raise InputError(f"{where}: field {self.text_field!r} is a JSON {type(text).__name__}, "
                             "expected a string (choose another field with --text-field)")
        elif not isinstance(text, str):
            text = str(text)
        text = self._valid(text)
        label = None
        if label_key is not None:
            value = rec.get(label_key)
            if value is None and explicit_label:
                raise InputError(f"{where}: no field {label_key!r} for --label-field")
            label = None if value is None else self._valid(str(value))
        doc_id = rec.get(self.id_field)
        return Document(str(n) if doc_id in (None, "") else self._valid(str(doc_id)), text, label)

    def _valid(self, text: str) -> str:
        """``text`` with lone surrogates (JSON ``"\\ud800"`` escapes) replaced: they cannot be written as UTF-8."""
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            if self.encoding_errors == "strict":
                raise InputError(f"{self.path}: a record contains an unpaired surrogate escape (\\ud800-\\udfff), "
                                 "which is not valid Unicode (use --encoding-errors replace)") from None
            self.n_replaced += 1
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)

    def _dir_files(self) -> tuple[list[Path], int]:
        """The ``.txt`` files (any case) under the folder, sorted; links leading outside it are counted, not
        read. An unreadable sub-folder is an error: a corpus silently missing part of its documents is worse."""
        root = os.path.realpath(self.path)
        files, outside = [], 0

        def unreadable(exc: OSError):
            raise InputError(f"cannot read the folder {exc.filename} in the corpus {self.path} "
                             f"({exc.strerror or exc}); fix its permissions or move it out")
        for dirpath, dirnames, filenames in os.walk(self.path, onerror=unreadable):
            for d in list(dirnames):
                if os.path.islink(os.path.join(dirpath, d)):
                    dirnames.remove(d)
                    outside += 1  # linked folders are not followed (they may lead anywhere)
            for name in filenames:
                if not name.lower().endswith(".txt"):
                    continue
                p = os.path.join(dirpath, name)
                real = os.path.realpath(p)
                if os.path.commonpath([root, real]) != root:
                    outside += 1
                    continue
                try:
                    if stat.S_ISREG(os.stat(p).st_mode):
                        files.append(Path(p))
                except OSError:
                    continue  # a dangling link: nothing to read
        return sorted(files), outside

    def _iter_dir(self) -> Iterator[Document]:
        files, outside = self._dir_files()
        if outside:
            warnings.warn(f"{self.path}: {outside} symbolic link(s) leading outside the folder (or to folders) "
                          "were not read", TextclusterWarning, stacklevel=3)
        for path in files:
            rel = path.relative_to(self.path)
            check_not_binary(path)
            try:
                if path.stat().st_size > self.max_doc_bytes:
                    raise too_large(str(path), self.max_doc_bytes)
                raw = path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {path}: {exc}") from None
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            label = rel.parts[0] if len(rel.parts) > 1 else None
            yield Document(rel.as_posix(), self._decode(raw, str(path)), label)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def read_corpus(path: str | os.PathLike, **options) -> Corpus:
    """Open a corpus as a restartable stream of :class:`Document` (see :class:`Corpus`)."""
    return Corpus(path, **options)


def texts_of(docs) -> tuple[list[str], list[Document] | None]:
    """Materialise ``docs`` (str or :class:`Document`) into texts; also returns the Documents when all are."""
    if isinstance(docs, (str, bytes)):
        raise InputError("docs must be a collection of documents, not a single string")
    items = list(docs)
    if not items:
        raise InputError("no documents given")
    if all(isinstance(d, Document) for d in items):
        return [d.text for d in items], items
    texts = []
    for i, d in enumerate(items):
        if isinstance(d, Document):
            d = d.text
        if not isinstance(d, str):
            raise InputError(f"document {i} is {type(d).__name__}, expected str")
        texts.append(d)
    return texts, None
