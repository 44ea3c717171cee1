"""An index on a real OpenSearch cluster, end to end through ``searchlib.Index(url)``
and the command line: the same hits as a folder, incremental updates, deletes,
pruning, check, rebuild, and the errors of a missing index or cluster.

The tests marked ``opensearch`` need a running cluster (``$SEARCHLIB_TEST_OPENSEARCH``,
else ``http://127.0.0.1:9200``; ``.ci/run`` starts one) and skip without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from conftest import PROJECT, SEEDS, cluster_request, drop_indexes

import searchlib
from searchlib import IndexNotFoundError, SearchlibError

cluster = pytest.mark.opensearch

# One of each kind of query: words, phrases with a stop word inside, OR,
# NOT and -, a prefix, a misspelling, a field, a date and a date range.
QUERIES = [
    "Lavrov Kerry",
    "États-Unis",
    '"ministre russe des Affaires étrangères"',
    '"cessez-le-feu en Syrie"',
    "Washington OR Moscou",
    "Lavrov NOT Kerry",
    "Lavrov -Kerry",
    "syri*",
    "Lavorv",
    "title:Lavrov",
    "Syrie date:2017",
    "terrorisme date:2016..2017-06",
]


def _copy_seeds(into: Path) -> Path:
    folder = into / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="module")
def local_seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchlib.Index]:
    with searchlib.Index(tmp_path_factory.mktemp("local") / "index") as ix:
        ix.add_path(SEEDS)
        yield ix


@pytest.fixture(scope="module")
def cluster_seeds(cluster_url: str) -> Iterator[searchlib.Index]:
    """The seeds in one index on the cluster, shared by the read-only tests."""
    name = f"test-{uuid.uuid4().hex}"
    try:
        with searchlib.Index(f"opensearch://{urllib.parse.urlsplit(cluster_url).netloc}/{name}") as ix:
            report = ix.add_path(SEEDS)
            assert (report.added, report.failed) == (4, 0)
            yield ix
    finally:
        drop_indexes(cluster_url, name)


def _hits(results: searchlib.SearchResults) -> List[Tuple[str, int]]:
    return [(hit.doc_id, hit.passage) for hit in results]


@cluster
@pytest.mark.parametrize("query", QUERIES)
def test_searches_find_what_a_folder_finds(query, local_seeds, cluster_seeds):
    here, there = local_seeds.search(query, limit=50), cluster_seeds.search(query, limit=50)
    assert here.total > 0 and len(here) > 0
    assert (there.total, _hits(there)) == (here.total, _hits(here))
    assert [hit.score for hit in there] == pytest.approx([hit.score for hit in here], rel=1e-4)
    assert [hit.snippet for hit in there] == [hit.snippet for hit in here]
    assert there.suggestion == here.suggestion


@cluster
def test_a_misspelling_brings_the_same_suggestion(cluster_seeds):
    assert cluster_seeds.search("Lavorv Kerry").suggestion == "Lavrov Kerry"


@cluster
def test_adding_unchanged_files_again_changes_nothing(cluster_index):
    with searchlib.Index(cluster_index) as ix:
        first = ix.add_path(SEEDS)
        again = ix.add_path(SEEDS)
        assert (first.added, first.unchanged) == (4, 0)
        assert (again.added, again.updated, again.unchanged, again.failed) == (0, 0, 4, 0)
        assert ix.stats().documents == 4


@cluster
def test_a_changed_file_replaces_its_passages(cluster_index, tmp_path):
    folder = _copy_seeds(tmp_path)
    with searchlib.Index(cluster_index) as ix:
        ix.add_path(folder)
        doc_id = "002_6a89048487369a54"
        before = ix.stats().passages
        old_passages = len(ix.passages(doc_id))
        assert old_passages > 1 and ix.search("recrudescence").total == 1
        (folder / f"{doc_id}.txt").write_text("Une courte dépêche sur le marché de Tombouctou.\n", encoding="utf-8")
        report = ix.add_path(folder)
        assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
        assert [passage.number for passage in ix.passages(doc_id)] == [0]
        assert ix.stats().passages == before - old_passages + 1
        assert ix.search("recrudescence").total == 0
        assert [hit.doc_id for hit in ix.search("Tombouctou")] == [doc_id]


@cluster
def test_a_deleted_document_is_gone(cluster_index):
    with searchlib.Index(cluster_index) as ix:
        ix.add_path(SEEDS)
        doc_id = "004_4207ef848aced888"
        assert ix.document(doc_id) is not None
        assert ix.delete(doc_id) is True
        assert ix.document(doc_id) is None
        assert ix.search("Safadi").total == 0 and ix.stats().documents == 3
        assert ix.delete(doc_id) is False


@cluster
def test_pruning_removes_the_documents_of_a_vanished_file(cluster_index, tmp_path):
    folder = _copy_seeds(tmp_path)
    with searchlib.Index(cluster_index) as ix:
        ix.add_path(folder)
        (folder / "001_efc4fda914ae2fdd.txt").unlink()
        kept = ix.add_path(folder)
        assert (kept.removed, kept.orphaned, ix.stats().documents) == (0, 1, 4)
        pruned = ix.add_path(folder, prune=True)
        assert (pruned.removed, pruned.unchanged) == (1, 3)
        assert ix.document("001_efc4fda914ae2fdd") is None and ix.stats().documents == 3


@cluster
def test_check_finds_a_whole_index(cluster_index):
    with searchlib.Index(cluster_index) as ix:
        ix.add_path(SEEDS)
        passages = ix.stats().passages
    report = searchlib.Index.check(cluster_index)
    assert report.problems == ()
    assert (report.documents, report.passages) == (4, passages) and passages > 4


@cluster
def test_rebuild_swaps_in_a_new_index_that_answers(cluster_url, cluster_index, tmp_path):
    name = cluster_index.rsplit("/", 1)[1]
    folder = _copy_seeds(tmp_path)
    (folder / "000_878e2fb0528ae5be.txt").unlink()
    with searchlib.Index(cluster_index) as ix:
        ix.add_path(folder)
        old = set(cluster_request(f"{cluster_url}/_alias/{name}"))
        assert ix.search("Lavrov").total > 0 and ix.stats().documents == 3
        report = searchlib.Index.rebuild(cluster_index, SEEDS)
        assert (report.added, report.failed) == (4, 0)
        # The name now stands for a new index; one opened before the swap reads it.
        new = set(cluster_request(f"{cluster_url}/_alias/{name}"))
        assert len(new) == 1 and new != old
        assert ix.stats().documents == 4
        assert ix.search("Lavrov").total > 0
    left = set(cluster_request(f"{cluster_url}/{name}*?expand_wildcards=all"))
    assert left == new


@cluster
def test_opening_a_missing_index_without_create_raises(cluster_index):
    with pytest.raises(IndexNotFoundError, match="no index at"):
        searchlib.Index(cluster_index, create=False)
    assert searchlib.Index.exists(cluster_index) is False


def test_a_cluster_that_is_not_there_is_one_line_naming_it():
    location = "opensearch://127.0.0.1:1/nowhere"
    with pytest.raises(SearchlibError) as raised:
        searchlib.Index(location)
    message = str(raised.value)
    assert message.startswith(f"{location}: ") and "\n" not in message
    assert "cannot reach the cluster" in message


def _search(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SEARCHLIB_INDEX"}
    env["PYTHONPATH"] = str(PROJECT)
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@cluster
def test_the_command_line_indexes_into_and_searches_a_cluster(cluster_index, tmp_path):
    folder = _copy_seeds(tmp_path)
    indexed = _search("index", "--index", cluster_index, "articles", cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    assert f"Indexed into {cluster_index}" in indexed.stdout and "4 added" in indexed.stdout
    found = _search("query", "--index", cluster_index, "--limit", "1", "cessez-le-feu en Syrie", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "004_4207ef848aced888" in found.stdout and "[cessez-le-feu]" in found.stdout
    assert "of 17 matching passages shown" in found.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == [folder.name]
