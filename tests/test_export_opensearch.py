"""``search export --format opensearch``: the files that load an index into
an OpenSearch cluster by hand, checked without a cluster (they parse, hold
what a write to a cluster sends, and settings the backend would create) and
loaded into the real one with plain HTTP requests, as a user would with
curl (marked ``opensearch``; skipped when no cluster answers at
$SEARCHLIB_TEST_OPENSEARCH, by default http://127.0.0.1:9200)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import pytest

import news_sample
from searchlib import Index, Ranking, SearchlibError
from searchlib.analysis import FrenchAnalyzer
from searchlib.backends.opensearch import OpenSearchBackend, client, export as osexport, writing
from searchlib.backends.opensearch.indexes import create_index

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CLUSTER = os.environ.get("SEARCHLIB_TEST_OPENSEARCH", "http://127.0.0.1:9200").rstrip("/")
QUERIES = ("cessez-le-feu en Syrie", "Lavrov Kerry", '"cessez le feu"', "Syrie -Astana", "Alep OR Damas", "négociations")


def _pairs(folder: Path) -> List[Tuple[str, Dict[str, Any], Dict[str, Any]]]:
    """(file, action, record) of every bulk file in order; each file ends its last line."""
    found = []
    files = sorted(folder.glob("bulk-*.ndjson"))
    assert files, f"no bulk file in {folder}"
    for path in files:
        data = path.read_bytes()
        assert data.endswith(b"\n")
        lines = data.decode("utf-8").split("\n")[:-1]
        assert len(lines) % 2 == 0, path
        for action, record in zip(lines[0::2], lines[1::2]):
            found.append((path.name, json.loads(action), json.loads(record)))
    return found


def _written_by_a_cluster_write(ix: Index) -> Dict[str, Dict[str, Any]]:
    """The records a write of ``ix``'s documents to a cluster index sends
    (:class:`writing.Writer`, nothing stored yet), by id."""
    sent: Dict[str, Dict[str, Any]] = {}

    class Capture(writing.Writer):
        def send(self, actions: Sequence[writing.Action]) -> None:
            for action, record in actions:
                assert record is not None and action["index"]["_index"] == "searchlib"
                sent[action["index"]["_id"]] = record

    class Empty:  # what the writer asks of its backend, with nothing on the cluster
        analyzer = FrenchAnalyzer()
        passage_words = (40, 120)
        _where = SimpleNamespace(index="searchlib")
        content_hash = OpenSearchBackend.content_hash

        def stored_hashes(self, doc_ids: Sequence[str], *_: Any) -> Dict[str, Tuple[str, int]]:
            return {}

    Capture(Empty(), 2, 0).run(ix.export(), None)  # type: ignore[arg-type]
    return sent


def _created_body(stop_words: Optional[List[str]], passage_words: Optional[Tuple[int, int]], ranking: Ranking) -> Dict[str, Any]:
    """The body the backend sends to create an index (its alias left out)."""
    bodies: List[Dict[str, Any]] = []
    connection = SimpleNamespace(
        indices=SimpleNamespace(create=lambda index, body: bodies.append(body)),
        cluster=SimpleNamespace(health=lambda **_: {}),
    )
    create_index(connection, client.parse("opensearch://nowhere:9200/news"), "news", stop_words, passage_words, ranking)
    (body,) = bodies
    assert body.pop("aliases") == {"news": {"is_write_index": True}}
    return body


def test_export_holds_each_passage_and_article_as_a_write_to_a_cluster_sends(seeds_index: Index, tmp_path: Path) -> None:
    report = seeds_index.export_opensearch(tmp_path / "out")
    assert (report.documents, report.passages, report.files, report.name) == (4, 24, ("bulk-0001.ndjson",), "searchlib")
    pairs = _pairs(tmp_path / "out")
    assert len(pairs) == report.passages + report.documents
    assert report.bytes == (tmp_path / "out" / "bulk-0001.ndjson").stat().st_size
    for _, action, record in pairs:
        assert list(action) == ["index"] and action["index"]["_index"] == "searchlib"
        expected = f"{record['doc_id']}/{record['passage'] if record['kind'] == 'passage' else 'article'}"
        assert action["index"]["_id"] == expected
    ids = [action["index"]["_id"] for _, action, _ in pairs]
    assert len(set(ids)) == len(ids)
    for document in seeds_index.export():
        passages = seeds_index.passages(document.id)
        records = [record for _, _, record in pairs if record["doc_id"] == document.id]
        assert [record["kind"] for record in records] == ["passage"] * len(passages) + ["article"]
        assert [record["text"] for record in records[:-1]] == [passage.text for passage in passages]
        assert records[-1]["passages"] == len(passages)
    records = [record for _, _, record in pairs]
    assert [record["seq"] for record in records if record["kind"] == "passage"] == list(range(1, 25))
    stamps = {record.pop("indexed_at") for record in records if record["kind"] == "article"}
    last = seeds_index.stats().last_update
    assert last is not None and stamps == {int(datetime.datetime.fromisoformat(last).timestamp()) * 1000}
    sent = _written_by_a_cluster_write(seeds_index)
    assert set(sent) == set(ids)
    # the same records, the same hashes; only the numbering starts elsewhere, and the time differs
    for (_, action, record) in pairs:
        written = dict(sent[action["index"]["_id"]])
        written.pop("indexed_at", None)
        assert dict(record, seq=0) == dict(written, seq=0), action
    assert all(record["doc_hash"] for record in records) and len(sent) == len(pairs)


def test_settings_are_those_the_backend_creates_with_the_index_s_own_settings(tmp_path: Path) -> None:
    with Index(tmp_path / "default") as ix:
        ix.add_path(SEEDS)
        ix.export_opensearch(tmp_path / "one")
    settings = json.loads((tmp_path / "one" / "settings.json").read_text(encoding="utf-8"))
    assert settings == _created_body(None, None, Ranking())
    assert settings["mappings"]["_meta"]["searchlib"]["stop_words"] is None
    stops = ["syrie", "le", "la", "de"]
    ranking = Ranking(k1=1.4, b=0.6)
    with Index(tmp_path / "own", stop_words=stops, passage_words=(20, 60)) as ix:
        ix.add_path(SEEDS)
    with Index(tmp_path / "own", ranking=ranking) as ix:
        report = ix.export_opensearch(tmp_path / "two", name="syrie-2017", shards=2, replicas=0)
    settings = json.loads((tmp_path / "two" / "settings.json").read_text(encoding="utf-8"))
    expected = _created_body(stops, (20, 60), ranking)
    expected["settings"]["index"].update(number_of_shards=2, number_of_replicas=0)
    assert settings == expected
    assert settings["settings"]["index"]["similarity"]["searchlib_bm25"] == {"type": "BM25", "k1": 1.4, "b": 0.6}
    records = [record for _, _, record in _pairs(tmp_path / "two")]
    # "Syrie" is a stop word of that index: its terms say so, as the cluster's will
    assert any("syrie" in record["stop_terms"].split() for record in records if record["kind"] == "passage")
    assert not any("syri" in record["text_terms"].split() for record in records if record["kind"] == "passage")
    assert report.passages > 24  # passages of at most 60 words: more than the 24 of 40 to 120
    readme = (tmp_path / "two" / "README.txt").read_text(encoding="utf-8")
    assert f'PUT "$HOST/{report.concrete}"' in readme and '"alias": "syrie-2017"' in readme
    assert "its own stop words" in readme and "passages of 20 to 60 words" in readme and "k1 1.4 and b 0.6" in readme


def test_export_again_writes_the_same_files_and_bounds_their_size(seeds_index: Index, tmp_path: Path) -> None:
    seeds_index.export_opensearch(tmp_path / "one")
    seeds_index.export_opensearch(tmp_path / "two")
    for name in ("settings.json", "bulk-0001.ndjson", "README.txt"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    limit = 20_000
    documents = list(seeds_index.export())
    small = osexport.export(
        documents, tmp_path / "two", analyzer=FrenchAnalyzer(), passage_words=(40, 120), ranking=Ranking(),
        indexed_at=1, file_bytes=limit,
    )
    assert len(small.files) >= 4 and sorted(os.listdir(tmp_path / "two"))[-1] == "settings.json"
    sizes = [(tmp_path / "two" / name).stat().st_size for name in small.files]
    assert sum(sizes) == small.bytes and max(sizes) <= limit
    pairs = _pairs(tmp_path / "two")
    assert [record for _, _, record in pairs] == [
        dict(record, indexed_at=1) if record["kind"] == "article" else record for _, _, record in _pairs(tmp_path / "one")
    ]
    # a document's records stay in one file when they fit in one
    files_of: Dict[str, Set[str]] = {}
    for name, _, record in pairs:
        files_of.setdefault(record["doc_id"], set()).add(name)
    assert sum(len(names) == 1 for names in files_of.values()) >= 2
    # exporting again into the folder replaces the earlier export whole: no bulk file of it is left to send
    seeds_index.export_opensearch(tmp_path / "two")
    assert sorted(os.listdir(tmp_path / "two")) == ["README.txt", "bulk-0001.ndjson", "settings.json"]


def test_export_of_a_query_holds_the_documents_it_matches(seeds_index: Index, tmp_path: Path) -> None:
    report = seeds_index.export_opensearch(tmp_path / "out", "Lavrov", after="2017")
    matching = [document.id for document in seeds_index.export("Lavrov", after="2017")]
    assert 1 <= len(matching) < 4 and report.documents == len(matching)
    assert [record["doc_id"] for _, _, record in _pairs(tmp_path / "out") if record["kind"] == "article"] == matching


def test_an_export_stopped_half_way_leaves_no_file_to_load(seeds_index: Index, tmp_path: Path) -> None:
    seeds_index.export_opensearch(tmp_path / "out")

    def stopped() -> Iterator[Any]:
        documents = seeds_index.export()
        yield next(documents)
        yield next(documents)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        osexport.export(
            stopped(), tmp_path / "out", analyzer=FrenchAnalyzer(), passage_words=(40, 120), ranking=Ranking(),
            indexed_at=1, file_bytes=20_000,
        )
    assert os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize("name", ["News", "-news", "news 2017", "news$", ""])
def test_a_name_the_shell_or_the_cluster_would_misread_is_refused(seeds_index: Index, tmp_path: Path, name: str) -> None:
    with pytest.raises(SearchlibError, match="cannot name the index"):
        seeds_index.export_opensearch(tmp_path / "out", name=name)
    assert not (tmp_path / "out").exists()


def _search(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SEARCHLIB_INDEX", None)
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_export_command_writes_the_folder_and_refuses_a_bad_one_in_a_line(tmp_path: Path) -> None:
    built = _search("index", "--quiet", "--workers", "0", str(SEEDS), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    done = _search("export", "--format", "opensearch", "--output", "out", "--name", "seeds", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("searchlib: 4 documents (24 passages) written to out/ for the OpenSearch index 'seeds'")
    assert sorted(os.listdir(tmp_path / "out")) == ["README.txt", "bulk-0001.ndjson", "settings.json"]
    assert all(action["index"]["_index"] == "seeds" for _, action, _ in _pairs(tmp_path / "out"))
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    for args, status, message in (
        (["--output", "a-file"], 1, "search: cannot export into a-file: it is a file, not a folder\n"),
        (["--output", "a-file/out"], 1, "search: cannot export into a-file/out: not a directory\n"),
        (["--output", "notes"], 1, "search: cannot export into notes: it holds other files (todo.txt); give a new or empty folder\n"),
        (["--output", "out", "--name", "Seeds"], 1, "search: 'Seeds' cannot name the index: "),
        ([], 2, "search: --format opensearch writes several files: give the folder to write them into with --output DIR"),
    ):
        failed = _search("export", "--format", "opensearch", *args, cwd=tmp_path)
        assert (failed.returncode, failed.stdout) == (status, ""), args
        assert failed.stderr.startswith(message) and failed.stderr.count("\n") == 1, failed.stderr
    assert (tmp_path / "notes" / "todo.txt").exists() and (tmp_path / "out" / "bulk-0001.ndjson").exists()
    wrong = _search("export", "--name", "seeds", cwd=tmp_path)
    assert wrong.returncode == 2 and wrong.stderr.startswith("search: --name names the index of --format opensearch")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into any folder")
def test_export_command_into_a_folder_it_may_not_write(tmp_path: Path) -> None:
    assert _search("index", "--quiet", "--workers", "0", str(SEEDS), cwd=tmp_path).returncode == 0
    (tmp_path / "locked").mkdir(mode=0o500)
    failed = _search("export", "--format", "opensearch", "--output", "locked", cwd=tmp_path)
    assert failed.returncode in (1, 2) and failed.stderr.count("\n") == 1 and "locked" in failed.stderr
    assert os.listdir(tmp_path / "locked") == []


# -- loaded into a real cluster ---------------------------------------------------


def _http(method: str, path: str, body: Optional[bytes] = None, content_type: str = "application/json") -> Any:
    """One request to the cluster, as curl would send it (no proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(CLUSTER + path, data=body, method=method, headers={"Content-Type": content_type})
    with opener.open(request, timeout=60) as answer:
        return json.loads(answer.read() or b"null")


@pytest.fixture(scope="module")
def cluster(cluster_url: str) -> Iterator[str]:
    """The test cluster's address (skipped without one); the indexes the tests made are deleted after them."""
    yield CLUSTER
    for index in _http("GET", "/_cat/indices/osexport-test-*?format=json"):
        _http("DELETE", "/" + index["index"])


def _load(folder: Path, report: osexport.ExportReport) -> str:
    """Load an export as its README.txt says, with plain requests; its location."""
    _http("PUT", f"/{report.concrete}", (folder / "settings.json").read_bytes())
    actions = {"actions": [{"add": {"index": report.concrete, "alias": report.name, "is_write_index": True}}]}
    _http("POST", "/_aliases", json.dumps(actions).encode())
    for file in report.files:
        answer = _http("POST", "/_bulk", (folder / file).read_bytes(), "application/x-ndjson")
        assert answer["errors"] is False, file
    _http("POST", f"/{report.name}/_refresh")
    return f"opensearch://{CLUSTER.split('://', 1)[1]}/{report.name}"


def _same_searches(one: Index, other: Index) -> None:
    for query in QUERIES:
        here, there = one.search(query, limit=10), other.search(query, limit=10)
        assert here.total > 0 and there.total == here.total, query
        assert [(hit.doc_id, hit.passage, hit.duplicates) for hit in there] == [
            (hit.doc_id, hit.passage, hit.duplicates) for hit in here
        ], query
        assert [hit.snippet for hit in there] == [hit.snippet for hit in here], query
        assert [hit.score for hit in there] == pytest.approx([hit.score for hit in here], rel=1e-9), query


def _name() -> str:
    return f"osexport-test-{os.getpid()}-{time.time_ns() // 1_000_000}"


@pytest.mark.opensearch
def test_the_seeds_loaded_with_plain_requests_search_as_their_local_index_and_export_again_alike(cluster: str, seeds_index: Index, tmp_path: Path) -> None:
    report = seeds_index.export_opensearch(tmp_path / "out", name=_name())
    with Index(_load(tmp_path / "out", report), create=False) as loaded:
        stats, local = loaded.stats(), seeds_index.stats()
        assert (stats.documents, stats.passages, stats.last_update) == (4, 24, local.last_update)
        _same_searches(seeds_index, loaded)
        assert [loaded.passages(document.id) for document in seeds_index.export()] == [
            seeds_index.passages(document.id) for document in seeds_index.export()
        ]
    # exported again from the cluster, through the command: the same files
    location = f"opensearch://{CLUSTER.split('://', 1)[1]}/{report.name}"
    done = _search("export", "--index", location, "--format", "opensearch", "-o", "again", "--name", report.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("settings.json", "bulk-0001.ndjson"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "out" / name).read_bytes(), name


@pytest.mark.opensearch
def test_news_loaded_in_several_bulk_files_search_as_a_local_index_of_them(cluster: str, tmp_path: Path) -> None:
    sample = tmp_path / "news.jsonl"
    news_sample.write_jsonl(sample, news_sample.articles(60))
    with Index(tmp_path / "index", workers=0) as source:
        source.add_path(SEEDS, sample)
        documents = list(source.export())
    report = osexport.export(
        documents, tmp_path / "out", analyzer=FrenchAnalyzer(), passage_words=(40, 120), ranking=Ranking(),
        indexed_at=1_700_000_000_000, name=_name(), file_bytes=256 * 1024,
    )
    assert len(report.files) >= 2 and report.documents == 64
    location = _load(tmp_path / "out", report)
    # A document is exported with blanks where its passages' neighbours
    # were, and cut anew: compared with a local index of those documents.
    with Index(location, create=False) as loaded, Index(tmp_path / "copy", workers=0) as copy:
        copy.add_documents(documents)
        stats = loaded.stats()
        assert (stats.documents, stats.passages) == (report.documents, report.passages) == (64, copy.stats().passages)
        assert stats.last_update == "2023-11-14T22:13:20+00:00"
        assert Index.check(location).problems == ()
        _same_searches(copy, loaded)
        # written later through searchlib, a document joins the loaded ones, and an unchanged one is left
        again = loaded.add_documents([documents[0], {"id": "nouveau", "text": "Le cessez-le-feu tient à Alep."}])
        assert (again.added, again.unchanged) == (1, 1)
        assert loaded.search("cessez-le-feu Alep", limit=1)[0].doc_id == "nouveau"
