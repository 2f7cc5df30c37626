"""Generated hostile cases (issue 14): tampered models, hostile output paths, hostile inputs.

Every case must end in exit 2 with exactly one ``textcluster: error:`` line (the library: one
:class:`ModelFileError` / :class:`InputError`), or, where the input is still usable, in a correct result;
never exit 1, a traceback or SystemExit, and every file that existed before is byte-identical afterwards.
The model mutations are generated from a small saved model: every key and every array of its config.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from textcluster import TextClusterer, make_embedder
from textcluster.atomic import MARKER
from textcluster.cli import main
from textcluster.errors import InputError, ModelFileError

DOCS = (["rocket orbit launch space astronaut"] * 8 + ["bread oven bake flour yeast"] * 8
        + ["guitar song chord melody drum"] * 8)


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def assert_one_error(code, err, *fragments):
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("textcluster: error:"), err
    for f in fragments:
        assert f.lower() in lines[0].lower(), (f, lines[0])


def snapshot(root: Path) -> dict:
    """Bytes of every regular file under ``root`` (links not followed), keyed by relative path."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_file() and not p.is_symlink():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


def no_leftovers(parent: Path):
    hidden = [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert not hidden, hidden


# -- a tiny model, fitted once ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    model = TextClusterer(k=3, random_state=0, embedder=make_embedder("word2vec", vector_size=8, epochs=2, min_count=1))
    model.fit(DOCS)
    model.save(root / "model")
    src = root / "new.txt"
    src.write_text("rocket launch\nbread flour\nguitar chord\n", encoding="utf-8")
    return root / "model", src


def _rehash(model_dir: Path, cfg: dict) -> None:
    for name in list(cfg.get("files", {}) if isinstance(cfg.get("files"), dict) else []):
        p = model_dir / name
        if p.is_file():
            cfg["files"][name] = hashlib.sha256(p.read_bytes()).hexdigest()
    text = json.dumps(cfg).replace(json.dumps(_DEEP), "[" * 100_000 + "]" * 100_000)
    (model_dir / "config.json").unlink(missing_ok=True)  # may be a hard link to the fixture's file
    (model_dir / "config.json").write_text(text, encoding="utf-8")


def _nodes(value, path=()):
    """(path, value) of every node of the model config (long lists: their first element only)."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:1]):
            yield from _nodes(v, path + (i,))


def _set(cfg, path, value, delete=False):
    node = cfg
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DEEP = "__DEEP__"  # replaced by 100,000 nested lists when the config is written (json.dumps would recurse)
_CODE = ["textcluster.cli:main", "os:system", "builtins:eval", "textcluster.atomic:shutil.rmtree",
         "textcluster.process:Terminated"]


_SWAPS = [None, 1, -1, 2.5, "x", True, [], {}, [1, 2], {"json": None}]


def _config_mutations(cfg):
    """(description, edit(config)) for every key of the config: deleted, retyped, or given code names.

    Each node gets a deletion and a type swap, each string a code name, each typed entry a callable, an
    estimator and nesting beyond the limit (the kinds cycle over the nodes so that every kind meets every
    part of the config)."""
    for n, (path, value) in enumerate(list(_nodes(cfg))):
        if not path:
            continue
        where = "/".join(map(str, path))
        if isinstance(path[-1], str):
            yield f"delete {where}", lambda c, p=path: _set(c, p, None, delete=True)
        if path[0] == "files":  # the checksums are recomputed afterwards: only deletions change anything
            continue
        new = _SWAPS[n % len(_SWAPS)]
        if type(new) is not type(value) or new != value:
            yield f"{where} = {new!r}", lambda c, p=path, v=new: _set(c, p, copy.deepcopy(v))
        if isinstance(value, str):
            name = _CODE[n % len(_CODE)]
            yield f"{where} = {name}", lambda c, p=path, v=name: _set(c, p, v)
        if isinstance(value, dict) and ("json" in value or "npy" in value):
            kind = n % 4
            if kind == 0:
                yield f"{where} = function main", lambda c, p=path: _set(c, p, {"function": "textcluster.cli:main"})
            elif kind == 1:
                yield f"{where} = estimator main", lambda c, p=path: _set(
                    c, p, {"estimator": "textcluster.cli:main", "params": {}, "state": {}})
            elif kind == 2:
                yield f"{where} = deep nesting", lambda c, p=path: _set(c, p, {"json": _DEEP})
            else:
                yield f"{where} = 70 levels", lambda c, p=path: _set(c, p, {"json": json.loads("[" * 70 + "]" * 70)})
    yield "state shadows predict", lambda c: c["model"]["state"]["clusterer_"]["state"].update(
        predict={"function": "textcluster.embed.lsa:_identity"})
    yield "state sets __class__", lambda c: c["model"]["state"].update(__class__={"json": 1})
    yield "tokenizer model pip", lambda c: c["model"]["state"]["tokenizer_"]["params"].update(model={"json": "pip"})
    yield "tokenizer model path", lambda c: c["model"]["state"]["tokenizer_"]["params"].update(
        model={"json": "/usr/lib/python3"})
    yield "spacy_model path", lambda c: c["model"]["params"].update(spacy_model={"json": "../../x"})
    yield "lang path", lambda c: c["model"]["state"]["tokenizer_"]["params"].update(lang={"json": "en/../x"})
    yield "file outside", lambda c: c["files"].update({"../new.txt": "0" * 64})


def _array_mutations(model_dir: Path, cfg):
    """(description, edit(model_dir, config)) for every .npy / word2vec file: dtype, shape, header, size."""
    for name in sorted(cfg["files"]):
        p = model_dir / name
        if name.endswith(".npy"):
            arr = np.load(p)
            edits = {
                "as float16": lambda a: a.astype(np.float16), "as int8": lambda a: a.astype(np.int8),
                "as complex": lambda a: a.astype(np.complex64), "as str": lambda a: a.astype("U3"),
                "transposed+1": lambda a: np.zeros(a.shape[::-1] + (1,), a.dtype),
                "drop first row": lambda a: a[1:], "one column": lambda a: np.zeros((len(a), 1), a.dtype),
                "scalar": lambda a: np.asarray(a.ravel()[:1].sum() if a.size else 0, a.dtype),
                "(200000, 1)": lambda a: np.zeros((200000, 1), np.float32),
                "nan": lambda a: np.full(a.shape, np.nan, np.float32) if a.dtype.kind == "f" else a[:0],
            }
            for what, fn in edits.items():
                def edit(d, c, name=name, fn=fn, arr=arr):
                    (d / name).unlink()  # a hard link to the fixture's file: never write through it
                    np.save(d / name, fn(arr), allow_pickle=False)
                yield f"{name} {what}", edit, True
                # the same change, with the config's declared shape and dtype edited to match
                yield f"{name} {what} (config edited to match)", _declare(name, fn, arr), True
            yield f"{name} huge declared shape", _huge_header(name), True
            yield f"{name} bad header", lambda d, c, name=name: _replace(d / name, b"\x93NUMPY\x01\x00\xff\xff{"), True
        elif name.endswith(".w2v"):
            yield f"{name} huge count", lambda d, c, name=name: _replace(
                d / name, b"99999999999 8\n" + (d / name).read_bytes().split(b"\n", 1)[1]), True
            yield f"{name} wider vectors", lambda d, c, name=name: _replace(
                d / name, b"%d 16\n" % 3 + (d / name).read_bytes().split(b"\n", 1)[1]), True


def _replace(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def _declare(name, fn, arr):
    def edit(d, c):
        new = fn(arr)
        (d / name).unlink()
        np.save(d / name, new, allow_pickle=False)
        for _, node in _nodes(c):
            if isinstance(node, dict) and node.get("npy") == name:
                node["shape"], node["dtype"] = list(new.shape), new.dtype.str
    return edit


def _huge_header(name):
    def edit(d, c):
        p = d / name
        arr = np.load(p)
        header = {"descr": arr.dtype.str, "fortran_order": False, "shape": (10**12, 10**6)}
        p.unlink()
        with open(p, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(arr.tobytes())
    return edit


def _check_outcome(model_dir: Path, src: Path, out: Path, capsys, desc: str, must_fail: bool) -> str:
    before = snapshot(model_dir.parent)
    code, _, err = run(["predict", model_dir, src, "--out", out, "-q"], capsys)
    assert code in (0, 2), f"{desc}: exit {code}: {err}"
    assert "Traceback" not in err, desc
    assert snapshot(model_dir.parent) == {**before, **({out.name: out.read_bytes()} if code == 0 else {})}, desc
    if code == 2:
        assert_one_error(code, err)
        assert not out.exists(), desc
        return "refused"
    assert not must_fail, f"{desc}: accepted"
    rows = out.read_text().splitlines()
    assert rows[0].startswith("id,cluster") and len(rows) == 4, desc
    assert all(int(r.split(",")[1]) in (0, 1, 2) for r in rows[1:]), desc
    out.unlink()
    return "accepted"


def _cases(model: Path):
    cfg0 = json.loads((model / "config.json").read_text())
    cases = [(d, (lambda dd, c, f=f: f(c)), False) for d, f in _config_mutations(cfg0)]
    return cfg0, cases + list(_array_mutations(model, cfg0))


@pytest.mark.parametrize("share", [pytest.param(8, id="every-8th"),
                                   pytest.param(1, id="all", marks=pytest.mark.slow)])
def test_mutation_loop_over_every_key_and_array(tiny, tmp_path, capsys, share):
    """Every generated tampering: exit 2 with one line, or a valid prediction; never exit 1. Array changes
    must always be refused (also with the config's declared shape/dtype edited to match). The default suite
    runs every 8th case (all kinds, all parts of the config), ``-m slow`` all of them."""
    model, src = tiny
    cfg0, cases = _cases(model)
    cases = cases[::share]
    work = tmp_path / "w"
    outcomes = {"refused": 0, "accepted": 0}
    t0 = time.perf_counter()
    failures = []
    for desc, edit, must_fail in cases:
        if work.exists():
            shutil.rmtree(work)
        (work / "model").mkdir(parents=True)
        for f in model.iterdir():  # hard links: cheap copies (edits unlink before writing)
            os.link(f, work / "model" / f.name)
        cfg = copy.deepcopy(cfg0)
        edit(work / "model", cfg)
        _rehash(work / "model", cfg)  # the attacker updates the checksums too
        try:
            outcomes[_check_outcome(work / "model", src, work / "pred.csv", capsys, desc, must_fail)] += 1
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:300])
    print(f"\n{len(cases)} mutations: {outcomes} in {time.perf_counter() - t0:.1f} s")
    assert not failures, "\n".join(failures)
    assert len(cases) > 100
    assert outcomes["refused"] > 0.6 * len(cases)


def test_library_raises_model_file_error_not_system_exit(tiny, tmp_path):
    model, _ = tiny
    work = tmp_path / "m"
    shutil.copytree(model, work)
    cfg = json.loads((work / "config.json").read_text())
    cfg["model"]["state"]["clusterer_"]["estimator"] = "textcluster.cli:main"
    _rehash(work, cfg)
    with pytest.raises(ModelFileError, match="not one of textcluster's saved components"):
        TextClusterer.load(work)


def test_bad_safetensors_header_is_refused(tmp_path):
    from textcluster import safeload

    p = tmp_path / "w.safetensors"
    p.write_bytes((10**9).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelFileError, match="safetensors"):
        safeload.check_safetensors(p)
    header = json.dumps({"a": {"dtype": "F32", "shape": [10**9], "data_offsets": [0, 4 * 10**9]}}).encode()
    p.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 16)
    with pytest.raises(ModelFileError, match="malformed entry"):
        safeload.check_safetensors(p)


def test_model_file_that_is_a_link_outside_is_refused(tiny, tmp_path):
    model, src = tiny
    work = tmp_path / "m"
    shutil.copytree(model, work)
    cfg = json.loads((work / "config.json").read_text())
    name = next(n for n in cfg["files"] if n.endswith(".npy"))
    outside = tmp_path / "outside.npy"
    shutil.copy(work / name, outside)
    (work / name).unlink()
    (work / name).symlink_to(outside)
    with pytest.raises(ModelFileError, match="not a regular file inside the model folder"):
        TextClusterer.load(work)


# -- hostile output paths ------------------------------------------------------------------------------------
@pytest.fixture()
def corpus(tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(DOCS), encoding="utf-8")
    return src


def _cluster(src, out, capsys, *extra):
    return run(["cluster", src, "--out", out, "--embedding", "tfidf-lsa", "-q", "--no-map", "--k", 3, *extra],
               capsys)


def test_hostile_predict_outputs(tiny, tmp_path, capsys):
    model, _ = tiny
    work = tmp_path / "m"
    shutil.copytree(model, work)
    src = tmp_path / "in.txt"
    src.write_text("rocket launch\n")
    cases = {
        "the input": (src, "is the input"),
        "the model config": (work / "config.json", "inside the saved model"),
        "inside the model": (work / "new.csv", "inside the saved model"),
        "the model folder": (work, "inside the saved model"),
        "/dev/null": (Path("/dev/null"), "not a regular file"),
        "a long name": (tmp_path / ("x" * 250 + ".csv"), "shorter"),
        "a dangling link": (tmp_path / "dangling.csv", "does not exist"),
    }
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere" / "p.csv")
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    cases["a FIFO"] = (fifo, "not a regular file")
    before = snapshot(tmp_path)
    for what, (out, fragment) in cases.items():
        code, _, err = run(["predict", work, src, "--out", out, "-q"], capsys)
        assert_one_error(code, err, fragment)
        assert snapshot(tmp_path) == before, what
        no_leftovers(tmp_path)
    assert Path("/dev/null").is_char_device()


def test_predict_out_parents_created_and_link_followed(tiny, tmp_path, capsys):
    model, src = tiny
    deep = tmp_path / "a" / "b" / "p.csv"
    code, _, err = run(["predict", model, src, "--out", deep, "-q"], capsys)
    assert code == 0, err and deep.is_file()
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = run(["predict", model, src, "--out", link, "-q"], capsys)
    assert code == 0, err
    assert link.is_symlink() and target.read_text().startswith("id,cluster")
    no_leftovers(tmp_path)


def test_rerun_never_deletes_files_textcluster_did_not_write(corpus, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = _cluster(corpus, out, capsys)
    assert code == 0, err
    manifest = json.loads((out / MARKER).read_text())
    assert "assignments.csv" in manifest["files"] and "model/config.json" in manifest["files"]
    (out / "my-notes.txt").write_text("precious")
    shutil.copy(corpus, out / "input-copy.txt")
    before = snapshot(out)
    code, _, err = _cluster(corpus, out, capsys)
    assert_one_error(code, err, "did not write", "my-notes.txt")
    assert snapshot(out) == before
    (out / "my-notes.txt").unlink()
    (out / "input-copy.txt").unlink()
    code, _, err = _cluster(corpus, out, capsys, "--seed", 1)
    assert code == 0, err


def test_input_inside_out_and_out_is_input(corpus, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = _cluster(corpus, out, capsys)
    assert code == 0, err
    inside = out / "docs.txt"
    shutil.copy(corpus, inside)
    before = snapshot(tmp_path)
    code, _, err = _cluster(inside, out, capsys)
    assert_one_error(code, err, "contains the input")
    code, _, err = _cluster(corpus, corpus, capsys)
    assert_one_error(code, err, "is the input")
    code, _, err = _cluster(corpus, out / "model", capsys)
    assert_one_error(code, err, "saved model")
    assert snapshot(tmp_path) == before


def test_symlinked_out_folder_is_followed_without_leftovers(corpus, tmp_path, capsys):
    real = tmp_path / "real"
    code, _, err = _cluster(corpus, real, capsys)
    assert code == 0, err
    link = tmp_path / "link"
    link.symlink_to(real)
    code, _, err = _cluster(corpus, link, capsys, "--seed", 1)
    assert code == 0, err
    assert link.is_symlink() and (real / "assignments.csv").is_file()
    no_leftovers(tmp_path)


def test_save_vectors_hostile_paths(corpus, tmp_path, capsys):
    before = snapshot(tmp_path)
    (tmp_path / "d").mkdir()
    for target, fragment in [(tmp_path / "d", "is a directory"), (corpus, "is the input"),
                             (Path("/dev/null"), "not a regular file"), (tmp_path / "o" / "v.txt", "inside --out")]:
        code, _, err = run(["cluster", corpus, "--out", tmp_path / "o", "-q", "--no-map", "--k", 3,
                            "--save-vectors", target], capsys)
        assert_one_error(code, err, fragment)
        assert snapshot(tmp_path) == before
    assert not (tmp_path / "o").exists()


# -- hostile inputs ----------------------------------------------------------------------------------------
def test_csv_quoted_newlines_kept_and_malformed_rows_named(tmp_path, capsys):
    from textcluster import read_corpus

    good = tmp_path / "g.csv"
    good.write_text('id,text\n1,"rocket\nlaunch"\n2,plain\n')
    assert [d.text for d in read_corpus(good)] == ["rocket\nlaunch", "plain"]
    for content, fragment in [('id,text\n1,"rocket launch\n2,plain\n', "line 2: a quoted field is never closed"),
                              ("text,id,text\na,1,b\n", "line 1: the header names column 'text' 2 times"),
                              ("id,text\n1,a,b\n", "line 2"),
                              ('id,text\n1,"x"y\n', "line 2: malformed csv")]:
        good.write_text(content)
        code, _, err = _cluster(good, tmp_path / "o", capsys)
        assert_one_error(code, err, fragment)
        assert not (tmp_path / "o").exists()


def test_directory_corpus_stays_inside_and_reports_unreadable(tmp_path, capsys):
    from textcluster import read_corpus

    root = tmp_path / "corpus"
    (root / "space").mkdir(parents=True)
    (root / "food").mkdir()
    for i, d in enumerate(DOCS):
        (root / ("space" if i < 12 else "food") / (f"{i}.TXT" if i % 2 else f"{i}.txt")).write_text(d)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the corpus")
    (root / "space" / "leak.txt").symlink_to(secret)
    (root / "linked").symlink_to(tmp_path)
    with pytest.warns(UserWarning, match="2 symbolic link"):
        docs = list(read_corpus(root))
    assert len(docs) == len(DOCS) and all("outside" not in d.text for d in docs)
    if os.geteuid() != 0:  # root reads everything
        (root / "food").chmod(0)
        try:
            code, _, err = _cluster(root, tmp_path / "o", capsys)
            assert_one_error(code, err, "cannot read the folder")
        finally:
            (root / "food").chmod(0o755)


def test_partial_labels_warn_and_score_labelled(tmp_path, capsys):
    src = tmp_path / "p.jsonl"
    src.write_text("\n".join(json.dumps({"text": d, **({"label": d.split()[0]} if i % 3 else {})})
                             for i, d in enumerate(DOCS)))
    with pytest.warns(UserWarning, match="labels on 16 of 24 documents"):
        code, _, err = _cluster(src, tmp_path / "o", capsys)
    assert code == 0, err
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["n_labelled"] == 16 and "nmi" in metrics


def test_document_size_cap(tmp_path, capsys, monkeypatch):
    import gzip

    from textcluster import corpus as corpus_mod

    monkeypatch.setattr(corpus_mod, "MAX_DOC_BYTES", 1000)
    src = tmp_path / "big.jsonl.gz"
    with gzip.open(src, "wt") as fh:
        fh.write(json.dumps({"text": "word " * 50}) + "\n" + json.dumps({"text": "word " * 5000}) + "\n")
    code, _, err = _cluster(src, tmp_path / "o", capsys)
    assert_one_error(code, err, "line 2", "limit per document")
    from textcluster.corpus import read_corpus

    assert read_corpus(src).uncompressed_bytes > src.stat().st_size


def _cli(*args, stdin=None, timeout=120):
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "textcluster.cli", *map(str, args)], input=stdin,
                          capture_output=True, timeout=timeout, env=env)


def test_stdin_and_fifo_are_read_once(tmp_path):
    text = ("\n".join(DOCS * 40) + "\n").encode()  # well over 8 KB
    assert len(text) > 3 * 8192
    res = _cli("cluster", "-", "--out", tmp_path / "o", "--embedding", "tfidf-lsa", "--no-map", "-q", "--k", 3,
               stdin=text)
    assert res.returncode == 0, res.stderr
    assert len((tmp_path / "o" / "assignments.csv").read_text().splitlines()) == len(DOCS) * 40 + 1
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat > '{fifo}'"], stdin=subprocess.PIPE)
    proc = subprocess.Popen([sys.executable, "-m", "textcluster.cli", "cluster", fifo, "--out", tmp_path / "f",
                             "--embedding", "tfidf-lsa", "--no-map", "-q", "--k", "3"],
                            stderr=subprocess.PIPE)
    writer.communicate(text)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert len((tmp_path / "f" / "assignments.csv").read_text().splitlines()) == len(DOCS) * 40 + 1


def test_sighup_cleans_up_like_sigterm(corpus, tmp_path):
    out = tmp_path / "o"
    res = _cli("cluster", corpus, "--out", out, "--embedding", "tfidf-lsa", "--no-map", "-q", "--k", 3)
    assert res.returncode == 0, res.stderr
    before = snapshot(out)
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"{d} {i}" for i in range(3000) for d in DOCS[::8]), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "textcluster.cli", "cluster", big, "--out", out, "--no-map",
                             "-q", "--k", "3"], stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any(".tmp-" in p.name for p in tmp_path.iterdir()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 129, err
    assert err.decode().strip().splitlines()[-1] == "textcluster: error: hung up (SIGHUP); previous results are kept"
    assert snapshot(out) == before
    no_leftovers(tmp_path)
