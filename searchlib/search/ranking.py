"""How passages are ranked, and how a ranking becomes the hits shown.

A passage's score is its own BM25 over ``text`` and ``title`` (Robertson's
probabilistic IDF, which gives a word found everywhere next to no weight
where Whoosh's own IDF keeps at least 1), scaled by coordination (the share
of the query's words it holds), plus ``context`` times its article's BM25
over the article's whole text. The article's score lets a long news
article whose words are spread over several passages compete with a short
passage holding them all: an article's best passage is found by the passage
score, the article's rank by both. Question words, filler and auxiliary
verbs weigh ``weak_words`` (set where the query is read, see
:mod:`.query`). In the best passages, a query word's occurrences in other
forms than the one typed count ``other_forms`` each in the passage's own
BM25 (read from the passages' text; none by default), while the article's
BM25 counts every form.

Every passage the query matches is scored (:mod:`.scoring`), so ``total``
is exact and the best articles are never missed for want of a deep enough
window. ``FOUNDATION`` (public as ``Ranking.bm25()``) is the ranking searchlib had before these levers:
Whoosh's own matchers and BM25F over passages alone; benchmarks compare
against it.

Over 400 lines: the public ``Ranking``, its levers and the ranker applying
them are read together (``form_losses`` serves a cluster's ranking too).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from typing import Any, Collection, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import numpy as np
import numpy.typing as npt
from whoosh import query as wq

from ..analysis import FrenchAnalyzer, Token
from ..storage.schema import FIELDS, keeps_offsets
from . import facets as _facets
from .copies import Chosen, Kept, finish, walk
from .places import Places
from .scoring import EMPTY, Evaluation, Layout, SegmentCache, Table, Weighting, best
from .semantic import Semantic
from .whoosh27 import stored_records

__all__ = ["Ranking", "DEFAULT", "FOUNDATION", "ablations", "Ranker", "Chosen", "form_losses"]


@dataclass(frozen=True)
class Ranking:
    """How searches rank passages: BM25's parameters and the levers added
    to it, each of which can be turned off.

    ``Ranking()`` is the default ranking; :meth:`bm25` is plain BM25 over
    passages with every lever off. Change one lever with
    ``dataclasses.replace(Ranking(), context=0.0)`` or by naming it:
    ``Ranking(context=0.0)``. Pass it as ``Index(path, ranking=...)`` or
    ``ix.search(query, ranking=...)``. A negative weight, ``k1 < 0`` or
    ``b`` outside [0, 1] raise ``ValueError``.
    """

    #: BM25's term-frequency saturation (default 0.9), for the passages and
    #: the articles alike. Lower, a word's repetitions count for less.
    k1: float = 0.9
    #: BM25's length normalisation, 0 to 1 (default 0.9): news articles run
    #: from a 40-word brief to a 1,000-word live report, and a long one
    #: holds the query's words by sheer length more often than by being
    #: about them.
    b: float = 0.9
    #: Robertson/Lucene IDF, log(1 + (N - df + 0.5) / (df + 0.5)), instead of
    #: Whoosh's log(N / (df + 1)) + 1 (default True): a word found
    #: everywhere weighs next to nothing.
    probabilistic_idf: bool = True
    #: weight of the article's whole-text BM25 added to each passage's score
    #: (default 2.0; 0 ranks passages alone)
    context: float = 2.0
    #: a passage holding m of the query's n words scores × (m / n) ** coordination
    #: (default 0.5; 0 turns it off)
    coordination: float = 0.5
    #: weight of the bonus for query words standing close together in a
    #: passage (default 0.0: measured, left off)
    proximity: float = 0.0
    #: passages, best first, that the proximity bonus is computed for (default 100)
    proximity_depth: int = 100
    #: weight of question words, conversational filler and auxiliary verbs
    #: ("quel", "combien", "a", "peut") (default 0.25; 1 weighs them as
    #: any other word)
    weak_words: float = 0.25
    #: what an occurrence of a query word in another form than the one typed
    #: counts (folded forms: "présidence" for "président") in the passage's
    #: own BM25, in the best passages (default 0.0; 1: as much as the form
    #: typed; the article's BM25 counts every form)
    other_forms: float = 0.0
    #: passages, best first, whose words' forms are read (default 30)
    forms_depth: int = 30
    #: a word's spellings (accents, names written two ways) scored as one
    #: word, as Lucene's synonym query does, rather than as separate words
    #: (default True)
    one_word_spellings: bool = True
    #: score term by term over postings (default True; False: Whoosh's
    #: matchers, as before the levers, which ignore ``context``,
    #: ``coordination``, ``other_forms`` and ``proximity``)
    term_at_a_time: bool = True

    def __post_init__(self) -> None:
        # Checked here rather than at search time: a bad value would
        # otherwise rank silently wrong (a negative weight inverts a lever).
        for name in ("k1", "b", "context", "coordination", "proximity", "weak_words", "other_forms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Ranking.{name} must be a number of 0 or more, not {value!r}")
        if self.b > 1:
            raise ValueError(f"Ranking.b must be between 0 and 1, not {self.b!r}")
        for name in ("proximity_depth", "forms_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Ranking.{name} must be a whole number of 0 or more, not {value!r}")

    @classmethod
    def bm25(cls) -> "Ranking":
        """Plain BM25F over passages with every lever off (k1 = 1.2,
        b = 0.75, Whoosh's IDF and matchers): the ranking searchlib had
        before the levers, which benchmarks compare against."""
        return FOUNDATION

    def weighting(self) -> Weighting:
        return Weighting(self.k1, self.b, self.probabilistic_idf)


DEFAULT = Ranking()
#: The ranking before these levers: Whoosh's matchers and BM25F over passages.
FOUNDATION = Ranking(
    k1=1.2, b=0.75, probabilistic_idf=False, context=0.0, coordination=0.0, weak_words=1.0, other_forms=1.0,
    term_at_a_time=False,
)


def ablations() -> List[Tuple[str, Ranking]]:
    """DEFAULT with each lever turned off in turn (and those measured but
    left off turned on), named."""
    return [
        (f"with k1 = {FOUNDATION.k1:g}, b = {FOUNDATION.b:g}", replace(DEFAULT, k1=FOUNDATION.k1, b=FOUNDATION.b)),
        ("without probabilistic IDF", replace(DEFAULT, probabilistic_idf=False)),
        ("without article context", replace(DEFAULT, context=0.0)),
        ("without coordination", replace(DEFAULT, coordination=0.0)),
        ("without weak question words", replace(DEFAULT, weak_words=1.0)),
        ("without exact forms", replace(DEFAULT, other_forms=1.0)),
        ("without spellings as one word", replace(DEFAULT, one_word_spellings=False)),
        ("with proximity 0.5", replace(DEFAULT, proximity=0.5)),
    ]


class Ranker:
    """Ranks one query's passages and picks those to show."""

    def __init__(
        self,
        searcher: Any,
        query: Optional[wq.Query],
        restriction: Optional[Set[int]],
        ranking: Ranking,
        segments: SegmentCache,
        forms: Sequence[Tuple[FrozenSet[str], str]] = (),
        analyzer: Optional[FrenchAnalyzer] = None,
        semantic: Optional[Semantic] = None,
    ) -> None:
        self.searcher = searcher
        self.semantic = semantic  # None: words alone; a query of no known word (None) is then matched by meaning
        self.forms = forms
        self.analyzer = analyzer
        self.segments = segments
        self.query = query
        self.restriction = restriction
        self.ranking = ranking
        self._evaluation: Optional[Evaluation] = None
        self._articles: Optional["npt.NDArray[np.float64]"] = None  # each article's BM25
        self._scores = EMPTY
        self._near: Dict[int, float] = {}
        self._losses: Dict[int, Dict[str, float]] = {}  # per passage, per word
        self._stored: Dict[int, Dict[str, Any]] = {}
        self._table: Optional[Table] = None  # every match as Whoosh scores it, when asked
        # where the query's words stand in the passages, read from the
        # postings scoring reads (None: an index of format 5, analysed instead)
        self._places: Optional[Places] = (
            Places([(reader, offset) for reader, offset, _, _ in Layout.of(searcher, segments).leaves])
            if keeps_offsets(searcher.schema)
            else None
        )

    def choose(
        self, limit: int, per_doc: Optional[int], collapse: bool, sort: str = "relevance"
    ) -> Tuple[int, List[Chosen]]:
        """The number of matching passages, and the best ``limit`` (or, with
        ``sort="date"``, the newest), at most ``per_doc`` a document, each
        near-identical group shown once."""
        if not self.ranking.term_at_a_time:
            if sort == "date":
                return self._choose_by_date(self._whoosh_table(), limit, per_doc, collapse)
            return self._choose_with_whoosh(limit, per_doc, collapse)
        layout = Layout.of(self.searcher, self.segments)
        ranking = self.ranking
        evaluation = Evaluation(
            self.searcher, layout, ranking.k1, ranking.b, ranking.probabilistic_idf, ranking.coordination,
            ranking.one_word_spellings, self._places,
        )
        table = evaluation.scores(self.query, self.restriction) if self.query is not None else EMPTY
        ids, scores = table
        if ranking.context and len(ids):
            self._articles = articles = evaluation.article_scores()
            owners = layout.article[ids]
            scores = scores + np.where(owners >= 0, ranking.context * articles[owners], 0.0)
        if ranking.other_forms != 1.0 and self.forms and self.analyzer is not None and len(ids):
            candidates = [docnum for docnum, _ in _best(ids, scores, ranking.forms_depth)]
            self._read_fields(candidates)
            self._losses = losses = self._other_forms(evaluation, candidates, self.analyzer)
            scores = _plus(ids, scores, {docnum: sum(lost.values()) for docnum, lost in losses.items()})
        if ranking.proximity and len(ids):
            candidates = [docnum for docnum, _ in _best(ids, scores, ranking.proximity_depth)]
            self._near = near = evaluation.proximity(candidates)
            scores = _plus(ids, scores, {docnum: ranking.proximity * bonus for docnum, bonus in near.items()})
        if self.semantic is not None:
            ids, scores = self.semantic.fuse(ids, scores, self.restriction, limit)
        self._evaluation, self._scores = evaluation, Table(ids, scores)
        if sort == "date":
            return self._choose_by_date(self._scores, limit, per_doc, collapse)
        window = limit * 2 + 10
        while True:
            kept = self._walk(_best(ids, scores, window), limit, per_doc, collapse)
            if len(kept) == limit or window >= len(ids):
                return len(ids), finish(kept)
            window *= 4

    def tokens(self, docnum: int, terms: Collection[str]) -> Optional[List[Token]]:
        """Every occurrence of ``terms`` (terms of the text field) in a
        passage's text, in the text's order, read from the index; None where
        the index keeps no characters in its postings (format 5)."""
        if self._places is None or self._evaluation is None:
            return None  # Whoosh's matchers scored: no postings were kept
        return self._places.tokens(docnum, terms)

    def matching(self) -> "npt.NDArray[np.int64]":
        """Every passage the query matches within the restriction, in
        order: those :meth:`choose` counted."""
        if self.ranking.term_at_a_time and self._evaluation is not None:
            return self._scores.ids
        if self._table is None:
            self._table = self._whoosh_table()
        return self._table.ids

    def facets(self, names: Sequence[str]) -> Dict[str, Dict[str, int]]:
        """The matching passages counted by each facet of ``names`` (see :mod:`.facets`)."""
        return _facets.count(Layout.of(self.searcher, self.segments), self.matching(), names)

    def _whoosh_table(self) -> Table:
        """Every matching passage with Whoosh's score (the FOUNDATION ranking)."""
        if self._table is None:
            results = self.searcher.search(self.query, limit=None, filter=self.restriction)
            self._table = Table.of({hit.docnum: float(hit.score) for hit in results})
        return self._table

    def _choose_by_date(
        self, table: Table, limit: int, per_doc: Optional[int], collapse: bool
    ) -> Tuple[int, List[Chosen]]:
        ids, scores = _facets.by_date(Layout.of(self.searcher, self.segments), table.ids, table.scores)
        window = limit * 2 + 10
        while True:
            ranked = list(zip(ids[:window].tolist(), scores[:window].tolist()))
            kept = self._walk(ranked, limit, per_doc, collapse)
            if len(kept) == limit or window >= len(ids):
                return len(ids), finish(kept)
            window *= 4

    def _read_fields(self, docnums: Sequence[int]) -> None:
        """Read the stored fields of ``docnums`` not read yet, a segment at a
        time in one pass (the ranking's window, the passages whose forms
        are counted)."""
        wanted = sorted(docnum for docnum in set(docnums) if docnum not in self._stored)
        if not wanted:
            return
        leaves = Layout.of(self.searcher, self.segments).leaves
        starts = [offset for _, offset, _, _ in leaves]
        at = 0
        while at < len(wanted):
            leaf = bisect.bisect_right(starts, wanted[at]) - 1
            reader, offset = leaves[leaf][0], leaves[leaf][1]
            end = bisect.bisect_left(wanted, starts[leaf + 1]) if leaf + 1 < len(starts) else len(wanted)
            batch = wanted[at:end]
            for docnum, fields in zip(batch, stored_records(reader, [docnum - offset for docnum in batch])):
                self._stored[docnum] = dict(fields, _docnum=docnum)
            at = end

    def _fields(self, docnum: int) -> Dict[str, Any]:
        """A passage's stored fields (with ``_docnum``), read once."""
        fields = self._stored.get(docnum)
        if fields is None:
            fields = self._stored[docnum] = dict(self.searcher.stored_fields(docnum), _docnum=docnum)
        return fields

    def _other_forms(
        self, evaluation: Evaluation, passages: Sequence[int], analyzer: FrenchAnalyzer
    ) -> Dict[int, Dict[str, float]]:
        """For each of ``passages``, what each query word loses for being
        found there in forms other than the one typed: its BM25 with those
        occurrences counting ``other_forms`` each rather than 1. A stem
        joins forms whose senses differ ("président", "présidence";
        "marché", "marcher"), so the passage holding the word as asked
        ranks first, while words found as typed (names, mostly) keep their
        whole score. The forms are those of the words at the characters
        the postings keep, so the index needs no field of unstemmed words."""
        words: List[Tuple[FrozenSet[str], str, float]] = []
        for terms, form in self.forms:
            weight = max((weight for texts, weight in evaluation.units if terms.intersection(texts)), default=0.0)
            if weight:
                words.append((terms, form, weight))
        if not words:
            return {}
        k1, b, share = self.ranking.k1, self.ranking.b, self.ranking.other_forms
        average = self.searcher.avg_field_length(FIELDS.text) or 1.0
        all_terms = frozenset().union(*(terms for terms, _, _ in words))
        all_forms = frozenset(form for _, form, _ in words)
        count = self._count_from_places if self._places is not None else self._count_from_text
        found: Dict[int, Dict[str, float]] = {}
        for docnum in passages:
            term_counts, form_counts = count(docnum, all_terms, all_forms, analyzer)
            norm = k1 * (1 - b + b * evaluation.text_length(docnum) / average)
            losses = form_losses(words, term_counts, form_counts, k1, share, norm)
            if losses:
                found[docnum] = losses
        return found

    def _count_from_places(
        self, docnum: int, terms: FrozenSet[str], forms: FrozenSet[str], analyzer: FrenchAnalyzer
    ) -> Tuple[Dict[str, int], Dict[str, int]]:
        assert self._places is not None
        return self._places.count_words(docnum, self._fields(docnum).get(FIELDS.text) or "", terms, forms, analyzer)

    def _count_from_text(
        self, docnum: int, terms: FrozenSet[str], forms: FrozenSet[str], analyzer: FrenchAnalyzer
    ) -> Tuple[Dict[str, int], Dict[str, int]]:
        """The same from the passage's text analysed again (an index of format 5)."""
        return analyzer.count_words(self._fields(docnum).get(FIELDS.text) or "", terms, forms)

    def _choose_with_whoosh(self, limit: int, per_doc: Optional[int], collapse: bool) -> Tuple[int, List[Chosen]]:
        window = limit * 2 + 10
        while True:
            results = self.searcher.search(self.query, limit=window, filter=self.restriction)
            kept = self._walk([(hit.docnum, hit.score) for hit in results], limit, per_doc, collapse)
            if len(kept) == limit or results.scored_length() < window:
                if self.restriction is None:
                    total = len(results)
                else:  # Whoosh counts a filtered search's matches before the filter
                    total = len(self.searcher.search(self.query, limit=None, scored=False, filter=self.restriction))
                return total, finish(kept)
            window *= 4

    def _walk(self, ranked: List[Tuple[int, float]], limit: int, per_doc: Optional[int], collapse: bool) -> List[Kept]:
        self._read_fields([docnum for docnum, _ in ranked])
        return walk(ranked, self._fields, limit, per_doc, collapse)

    def explain(self, docnum: int) -> List[Tuple[str, str, float]]:
        """What made a chosen passage's score: ``(field, term, BM25)`` for
        each query term it holds (after boosts and weak-word weights), then
        the coordination factor and the article's contribution, and the
        total. Empty for the FOUNDATION ranking, which Whoosh scores."""
        evaluation = self._evaluation
        if evaluation is None:
            return []
        held = [(field, term, table.get(docnum)) for field, term, table in evaluation.leaves]
        found = [(field, term, score) for field, term, score in held if score is not None]
        found.sort(key=lambda item: -item[2])
        factor = evaluation.coordination_factor(docnum)
        if factor is not None:
            found.append(("coordination", "×", factor))
        if self.ranking.context:
            article = int(evaluation.layout.article[docnum])
            share = float(self._articles[article]) if article >= 0 and self._articles is not None else 0.0
            found.append(("article", f"{self.ranking.context:g} × article BM25", self.ranking.context * share))
        for form, value in sorted(self._losses.get(docnum, {}).items(), key=lambda item: item[1]):
            found.append(("other forms", form, value))
        if self.ranking.proximity:
            found.append(("proximity", "words close together", self.ranking.proximity * self._near.get(docnum, 0.0)))
        if self.semantic is not None:
            words, meaning = self.semantic.shares.get(docnum, (0.0, 0.0))
            found.append(("fusion", f"words ({self.semantic.fusion})", words))
            found.append(("fusion", f"meaning ({self.semantic.fusion})", meaning))
        found.append(("total", "score", self._scores.get(docnum) or 0.0))
        return found


def form_losses(
    words: Sequence[Tuple[FrozenSet[str], str, float]], term_counts: Dict[str, int], form_counts: Dict[str, int],
    k1: float, share: float, norm: float,
) -> Dict[str, float]:
    """What each query word (its terms, the form typed, its weight) loses in
    a passage's BM25 (``norm``: its length's part) for occurrences in other
    forms counting ``share`` each: see :meth:`Ranker._other_forms`."""
    losses: Dict[str, float] = {}
    for terms, form, weight in words:
        held = sum(term_counts.get(term, 0) for term in terms)
        typed = min(held, form_counts.get(form, 0))
        if held > typed:
            counted = typed + share * (held - typed)
            losses[form] = weight * (k1 + 1) * (counted / (counted + norm) - held / (held + norm))
    return losses


def _plus(
    ids: "npt.NDArray[np.int64]", scores: "npt.NDArray[np.float64]", extra: Dict[int, float]
) -> "npt.NDArray[np.float64]":
    """``scores`` (of passages ``ids``) with ``extra`` added to the passages it names."""
    if not extra:
        return scores
    named = np.array(sorted(extra), dtype=np.int64)
    scores = scores.copy()
    scores[np.searchsorted(ids, named)] += np.array([extra[docnum] for docnum in named.tolist()])
    return scores


def _best(ids: "npt.NDArray[np.int64]", scores: "npt.NDArray[np.float64]", count: int) -> List[Tuple[int, float]]:
    """The ``count`` best (passage, score), ties in passage order."""
    chosen = best(ids, scores, count)
    return list(zip(ids[chosen].tolist(), scores[chosen].tolist()))
