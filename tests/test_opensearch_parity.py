"""The same searches on a cluster as in a folder: the seeds and 2,000 news
articles indexed both ways, and every query of the snapshot tests (words,
accents both ways, elisions, hyphens, acronyms, phrases, exclusions, OR,
groups, prefixes, typos, boosts, ``title:``, ``doc:``, ``date:``, question
words, stop words alone, per-document caps, date bounds) asked of both.

The same documents must match (exactly), the same passages be counted,
the top 10 overlap by at least 0.9 (they are in fact the same, in the same
order), and a passage shown by both show the same snippet, highlights and
score. Needs a real OpenSearch cluster (see ``scripts/opensearch-cluster``).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import searchlib

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"

pytestmark = pytest.mark.opensearch


def _snapshot_module() -> Any:
    spec = importlib.util.spec_from_file_location("snapshot_queries", HERE / "test_snapshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SNAPSHOT = _snapshot_module()
SEARCHES: List[Tuple[str, Dict[str, Any]]] = [(query, {}) for query in SNAPSHOT.QUERIES] + list(SNAPSHOT.OPTIONED) + [
    ("Syrie", {"facets": ("year", "month", "source")}),
    ("Syrie", {"sort": "date"}),
    ("Poutine Syrie", {"sort": "date", "limit": 20}),
    ("Lavrov", {"per_doc": 1, "offset": 2}),
    ("président", {"offset": 10}),
    ("Syrie", {"after": "2016-01", "before": "2019-06-30", "facets": ("year",)}),
]


def _compare(local: searchlib.Index, cluster: searchlib.Index) -> List[float]:
    """Assert the two indexes answer alike; each search's top-10 overlap."""
    overlaps: List[float] = []
    for query, options in SEARCHES:
        where = f"{query!r} {options or ''}"
        mine = local.search(query, **{"limit": 10, **options})
        theirs = cluster.search(query, **{"limit": 10, **options})
        assert theirs.total == mine.total, where
        assert list(theirs.notes) == list(mine.notes), where
        assert theirs.facets == mine.facets, where
        assert theirs.suggestion == mine.suggestion, where
        if not options:
            matching = sorted(document.id for document in local.export(query))
            assert sorted(document.id for document in cluster.export(query)) == matching, where
        shown = {(hit.doc_id, hit.passage): hit for hit in mine}
        found = [(hit.doc_id, hit.passage) for hit in theirs]
        overlap = len(set(found) & set(shown)) / len(shown) if shown else float(not found)
        assert overlap >= 0.9, f"{where}: top-10 overlap {overlap:.2f}"
        overlaps.append(overlap)
        for hit in theirs:
            twin = shown.get((hit.doc_id, hit.passage))
            if twin is not None:
                assert (hit.snippet, list(hit.highlights)) == (twin.snippet, list(twin.highlights)), where
                assert math.isclose(hit.score, twin.score, rel_tol=1e-6), where
    return overlaps


@pytest.fixture
def seeds_on_both(cluster_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[searchlib.Index, searchlib.Index]]:
    with searchlib.Index(tmp_path_factory.mktemp("parity") / "index") as local, searchlib.Index(cluster_index) as cluster:
        assert local.add_path(SEEDS).added == 4
        assert cluster.add_path(SEEDS).added == 4
        yield local, cluster


def test_the_seeds_answer_on_a_cluster_as_in_a_folder(seeds_on_both: Tuple[searchlib.Index, searchlib.Index]) -> None:
    local, cluster = seeds_on_both
    overlaps = _compare(local, cluster)
    assert len(overlaps) == len(SEARCHES) and sum(1 for value in overlaps if value) >= 0.8 * len(SEARCHES)
    assert cluster.stats().passages == local.stats().passages
    for document in local.export():
        assert cluster.document(document.id) == local.document(document.id)


def test_a_phrase_whose_word_is_spelt_several_ways_matches_and_ranks_as_in_a_folder(cluster_index: str, tmp_path: Path) -> None:
    # "securite" typed without accents stands for "securit" and, through its
    # accent key, for "secur" ("sécurité"): a phrase slot of two spellings.
    documents = [
        {"id": "a", "title": "Santé", "text": "La sécurité sociale rembourse les soins. La sécurité sociale paie."},
        {"id": "b", "title": "Budget", "text": "Une securite sociale moins chère ? La securite sociale coûte."},
        {"id": "c", "title": "Rue", "text": "La sécurité routière et la vie sociale du quartier."},
    ]
    with searchlib.Index(tmp_path / "index") as local, searchlib.Index(cluster_index) as cluster:
        local.add_documents(documents)
        cluster.add_documents(documents)
        for query in ('"securite sociale"', '"sécurité sociale"', '"securite sociale" rembourse'):
            mine, theirs = local.search(query), cluster.search(query)
            assert mine.total == 2, query  # "a" and "b", not "c"
            assert [(hit.doc_id, hit.passage) for hit in theirs] == [(hit.doc_id, hit.passage) for hit in mine], query
            assert [hit.score for hit in theirs] == pytest.approx([hit.score for hit in mine], rel=1e-6), query


def test_synonyms_apply_on_a_cluster_as_in_a_folder(cluster_index: str, tmp_path: Path) -> None:
    groups = [["ONU", "Nations unies"], ["cessez-le-feu", "trêve"]]
    with searchlib.Index(tmp_path / "index", synonyms=groups) as local, searchlib.Index(cluster_index, synonyms=groups) as cluster:
        local.add_path(SEEDS)
        cluster.add_path(SEEDS)
        for query in ("ONU", "Nations unies", "trêve en Syrie", '"cessez-le-feu"'):
            mine, theirs = local.search(query), cluster.search(query)
            assert mine.total > 0, query
            assert (theirs.total, [(hit.doc_id, hit.passage) for hit in theirs]) == (
                mine.total, [(hit.doc_id, hit.passage) for hit in mine]
            ), query


@pytest.mark.slow
@pytest.mark.skipif(not SNAPSHOT.CORPUS.exists(), reason="needs the news corpus in ../shared")
def test_news_articles_answer_on_a_cluster_as_in_a_folder(cluster_index: str, tmp_path: Path) -> None:
    articles = list(SNAPSHOT._news(SNAPSHOT.NEWS_ARTICLES))
    with searchlib.Index(tmp_path / "news") as local, searchlib.Index(cluster_index) as cluster:
        assert local.add_documents(articles).added >= SNAPSHOT.NEWS_ARTICLES - 10
        assert cluster.add_documents(articles).added == local.stats().documents
        overlaps = _compare(local, cluster)
        assert sum(overlaps) / len(overlaps) >= 0.97
