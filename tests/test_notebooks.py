"""Execute every notebook in notebooks/ (no allow-list) with a per-cell timeout, at small sizes.

The notebooks read ``TEXTCLUSTER_NOTEBOOK_SIZE=small`` to use fewer documents, images and epochs; their
default sizes are what a reader runs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell, on a busy 2-core machine


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTCLUSTER_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore::DeprecationWarning")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # the notebooks are committed without outputs
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name}: clear the outputs before committing"
    # Run inside a copy of the notebook folder's parent layout so relative paths (results/...) land in tmp.
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    (tmp_path / "corpora").symlink_to(ROOT / "corpora")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # every code cell ran, and the cells that end in an expression showed something
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in ran)
    assert sum(bool(c.outputs) for c in ran) >= len(ran) - 1
