"""What query expansion asks of an index's vocabulary (see
:class:`searchlib.search.expansion.Expander`), answered by a cluster with
terms aggregations over the passages' keyword fields, and by its term
suggester for words within a few typing errors.

Answers are kept for a few seconds and forgotten when this process writes,
as the local backend keeps them until the next commit.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Hashable, List, Optional, Set, Tuple, TypeVar

from ...analysis import phonetic
from ...storage.schema import FIELDS, VARIANT_SEPARATOR
from .mapping import PASSAGE, TEXT, TITLE

__all__ = ["ClusterVocabulary", "literal"]

_T = TypeVar("_T")
_NAME_SHARE = 2
#: seconds an answer is kept (another process may write meanwhile)
KEEP_SECONDS = 10.0
_CACHED = 8192


def literal(text: str) -> str:
    """``text`` as a Lucene regular expression matching it alone."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def _caseless(text: str) -> str:
    parts = []
    for ch in text:
        if ch.isalpha() and ch.lower() != ch.upper() and len(ch.upper()) == 1:
            parts.append(f"[{literal(ch.lower())}{literal(ch.upper())}]")
        else:
            parts.append(literal(ch))
    return "".join(parts)


class ClusterVocabulary:
    """An index's vocabulary on a cluster; ``search(body)`` runs a search
    of the index and returns the response."""

    def __init__(self, search: Callable[[Dict[str, Any]], Dict[str, Any]]) -> None:
        self._search = search
        self._answers: Dict[Hashable, Tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Forget every answer (this process wrote to the index)."""
        with self._lock:
            self._answers.clear()

    def _cached(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        now = time.monotonic()
        with self._lock:
            held = self._answers.get(key)
        if held is not None and now - held[0] < KEEP_SECONDS:
            return held[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._answers) >= _CACHED:
                self._answers.clear()
            self._answers[key] = (now, value)
        return value

    def _terms(self, fieldname: str, include: Any, size: int, order_by_key: bool = True) -> Dict[str, int]:
        """Terms of a keyword field of the passages matching ``include`` (a
        regular expression or a list), with their passage counts."""
        terms: Dict[str, Any] = {"field": fieldname, "include": include, "size": size}
        if order_by_key:
            terms["order"] = {"_key": "asc"}
        body = {
            "size": 0,
            "query": {"term": {"kind": PASSAGE}},
            "aggs": {"found": {"terms": terms}},
        }
        response = self._search(body)
        return {bucket["key"]: int(bucket["doc_count"]) for bucket in response["aggregations"]["found"]["buckets"]}

    def counts(self, fieldname: str, terms: List[str]) -> Dict[str, int]:
        """Passages holding each of ``terms`` in a keyword field."""
        if not terms:
            return {}
        return self._terms(fieldname, sorted(set(terms)), len(set(terms)), order_by_key=False)

    def alternatives(self, term: Optional[str], key: str) -> Set[str]:
        def compute() -> frozenset:  # type: ignore[type-arg]
            found = {term} if term is not None else set()
            if key != term and self.frequency(key):
                found.add(key)
            prefix = key + VARIANT_SEPARATOR
            for variant in self._terms(FIELDS.variants, literal(prefix) + ".*", 1024):
                found.add(variant[len(prefix):])
            return frozenset(found)

        return set(self._cached(("alternatives", term, key), compute))

    def prefixed(self, prefix: str, limit: int) -> List[str]:
        def compute() -> Tuple[str, ...]:
            found: Set[str] = set()
            for fieldname in (TEXT.words, TITLE.words):
                found.update(self._terms(fieldname, literal(prefix) + ".*", limit))
            return tuple(sorted(found)[:limit])

        return list(self._cached(("prefixed", prefix, limit), compute))

    def within(self, term: str, distance: int, limit: int) -> List[str]:
        """Terms of the text within ``distance`` edits of ``term`` (its first
        letter kept), the first ``limit`` in order, as the local index walks them."""

        def compute() -> Tuple[str, ...]:
            body = {
                "size": 0,
                "suggest": {
                    "close": {
                        "text": term,
                        "term": {
                            "field": TEXT.words,
                            "suggest_mode": "always",
                            "max_edits": max(1, min(2, distance)),
                            "prefix_length": 1,
                            "min_word_length": 1,
                            "size": 1000,
                            "max_inspections": 50,
                            "max_term_freq": 2147483647,
                            "min_doc_freq": 0,
                            "accuracy": 0.0,
                            "analyzer": "keyword",
                        },
                    }
                },
            }
            response = self._search(body)
            found: Set[str] = set()
            for entry in response.get("suggest", {}).get("close", []):
                for option in entry.get("options", []):
                    found.add(option["text"])
            if self.counts(TEXT.words, [term]):
                found.add(term)  # as locally: the term itself is within any distance
            return tuple(sorted(found)[:limit])

        return list(self._cached(("within", term, distance, limit), compute))

    def sounding(self, folded: str, indexed: bool = False) -> List[str]:
        def compute() -> Tuple[str, ...]:
            key = phonetic.skeleton(folded)
            if key is None:
                return ()
            prefix = key + VARIANT_SEPARATOR
            capitalised = self._terms(FIELDS.sounds, literal(prefix) + ".*", 256)
            entries = []
            for raw in sorted(capitalised)[:256]:
                spelling, _, term = raw[len(prefix):].partition(VARIANT_SEPARATOR)
                if spelling != folded and not phonetic.same_name(folded, spelling):
                    continue
                entries.append((raw, spelling, term))
            counts = self.counts(TEXT.words, [term for _, _, term in entries])
            found: Set[str] = set()
            typed_is_a_name = False
            for raw, spelling, term in entries:
                if capitalised[raw] * _NAME_SHARE >= counts.get(term, 0):
                    if spelling == folded:
                        typed_is_a_name = True
                    else:
                        found.add(term)
            return tuple(sorted(found)) if typed_is_a_name or not indexed else ()

        return list(self._cached(("sounding", folded, indexed), compute))

    def frequency(self, term: str) -> int:
        def compute() -> int:
            body = {
                "size": 0,
                "query": {"term": {"kind": PASSAGE}},
                "aggs": {
                    "text": {"filter": {"term": {TEXT.words: term}}},
                    "title": {"filter": {"term": {TITLE.words: term}}},
                },
            }
            found = self._search(body)["aggregations"]
            return int(found["text"]["doc_count"]) + int(found["title"]["doc_count"])

        return self._cached(("frequency", term), compute)

    def sources(self, text: str, limit: int) -> List[str]:
        def compute() -> Tuple[str, ...]:
            pattern = ".*" + _caseless(text) + ".*"
            found = self._terms(FIELDS.source, pattern, 65536)
            return tuple(source for source in sorted(found) if text.lower() in source.lower())[:limit]

        return list(self._cached(("sources", text, limit), compute))
