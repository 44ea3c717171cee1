"""Search results kept as they are: hits, scores (to 1e-9), snippets,
highlights, copies named, explanations, totals, notes and suggestions of a
fixed set of queries, over the seeds and over 2,000 articles of the news
corpus, against the snapshots in ``tests/data/snapshot/``.

A change to the code that is not meant to change what users see (moving
modules, reading data another way, caching) must leave them as they are; a
change meant to alter the ranking, the snippets or the analysis updates
them on purpose::

    SEARCHLIB_UPDATE_SNAPSHOT=1 pytest tests/test_snapshot.py -m "slow or not slow"

then ``git diff tests/data/snapshot`` shows what changed, query by query.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import searchlib

HERE = Path(__file__).resolve().parent
SNAPSHOTS = HERE / "data" / "snapshot"
CORPUS = HERE.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"
UPDATE = bool(os.environ.get("SEARCHLIB_UPDATE_SNAPSHOT"))
NEWS_ARTICLES = 2000

# Each feature of the query language and of the analysis, in queries that
# find something on the seeds (and, many of them, in the news).
QUERIES = [
    "cessez-le-feu en Syrie",
    "cessez le feu",
    "négociations à Astana",
    "negociations astana",
    "NÉGOCIATIONS",
    "Lavrov Kerry",
    "Lavorv Kerry",
    "Astanna",
    "États-Unis",
    "etats unis",
    "l'armée syrienne",
    "l’armée",
    "Daech",
    "Daesh",
    "Minbej",
    "O.N.U.",
    "ONU Nations unies",
    "président syrien",
    "présidence",
    "sécurité",
    "securite",
    "œuvre",
    "oeuvre",
    '"secrétaire d\'État"',
    '"conflit en Syrie"',
    "Lavrov -Kerry",
    "Lavrov AND Kerry",
    "Alep OR Homs",
    "Alep OU Homs",
    "(Washington OR Moscou) terrorisme",
    "Syrie NOT Russie",
    "Syrie SAUF Turquie",
    "négoc*",
    "terror*",
    "Lavorv~",
    "Kerry^3 Lavrov",
    "title:Syrie",
    "titre:entretien",
    "doc:004_4207ef848aced888 Syrie",
    "date:2017 Syrie",
    "Qui est Lavrov ?",
    "quel est le rôle de la Russie en Syrie",
    "combien de réfugiés",
    "280 000",
    "jeux olympiques",
    "le la les",
    "Poutine Erdogan",
    "trêve humanitaire Alep",
    "groupes terroristes",
    "opposition modérée",
]

# Options that change how hits are chosen, tried on a few queries.
OPTIONED = [
    ("Syrie", {"per_doc": 1}),
    ("Syrie", {"limit": 3}),
    ("Syrie", {"collapse_duplicates": False}),
    ("Syrie", {"after": "2017-01"}),
    ("Syrie", {"before": "2016-12-31"}),
    ("Lavrov Kerry", {"snippet_chars": 80}),
]


def _number(value: float) -> float:
    return round(value, 12)


def _results(ix: searchlib.Index, query: str, options: Dict[str, Any]) -> Dict[str, Any]:
    results = ix.search(query, explain=True, **{"limit": 10, **options})
    return {
        "query": query,
        "options": options,
        "total": results.total,
        "notes": list(results.notes),
        "suggestion": results.suggestion,
        "hits": [
            {
                "doc_id": hit.doc_id,
                "passage": hit.passage,
                "score": _number(hit.score),
                "start": hit.start,
                "end": hit.end,
                "snippet": hit.snippet,
                "highlights": [list(pair) for pair in hit.highlights],
                "duplicates": list(hit.duplicates),
                "explanation": [[field, term, _number(score)] for field, term, score in hit.explanation],
            }
            for hit in results
        ],
    }


def _snapshot(ix: searchlib.Index) -> List[Dict[str, Any]]:
    taken = [_results(ix, query, {}) for query in QUERIES]
    taken += [_results(ix, query, options) for query, options in OPTIONED]
    return taken


def _differences(expected: Any, found: Any, where: str) -> Iterator[str]:
    """Where two snapshots differ: numbers to 1e-9, all else exactly."""
    if isinstance(expected, float) and isinstance(found, (int, float)):
        if not math.isclose(expected, found, rel_tol=0, abs_tol=1e-9):
            yield f"{where}: {expected!r} became {found!r}"
    elif isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found)):
            yield from _differences(expected.get(key), found.get(key), f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            yield f"{where}: {len(expected)} items became {len(found)}"
        for number, (old, new) in enumerate(zip(expected, found)):
            yield from _differences(old, new, f"{where}[{number}]")
    elif expected != found:
        yield f"{where}: {expected!r} became {found!r}"


def _compare(ix: searchlib.Index, name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    taken = _snapshot(ix)
    # The snapshot must say something: most queries find passages.
    assert sum(1 for entry in taken if entry["hits"]) >= 0.8 * len(taken)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(taken, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    queries = [f"{entry['query']!r} {entry['options'] or ''}".strip() for entry in expected]
    found = {f"{entry['query']!r} {entry['options'] or ''}".strip(): entry for entry in taken}
    problems = [
        problem
        for key, entry in zip(queries, expected)
        for problem in _differences(entry, found.get(key), key)
    ]
    assert not problems, (
        f"{len(problems)} difference(s) from {path.relative_to(HERE.parent)} (if meant: "
        f"SEARCHLIB_UPDATE_SNAPSHOT=1 pytest {Path(__file__).relative_to(HERE.parent)}, then git diff):\n"
        + "\n".join(problems[:40])
    )


def test_results_on_the_seeds_are_as_in_the_snapshot(seeds_index: searchlib.Index) -> None:
    _compare(seeds_index, "seeds")


def _news(count: int) -> Iterator[Dict[str, str]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number == count:
                return
            record = json.loads(line)
            yield {key: record[key] for key in ("id", "title", "date", "text")}


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.exists(), reason="needs the news corpus in ../shared")
def test_results_on_news_articles_are_as_in_the_snapshot(tmp_path: Path) -> None:
    with searchlib.Index(tmp_path / "news") as ix:
        report = ix.add_documents(_news(NEWS_ARTICLES))
        assert report.added >= NEWS_ARTICLES - 10, report
        _compare(ix, "news")
