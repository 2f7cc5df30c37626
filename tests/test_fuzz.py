"""Fuzzing with hypothesis: readers, tokenizer and CLI options never crash.

The only allowed outcomes are success or :class:`~textcluster.errors.InputError` (the CLI: exit 0, or exit 2
with one ``textcluster: error:`` line and no traceback).

The default suite runs a small, fixed (derandomized) number of examples per target. The long run is opt-in::

    TEXTCLUSTER_FUZZ_SCALE=100 TEXTCLUSTER_FUZZ_REPORT=fuzz.json .venv/bin/python -m pytest -q tests/test_fuzz.py

multiplies every target's example count by the scale, draws fresh random examples, and writes the number of
inputs tried and the outcomes per target to the report file (the counts in docs/robustness.md come from it).
"""
from __future__ import annotations

import collections
import contextlib
import csv
import gzip
import io
import json
import os
import string
import tempfile
import warnings
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from textcluster import InputError, read_corpus  # noqa: E402
from textcluster.cli import main  # noqa: E402

SCALE = float(os.environ.get("TEXTCLUSTER_FUZZ_SCALE", "1"))
LONG = SCALE > 1
REPORT = os.environ.get("TEXTCLUSTER_FUZZ_REPORT")
COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def fuzz_settings(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if REPORT:
        path = Path(REPORT)
        old = json.loads(path.read_text()) if path.exists() else {}
        for target, c in COUNTS.items():
            merged = collections.Counter(old.get(target, {}))
            merged.update(c)
            old[target] = dict(merged)
        old["_total_inputs"] = sum(v.get("inputs", 0) for k, v in old.items() if not k.startswith("_"))
        old["_scale"] = SCALE
        path.write_text(json.dumps(old, indent=1, sort_keys=True))


def _read_all(path: Path, **options) -> str:
    """Read a corpus; return "ok" or "input_error" (anything else propagates and fails the test)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            docs = list(read_corpus(path, **options))
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return "input_error"
    assert docs
    for d in docs:
        assert isinstance(d.id, str) and isinstance(d.text, str)
        (d.id + d.text + (d.label or "")).encode("utf-8")  # always writable as UTF-8
    return "ok"


def _count(target: str, outcome: str) -> None:
    COUNTS[target]["inputs"] += 1
    COUNTS[target][outcome] += 1


FORMATS = [".txt", ".jsonl", ".json", ".csv", ".tsv", ".txt.gz", ".jsonl.gz", ".csv.gz", ".dat"]


def _materialise(data: bytes, suffix: str, cut: float | None) -> bytes:
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
        if cut is not None:  # a truncated download
            data = data[: int(len(data) * cut)]
    return data


# -- readers -------------------------------------------------------------------------------------------
@fuzz_settings(60)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(FORMATS),
       cut=st.none() | st.floats(0, 1), errors=st.sampled_from(["replace", "strict"]))
def test_reader_random_bytes(data, suffix, cut, errors):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"corpus{suffix}"
        p.write_bytes(_materialise(data, suffix, cut))
        _count("reader_random_bytes", _read_all(p, encoding_errors=errors))


@fuzz_settings(60)
@given(lines=st.lists(st.text(max_size=200), max_size=30), suffix=st.sampled_from(FORMATS),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans())
def test_reader_random_unicode(lines, suffix, newline, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"corpus{suffix}"
        p.write_bytes(_materialise(data, suffix, None))
        _count("reader_random_unicode", _read_all(p))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
field_names = st.sampled_from(["text", "label", "id", "body", ""]) | st.text(max_size=6)


good_records = st.fixed_dictionaries({"text": st.text(max_size=80) | json_values},
                                     optional={"label": json_values, "id": json_values, "extra": json_values})
bad_records = st.dictionaries(field_names, json_values, max_size=5) | json_values | st.text(max_size=30)


@fuzz_settings(60)
@given(records=st.lists(good_records, max_size=12), text_field=st.sampled_from(["text", "text", "body"]),
       label_field=st.sampled_from(["auto", "label", None]),
       bad=st.lists(st.tuples(st.integers(0, 12), bad_records), max_size=1), ascii=st.booleans(),
       blank_lines=st.lists(st.integers(0, 12), max_size=2))
def test_reader_random_json_shapes(records, text_field, label_field, bad, ascii, blank_lines):
    lines = [json.dumps(r, ensure_ascii=ascii) for r in records]
    for pos, value in bad:  # a wrong shape or a broken line at a random place
        lines.insert(min(pos, len(lines)), value if isinstance(value, str) else json.dumps(value))
    for pos in blank_lines:
        lines.insert(min(pos, len(lines)), "")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "corpus.jsonl"
        p.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        _count("reader_json_shapes", _read_all(p, text_field=text_field, label_field=label_field))


@fuzz_settings(40)
@given(header=st.permutations(["id", "text", "label"]) | st.lists(st.sampled_from(["id", "text", "label", "x"])
                                                                  | st.text(max_size=5), max_size=5),
       rows=st.lists(st.lists(st.text(max_size=40), max_size=6), max_size=10),
       delimiter=st.sampled_from([",", "\t"]))
def test_reader_random_csv(header, rows, delimiter):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    if header:
        w.writerow(header)
    w.writerows(rows)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / ("corpus.csv" if delimiter == "," else "corpus.tsv")
        p.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
        _count("reader_csv", _read_all(p))


@fuzz_settings(30)
@given(files=st.lists(st.tuples(st.lists(st.sampled_from(["a", "b", "deep"]), max_size=2),
                                st.sampled_from(["x.txt", "y.txt", "z.md", "w.TXT"]),
                                st.binary(max_size=300) | st.text(max_size=300).map(
                                    lambda t: t.encode("utf-8", "surrogatepass"))), max_size=6))
def test_reader_random_directory(files):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "corpus"
        root.mkdir()
        for parts, name, blob in files:
            folder = root.joinpath(*parts)
            folder.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(IsADirectoryError):
                (folder / name).write_bytes(blob)
        _count("reader_directory", _read_all(root))


# -- tokenizer -----------------------------------------------------------------------------------------
_TOKENIZERS: dict = {}


def _tokenizer(lang: str, max_length: int, lemmatize: bool):
    from textcluster.tokenize import SpacyTokenizer

    key = (lang, max_length, lemmatize)
    if key not in _TOKENIZERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _TOKENIZERS[key] = SpacyTokenizer(lang=lang, max_length=max_length, lemmatize=lemmatize).fit()
    return _TOKENIZERS[key]


@fuzz_settings(60)
@given(texts=st.lists(st.text(max_size=300) | st.text(alphabet=string.printable, min_size=900, max_size=2500),
                      min_size=1, max_size=8),
       lang=st.sampled_from(["en", "de", "zh"]), max_length=st.sampled_from([1000, 1_000_000]),
       lemmatize=st.booleans())
def test_tokenizer_random_text(texts, lang, max_length, lemmatize):
    tok = _tokenizer(lang, max_length, lemmatize)
    out = tok.transform(texts)
    assert len(out) == len(texts)
    for toks in out:
        assert all(isinstance(t, str) and t and not t.isspace() for t in toks)
    _count("tokenizer", "ok")


# -- CLI option combinations ---------------------------------------------------------------------------
_CORPUS_LINES = None


def _corpus_lines() -> list[str]:
    global _CORPUS_LINES
    if _CORPUS_LINES is None:
        root = Path(__file__).resolve().parents[1] / "corpora" / "topics-en.jsonl"
        _CORPUS_LINES = root.read_text(encoding="utf-8").splitlines()[::12]  # 40 labelled documents
    return _CORPUS_LINES


def _value(good):
    junk = st.sampled_from(["", "-1", "0", "1", "2", "3", "1e9", "nan", "abc", "-", "--k", "4294967296", " 5"])
    return st.one_of(good, junk)


OPTIONS = {
    "--k": _value(st.integers(-2, 60).map(str)),
    "--seed": _value(st.integers(-1, 2**33).map(str)),
    "--embedding": _value(st.sampled_from(["word2vec", "tfidf-lsa", "glove", "deepwalk"])),
    "--pooling": _value(st.sampled_from(["mean", "tfidf", "sif"])),
    "--reduce": _value(st.sampled_from(["none", "pca"])),
    "--algorithm": _value(st.sampled_from(["kmeans", "hdbscan"])),
    "--lang": _value(st.sampled_from(["en", "de", "zh", "xx", "qq"])),
    "--vector-size": _value(st.integers(0, 40).map(str)),
    "--window": _value(st.integers(0, 8).map(str)),
    "--epochs": _value(st.integers(0, 3).map(str)),
    "--min-count": _value(st.integers(0, 50).map(str)),
    "--min-cluster-size": _value(st.integers(0, 50).map(str)),
    "--top-words": _value(st.integers(-1, 30).map(str)),
    "--text-field": _value(st.sampled_from(["text", "label", "id", "nope"])),
    "--label-field": _value(st.sampled_from(["label", "id", "text", "nope"])),
    "--encoding-errors": _value(st.sampled_from(["replace", "strict"])),
}
FLAGS = ["--assign-noise", "--keep-stopwords", "--no-lemma", "--no-map", "--no-map"]


@st.composite
def cli_args(draw):
    names = draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=6, unique=True))
    args = []
    for n in names:
        args += [n, draw(OPTIONS[n])]
    args += draw(st.lists(st.sampled_from(FLAGS), max_size=3, unique=True))
    if draw(st.booleans()) and "--k" not in names:
        args += ["--k", "3"]  # most draws then get past the k check and run the whole pipeline
    return args


@fuzz_settings(8)
@given(args=cli_args(), fmt=st.sampled_from(["jsonl", "txt", "csv"]))
def test_cli_random_options(args, fmt):
    lines = _corpus_lines()
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / f"c.{fmt}"
        if fmt == "jsonl":
            src.write_text("\n".join(lines), encoding="utf-8")
        elif fmt == "txt":
            src.write_text("\n".join(json.loads(x)["text"] for x in lines), encoding="utf-8")
        else:
            with open(src, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "text", "label"])
                w.writerows([r["id"], r["text"], r["label"]] for r in map(json.loads, lines))
        out = Path(d) / "out"
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                main(["cluster", str(src), "--out", str(out), "-q", *args])
                code = 0
            except SystemExit as exc:
                code = exc.code
        text = err.getvalue()
        assert code in (0, 2), (args, code, text)
        assert "Traceback" not in text and "internal error" not in text, (args, text)
        if code == 2:
            assert len([x for x in text.splitlines() if x.startswith("textcluster: error:")]) == 1, text
            assert not out.exists()
        else:
            assert {"assignments.csv", "topics.json", "metrics.json"} <= {p.name for p in out.iterdir()}
        assert not [p for p in Path(d).iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    _count("cli_options", "ok" if code == 0 else "exit_2")
