"""An index written by an earlier searchlib keeps opening and answers as
one built now from the same sources (tests/data/README.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import searchlib

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def written_before(tmp_path: Path) -> Path:
    # A copy: opening and searching must work on a folder the test owns.
    return Path(shutil.copytree(DATA / "index-v5", tmp_path / "index-v5"))


@pytest.mark.parametrize(
    "query",
    [
        "Lavrov Kerry", "cessez-le-feu en Syrie", "securite", '"conflit en Syrie"', "Lavorv", "négoc*",
        # the format-5 index finds highlights by analysis, one built now reads them from its postings
        '"conflit en Syrie" OR Moscou', "Etats-Unis -Kerry", "title:Syrie russe", "président", "de la",
    ],
)
def test_an_index_written_before_answers_as_one_built_now(written_before, seeds_index, query):
    with searchlib.Index(written_before, create=False) as before:
        old = before.search(query, limit=5, explain=True)
    new = seeds_index.search(query, limit=5, explain=True)
    assert len(new) > 0
    assert [(h.doc_id, h.passage, h.snippet, h.highlights, h.explanation) for h in old] == [
        (h.doc_id, h.passage, h.snippet, h.highlights, h.explanation) for h in new
    ]
    assert [h.score for h in old] == pytest.approx([h.score for h in new], abs=1e-9)
    assert (old.total, old.suggestion, old.notes) == (new.total, new.suggestion, new.notes)


def test_an_index_written_before_checks_clean_and_takes_new_documents(written_before):
    assert searchlib.Index.check(written_before).ok
    with searchlib.Index(written_before) as ix:
        assert ix.stats().documents == 4
        ix.add_documents([{"id": "note", "text": "Une note ajoutée sur Tombouctou."}])
        assert [hit.doc_id for hit in ix.search("Tombouctou")] == ["note"]
        assert ix.stats().documents == 5


def test_its_pickled_schema_still_loads_with_the_class_paths_it_names(written_before):
    """Whoosh pickles the schema into each table of contents; one written
    before the package was cut into stages names ``searchlib.store._TermList``
    and ``searchlib.analysis.FrenchAnalyzer``. searchlib opens an index with
    its own schema, but Whoosh's own ``open_dir`` reads the pickled one."""
    from whoosh import index as whoosh_index

    from searchlib.analysis import FrenchAnalyzer
    from searchlib.storage.schema import FIELDS, TermList

    toc = next(written_before.glob("_MAIN_*.toc")).read_bytes()
    assert b"searchlib.store\n_TermList" in toc and b"searchlib.analysis\nFrenchAnalyzer" in toc
    ix = whoosh_index.open_dir(str(written_before))  # no schema given: the pickled one is loaded
    try:
        assert isinstance(ix.schema[FIELDS.text].analyzer, FrenchAnalyzer)
        assert isinstance(ix.schema[FIELDS.stops].analyzer, TermList)
        assert sorted(ix.schema.names()) == sorted(FIELDS.all())
        with ix.searcher() as searcher:
            assert searcher.doc_count() > 0
    finally:
        ix.close()
