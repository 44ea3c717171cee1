"""docs/opensearch.md's comparison of searchlib's terms with the cluster's
native French chain, checked against both.

The page's tables under "Analysis" are read as they are shown: a token
table (``| written | searchlib | `french_native` | ... |``) gives a text and
the tokens each side makes of it, in order, as code spans (``—`` for none,
``(start–end)`` after a token for its offsets, ``\\uXXXX`` for a character
hard to show); the documents table lists what is indexed for the query
table (what searchlib reads and finds, what a native ``match`` finds plain
and fuzzy) and the highlights table (searchlib's snippet, the native
highlight). searchlib's column is checked everywhere; the cluster's, and
every search, when a cluster answers at ``$SEARCHLIB_TEST_OPENSEARCH``
(default ``http://127.0.0.1:9200``).
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from conftest import drop_indexes

import searchlib
from searchlib.analysis import ELISION_PREFIXES
from searchlib.backends.opensearch import mapping

PAGE = Path(__file__).resolve().parent.parent / "docs" / "opensearch.md"
SECTION = "## Analysis: searchlib's terms and the native French chain"
TOKEN_HEADER = ["written", "searchlib", "`french_native`"]
QUERY_HEADER = ["query", "searchlib searches", "searchlib finds", "native `match` finds", 'with `"fuzziness": "AUTO"`']
DOCUMENT_HEADER = ["document", "text"]
HIGHLIGHT_HEADER = ["query", "searchlib's snippet", "native highlight"]

_CODE = re.compile(r"`([^`]+)`(?:\s*\((\d+)–(\d+)\))?")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

# (text, start, end); offsets None where the page gives none
Shown = Tuple[str, Optional[int], Optional[int]]


@dataclass
class Row:
    line: int
    cells: List[str]


def _section() -> List[Tuple[int, str]]:
    lines = PAGE.read_text(encoding="utf-8").split("\n")
    start = lines.index(SECTION)
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
    return [(number + 1, lines[number]) for number in range(start, end)]


def _tables() -> List[Tuple[List[str], List[Row]]]:
    """Each table of the section: its header's cells and its rows."""
    tables: List[Tuple[List[str], List[Row]]] = []
    previous = ""
    for number, line in _section():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not previous.startswith("|"):
                tables.append((cells, []))
            elif not all(set(cell) <= set("-: ") for cell in cells):
                tables[-1][1].append(Row(number, cells))
        previous = line
    return tables


def _rows(header: List[str]) -> List[Row]:
    return [row for cells, rows in _tables() if cells[: len(header)] == header for row in rows]


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), text)


def _shown(cell: str) -> List[Shown]:
    return [
        (_unescape(text), int(start) if start else None, int(end) if end else None)
        for text, start, end in _CODE.findall(cell)
    ]


def _code(cell: str) -> List[str]:
    return [text for text, _, _ in _shown(cell)]


def _as_shown(tokens: List[Tuple[str, int, int]], shown: List[Shown]) -> List[Shown]:
    """``tokens`` as the page shows them: with offsets where it gives them."""
    with_offsets = any(start is not None for _, start, _ in shown)
    return [(text, start, end) if with_offsets else (text, None, None) for text, start, end in tokens]


def _cell(tokens: List[Shown]) -> str:
    if not tokens:
        return "—"
    return " ".join(f"`{text}`" + (f" ({start}–{end})" if start is not None else "") for text, start, end in tokens)


TOKEN_ROWS = _rows(TOKEN_HEADER)
QUERY_ROWS = _rows(QUERY_HEADER)
HIGHLIGHT_ROWS = _rows(HIGHLIGHT_HEADER)


def test_the_page_compares_every_behaviour():
    """The tables are there and not empty, so that the checks below check
    something: every group of behaviours, the searches and highlights."""
    headings = [line for _, line in _section() if line.startswith("### ")]
    for group in ["Accents", "Elisions", "Ligatures", "Hyphenated", "Numbers", "Acronyms", "Stop words",
                  "Plurals", "Names", "Apostrophes inside names", "Capitals", "Queries typed", "Highlights"]:
        assert any(heading.startswith(f"### {group}") for heading in headings), group
    assert len(TOKEN_ROWS) >= 100 and len(QUERY_ROWS) >= 15 and len(HIGHLIGHT_ROWS) >= 4
    written = {_code(row.cells[0])[0] for row in TOKEN_ROWS}
    for text in ["l’armée", "lʼarmée", "l‘armée", "aujourd'hui", "presqu'île", "quelqu'un", "œuvre", "porte-parole",
                 "cessez-le-feu", "e-mail", "1 000 000", "1,5", "2019", "10e", "XXIe", "O.N.U.", "U.S.A.", "O'Neill"]:
        assert text in written, text
    articles = {text.split("'")[0].lower() for text in written if re.fullmatch(r"[A-Za-z]+'[^'’ ]+", text)}
    assert set(ELISION_PREFIXES) <= articles


def test_the_chain_shown_is_the_one_searchlib_installs():
    lines = [line for _, line in _section()]
    start = lines.index("```json") + 1
    shown = json.loads("\n".join(lines[start : lines.index("```", start)]))
    analysis = mapping.index_body(1.2, 0.75)["settings"]["analysis"]
    installed = {
        kind: {name: analysis[kind][name] for name in names}
        for kind, names in [("char_filter", ["french_apostrophes"]),
                            ("filter", ["french_elision", "french_stop", "french_stemmer"]),
                            ("analyzer", ["french_native"])]
    }
    assert shown == installed


@pytest.mark.parametrize("row", TOKEN_ROWS, ids=lambda row: f"line{row.line}")
def test_searchlib_column_is_what_searchlib_makes(row: Row):
    text = _code(row.cells[0])[0]
    shown = _shown(row.cells[1])
    made = _as_shown([(token.text, token.start, token.end) for token in searchlib.analyze(text)], shown)
    assert made == shown, f"docs/opensearch.md:{row.line}: searchlib makes {_cell(made)} of {text!r}"


# -- against a cluster ----------------------------------------------------------


class Cluster:
    """The test cluster: an index searchlib created there, and requests to it."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name

    def post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/{self.name}/{path}", data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)  # type: ignore[no-any-return]

    def analyze(self, text: str) -> List[Tuple[str, int, int]]:
        tokens = self.post("_analyze", {"analyzer": "french_native", "text": text})["tokens"]
        return [(token["token"], token["start_offset"], token["end_offset"]) for token in tokens]

    def match(self, query: str, fuzzy: bool) -> List[Dict[str, Any]]:
        """The passages a ``match`` on ``text`` finds, with their highlight."""
        match: Dict[str, Any] = {"query": query}
        if fuzzy:
            match["fuzziness"] = "AUTO"
        body = {
            "query": {"bool": {"must": {"match": {"text": match}}, "filter": {"term": {"kind": "passage"}}}},
            "_source": ["doc_id"], "size": 100, "highlight": {"fields": {"text": {}}},
        }
        return self.post("_search", body)["hits"]["hits"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cluster(cluster_url: str) -> Iterator[Tuple[Cluster, searchlib.Index]]:
    """An index of the page's documents on the test cluster, deleted afterwards."""
    url = cluster_url
    name = f"test-docs-{uuid.uuid4().hex[:12]}"
    documents = [{"id": _code(row.cells[0])[0], "text": row.cells[1]} for row in _rows(DOCUMENT_HEADER)]
    try:
        with searchlib.Index("opensearch://" + url.split("://", 1)[1] + "/" + name) as index:
            report = index.add_documents(documents)
            assert report.added == len(documents) >= 10 and report.failed == 0
            yield Cluster(url, name), index
    finally:
        drop_indexes(url, name)


@pytest.mark.opensearch
@pytest.mark.parametrize("row", TOKEN_ROWS, ids=lambda row: f"line{row.line}")
def test_native_column_is_what_the_cluster_makes(row: Row, cluster: Tuple[Cluster, searchlib.Index]):
    text = _code(row.cells[0])[0]
    shown = _shown(row.cells[2])
    made = _as_shown([(token, start, end) for token, start, end in cluster[0].analyze(text)], shown)
    assert made == shown, f"docs/opensearch.md:{row.line}: french_native makes {_cell(made)} of {text!r}"


@pytest.mark.opensearch
@pytest.mark.parametrize("row", QUERY_ROWS, ids=lambda row: f"line{row.line}")
def test_each_query_finds_what_the_page_says(row: Row, cluster: Tuple[Cluster, searchlib.Index]):
    native, index = cluster
    query = _code(row.cells[0])[0]
    searched = sorted({term for clause in index.parse(query).clauses for group in clause.terms for term in group})
    found = sorted({hit.doc_id for hit in index.search(query, limit=100)})
    plain = sorted(hit["_source"]["doc_id"] for hit in native.match(query, fuzzy=False))
    fuzzy = sorted(hit["_source"]["doc_id"] for hit in native.match(query, fuzzy=True))
    actual = [searched, found, plain, fuzzy]
    page = [sorted(_code(cell)) for cell in row.cells[1:5]]
    assert actual == page, f"docs/opensearch.md:{row.line}: {query!r} gives " + " | ".join(
        _cell([(text, None, None) for text in column]) for column in actual
    )


@pytest.mark.opensearch
@pytest.mark.parametrize("row", HIGHLIGHT_ROWS, ids=lambda row: f"line{row.line}")
def test_each_highlight_is_what_the_page_shows(row: Row, cluster: Tuple[Cluster, searchlib.Index]):
    native, index = cluster
    query = _code(row.cells[0])[0]
    snippet = [hit.snippet for hit in index.search(query, limit=1)]
    highlight = [hit["highlight"]["text"][0] for hit in native.match(query, fuzzy=False)[:1]]
    assert [snippet, highlight] == [_code(row.cells[1]), _code(row.cells[2])], (
        f"docs/opensearch.md:{row.line}: {query!r} gives {snippet} and {highlight}"
    )
