"""Queries on a cluster are made of searchlib's terms only: what a user
types never reaches OpenSearch as a query string, so hostile input cannot
reach its query parser, its regular expressions or its scripts, and the
caps on expansions hold as locally. Needs a real OpenSearch cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import searchlib
from searchlib.backends.opensearch import OpenSearchBackend
from searchlib.backends.opensearch.mapping import SPELLINGS
from searchlib.search.expansion import MAX_EXPANSION


HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"

pytestmark = pytest.mark.opensearch

# Query syntax of OpenSearch's own parsers, JSON, scripts, regular
# expressions and wildcards, as a user could type them.
HOSTILE = [
    "*:*",
    "_id:002_6a89048487369a54 OR text:*",
    '{"query": {"match_all": {}}}',
    '{"script": {"source": "Runtime.getRuntime()"}}',
    "text:/.*/",
    "/.*Syrie.*/",
    "_exists_:text",
    "Syrie AND (kind:article OR _index:*)",
    "title:(Syrie OR Russie)^999",
    "Lavrov~~~~ Kerry~9",
    "a* b* c* d* e* f* g* h* i* j*",
    "source:.* Syrie",
    "source:[* TO *]",
    "doc:* Syrie",
    "date:* Syrie",
    '"\\" OR 1=1 --',
    "\\u0000 \u0000 Syrie",
    "Syrie " * 200,
    "(" * 50 + "Syrie" + ")" * 50,
]
# DSL queries able to read patterns or run code: never sent.
_FORBIDDEN = {"query_string", "simple_query_string", "regexp", "wildcard", "script", "script_score", "fuzzy", "more_like_this"}


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


@pytest.fixture
def seeds_on_both(cluster_index: str, tmp_path: Path) -> Iterator[Tuple[searchlib.Index, searchlib.Index]]:
    with searchlib.Index(tmp_path / "index") as local, searchlib.Index(cluster_index) as cluster:
        assert local.add_path(SEEDS).added == 4
        assert cluster.add_path(SEEDS).added == 4
        yield local, cluster


def _sent(monkeypatch: pytest.MonkeyPatch) -> List[Dict[str, Any]]:
    """Every search body the backend sends from now on (the requests still go)."""
    bodies: List[Dict[str, Any]] = []
    search, msearch = OpenSearchBackend._search_body, OpenSearchBackend._msearch

    def searched(self: OpenSearchBackend, body: Dict[str, Any]) -> Dict[str, Any]:
        bodies.append(body)
        return search(self, body)

    def msearched(self: OpenSearchBackend, many: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        bodies.extend(many)
        return msearch(self, many)

    monkeypatch.setattr(OpenSearchBackend, "_search_body", searched)
    monkeypatch.setattr(OpenSearchBackend, "_msearch", msearched)
    return bodies


def test_hostile_queries_reach_the_cluster_as_terms_only_and_answer_as_locally(
    seeds_on_both: Tuple[searchlib.Index, searchlib.Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    local, cluster = seeds_on_both
    bodies = _sent(monkeypatch)
    answered = 0
    for query in HOSTILE:
        try:
            mine = local.search(query, limit=10)
        except searchlib.QueryError as error:
            with pytest.raises(searchlib.QueryError) as refused:
                cluster.search(query, limit=10)
            assert str(refused.value) == str(error)
            continue
        theirs = cluster.search(query, limit=10)
        assert (theirs.total, [(hit.doc_id, hit.passage) for hit in theirs]) == (
            mine.total, [(hit.doc_id, hit.passage) for hit in mine]
        ), query
        assert list(theirs.notes) == list(mine.notes), query
        answered += 1
    assert answered >= len(HOSTILE) - 3 and bodies
    sent = json.dumps(bodies, ensure_ascii=False)
    assert not _FORBIDDEN & set(_keys(bodies)), sent[:2000]
    assert "Runtime" not in sent  # the typed text is never sent: its analysed terms are


def test_a_prefix_matching_too_many_words_is_capped_as_locally(
    seeds_on_both: Tuple[searchlib.Index, searchlib.Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    local, cluster = seeds_on_both
    words = [f"zorg{first}{second}" for first in "abcdefghij" for second in "klmnopqrst"]  # 100 words
    document = {"id": "zorg", "title": "Zorg", "text": "Le mot " + " ".join(words) + " revient."}
    assert local.add_documents([document]).added == cluster.add_documents([document]).added == 1
    bodies = _sent(monkeypatch)
    mine, theirs = local.search("zorg*"), cluster.search("zorg*")
    assert any("too many words" in note for note in theirs.notes)
    assert list(theirs.notes) == list(mine.notes) and theirs.total == mine.total > 0
    searched = [body["query"] for body in bodies if "track_total_hits" in body and body.get("size")]
    # a word's spellings go as one synonym query: searchlib's terms joined
    terms = {term for query in searched for term in _text_terms(query)}
    assert 0 < len(terms) <= MAX_EXPANSION and all(term.startswith("zorg") for term in terms)


def _text_terms(value: Any) -> Iterator[str]:
    """The terms a query sends for the text field, in ``term`` and ``match`` clauses."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("term", "match") and isinstance(inner, dict):
                for field, spec in inner.items():
                    if field.startswith("text_terms"):
                        text = spec.get("value", spec.get("query")) if isinstance(spec, dict) else spec
                        yield from str(text).split(SPELLINGS)
            else:
                yield from _text_terms(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _text_terms(inner)
