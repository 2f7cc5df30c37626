"""README.md's code blocks, run as a new user would paste them (issue 15: the first hour of a new user).

Every ```bash line runs verbatim with bash, from a scratch folder laid out like the repository root
(``corpora`` and ``.venv`` linked in), so the outputs (``results/...``) land in tmp; every ```python block
runs as one script there. Skipped, each with its reason in SKIP: lines that install software or run the test
suite (setup.sh, run.sh, test.sh, pip install, jupyter lab) and lines that take minutes (20 Newsgroups, the
notebooks: tests/test_notebooks.py executes them at small sizes). For the 20 Newsgroups line the data path
is still checked to exist when the benchmark data is there. The ```text synopsis is checked against
``--help``: every option it shows exists.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
VENV = ROOT / ".venv"

#: (pattern, why) for README lines that are not run here
SKIP = [
    (r"^bash scripts/(setup|run|test)\.sh", "installs software (setup.sh), or sets up and runs everything"),
    (r"pip install", "installs software"),
    (r"jupyter lab", "starts a server"),
    (r"jupyter (execute|nbconvert)", "takes minutes at the default sizes; tests/test_notebooks.py runs them small"),
    (r"20newsgroups", "takes minutes (18,846 documents); the data path is checked instead"),
]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def _commands() -> list[str]:
    """The ```bash lines (comments after # dropped by bash itself), in README order."""
    return [line.strip() for block in _blocks("bash") for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def _skip_reason(command: str) -> str | None:
    return next((why for pattern, why in SKIP if re.search(pattern, command)), None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch folder laid out like the repository root: corpora/ and .venv linked, results/ fresh."""
    if not (VENV / "bin" / "textcluster").exists():
        pytest.skip("run scripts/setup.sh first: the README's commands use .venv/bin/")
    d = tmp_path_factory.mktemp("readme")
    (d / "corpora").symlink_to(ROOT / "corpora")
    (d / ".venv").symlink_to(VENV)
    return d


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("TEXTCLUSTER_DATA", str(ROOT.parent / "shared" / "data"))
    env["COLUMNS"] = "120"
    return env


def test_readme_has_the_blocks_this_test_runs():
    commands = _commands()
    runnable = [c for c in commands if _skip_reason(c) is None]
    assert len(runnable) >= 3 and any("textcluster cluster" in c for c in runnable)
    assert any("textcluster predict" in c for c in runnable) and any("textcluster compare" in c for c in runnable)
    assert len(_blocks("python")) >= 1 and len(_blocks("text")) >= 1


def test_readme_shell_commands_run_verbatim(workdir):
    """The quick-start commands, in order (predict needs the model cluster wrote)."""
    for command in _commands():
        why = _skip_reason(command)
        if why is not None:
            if "20newsgroups" in command and "TEXTCLUSTER_DATA" in command:
                path = subprocess.run(["bash", "-c", f"echo {command.split()[2]}"], capture_output=True, text=True,
                                      env=_env(), cwd=workdir).stdout.strip()
                if Path(_env()["TEXTCLUSTER_DATA"]).is_dir():
                    assert (workdir / path).exists(), f"README data path does not exist: {path}"
            continue
        proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=_env(), cwd=workdir,
                              timeout=900)
        assert proc.returncode == 0, f"{command}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr and "warning" not in proc.stderr.lower(), proc.stderr
    assert (workdir / "results" / "demo" / "assignments.csv").exists()
    assert (workdir / "results" / "demo" / "map.html").exists() and (workdir / "results" / "demo" / "map.png").exists()
    assert (workdir / "results" / "demo-predictions.csv").exists()
    assert (workdir / "results" / "demo-compare" / "compare.csv").exists()


def test_readme_library_snippet_runs_verbatim(workdir):
    """Each ```python block as a script, and line by line as pasted into a REPL: nothing huge is echoed."""
    for block in _blocks("python"):
        proc = subprocess.run([str(VENV / "bin" / "python"), "-c", block], capture_output=True, text=True,
                              env=_env(), cwd=workdir, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (workdir / "results" / "demo-lib" / "map.html").exists()
        assert (workdir / "results" / "demo-lib" / "model").is_dir()
        # pasted into the interactive interpreter: only the print() lines print (no array echoed)
        repl = subprocess.run([str(VENV / "bin" / "python"), "-i", "-q"], input=block + "\n", capture_output=True,
                              text=True, env=_env(), cwd=workdir, timeout=900)
        assert repl.returncode == 0, repl.stderr[-2000:]
        assert len(repl.stdout.splitlines()) == len(proc.stdout.splitlines()), repl.stdout[-2000:]
        assert "array(" not in repl.stdout


def _help(command: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "textcluster.cli", command, "--help"], capture_output=True,
                          text=True, env=_env() | {"COLUMNS": "200"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_readme_synopsis_matches_help():
    synopsis = _blocks("text")[0]
    seen = 0
    for line in synopsis.splitlines():
        m = re.match(r"textcluster (\w+) ", line)
        if m:
            command, text = m.group(1), _help(m.group(1))
        if line.startswith("#"):
            continue
        for option, default in re.findall(r"\[(--[\w-]+)(?: ([\w.-]+))?[]|]", line):
            flat = " ".join(text.split())
            assert option in flat, f"{command}: README shows {option}, --help does not"
            if default and default.isidentifier() or (default and default.replace(".", "").isalnum()
                                                       and "|" not in default):
                if default.isupper():  # a placeholder (K), not a default
                    continue
                start = flat.index(f"{option} ")
                end = re.search(r" (-\w, )?--[\w-]+[ =<]", flat[start + len(option):])
                chunk = flat[start: start + len(option) + (end.start() if end else len(flat))]
                assert re.search(rf"\[default: {re.escape(default)}[;\]]", chunk), \
                    f"{command} {option}: README says default {default}, --help: {chunk}"
            seen += 1
    assert seen >= 8
