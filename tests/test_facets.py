"""Facets and the sort by date: counted over every matching passage, checked
against a count made hit by hit over a search that shows them all."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from searchlib import Hit, Index, QueryError, Ranking

_WORDS = (
    "Syrie Alep Damas Moscou trêve armée régime accord sommet ministre président gouvernement élections "
    "économie croissance réforme budget"
).split()
_SOURCES = ["lemonde.fr", "afp", "liberation.fr"]


def _corpus() -> List[Dict[str, str]]:
    """Articles of several passages, dated to the day, the month, the year or
    not at all, some without a source, in two batches (two segments)."""
    rng = random.Random(24)
    found = []
    for number in range(80):
        paragraphs = [" ".join(rng.choice(_WORDS) for _ in range(60)) + "." for _ in range(rng.randint(1, 4))]
        record = {"id": f"a{number:03d}", "title": "Titre " + rng.choice(_WORDS), "text": "\n\n".join(paragraphs)}
        kind = rng.random()
        if kind < 0.6:
            record["date"] = f"20{rng.randint(15, 19)}-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}"
        elif kind < 0.75:
            record["date"] = f"20{rng.randint(15, 19)}-{rng.randint(1, 12):02d}"
        elif kind < 0.85:
            record["date"] = f"20{rng.randint(15, 19)}"
        if rng.random() < 0.8:
            record["source"] = rng.choice(_SOURCES)
        found.append(record)
    return found


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    corpus = _corpus()
    with Index(tmp_path_factory.mktemp("facets") / "index", workers=0) as ix:
        ix.add_documents(corpus[:50])
        ix.add_documents(corpus[50:])
        ix.delete("a003")  # a deleted document is counted nowhere
        yield ix


def _every_hit(ix: Index, query: str, **options: object) -> List[Hit]:
    """Every passage the query matches, one by one (copies not folded)."""
    total = ix.search(query, collapse_duplicates=False, **options).total  # type: ignore[arg-type]
    hits = list(ix.search(query, limit=max(total, 1), collapse_duplicates=False, **options))  # type: ignore[arg-type]
    assert len(hits) == total
    return hits


def _brute_force(hits: List[Hit]) -> Dict[str, Dict[str, int]]:
    years = Counter(hit.date[:4] for hit in hits if hit.date)
    months = Counter(hit.date[:7] for hit in hits if hit.date and len(hit.date) >= 7)
    sources = Counter(hit.source for hit in hits if hit.source)
    return {name: dict(counts) for name, counts in (("year", years), ("month", months), ("source", sources))}


@pytest.mark.parametrize(
    "query, options",
    [
        ("Syrie", {}),
        ("armée Moscou", {}),
        ("budget", {"source": "afp"}),
        ("accord", {"after": "2017", "before": "2018-06"}),
        ("Damas", {"ranking": Ranking.bm25()}),  # Whoosh's own matchers
        ('"trêve armée"', {}),
    ],
)
def test_facets_count_every_matching_passage(news: Index, query: str, options: Dict[str, object]) -> None:
    results = news.search(query, limit=3, facets=["year", "month", "source"], **options)  # type: ignore[arg-type]
    hits = _every_hit(news, query, **options)
    assert results.total == len(hits) > len(results)  # counted beyond the page
    expected = _brute_force(hits)
    assert results.facets == expected
    if "source" not in options:
        assert sum(results.facets["source"].values()) < results.total  # passages without a source are left out
    for counts in results.facets.values():
        assert list(counts.items()) == sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert "a003" not in {hit.doc_id for hit in hits}


def test_facets_are_empty_unless_asked_and_keep_the_order_asked(news: Index) -> None:
    assert news.search("Syrie").facets == {}
    results = news.search("Syrie", facets=("source", "year", "source"))
    assert list(results.facets) == ["source", "year"]
    assert results.to_dict()["facets"] == results.facets
    nothing = news.search("introuvablement", facets=["year"])
    assert nothing.total == 0 and nothing.facets == {"year": {}}


def test_a_year_facet_value_filters_to_its_own_count(news: Index) -> None:
    counts = news.search("Syrie", facets=["year"]).facets["year"]
    year, count = next(iter(counts.items()))
    # a bare year as both bounds keeps the dates written to the year or month too
    assert news.search("Syrie", after=year, before=year).total == count


def test_bad_facets_and_sorts_are_refused_in_one_line(news: Index) -> None:
    with pytest.raises(QueryError, match="unknown facet 'day' \\(known: year, month, source\\)"):
        news.search("Syrie", facets=["day"])
    with pytest.raises(QueryError, match="facets must be a list"):
        news.search("Syrie", facets="year")
    with pytest.raises(QueryError, match="unknown facet \\['year'\\]"):
        news.search("Syrie", facets=[["year"]])  # type: ignore[list-item]
    with pytest.raises(QueryError, match="sort must be one of relevance, date, not 'newest'"):
        news.search("Syrie", sort="newest")


def _date_order(hit: Hit) -> str:
    return hit.date or ""


@pytest.mark.parametrize("options", [{}, {"per_doc": 1}, {"ranking": Ranking.bm25()}, {"source": "afp"}])
def test_sort_by_date_pages_newest_first(news: Index, options: Dict[str, object]) -> None:
    whole = news.search("Syrie armée", limit=1000, sort="date", **options)  # type: ignore[arg-type]
    assert 20 < len(whole) < 1000
    dates = [_date_order(hit) for hit in whole]
    assert dates == sorted(dates, reverse=True)  # newest first, undated ("") last
    assert dates[-1] == "" and dates[0] > "2019"
    for before, after in zip(whole, list(whole)[1:]):
        if before.date == after.date:
            assert before.score >= after.score  # ties by relevance
    pages: List[Hit] = []
    for offset in range(0, len(whole), 7):
        page = news.search("Syrie armée", limit=7, offset=offset, sort="date", **options)  # type: ignore[arg-type]
        assert page.total == whole.total
        pages.extend(page)
    assert [(hit.doc_id, hit.passage) for hit in pages] == [(hit.doc_id, hit.passage) for hit in whole]


def test_sort_by_date_keeps_total_and_the_same_passages(news: Index) -> None:
    by_relevance = news.search("Syrie", limit=500, collapse_duplicates=False)
    by_date = news.search("Syrie", limit=500, sort="date", collapse_duplicates=False)
    assert by_date.total == by_relevance.total == len(by_date)
    assert sorted((h.doc_id, h.passage) for h in by_date) == sorted((h.doc_id, h.passage) for h in by_relevance)
    assert [h.doc_id for h in by_date] != [h.doc_id for h in by_relevance]


def test_facets_follow_a_write(tmp_path: Path) -> None:
    with Index(tmp_path / "index", workers=0) as ix:
        ix.add_documents([{"id": "a", "text": "Alep sous les bombes.", "date": "2016-12-01", "source": "afp"}])
        assert ix.search("Alep", facets=["year"]).facets == {"year": {"2016": 1}}
        ix.add_documents([{"id": "b", "text": "Alep reconstruite.", "date": "2019-05-02", "source": "afp"}])
        ix.delete("a")
        assert ix.search("Alep", facets=["year", "source"]).facets == {"year": {"2019": 1}, "source": {"afp": 1}}


def test_facets_and_total_read_one_commit_while_another_thread_writes(tmp_path: Path) -> None:
    """Every document is dated: the year counts add up to the total of the
    very search, whatever commit it read."""
    import threading

    def batch(first: int) -> List[Dict[str, str]]:
        return [
            {"id": f"d{n}", "text": f"Alep en Syrie, dépêche {n}.", "date": f"20{10 + n % 10}-05-01", "source": "afp"}
            for n in range(first, first + 20)
        ]

    with Index(tmp_path / "index", workers=0) as ix:
        ix.add_documents(batch(0))
        failures: List[str] = []
        totals: List[int] = []
        done = threading.Event()

        def search() -> None:
            while not done.is_set():
                results = ix.search("Alep", facets=["year", "source"], sort="date")
                totals.append(results.total)
                if sum(results.facets["year"].values()) != results.total or results.facets["source"] != {"afp": results.total}:
                    failures.append(f"{results.total} {results.facets}")

        readers = [threading.Thread(target=search) for _ in range(3)]
        for reader in readers:
            reader.start()
        for first in range(20, 120, 20):
            ix.add_documents(batch(first))
        done.set()
        for reader in readers:
            reader.join()
        assert failures == [] and len(totals) >= 3 and min(totals) >= 20
        assert ix.search("Alep", facets=["year"]).facets["year"] == {f"20{10 + y}": 12 for y in range(10)}
