"""Shared fixtures: the shipped demo corpus and the benchmark data directory."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"


def data_dir() -> Path | None:
    """$TEXTCLUSTER_DATA, else ../shared/data beside the checkout, when it exists."""
    for p in (os.environ.get("TEXTCLUSTER_DATA"), ROOT.parent / "shared" / "data"):
        if p and Path(p).is_dir():
            return Path(p)
    return None


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return CORPORA / "topics-en.jsonl"


@pytest.fixture(scope="session")
def demo_docs(demo_path):
    from textcluster import read_corpus

    return list(read_corpus(demo_path))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = data_dir()
    if d is None:
        pytest.skip("benchmark data directory not found (set TEXTCLUSTER_DATA)")
    return d
