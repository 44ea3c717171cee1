"""Listing documents, their passages, export and the commands show, delete
and export (each through a real process at least once)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from searchlib import Document, Index, QueryError

from test_facets import _corpus

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    corpus = _corpus()
    for number, record in enumerate(corpus[:10]):
        record["auteur"] = f"Auteur {number}"  # metadata, kept through an export
    with Index(tmp_path_factory.mktemp("documents") / "index", workers=0) as ix:
        ix.add_documents(corpus[:40])
        ix.add_documents(corpus[40:])
        ix.add_path(SEEDS)
        ix.delete("a005")
        yield ix


def _same(one: Index, other: Index, doc_id: str) -> bool:
    return one.document(doc_id) == other.document(doc_id) and one.passages(doc_id) == other.passages(doc_id)


def test_documents_page_through_every_id_in_order(news: Index) -> None:
    first = news.documents()
    assert first.total == 83 and first.offset == 0 and first.limit == 20 and len(first.documents) == 20
    ids: List[str] = []
    for offset in range(0, first.total + 10, 13):
        page = news.documents(offset, 13)
        assert page.total == first.total
        ids.extend(document.id for document in page.documents)
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 83 and "a005" not in ids
    assert news.documents(0, 1).documents[0] == news.document(ids[0])
    data = news.documents(0, 2).to_dict()
    assert data["total"] == 83 and [row["id"] for row in data["results"]] == ids[:2]


@pytest.mark.parametrize("offset, limit", [(-1, 10), (0, 0), (0, 1001), (True, 5), (0, "5")])
def test_documents_refuse_bad_pages(news: Index, offset: Any, limit: Any) -> None:
    with pytest.raises(QueryError, match="offset|limit"):
        news.documents(offset, limit)


def test_passages_lie_at_their_offsets_in_the_document(news: Index) -> None:
    for doc_id in ("a001", "004_4207ef848aced888"):
        document = news.document(doc_id)
        passages = news.passages(doc_id)
        assert document is not None and len(passages) >= 1
        assert [passage.number for passage in passages] == list(range(len(passages)))
        for passage in passages:
            assert passage.doc_id == doc_id and document.text[passage.start : passage.end] == passage.text
        hit = news.search(f"doc:{doc_id} Syrie OR armée OR Lavrov", limit=1)[0]
        assert (hit.start, hit.end) == (passages[hit.passage].start, passages[hit.passage].end)
    assert news.passages("a005") == [] and news.passages("nowhere") == []


def test_export_then_add_documents_gives_the_same_documents(news: Index, tmp_path: Path) -> None:
    exported = list(news.export())
    assert [document.id for document in exported] == sorted(document.id for document in exported)
    assert len(exported) == news.documents().total == 83
    assert {document.id: document for document in exported}["a001"].metadata == {"auteur": "Auteur 1"}
    with Index(tmp_path / "copy", workers=0) as copy:
        report = copy.add_documents(exported)
        assert report.added == 83 and report.failed == 0
        for document in exported:
            assert _same(news, copy, document.id), document.id
        assert copy.search("Syrie armée", limit=50).total == news.search("Syrie armée", limit=50).total


def test_export_of_a_query_is_each_matching_document_once(news: Index) -> None:
    hits = news.search("Lavrov", limit=1000, collapse_duplicates=False)
    assert hits.total > len({hit.doc_id for hit in hits}) > 1
    assert [document.id for document in news.export("Lavrov")] == sorted({hit.doc_id for hit in hits})
    everyone = news.search("Syrie", limit=1000, collapse_duplicates=False, source="afp", after="2017")
    found = [document.id for document in news.export("Syrie", source="afp", after="2017")]
    assert found == sorted({hit.doc_id for hit in everyone}) and found
    dated = [document for document in news.export(before="2016")]
    assert dated and all(document.date and document.date[:4] <= "2016" for document in dated)
    assert list(news.export("introuvablement")) == []
    with pytest.raises(QueryError):
        news.export("  ")


# -- the commands, in a real process ------------------------------------------


def _search(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SEARCHLIB_INDEX", None)
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    records = _corpus()[:12]
    records[0]["auteur"] = "Jeanne"
    (tmp_path / "news.jsonl").write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8"
    )
    done = _search("index", "--quiet", "--workers", "0", "news.jsonl", str(SEEDS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_show_and_delete_commands(folder: Path) -> None:
    shown = _search("show", "a001", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert "id: a001" in shown.stdout and "[passage 0, 0–" in shown.stdout
    data = json.loads(_search("show", "--json", "a000", cwd=folder).stdout)
    assert data["id"] == "a000" and data["metadata"] == {"auteur": "Jeanne"}
    for passage in data["passages"]:
        assert data["text"][passage["start"] : passage["end"]].strip()
    missing = _search("show", "nowhere", cwd=folder)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "search: no document 'nowhere' in index/\n"
    deleted = _search("delete", "--json", "a001", cwd=folder)
    assert deleted.returncode == 0 and json.loads(deleted.stdout) == {"deleted": "a001"}
    again = _search("delete", "a001", cwd=folder)
    assert again.returncode == 1 and again.stderr == "search: no document 'a001' in index/\n"
    assert _search("show", "a001", cwd=folder).returncode == 1


def test_export_command_round_trip_through_index(folder: Path) -> None:
    done = _search("export", "--output", "all.jsonl", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "searchlib: 16 documents written to all.jsonl\n"
    records = [json.loads(line) for line in (folder / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["id"] for record in records] == sorted(record["id"] for record in records) and len(records) == 16
    again = _search("index", "--quiet", "--index", "copy", "--workers", "0", "all.jsonl", cwd=folder)
    assert again.returncode == 0, again.stderr
    with Index(folder / "index") as original, Index(folder / "copy") as copy:
        for record in records:
            one, other = original.document(record["id"]), copy.document(record["id"])
            assert one is not None and other is not None
            assert (one.text, one.title, one.date, one.source, one.metadata) == (
                other.text, other.title, other.date, other.source, other.metadata,
            ), record["id"]
            assert original.passages(record["id"]) == copy.passages(record["id"])


def test_export_command_of_a_query_as_csv(folder: Path) -> None:
    done = _search("export", "--format", "csv", "Lavrov", cwd=folder)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    with Index(folder / "index") as ix:
        assert [row["id"] for row in rows] == [document.id for document in ix.export("Lavrov")]
        assert rows and rows[0]["text"] == ix.document(rows[0]["id"]).text  # type: ignore[union-attr]
    assert list(rows[0]) == ["id", "title", "date", "source", "text", "metadata"]


def test_query_command_sorts_and_counts_facets(folder: Path) -> None:
    done = _search("query", "--json", "--sort", "date", "--facets", "year,source", "--offset", "2", "-n", "3", "Syrie", cwd=folder)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["offset"] == 2 and len(data["results"]) == 3 and set(data["facets"]) == {"year", "source"}
    assert sum(data["facets"]["year"].values()) <= data["total"]
    dates = [row["date"] or "" for row in data["results"]]
    assert dates == sorted(dates, reverse=True)
    text = _search("query", "--facets", "year", "Syrie", cwd=folder)
    assert text.returncode == 0 and "\nyear: " in text.stdout
    for args, message in (
        (["--facets", "day"], "unknown facet 'day'"),
        (["--sort", "newest"], "'newest' is not one of 'relevance', 'date'"),
        (["--offset", "-1"], "--offset"),
        (["--limit", "0"], "--limit"),
    ):
        bad = _search("query", *args, "Syrie", cwd=folder)
        assert bad.returncode == 2 and bad.stdout == "" and message in bad.stderr and bad.stderr.count("\n") == 1


def test_an_empty_index_lists_exports_and_counts_nothing(tmp_path: Path) -> None:
    with Index(tmp_path / "index") as ix:
        assert ix.documents().total == 0 and ix.documents().documents == []
        assert list(ix.export()) == [] and list(ix.export("Syrie")) == []
        assert ix.search("Syrie", facets=["year"], sort="date").facets == {"year": {}}
        ix.add_documents([{"id": "seul", "text": "Alep, Syrie."}])
        ix.delete("seul")
        assert ix.documents().total == 0 and list(ix.export()) == []
