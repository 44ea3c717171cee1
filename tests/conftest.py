from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import searchlib

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
SHARED = PROJECT.parent / "shared"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchlib.Index]:
    """One index of the seed articles, shared by read-only tests."""
    path = tmp_path_factory.mktemp("seeds") / "index"
    with searchlib.Index(path) as ix:
        report = ix.add_path(SEEDS)
        assert report.added == 4 and report.failed == 0
        yield ix


@pytest.fixture
def index(tmp_path: Path) -> Iterator[searchlib.Index]:
    with searchlib.Index(tmp_path / "index") as ix:
        yield ix
