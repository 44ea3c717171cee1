"""The text postings keep each occurrence's characters, and searches read
highlights and written forms from them instead of analysing passages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List

import pytest
from hypothesis import given, strategies as st
from whoosh import index as whoosh_index

import searchlib
from searchlib.analysis import FrenchAnalyzer
from searchlib.storage import offsets
from searchlib.storage.schema import FIELDS

DATA = Path(__file__).resolve().parent / "data"

TRICKY = (
    "Le cessez-le-feu d'Alep, l'État islamique et O'Neill : 280 000 réfugiés "
    "à Aujourd'hui-en-France, œuvres d'Œdipe, e-mail, États-Unis, Lavrov-Kerry."
)


@given(
    st.lists(
        st.tuples(st.integers(0, 70_000), st.integers(0, 70_000), st.integers(0, 300)), min_size=1, max_size=20
    ).map(lambda rows: sorted((position, start, start + length) for position, start, length in rows))
)
def test_a_posting_value_gives_back_every_occurrence(places):
    value = offsets.encode(places)
    assert offsets.places(value) == places
    assert offsets.positions(value) == [position for position, _, _ in places]
    assert offsets.Offsets().decode_frequency(value) == len(places)


def test_one_short_occurrence_packs_in_six_bytes():
    # A word found once in a passage, the commonest posting, packs smaller
    # than Whoosh's own pickled positions (13 bytes) although it says more.
    assert len(offsets.encode([(12, 340, 349)])) == 6
    assert offsets.places(offsets.encode([(70_000, 5, 9)])) == [(70_000, 5, 9)]


def test_whoosh_reads_the_characters_of_an_index_searchlib_wrote(tmp_path):
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_documents([{"id": "a", "text": TRICKY}])
    raw = whoosh_index.open_dir(str(tmp_path / "ix"), indexname="MAIN")
    with raw.searcher() as searcher:
        matcher = searcher.postings(FIELDS.text, "etat")
        written = [TRICKY[start:end] for _, start, end in matcher.value_as("characters")]
    assert written == ["État", "États"]


def test_the_forms_read_at_the_kept_characters_are_those_analysis_gives(seeds_dir):
    analyzer, fresh = FrenchAnalyzer(), FrenchAnalyzer()
    texts = [TRICKY] + [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    checked = 0
    for text in texts:
        for _, start, end, info in analyzer.words(text):
            if info.term is not None:
                assert fresh.form_at(text, start, end, info.term) == info.form, text[start:end]
                checked += 1
    assert checked > 1000


def _searching_reads_no_passage(index: searchlib.Index, monkeypatch: pytest.MonkeyPatch, query: str) -> List[str]:
    """The texts the analyzer is asked to read while ``query`` is searched."""
    read: List[str] = []
    original = FrenchAnalyzer.words

    def words(self, value, extras=True):  # type: ignore[no-untyped-def]
        read.append(value)
        return original(self, value, extras)

    monkeypatch.setattr(FrenchAnalyzer, "words", words)
    monkeypatch.setattr(FrenchAnalyzer, "count_words", lambda *args: pytest.fail("a passage was analysed"))
    results = index.search(query, limit=10)
    assert len(results) > 0 and any(hit.highlights for hit in results)
    return read


@pytest.mark.parametrize(
    "query", ["Lavrov Kerry", "président", '"conflit en Syrie" OR Moscou', "négoc*", "Lavorv", "etats-unis -Kerry"]
)
def test_a_search_analyses_its_query_and_no_passage(seeds_index, monkeypatch, query):
    read = _searching_reads_no_passage(seeds_index, monkeypatch, query)
    assert all(len(value) <= len(query) for value in read), [value[:40] for value in read]


@pytest.fixture
def written_before(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA / "index-v5", tmp_path / "index-v5"))


def test_an_index_of_format_5_highlights_by_analysis_until_rebuilt(written_before, seeds_dir, monkeypatch):
    assert json.loads((written_before / "searchlib.json").read_text())["format"] == 5
    with searchlib.Index(written_before, create=False) as before:
        old = before.search("Lavrov Kerry", limit=5)
    searchlib.Index.rebuild(written_before, seeds_dir)
    assert json.loads((written_before / "searchlib.json").read_text())["format"] == 6
    with searchlib.Index(written_before, create=False) as after:
        assert _searching_reads_no_passage(after, monkeypatch, "Lavrov Kerry")
        new = after.search("Lavrov Kerry", limit=5)
    assert [(h.doc_id, h.passage, h.snippet, h.highlights) for h in old] == [
        (h.doc_id, h.passage, h.snippet, h.highlights) for h in new
    ]
