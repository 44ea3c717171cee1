"""The flow of data is enforced, not only drawn: the import contract in
setup.cfg holds, and a process that only searches never loads the writing
side (counted in ``sys.modules``, in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import searchlib

PROJECT = Path(__file__).resolve().parent.parent
STAGES = ("analysis", "ingest", "indexing", "storage", "search", "backends")
# What only writing an index needs: the indexing stage, and reading sources
# (the readers of each format, cleaning, cutting passages, progress).
WRITING_SIDE = (
    "searchlib.indexing", "searchlib.ingest._sources", "searchlib.ingest._readers", "searchlib.ingest._html",
    "searchlib.ingest._markdown", "searchlib.ingest._clean", "searchlib.ingest.passages", "searchlib._reading",
)

# Searches (between dates too), shows a document, parses a query, reads
# stats and checks the index, then lists the searchlib modules the process
# loaded.
_SEARCH_ONLY = """
import json, sys
import searchlib
with searchlib.Index(sys.argv[1], create=False) as ix:
    assert ix.search("Lavrov Kerry", limit=3, explain=True).total > 0
    assert ix.search("cessez-le-feu", after="2017", before="2017-12-31", facets=["year"], sort="date").total > 0
    assert ix.document(ix.search("Syrie", limit=1)[0].doc_id) is not None
    assert ix.parse("Lavrov OR Kery").clauses
    assert ix.stats().documents > 0
searchlib.Index.check(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.startswith("searchlib"))))
"""


def _loaded_by(script: str, *args: str) -> list:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_a_process_that_only_searches_never_loads_the_writing_side(tmp_path, seeds_dir):
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_path(seeds_dir)
    loaded = _loaded_by(_SEARCH_ONLY, str(tmp_path / "ix"))
    assert "searchlib.search.ranking" in loaded and "searchlib.storage.store" in loaded  # it did search
    assert [name for name in loaded if name.startswith(WRITING_SIDE)] == []


def test_a_process_that_writes_does_load_it(tmp_path, seeds_dir):
    """The other side of the test above: the module names it looks for are right."""
    script = """
import json, sys
import searchlib
with searchlib.Index(sys.argv[1]) as ix:
    ix.add_path(sys.argv[2])
print(json.dumps(sorted(name for name in sys.modules if name.startswith("searchlib"))))
"""
    loaded = _loaded_by(script, str(tmp_path / "ix"), str(seeds_dir))
    assert "searchlib.indexing.run" in loaded and "searchlib.indexing.writer" in loaded
    for name in WRITING_SIDE:
        assert any(module == name or module.startswith(name + ".") for module in loaded), name


def test_each_stage_is_a_package_of_its_own():
    package = PROJECT / "searchlib"
    for stage in STAGES:
        assert (package / stage / "__init__.py").is_file(), stage
        assert (package / stage / "__init__.py").read_text(encoding="utf-8").startswith('"""'), stage


def test_the_import_contract_holds():
    """setup.cfg's [importlinter] contracts: the stages import one way down
    the flow (cli, api, backends, then indexing and search side by side,
    storage, results, ingest and analysis), and searching never imports
    the writing side."""
    command = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run(
        [command, "--config", str(PROJECT / "setup.cfg"), "--no-cache"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout
