"""Atomic output folders: a failed, interrupted or killed run never leaves --out mixed or half-written.

The in-process tests drive :func:`textcluster.atomic.atomic_dir` through its narrow windows (an error in the
block, a signal between the two fallback renames, a SIGKILL between them); the subprocess tests kill real
``python -m textcluster.cli cluster`` runs at random moments and check that --out always holds the complete
previous results or the complete new ones. ``TEXTCLUSTER_KILL_RUNS=N`` changes the count of the slow test.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textcluster import atomic
from textcluster.atomic import MARKER, atomic_dir, cleanup_stale

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "topics-en.jsonl"


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _write(folder: Path, tag: str, n: int = 3) -> None:
    for i in range(n):
        (folder / f"part{i}.txt").write_text(f"{tag} {i}\n")


def _state(folder: Path) -> dict:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def _hidden(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


# -- in-process: the windows of atomic_dir ---------------------------------------------------------------
def test_success_replaces_and_error_keeps_previous(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        _write(tmp, "old")
    first = _state(out)
    assert first[MARKER] and first["part0.txt"] == "old 0\n"
    with pytest.raises(RuntimeError):
        with atomic_dir(out) as tmp:
            _write(tmp, "new", 1)  # half-written when the run fails
            raise RuntimeError("stage failed")
    assert _state(out) == first and not _hidden(tmp_path)
    with atomic_dir(out) as tmp:
        _write(tmp, "new", 2)
    state = _state(out)
    assert json.loads(state.pop(MARKER))["files"] == ["part0.txt", "part1.txt"]  # the manifest of this run
    assert state == {"part0.txt": "new 0\n", "part1.txt": "new 1\n"}
    assert not _hidden(tmp_path)


def test_keyboard_interrupt_inside_block_keeps_previous(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        _write(tmp, "old")
    first = _state(out)
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(out) as tmp:
            _write(tmp, "new", 1)
            raise KeyboardInterrupt
    assert _state(out) == first and not _hidden(tmp_path)


def test_signal_between_fallback_renames_is_deferred(tmp_path, monkeypatch):
    """Without renameat2 the swap is two renames; SIGTERM arriving between them waits until both are done."""
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        _write(tmp, "old")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        real_rename(src, dst)
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 1:  # out has just moved aside: the worst moment for a signal
            os.kill(os.getpid(), signal.SIGTERM)

    class Terminated(BaseException):
        pass

    def on_term(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        monkeypatch.setattr(atomic.os, "rename", rename)
        with pytest.raises(Terminated):
            with atomic_dir(out) as tmp:
                _write(tmp, "new")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(calls) == 2 and calls[0][1] == "previous"
    assert _state(out)["part2.txt"] == "new 2\n"  # the signal came after the swap: complete new results
    assert not _hidden(tmp_path)


def test_sigkill_between_fallback_renames_is_repaired_by_next_run(tmp_path):
    """State a SIGKILL between the two renames leaves: --out missing, the old results in .out.old-PID-*."""
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        _write(tmp, "old")
    first = _state(out)
    pid = _dead_pid()
    old = tmp_path / f".out.old-{pid}-abcd"
    old.mkdir()
    os.rename(out, old / "previous")
    stale_tmp = tmp_path / f".out.tmp-{pid}-efgh"
    stale_tmp.mkdir()
    _write(stale_tmp, "half", 1)
    alive = tmp_path / f".out.tmp-{os.getppid()}-live"  # a run still going (our parent is alive): left alone
    alive.mkdir()
    assert not out.exists()
    assert cleanup_stale(out) == 2
    assert _state(out) == first and sorted(_hidden(tmp_path)) == [alive.name]
    with atomic_dir(out) as tmp:  # and the next run proceeds normally
        _write(tmp, "new")
    assert _state(out)["part0.txt"] == "new 0\n"


def test_exchange_is_used_on_linux(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not atomic._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not available here; the deferred two-rename path is used")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


# -- subprocess: kill real runs at random moments ------------------------------------------------------
def _cli(out: Path, seed: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "textcluster.cli", "cluster", str(CORPUS), "--k", "8", "--seed", str(seed),
            "--out", str(out), "-q", *extra]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _snapshot(out: Path) -> dict:
    """What must be identical between two complete runs with the same seed (timings excluded)."""
    metrics = json.loads((out / "metrics.json").read_text())
    model_cfg = json.loads((out / "model" / "config.json").read_text())
    for name, digest in model_cfg["files"].items():  # every model array is complete
        assert _sha(out / "model" / name) == digest, name
    return {"files": sorted(p.name for p in out.iterdir()),
            "assignments": _sha(out / "assignments.csv"), "topics": _sha(out / "topics.json"),
            "seed": metrics["config"]["random_state"], "n_docs": metrics["n_docs"]}


def _default_sigint() -> None:
    """Child side of Popen: a parent started in the background ignores SIGINT, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TEXTCLUSTER_DEBUG", None)
    return env


def _kill_loop(tmp_path: Path, n_kills: int, rng_seed: int, *extra: str) -> dict:
    """Alternate seeds 0 and 1, kill each run at a random moment; --out must always equal a complete run.

    The seed-1 reference is a complete first run; the seed-0 reference is the first complete seed-0 state
    seen, and the closing uninterrupted seed-0 run must reproduce it (so a mixed state cannot pass as one).
    """
    out = tmp_path / "out"
    t0 = time.perf_counter()
    r = subprocess.run(_cli(out, 1, *extra), cwd=ROOT, env=_env(), preexec_fn=_default_sigint,
                       capture_output=True, text=True, timeout=600)
    horizon = (time.perf_counter() - t0) * 1.05
    assert r.returncode == 0, r.stderr
    refs = {1: _snapshot(out)}
    rng = random.Random(rng_seed)
    outcomes = {"killed": 0, "finished": 0, "sigkill": 0, "interrupted_during_import": 0}
    for i in range(n_kills):
        seed = i % 2
        sig = rng.choice([signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
        delay = rng.uniform(0.05, horizon)
        p = subprocess.Popen(_cli(out, seed, *extra), cwd=ROOT, env=_env(), preexec_fn=_default_sigint,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(sig)
        _, err = p.communicate(timeout=600)
        code = p.returncode
        if code == 0:
            outcomes["finished"] += 1
        else:
            outcomes["killed"] += 1
            outcomes["sigkill"] += sig == signal.SIGKILL
            # SIGTERM -> 143, Ctrl-C -> 130 (-15 / -2 when the signal lands before the handlers exist)
            assert code in (130, 143, -signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL), (code, err)
            if "Traceback" in err:
                # Ctrl-C while the interpreter is still importing modules, before textcluster's main() runs:
                # Python prints its own KeyboardInterrupt trace and nothing has been written yet.
                assert code == -signal.SIGINT and err.rstrip().endswith("KeyboardInterrupt"), err
                assert "in main" not in err and "in cluster_cmd" not in err, err
                outcomes["interrupted_during_import"] += 1
        snap = _snapshot(out)  # complete, and equal to one of the two references: never mixed
        assert snap == refs.setdefault(snap["seed"], snap), (i, sig, delay)
        if code == 0:
            assert snap["seed"] == seed
    r = subprocess.run(_cli(out, 0, *extra), cwd=ROOT, env=_env(), preexec_fn=_default_sigint,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert _snapshot(out) == refs.setdefault(0, _snapshot(out)) and refs[0] != refs[1]
    assert not _hidden(tmp_path), "the last run must clean up what killed runs left"
    return outcomes


def test_killed_runs_never_leave_mixed_output(tmp_path):
    outcomes = _kill_loop(tmp_path, 3, 7, "--no-map")  # the slow 20x loop keeps the default map
    assert outcomes["killed"] + outcomes["finished"] == 3


@pytest.mark.slow
def test_killed_runs_never_leave_mixed_output_20x(tmp_path):
    n = int(os.environ.get("TEXTCLUSTER_KILL_RUNS", "20"))
    outcomes = _kill_loop(tmp_path, n, 2026)
    print(f"kill loop: {n} runs, {outcomes}")
    assert outcomes["killed"] >= n // 2  # most runs really were interrupted


@pytest.mark.parametrize("sig, code, message", [(signal.SIGTERM, 143, "terminated"),
                                                 (signal.SIGINT, 130, "interrupted")])
def test_signal_mid_run_exits_cleanly(tmp_path, sig, code, message):
    """SIGTERM / Ctrl-C while the pipeline runs: exit 143 / 130, one line, temporary folder removed."""
    out = tmp_path / "out"
    p = subprocess.Popen(_cli(out, 0, "--no-map"), cwd=ROOT, env=_env(), preexec_fn=_default_sigint,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not _hidden(tmp_path) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until the run has started writing into its temporary folder
    assert p.poll() is None, "the run finished before it could be interrupted"
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert err.strip().splitlines()[-1] == f"textcluster: error: {message}" and "Traceback" not in err
    assert not out.exists() and not _hidden(tmp_path)
