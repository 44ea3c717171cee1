"""A whole query's scores at once, term by term, over the passages' postings.

Whoosh scores a query document by document through a tree of matchers, in
Python: a news headline typed as a query (eight words, each over two fields
with its accent and spelling variants) walks hundreds of thousands of
matcher calls. Reading each term's postings a block at a time and adding
its BM25 into one table per query does the same work in a small fraction of
the time, gives every matching passage its exact score (so ``total`` is
free), and lets the same pass add up each article's term frequencies for
the article's own BM25 (the context of its passages).

:class:`Layout` knows which article each passage belongs to and the field
lengths BM25 needs; :class:`Evaluation` turns a Whoosh query tree into a
``{docnum: score}`` table, handing the node types it does not know (spans
of phrases, ranges) to Whoosh's own matchers.
"""

from __future__ import annotations

import math
import threading
from array import array
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from whoosh import query as wq
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

from ._phrases import phrase_clauses, phrase_scores
from ._postings import blocks

__all__ = ["SegmentCache", "Layout", "Evaluation", "Weighting", "probabilistic_idf", "bm25_idf"]

TEXT_FIELD = "text"
#: words further apart than this many positions are not near each other
PROXIMITY_WINDOW = 5
_LENGTH_FIELDS = ("text", "title")
Scores = Dict[int, float]


def probabilistic_idf(documents: int, frequency: int) -> float:
    """Robertson's IDF (Lucene's): a word in every document weighs next to nothing."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def whoosh_idf(documents: int, frequency: int) -> float:
    """Whoosh's own IDF, which keeps at least 1 for the commonest word."""
    return math.log(documents / (frequency + 1)) + 1


def bm25_idf(probabilistic: bool) -> Any:
    return probabilistic_idf if probabilistic else whoosh_idf


class _Scorer(BM25FScorer):
    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float = 1) -> None:
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        parent = searcher.get_parent()
        self.idf = probabilistic_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


class Weighting(BM25F):
    """Whoosh's BM25F with a given k1 and b and, optionally, Robertson's
    IDF: what Whoosh's own matchers use where :class:`Evaluation` hands a
    node over to them."""

    def __init__(self, k1: float, b: float, probabilistic: bool) -> None:
        super().__init__(B=b, K1=k1)
        self.probabilistic = probabilistic

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        if not self.probabilistic:
            return super().scorer(searcher, fieldname, text, qf=qf)
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(searcher, fieldname, text, self.B, self.K1, qf=qf)


# -- which passage belongs to which article ----------------------------------


class _Segment:
    """One segment's passages: their article (-1 once deleted) and field
    lengths. A document's passages are written together, so they hold
    consecutive numbers in their segment (merges keep the order)."""

    def __init__(self, reader: Any) -> None:
        count = reader.doc_count_all()
        deleted = {n for n in range(count) if reader.is_deleted(n)} if reader.has_deletions() else set()
        # An index with no passages yet has no columns at all (Whoosh's empty reader).
        ids = reader.column_reader("doc_id") if count else []
        self.article: "array[int]" = array("i", [-1]) * count
        self.lengths: Dict[str, "array[float]"] = {name: array("f", [0.0]) * count for name in _LENGTH_FIELDS}
        self.article_lengths: List[float] = []  # one an article, in order
        self.has_deletions = bool(deleted)
        field_length = reader.doc_field_length
        previous = None
        for number in range(count):
            if number in deleted:
                continue
            doc_id = ids[number]
            if doc_id != previous:
                self.article_lengths.append(0.0)
                previous = doc_id
            self.article[number] = len(self.article_lengths) - 1
            for name, lengths in self.lengths.items():
                lengths[number] = field_length(number, name) or 0
            self.article_lengths[-1] += self.lengths[TEXT_FIELD][number]


class SegmentCache:
    """Each segment's :class:`_Segment`, read once and shared by every
    searcher of one index that holds it (segments never change once written,
    deletions aside, and the key holds the count of live passages)."""

    _LIMIT = 512

    def __init__(self) -> None:
        self._segments: Dict[Tuple[str, int], _Segment] = {}
        self._lock = threading.Lock()

    def segment(self, reader: Any) -> _Segment:
        segment = reader.segment() if hasattr(reader, "segment") else None
        key = (segment.segment_id() if segment is not None else str(id(reader)), reader.doc_count())
        with self._lock:
            found = self._segments.get(key)
        if found is None:
            found = _Segment(reader)
            with self._lock:
                if len(self._segments) > self._LIMIT:
                    self._segments.clear()
                self._segments[key] = found
        return found


class Layout:
    """The articles of one reader's segments."""

    def __init__(self, reader: Any, cache: SegmentCache) -> None:
        self.leaves: List[Tuple[Any, int, _Segment, int]] = []  # reader, first docnum, segment, first article
        self.article: "array[int]" = array("i")
        self.article_lengths: List[float] = []
        for leaf, offset in reader.leaf_readers():
            segment = cache.segment(leaf)
            base = len(self.article_lengths)
            self.leaves.append((leaf, offset, segment, base))
            self.article.extend(a + base if a >= 0 else -1 for a in segment.article)
            self.article_lengths.extend(segment.article_lengths)
        self.articles = len(self.article_lengths)
        self.average_length = sum(self.article_lengths) / self.articles if self.articles else 1.0

    @classmethod
    def of(cls, searcher: Any, cache: SegmentCache) -> "Layout":
        """The layout of a searcher's reader, built on first use."""
        layout: Optional[Layout] = getattr(searcher, "_searchlib_layout", None)
        if layout is None:
            layout = cls(searcher.reader(), cache)
            searcher._searchlib_layout = layout
        return layout


def _spellings(node: wq.Or) -> Optional[Tuple[str, List[Tuple[str, float]]]]:
    """The field and the (term, weight) of an Or of plain terms of one
    field: one query word spelt several ways."""
    children = node.subqueries
    if node.scale is not None or not children or not all(type(child) is wq.Term for child in children):
        return None
    fields = {child.fieldname for child in children}
    if len(fields) != 1 or not fields <= set(_LENGTH_FIELDS) or not all(isinstance(c.text, str) for c in children):
        return None
    return fields.pop(), sorted((child.text, float(child.boost)) for child in children)


def _add_per_article(
    per_article: Dict[int, float], article: Sequence[int], offset: int, ids: Sequence[int], weights: Sequence[float]
) -> None:
    """Add a block's weights of a term to the articles its passages belong
    to (``offset``: the segment's first document number), deleted ones left out."""
    for number, weight in zip(ids, weights):
        owner = article[offset + number]
        if owner >= 0:
            per_article[owner] = per_article.get(owner, 0.0) + weight


def _frequencies(reader: Any, fieldname: str, spellings: Sequence[Tuple[str, float]]) -> Dict[int, float]:
    """{passage number in the segment: frequency} of one word in one field
    of a segment, its spellings' frequencies added, each times its weight."""
    counts: Dict[int, float] = {}
    for text, share in spellings:
        if (fieldname, text) not in reader:
            continue
        for ids, weights in blocks(reader.postings(fieldname, text)):
            for number, weight in zip(ids, weights):
                counts[number] = counts.get(number, 0.0) + weight * share
    return counts


# -- a query's scores ---------------------------------------------------------


class Evaluation:
    """Scores of every passage a query matches, with what made them.

    ``leaves`` keeps each scored term's table (for explanations);
    ``article_terms`` each text term's weight and per-article frequencies,
    from which :meth:`article_scores` computes the articles' BM25.
    """

    def __init__(
        self,
        searcher: Any,
        layout: Layout,
        k1: float,
        b: float,
        probabilistic: bool,
        coordination: float,
        one_word_spellings: bool = True,
    ) -> None:
        self.searcher = searcher
        self.layout = layout
        self.k1, self.b = k1, b
        self.idf = bm25_idf(probabilistic)
        self.coordination = coordination
        self.one_word_spellings = one_word_spellings
        self.leaves: List[Tuple[str, str, Scores]] = []
        self.article_terms: Dict[str, Tuple[float, Dict[int, float]]] = {}
        self.coordinated: Dict[int, float] = {}  # passage: coordination factor applied
        # each positive word of the text field: its spellings and weight (IDF × boost)
        self.units: List[Tuple[Tuple[str, ...], float]] = []
        self.restriction: Optional[Set[int]] = None
        self._documents_all = searcher.reader().doc_count_all()

    def scores(self, query: wq.Query, restriction: Optional[Set[int]] = None) -> Scores:
        self.restriction = restriction
        found = self._node(query, 1.0, True)
        if restriction is not None:
            found = {d: s for d, s in found.items() if d in restriction}
        return found

    # nodes

    def _node(self, node: wq.Query, boost: float, positive: bool) -> Scores:
        if isinstance(node, wq.Term) and node.fieldname in _LENGTH_FIELDS and isinstance(node.text, str):
            return self._term(node.fieldname, ((node.text, 1.0),), boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.Or):
            spellings = _spellings(node) if self.one_word_spellings else None
            if spellings is not None:
                return self._term(spellings[0], spellings[1], boost * getattr(node, "boost", 1.0), positive)
            return self._either(node, boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.And):
            return self._all(node, boost * getattr(node, "boost", 1.0), positive)
        if isinstance(node, wq.AndMaybe):
            required = self._node(node.a, boost * getattr(node, "boost", 1.0), positive)
            optional = self._node(node.b, boost * getattr(node, "boost", 1.0), positive)
            for docnum in required.keys() & optional.keys():
                required[docnum] += optional[docnum]
            return required
        if isinstance(node, wq.Every):
            docs = self.restriction if self.restriction is not None else self.searcher.reader().all_doc_ids()
            return dict.fromkeys(docs, boost * getattr(node, "boost", 1.0))
        if isinstance(node, wq.NullQuery.__class__):
            return {}
        return self._whoosh(node, boost, positive)

    def _either(self, node: wq.Or, boost: float, positive: bool) -> Scores:
        tables = sorted((self._node(child, boost, positive) for child in node.subqueries), key=len, reverse=True)
        if not tables:
            return {}
        merged = dict(tables[0])
        for table in tables[1:]:
            for docnum, score in table.items():
                merged[docnum] = merged.get(docnum, 0.0) + score
        if node.scale is not None and self.coordination and len(tables) > 1:
            # Coordination: a passage holding more of the query's words ranks higher.
            units = len(tables)
            counts = dict.fromkeys(merged, 0)
            for table in tables:
                for docnum in table:
                    counts[docnum] += 1
            for docnum, count in counts.items():
                factor = (count / units) ** self.coordination
                merged[docnum] *= factor
                if positive:
                    self.coordinated[docnum] = factor
        return merged

    def _all(self, node: wq.And, boost: float, positive: bool) -> Scores:
        excluded: Set[int] = set()
        tables: List[Scores] = []
        for child in node.subqueries:
            if isinstance(child, wq.Not):
                excluded.update(self._node(child.query, 1.0, False))
            else:
                tables.append(self._node(child, boost, positive))
        if not tables:
            return {}
        tables.sort(key=len)
        result: Scores = {}
        for docnum, score in tables[0].items():
            if docnum in excluded:
                continue
            total = score
            for table in tables[1:]:
                other = table.get(docnum)
                if other is None:
                    break
                total += other
            else:
                result[docnum] = total
        return result

    def _term(self, fieldname: str, spellings: Sequence[Tuple[str, float]], boost: float, positive: bool) -> Scores:
        """BM25 of one query word in one field. A word the query spells
        several ways (accents, transliterations) is one word: its spellings'
        frequencies, each times its weight, add up in a passage, and it takes
        the IDF of its commonest full-weight spelling, as Lucene's synonym
        query does, so that a rare spelling does not outweigh the word typed."""
        frequencies = [(self.searcher.doc_frequency(fieldname, text), weight) for text, weight in spellings]
        frequency = max((f for f, weight in frequencies if weight >= 1.0), default=0) or max(f for f, _ in frequencies)
        if not frequency:
            return {}
        texts = [text for text, _ in spellings]
        k1, b = self.k1, self.b
        average = self.searcher.avg_field_length(fieldname) or 1.0
        scale = boost * self.idf(self._documents_all, frequency) * (k1 + 1)
        constant, slope = k1 * (1 - b), k1 * b / average
        counting = positive and fieldname == TEXT_FIELD
        article = self.layout.article
        per_article: Dict[int, float] = {}
        found: Scores = {}
        single = len(spellings) == 1 and spellings[0][1] == 1.0
        for reader, offset, segment, _ in self.layout.leaves:
            lengths = segment.lengths[fieldname]
            if single and not segment.has_deletions:
                # The common case, a block at a time: the same arithmetic in
                # comprehensions (C loops) rather than statements per posting.
                if (fieldname, texts[0]) not in reader:
                    continue
                for ids, weights in blocks(reader.postings(fieldname, texts[0])):
                    found.update(
                        zip(
                            [offset + number for number in ids],
                            [scale * w / (w + constant + slope * lengths[n]) for n, w in zip(ids, weights)],
                        )
                    )
                    if counting:
                        _add_per_article(per_article, article, offset, ids, weights)
                continue
            for number, weight in _frequencies(reader, fieldname, spellings).items():
                docnum = offset + number
                owner = article[docnum]
                if owner < 0:
                    continue  # deleted
                found[docnum] = scale * weight / (weight + constant + slope * lengths[number])
                if counting:
                    per_article[owner] = per_article.get(owner, 0.0) + weight
        if positive:
            self.leaves.append((fieldname, "|".join(texts), found))
        if counting and found:
            self.units.append((tuple(texts), scale / (k1 + 1)))
        if counting and per_article:
            key = "|".join(texts)
            weight, _ = self.article_terms.get(key, (0.0, per_article))
            self.article_terms[key] = (weight + boost, per_article)
        return found

    def _whoosh(self, node: wq.Query, boost: float, positive: bool) -> Scores:
        """Nodes this module does not score itself (phrases, ranges): Whoosh's
        matcher, read to the end (phrases of plain words are matched here,
        to the same scores, faster). Their text terms still count for the
        article (a phrase's words are words of the article)."""
        clauses = phrase_clauses(node)
        phrase = phrase_scores(self.searcher, self.layout, node, clauses, boost) if clauses is not None else None
        if phrase is not None:
            found = phrase
        else:
            context = self.searcher.context()
            found = {}
            for subsearcher, offset in self.searcher.leaf_searchers():
                matcher = node.matcher(subsearcher, context)
                while matcher.is_active():
                    found[offset + matcher.id()] = boost * float(matcher.score())
                    matcher.next()
        if positive:
            terms = [(fieldname, text) for fieldname, text in node.iter_all_terms() if isinstance(text, str)]
            if terms:
                words = " ".join(dict.fromkeys(text for _, text in terms))
                self.leaves.append((terms[0][0], f'"{words}"' if len(terms) > 1 else words, found))
            for fieldname, text in node.iter_all_terms():
                if fieldname == TEXT_FIELD and isinstance(text, str) and text not in self.article_terms:
                    self._count_article_terms(text, boost * getattr(node, "boost", 1.0))
        return found

    def _count_article_terms(self, text: str, boost: float) -> None:
        per_article: Dict[int, float] = {}
        article = self.layout.article
        for reader, offset, _, _ in self.layout.leaves:
            if (TEXT_FIELD, text) not in reader:
                continue
            for ids, weights in blocks(reader.postings(TEXT_FIELD, text)):
                _add_per_article(per_article, article, offset, ids, weights)
        if per_article:
            self.article_terms[text] = (boost, per_article)

    # articles

    def article_scores(self) -> Scores:
        """Each article's BM25 over its whole text for the query's positive
        text terms (term frequencies summed over its passages)."""
        layout = self.layout
        scores: Scores = {}
        if not layout.articles:
            return scores
        k1, b = self.k1, self.b
        lengths, average = layout.article_lengths, layout.average_length
        for weight, per_article in self.article_terms.values():
            scale = weight * probabilistic_idf(layout.articles, len(per_article)) * (k1 + 1)
            for owner, frequency in per_article.items():
                norm = k1 * (1 - b + b * lengths[owner] / average)
                scores[owner] = scores.get(owner, 0.0) + scale * frequency / (frequency + norm)
        return scores

    # proximity

    def proximity(self, passages: Sequence[int]) -> Scores:
        """For each of ``passages``, how close together its query words
        stand: each pair of different words d positions apart adds 1/d²
        (within :data:`PROXIMITY_WINDOW`), saturated like a term frequency
        and weighed by the rarer word's weight, summed over the pairs
        (Rasolofo and Savoy's term proximity for BM25)."""
        units = self.units
        if len(units) < 2 or not passages:
            return {}
        positions = self._positions(passages)
        k1, b = self.k1, self.b
        average = self.searcher.avg_field_length(TEXT_FIELD) or 1.0
        found: Scores = {}
        for docnum, held in positions.items():
            present = sorted(held)
            if len(present) < 2:
                continue
            norm = k1 * (1 - b + b * self._length(docnum) / average)
            score = 0.0
            for i, first in enumerate(present):
                for second in present[i + 1 :]:
                    near = 0.0
                    for a in held[first]:
                        for c in held[second]:
                            distance = abs(a - c)
                            if 0 < distance <= PROXIMITY_WINDOW:
                                near += 1.0 / (distance * distance)
                    if near:
                        weight = min(units[first][1], units[second][1])
                        score += weight * (k1 + 1) * near / (near + norm)
            if score:
                found[docnum] = score
        return found

    def _length(self, docnum: int) -> float:
        for _, offset, segment, _ in reversed(self.layout.leaves):
            if docnum >= offset:
                return float(segment.lengths[TEXT_FIELD][docnum - offset])
        return 0.0

    def _positions(self, passages: Sequence[int]) -> Dict[int, Dict[int, List[int]]]:
        """{passage: {unit: positions of its words}} for the given passages."""
        result: Dict[int, Dict[int, List[int]]] = {}
        wanted = sorted(passages)
        for reader, offset, segment, _ in self.layout.leaves:
            local = [d - offset for d in wanted if offset <= d < offset + len(segment.article)]
            if not local:
                continue
            for unit, (texts, _) in enumerate(self.units):
                for text in texts:
                    if (TEXT_FIELD, text) not in reader:
                        continue
                    matcher = reader.postings(TEXT_FIELD, text)
                    for number in local:
                        if not matcher.is_active():
                            break
                        if matcher.id() < number:
                            matcher.skip_to(number)
                            if not matcher.is_active():
                                break
                        if matcher.id() == number:
                            held = result.setdefault(offset + number, {})
                            held.setdefault(unit, []).extend(matcher.value_as("positions"))
        return result
