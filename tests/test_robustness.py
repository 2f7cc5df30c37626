"""The bad-input table of docs/robustness.md: one test per row.

Every row either exits 2 with one clear ``textcluster: error:`` line and no traceback, or (where the input is
usable) exits 0 with a warning and a complete result. In both cases no temporary folder is left behind and
an existing output folder is never half-written.
"""
from __future__ import annotations

import csv
import errno
import gzip
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from textcluster import InputError, read_corpus
from textcluster.errors import TextclusterWarning
from textcluster.atomic import MARKER
from textcluster.cli import main

TOPIC_DOCS = (["rocket orbit launch space astronaut"] * 6 + ["bread oven bake flour yeast"] * 6
              + ["guitar song chord melody drum"] * 6)


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def assert_clean_error(code, err, *fragments):
    """Exit 2, one error line on stderr naming ``fragments``, no traceback."""
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("textcluster: error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f.lower() in errors[0].lower(), (f, errors[0])


def assert_no_leftovers(parent: Path):
    hidden = [p.name for p in parent.iterdir() if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name)]
    assert not hidden, hidden


def cluster(src, out, capsys, *extra):
    return run(["cluster", src, "--out", out, "--embedding", "tfidf-lsa", "-q", "--no-map", *extra], capsys)


def read_assignments(out: Path) -> list[dict]:
    with open(out / "assignments.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- inputs that cannot be used: exit 2, one line ------------------------------------------------------
def test_missing_path(tmp_path, capsys):
    code, _, err = cluster(tmp_path / "nope.jsonl", tmp_path / "o", capsys)
    assert_clean_error(code, err, "not found", "nope.jsonl")
    assert not (tmp_path / "o").exists()


def test_empty_file(tmp_path, capsys):
    src = tmp_path / "empty.txt"
    src.write_bytes(b"")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "no documents")
    assert not (tmp_path / "o").exists()
    assert_no_leftovers(tmp_path)


def test_directory_without_documents(tmp_path, capsys):
    src = tmp_path / "corpus"
    (src / "sub").mkdir(parents=True)
    (src / "notes.md").write_text("not a .txt file")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "no documents", ".txt")


@pytest.mark.parametrize("name, blob", [
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    ("archive.jsonl", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200)),
])
def test_binary_file(tmp_path, capsys, name, blob):
    src = tmp_path / name
    src.write_bytes(blob)
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "binary")


def test_binary_file_in_directory(tmp_path, capsys):
    (tmp_path / "c" / "a").mkdir(parents=True)
    (tmp_path / "c" / "a" / "ok.txt").write_text("rocket orbit launch")
    (tmp_path / "c" / "a" / "bad.txt").write_bytes(bytes(range(256)))
    code, _, err = cluster(tmp_path / "c", tmp_path / "o", capsys)
    assert_clean_error(code, err, "binary", "bad.txt")


def test_utf16_file(tmp_path, capsys):
    src = tmp_path / "u16.txt"
    src.write_bytes("rocket orbit\nbread oven\n".encode("utf-16"))
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "UTF-16", "re-encode")


def test_csv_missing_text_column(tmp_path, capsys):
    src = tmp_path / "c.csv"
    src.write_text("id,body\n1,rocket\n2,bread\n", encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "no column 'text'", "body", "--text-field")


def test_csv_short_row(tmp_path, capsys):
    src = tmp_path / "c.csv"
    src.write_text("id,label,text\n1,a,rocket orbit\n2,b\n", encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "record 2", "fewer columns")


def test_jsonl_broken_line_names_line_number(tmp_path, capsys):
    src = tmp_path / "c.jsonl"
    src.write_text('{"text": "rocket orbit"}\n\n{"text": "bread oven"\n{"text": "x"}\n', encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "line 3", "not valid JSON")


@pytest.mark.parametrize("line, fragment", [
    ('["a list"]', "expected a JSON object"),
    ('{"text": ["a", "list"]}', "is a JSON list"),
    ('{"body": "x"}', "no field 'text'"),
    ("[" * 50_000, "nested too deeply"),
])
def test_jsonl_wrong_shapes(tmp_path, capsys, line, fragment):
    src = tmp_path / "c.jsonl"
    src.write_text('{"text": "rocket orbit"}\n' + line + "\n", encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "line 2", fragment)


def test_truncated_gzip(tmp_path, capsys):
    blob = gzip.compress("".join(json.dumps({"text": f"doc {i} " + "word " * 20}) + "\n"
                                 for i in range(400)).encode())
    src = tmp_path / "c.jsonl.gz"
    src.write_bytes(blob[: len(blob) // 2])
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "truncated")
    assert not (tmp_path / "o").exists()


def test_not_gzip_with_gz_suffix(tmp_path, capsys):
    src = tmp_path / "c.jsonl.gz"
    src.write_text('{"text": "plain text, not gzip"}\n')
    code, _, err = cluster(src, tmp_path / "o", capsys)
    assert_clean_error(code, err, "gzip")


def test_all_documents_empty(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n" * 20 + "!!! ... ???\n" * 5, encoding="utf-8")
    for embedding in ("word2vec", "tfidf-lsa"):
        code, _, err = run(["cluster", src, "--out", tmp_path / "o", "--k", 2, "--embedding", embedding, "-q", "--no-map"],
                           capsys)
        assert_clean_error(code, err, "empty")
    assert not (tmp_path / "o").exists()


def test_k_larger_than_number_of_documents(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS[:5]), encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys, "--k", 6)
    assert_clean_error(code, err, "fewer documents (5) than clusters (k=6)", "lower")


@pytest.mark.parametrize("option", [
    ["--k", 0], ["--k", -3], ["--k", "many"], ["--seed", -1], ["--seed", 2**32], ["--vector-size", 1],
    ["--window", 0], ["--epochs", 0], ["--min-count", 0], ["--workers", 0], ["--n-process", 0],
    ["--n-process", -2], ["--top-words", 0], ["--min-cluster-size", 1], ["--embedding", "bert"],
    ["--algorithm", "spectral"], ["--pooling", "max"], ["--reduce", "tsne"], ["--encoding-errors", "ignore"],
    ["--lang", "qq"], ["--spacy-model", "xx_not_installed"], ["--label-field", "nope"], ["--bogus-option", 1],
])
def test_out_of_range_options(tmp_path, capsys, demo_path, option):
    code, _, err = run(["cluster", demo_path, "--out", tmp_path / "o", "-q", "--no-map", *option], capsys)
    assert_clean_error(code, err)
    assert not (tmp_path / "o").exists()


# -- output folder problems ----------------------------------------------------------------------------
def test_output_is_a_file(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS), encoding="utf-8")
    (tmp_path / "file").write_text("x")
    code, _, err = cluster(src, tmp_path / "file", capsys, "--k", 3)
    assert_clean_error(code, err, "not a directory")
    code, _, err = cluster(src, tmp_path / "file" / "sub", capsys, "--k", 3)
    assert_clean_error(code, err, "is a file")
    assert (tmp_path / "file").read_text() == "x"


def test_output_dir_not_written_by_textcluster_is_not_replaced(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS), encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    code, _, err = cluster(src, tmp_path / "mine", capsys, "--k", 3)
    assert_clean_error(code, err, "did not write")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_unwritable_output_directory(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS), encoding="utf-8")
    # /proc refuses new entries even for root (chmod does not stop root, so a read-only folder cannot be used).
    code, _, err = cluster(src, "/proc/textcluster-out", capsys, "--k", 3)
    assert_clean_error(code, err, "cannot write", "--out")
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            code, _, err = cluster(src, ro / "out", capsys, "--k", 3)
            assert_clean_error(code, err, "cannot write")
        finally:
            ro.chmod(0o700)


class _FullDisk:
    """A text file whose writes fail with ENOSPC after ``budget`` characters (a simulated full disk)."""

    def __init__(self, fh, budget: int):
        self._fh, self._left = fh, budget

    def write(self, s):
        if len(s) > self._left:
            self._fh.write(s[: self._left])
            self._fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._fh.name)
        self._left -= len(s)
        return self._fh.write(s)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def test_full_disk_keeps_previous_results(tmp_path, capsys, monkeypatch):
    import textcluster.report as report

    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS), encoding="utf-8")
    out = tmp_path / "o"
    code, _, err = cluster(src, out, capsys, "--k", 3)
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full_open(path, mode="r", *a, **kw):
        fh = open(path, mode, *a, **kw)
        return _FullDisk(fh, 200) if "w" in mode else fh

    monkeypatch.setattr(report, "open", full_open, raising=False)
    code, _, err = cluster(src, out, capsys, "--k", 2)
    assert_clean_error(code, err, "No space left on device", "free")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert_no_leftovers(tmp_path)


# -- usable inputs: a warning and a correct, complete result --------------------------------------------
def test_invalid_utf8_replaced_with_count_or_strict_failure(tmp_path, capsys):
    src = tmp_path / "c.txt"
    lines = [d.encode() for d in TOPIC_DOCS]
    lines[1] = b"rocket orbit caf\xe9 launch"
    lines[7] = b"bread \xff\xfe oven"
    src.write_bytes(b"\n".join(lines))
    with pytest.warns(TextclusterWarning, match=r"2 line\(s\).*--encoding-errors strict"):
        code, _, err = cluster(src, tmp_path / "o", capsys, "--k", 3)
    assert code == 0, err
    assert len(read_assignments(tmp_path / "o")) == 18
    code, _, err = cluster(src, tmp_path / "o2", capsys, "--k", 3, "--encoding-errors", "strict")
    assert_clean_error(code, err, "line 2", "invalid UTF-8", "--encoding-errors replace")
    assert not (tmp_path / "o2").exists()


def test_mixed_encodings(tmp_path):
    src = tmp_path / "c.jsonl"
    recs = [json.dumps({"id": "u", "text": "naïve café résumé"}, ensure_ascii=False).encode("utf-8"),
            '{"id": "l", "text": "naïve café"}'.encode("latin-1"),
            '{"id": "w", "text": "“smart quotes” – dash"}'.encode("cp1252"),
            b'{"id": "s", "text": "lone \\ud800 surrogate"}']
    src.write_bytes(b"\n".join(recs) + b"\n")
    corpus = read_corpus(src)
    with pytest.warns(UserWarning, match="3 line"):
        docs = list(corpus)
    assert docs[0].text == "naïve café résumé"  # valid UTF-8 untouched
    assert docs[1].text == "na\ufffdve caf\ufffd" and "\ufffd" in docs[2].text and docs[3].text == "lone \ufffd surrogate"
    for d in docs:
        d.text.encode("utf-8")  # everything is writable as UTF-8
    with pytest.raises(InputError, match="line 2"):
        list(read_corpus(src, encoding_errors="strict"))


def test_single_document(tmp_path, capsys):
    src = tmp_path / "one.txt"
    src.write_text("rocket orbit launch space astronaut\n", encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys)  # default k=10
    assert_clean_error(code, err, "fewer documents (1)")
    for extra in (["--k", 1], ["--k", 1, "--reduce", "pca"], ["--k", 1, "--embedding", "word2vec"]):
        code, _, err = run(["cluster", src, "--out", tmp_path / "o", "-q", "--no-map", "--embedding", "tfidf-lsa", *extra],
                           capsys)
        assert code == 0, (extra, err)
        assert [r["cluster"] for r in read_assignments(tmp_path / "o")] == ["0"]
    with pytest.warns(UserWarning, match="map skipped"):  # the default map needs 3 points: skipped, not fatal
        code, _, err = run(["cluster", src, "--out", tmp_path / "o", "-q", "--embedding", "tfidf-lsa", "--k", 1],
                           capsys)
    assert code == 0, err
    code, _, err = cluster(src, tmp_path / "o", capsys, "--algorithm", "hdbscan")
    assert_clean_error(code, err, "HDBSCAN needs at least")


def test_all_documents_identical(tmp_path, capsys):
    src = tmp_path / "same.txt"
    src.write_text("rocket orbit launch space astronaut\n" * 30, encoding="utf-8")
    for extra in (["--embedding", "word2vec", "--k", 3], ["--embedding", "word2vec", "--algorithm", "hdbscan"],
                  ["--embedding", "word2vec", "--reduce", "pca", "--k", 2]):
        code, _, err = run(["cluster", src, "--out", tmp_path / "o", "-q", "--no-map", *extra], capsys)
        assert code == 0, (extra, err)
        rows = read_assignments(tmp_path / "o")
        assert len(rows) == 30 and len({r["cluster"] for r in rows}) == 1  # identical documents share a cluster
        json.loads((tmp_path / "o" / "metrics.json").read_text())
    # TF-IDF ignores words present in every document: nothing is left, and the message says so
    code, _, err = cluster(src, tmp_path / "o2", capsys, "--k", 3)
    assert_clean_error(code, err, "no words left")


def test_document_over_spacy_max_length_is_split_and_counted(caplog):
    from textcluster.tokenize import SpacyTokenizer

    words = ["rocket", "orbit", "launch", "bread", "oven"] * 500
    long_text = " ".join(words)  # 16,999 characters
    tok = SpacyTokenizer(max_length=1000).fit()
    with caplog.at_level(logging.WARNING, logger="textcluster.tokenize"):
        out = tok.transform([long_text, "short rocket text"])
    assert tok.n_split_ == 1 and "1 text(s) longer than max_length=1000" in caplog.text
    assert out[0] == SpacyTokenizer().fit().transform([long_text])[0]  # no token lost or reordered
    assert out[1] == ["short", "rocket", "text"]
    with pytest.raises(InputError, match="max_length"):
        SpacyTokenizer(max_length=10).fit()


def test_very_long_lines(tmp_path, capsys):
    long_doc = " ".join(["rocket orbit launch space astronaut"] * 40_000)  # 1.4 M characters, over spaCy's limit
    src = tmp_path / "c.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerow(["long", long_doc])  # over the csv module's 131,072-character field limit
        for i, d in enumerate(TOPIC_DOCS):
            w.writerow([f"d{i}", d])
    code, _, err = cluster(src, tmp_path / "o", capsys, "--k", 3)
    assert code == 0, err
    rows = read_assignments(tmp_path / "o")
    assert len(rows) == 19 and rows[0]["id"] == "long"
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n_docs"] == 19 and m.get("n_split_docs") == 1


def test_empty_and_nan_fields_are_empty_documents(tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text('{"text": null}\n{"text": 3.5}\n{"text": ""}\n', encoding="utf-8")
    assert [d.text for d in read_corpus(src)] == ["", "3.5", ""]


# -- saved models: tampering gives a clear error, nothing is executed -------------------------------------
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from textcluster import TextClusterer

    d = tmp_path_factory.mktemp("model")
    model = TextClusterer(k=3, embedder="tfidf-lsa", random_state=0).fit(TOPIC_DOCS)
    model.save(d / "model")
    return d / "model"


def _copy_model(saved_model, tmp_path) -> Path:
    import shutil

    dst = tmp_path / "model"
    shutil.copytree(saved_model, dst)
    return dst


def _load(path):
    from textcluster import TextClusterer

    return TextClusterer.load(path)


def test_model_round_trip_predicts(saved_model):
    assert list(_load(saved_model).predict(TOPIC_DOCS[:1])) == list(_load(saved_model).predict(TOPIC_DOCS[:1]))


def _array_files(model_dir: Path) -> list[Path]:
    return sorted(p for p in model_dir.iterdir() if p.suffix in (".npy", ".w2v", ".safetensors"))


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "delete"])
def test_damaged_array_file(saved_model, tmp_path, damage):
    model = _copy_model(saved_model, tmp_path)
    target = _array_files(model)[0]
    blob = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip_byte":
        target.write_bytes(blob[:-1] + bytes([blob[-1] ^ 0xFF]))
    else:
        target.unlink()
    with pytest.raises(InputError, match="checksum|missing"):
        _load(model)


@pytest.mark.parametrize("edit, fragment", [
    (lambda c: c.update(format_version=c["format_version"] + 1), "newer"),
    (lambda c: c.update(format_version=0), "format version 0"),
    (lambda c: c.update(format="someone-elses-model"), "not a textcluster model"),
    (lambda c: c.pop("files"), "missing"),
])
def test_foreign_or_edited_config(saved_model, tmp_path, edit, fragment):
    model = _copy_model(saved_model, tmp_path)
    cfg = json.loads((model / "config.json").read_text())
    edit(cfg)
    (model / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match=fragment):
        _load(model)


def test_truncated_config(saved_model, tmp_path):
    model = _copy_model(saved_model, tmp_path)
    text = (model / "config.json").read_text()
    (model / "config.json").write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match="not valid JSON"):
        _load(model)


@pytest.mark.parametrize("old, new", [
    ("textcluster.pipeline:TextClusterer", "os:system"),
    ("textcluster.pipeline:TextClusterer", "subprocess:Popen"),
    ("textcluster.embed.lsa:_identity", "builtins:eval"),
    # reachable through a textcluster module's attributes, but defined in the standard library
    ("textcluster.embed.lsa:_identity", "textcluster.atomic:shutil.rmtree"),
    ("textcluster.tokenize:SpacyTokenizer", "textcluster.atomic:tempfile.TemporaryDirectory"),
])
def test_config_naming_other_code_is_refused(saved_model, tmp_path, old, new):
    model = _copy_model(saved_model, tmp_path)
    text = (model / "config.json").read_text()
    assert f'"{old}"' in text
    (model / "config.json").write_text(text.replace(f'"{old}"', f'"{new}"'))
    with pytest.raises(InputError, match="refusing|not allowed|not an estimator|not a TextClusterer"):
        _load(model)


def test_pickled_array_is_never_executed(saved_model, tmp_path):
    """A tampered .npy holding a pickle (with a matching checksum) must be refused, not unpickled."""
    import hashlib

    model = _copy_model(saved_model, tmp_path)
    target = next(p for p in _array_files(model) if p.suffix == ".npy")
    canary = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (canary,))

    np.save(target, np.array([Exploit()], dtype=object), allow_pickle=True)
    cfg = json.loads((model / "config.json").read_text())
    cfg["files"][target.name] = hashlib.sha256(target.read_bytes()).hexdigest()
    (model / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="not a plain numeric array"):
        _load(model)
    assert not canary.exists()


def test_predict_cli_on_tampered_model(saved_model, tmp_path, capsys):
    model = _copy_model(saved_model, tmp_path)
    target = _array_files(model)[0]
    target.write_bytes(target.read_bytes()[:-8])
    src = tmp_path / "new.txt"
    src.write_text("rocket orbit\n")
    code, _, err = run(["predict", model, src, "--out", tmp_path / "pred.csv"], capsys)
    assert_clean_error(code, err, "checksum")
    assert not (tmp_path / "pred.csv").exists()


def test_output_folder_has_marker_and_ordinary_permissions(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(TOPIC_DOCS), encoding="utf-8")
    code, _, err = cluster(src, tmp_path / "o", capsys, "--k", 3)
    assert code == 0, err
    assert (tmp_path / "o" / MARKER).exists()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "o").stat().st_mode & 0o777 == 0o777 & ~umask


# -- images and tables (issue 4's readers; skipped where they are absent) --------------------------------
def _cli_has(command: str) -> bool:
    import typer

    from textcluster.cli import app

    return command in typer.main.get_command(app).commands


def test_images_of_mixed_sizes(tmp_path, capsys):
    images = pytest.importorskip("textcluster.images")
    Image = pytest.importorskip("PIL.Image")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, size in enumerate([(8, 8), (8, 8), (12, 10)]):
        Image.fromarray(rng.integers(0, 255, size, dtype=np.uint8)).save(folder / f"{i}.png")
    with pytest.raises(InputError, match="differ in size"):
        images.read_images(folder)
    (folder / "2.png").unlink()
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))  # a truncated image
    with pytest.raises(InputError, match="broken.png"):
        images.read_images(folder)
    if _cli_has("images"):
        (folder / "broken.png").unlink()
        Image.fromarray(rng.integers(0, 255, (5, 7), dtype=np.uint8)).save(folder / "odd.png")
        code, _, err = run(["images", folder, "--out", tmp_path / "o", "-q"], capsys)
        assert_clean_error(code, err, "differ in size")
        assert not (tmp_path / "o").exists()


def test_table_with_nan_and_non_numeric_columns(tmp_path, capsys):
    tabular = pytest.importorskip("textcluster.tabular")
    src = tmp_path / "t.csv"
    src.write_text("id,a,b,colour,label\n1,0.5,1,red,x\n2,,2,blue,y\n3,1.5,nan,red,x\n4,2.0,4,green,y\n")
    with pytest.raises(InputError, match="missing values"):
        tabular.read_table(src)
    with pytest.raises(InputError, match="not numeric"):
        tabular.read_table(src, columns=["a", "colour"], impute="mean")
    t = tabular.read_table(src, impute="mean")
    X = np.asarray(t.X)
    assert X.shape == (4, 5) and np.isfinite(X).all()  # the text column is one-hot encoded, NaNs imputed
    if _cli_has("table"):
        code, _, err = run(["table", src, "--out", tmp_path / "o", "--k", 2, "-q"], capsys)
        assert_clean_error(code, err, "missing values")
        assert not (tmp_path / "o").exists()
