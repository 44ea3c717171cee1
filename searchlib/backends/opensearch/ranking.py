"""One search on a cluster: candidates from the cluster, ranked by
searchlib's own ranking (:mod:`.scoring`).

Two round trips. The first asks for the best passages by the cluster's
BM25 (with the exact number of matches, the facets and the statistics
scoring needs) and, when the ranking adds each article's BM25, for the
best articles by theirs. The second asks for the best passages of those
articles and the article counts of the other candidates. A passage that
ranks high locally either has a high BM25 of its own or belongs to an
article that does, so it is among the candidates; as locally, the window
grows when the hits shown do not fill the page.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from ...search.copies import finish, walk
from ...search.query import BuiltQuery
from ...search.ranking import Ranking, form_losses
from ...storage.schema import FIELDS
from ..base import Ranked, RankedPassage, SearchRequest
from . import mapping
from .scoring import Candidate, Evaluation, Statistics, all_terms, quantized, wanted_statistics
from .translate import to_dsl

if TYPE_CHECKING:
    from . import OpenSearchBackend

__all__ = ["rank"]

# Records are read whole (``"_source": True``): the cluster copies a stored
# record as it is, but parses and writes it again to keep some of its fields
# (three times slower).
_WORDS = {FIELDS.text: mapping.TEXT.words, FIELDS.title: mapping.TITLE.words, FIELDS.stops: mapping.STOP_WORDS}
_FACETS = {"year": "year", "month": "month", "source": FIELDS.source}


def _candidate(number: int, source: Dict[str, Any], wanted: Dict[str, Set[str]]) -> Candidate:
    fields = mapping.stored_fields(source)
    fields["_seq"] = int(source.get("seq") or 0)
    return Candidate(
        number,
        source[FIELDS.doc_id],
        fields,
        {
            FIELDS.text: mapping.passage_terms(source, mapping.TEXT, wanted[FIELDS.text]),
            FIELDS.title: mapping.passage_terms(source, mapping.TITLE, wanted[FIELDS.title]),
        },
        mapping.stop_counts(source),
        {
            FIELDS.text: int(source.get(mapping.TEXT.length) or 0),
            FIELDS.title: int(source.get(mapping.TITLE.length) or 0),
            FIELDS.stops: int(source.get(mapping.STOPS_LENGTH) or 0),
        },
    )


def rank(backend: "OpenSearchBackend", built: BuiltQuery, filters: List[Dict[str, Any]], request: SearchRequest, ranking: Ranking) -> Ranked:
    assert built.query is not None
    query = {"bool": {"must": [to_dsl(built.query)], "filter": filters}}
    terms, groups = wanted_statistics(built.query)
    want = request.offset + request.limit
    window = max(want * 2 + 10, 40)
    while True:
        search = _Search(backend, built, query, filters, request, ranking, terms, groups)
        total, kept = search.run(window, want)
        if len(kept) == want or window >= total:
            break
        window *= 4
    page = [
        RankedPassage(fields, float(score), copies, tuple(search.explain(fields["_number"])) if request.explain else ())
        for fields, score, copies in kept[request.offset :]
    ]
    for passage in page:
        for private in ("_number", "_seq"):
            passage.fields.pop(private, None)  # type: ignore[attr-defined]
    return Ranked(total, page, built, search.facets)


class _Search:
    def __init__(self, backend: "OpenSearchBackend", built: BuiltQuery, query: Dict[str, Any], filters: List[Dict[str, Any]],
                 request: SearchRequest, ranking: Ranking, terms: Set[Tuple[str, str]], groups: Set[FrozenSet[str]]) -> None:
        self.backend = backend
        self.built = built
        self.query = query
        self.filters = filters
        self.request = request
        self.ranking = ranking
        self.terms = sorted((fieldname, text) for fieldname, text in terms if fieldname in _WORDS)
        self.groups = sorted(groups, key=sorted)
        self.facets: Dict[str, Dict[str, int]] = {}
        self.evaluation: Optional[Evaluation] = None
        self.scores: Dict[int, float] = {}
        self.articles: Dict[str, float] = {}
        self.losses: Dict[int, Dict[str, float]] = {}
        self.candidates: List[Candidate] = []

    def _first(self, window: int) -> List[Dict[str, Any]]:
        by_date = self.request.sort == "date"
        passages: Dict[str, Any] = {
            "query": self.query, "size": window, "_source": True, "track_total_hits": True,
            "sort": ([{FIELDS.date: "desc"}] if by_date else []) + ["_score", {"seq": "asc"}],
        }
        aggs: Dict[str, Any] = {}
        for name in self.request.facets:
            aggs["facet_" + name] = {"terms": {"field": _FACETS[name], "size": 65536}}
        if aggs:
            passages["aggs"] = aggs
        bodies = [passages]
        if self._with_articles():
            bodies.append(self._articles_body(window))
        # The passages and articles holding each term, counted by searches
        # of their own: a term query's count is read from the index's term
        # dictionary, where an aggregation would visit every record.
        for fieldname, text in self.terms:
            bodies.append({"size": 0, "track_total_hits": True, "query": {"term": {_WORDS[fieldname]: text}}})
        for group in self.groups:
            bodies.append({"size": 0, "track_total_hits": True, "query": {"terms": {"article_words": sorted(group)}}})
        return self.backend._msearch(bodies)

    def _with_articles(self) -> bool:
        return bool(self.ranking.context and self.groups and self.ranking.term_at_a_time and self.request.sort != "date")

    def _articles_body(self, window: int) -> Dict[str, Any]:
        should = [
            {"term": {"article_terms": {"value": text}}} for group in self.groups for text in sorted(group)
        ]
        filters = [{"term": {"kind": mapping.ARTICLE}}] + self.filters[1:]
        return {
            "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": filters}},
            "size": window, "_source": True, "sort": ["_score", {"seq": "asc"}],
        }

    def run(self, window: int, want: int) -> Tuple[int, List[Any]]:
        responses = self._first(window)
        first = responses[0]
        total = int(first["hits"]["total"]["value"])
        statistics = replace(self.backend.statistics())
        statistics.frequencies = {}
        statistics.article_frequencies = {}
        statistics.article_counts = {}
        statistics.article_lengths = {}
        aggregations = first.get("aggregations") or {}
        counted = responses[len(responses) - len(self.terms) - len(self.groups) :]
        for key, answer in zip(self.terms, counted):
            statistics.frequencies[key] = int(answer["hits"]["total"]["value"])
        for group, answer in zip(self.groups, counted[len(self.terms) :]):
            statistics.article_frequencies[group] = int(answer["hits"]["total"]["value"])
        for name in self.request.facets:
            buckets = aggregations["facet_" + name]["buckets"]
            found = {bucket["key"]: int(bucket["doc_count"]) for bucket in buckets if bucket["key"]}
            self.facets[name] = dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
        sources: Dict[str, Dict[str, Any]] = {}
        for hit in first["hits"]["hits"]:
            sources.setdefault(hit["_id"], hit["_source"])
        articles_seen: Dict[str, float] = {}
        if self._with_articles():
            for hit in responses[1]["hits"]["hits"]:
                self._article(statistics, hit["_source"])
                articles_seen[hit["_source"][FIELDS.doc_id]] = float(hit["_score"] or 0.0)
        missing = sorted({source[FIELDS.doc_id] for source in sources.values()} - set(articles_seen))
        second: List[Dict[str, Any]] = []
        if articles_seen:
            # The passages of the best articles, ranked as searchlib ranks
            # them: their own BM25 plus the article's times ``context`` (both
            # as the cluster scores them), so an article's every passage
            # competes with its article's weight.
            lifts = [
                {"constant_score": {"filter": {"term": {FIELDS.doc_id: doc_id}}, "boost": self.ranking.context * score}}
                for doc_id, score in articles_seen.items()
            ]
            second.append({
                "query": {"bool": {"must": [self.query["bool"]["must"][0]], "should": lifts,
                                   "filter": self.filters + [{"terms": {FIELDS.doc_id: sorted(articles_seen)}}]}},
                "size": window, "_source": True, "sort": ["_score", {"seq": "asc"}],
            })
        if missing and self.ranking.context and self.ranking.term_at_a_time:
            second.append({
                "query": {"bool": {"filter": [{"term": {"kind": mapping.ARTICLE}}, {"terms": {FIELDS.doc_id: missing}}]}},
                "size": len(missing), "_source": True,
            })
        if second:
            answers = self.backend._msearch(second)
            if articles_seen:
                for hit in answers[0]["hits"]["hits"]:
                    sources.setdefault(hit["_id"], hit["_source"])
            for answer in answers[1 if articles_seen else 0 :]:
                for hit in answer["hits"]["hits"]:
                    self._article(statistics, hit["_source"])
        wanted: Dict[str, Set[str]] = {FIELDS.text: set(), FIELDS.title: set()}
        assert self.built.query is not None
        for fieldname, text in all_terms(self.built.query):
            if fieldname in wanted and isinstance(text, str):
                wanted[fieldname].add(text)
        self.candidates = [_candidate(number, source, wanted) for number, source in enumerate(sources.values())]
        ranked = self._score(statistics)
        by_number = self.candidates  # a candidate's number is its place in the list

        def fields_of(number: int) -> Dict[str, Any]:
            fields = by_number[number].fields
            fields["_number"] = number
            return fields

        kept = walk(ranked, fields_of, want, self.request.per_doc, self.request.collapse_duplicates)
        return total, finish(kept)

    @staticmethod
    def _article(statistics: Statistics, source: Dict[str, Any]) -> None:
        doc_id = source[FIELDS.doc_id]
        statistics.article_counts[doc_id] = (source.get("stored") or {}).get("counts") or {}
        statistics.article_lengths[doc_id] = int(source.get("article_length") or 0)

    def _score(self, statistics: Statistics) -> List[Tuple[int, float]]:
        ranking = self.ranking
        evaluation = Evaluation(
            self.candidates, statistics, ranking.k1, ranking.b, ranking.probabilistic_idf if ranking.term_at_a_time else False,
            ranking.coordination if ranking.term_at_a_time else 0.0, ranking.one_word_spellings,
        )
        assert self.built.query is not None
        scores = evaluation.scores(self.built.query)
        self.evaluation = evaluation
        by_number = self.candidates
        if ranking.context and ranking.term_at_a_time and scores:
            self.articles = articles = evaluation.article_scores()
            scores = {number: score + ranking.context * articles.get(by_number[number].doc_id, 0.0) for number, score in scores.items()}
        if ranking.term_at_a_time and ranking.other_forms != 1.0 and self.built.forms and scores:
            best = [number for number, _ in self._order(scores)[: ranking.forms_depth]]
            self.losses = self._other_forms(evaluation, [by_number[number] for number in best], statistics)
            for number, lost in self.losses.items():
                scores[number] += sum(lost.values())
        self.scores = scores
        return self._order(scores)

    def _order(self, scores: Dict[int, float]) -> List[Tuple[int, float]]:
        by_number = self.candidates

        def seq(number: int) -> int:
            return int(by_number[number].fields.get("_seq", 0))

        if self.request.sort == "date":
            dated = sorted(scores.items(), key=lambda item: (-scores[item[0]], seq(item[0])))
            dated.sort(key=lambda item: by_number[item[0]].fields[FIELDS.date] or "", reverse=True)
            return dated
        return sorted(scores.items(), key=lambda item: (-item[1], seq(item[0])))

    def _other_forms(self, evaluation: Evaluation, candidates: Sequence[Candidate], statistics: Statistics) -> Dict[int, Dict[str, float]]:
        """As :meth:`searchlib.search.ranking.Ranker._other_forms`, from the passages' text."""
        words = []
        for terms, form in self.built.forms:
            weight = max((weight for texts, weight in evaluation.units if terms.intersection(texts)), default=0.0)
            if weight:
                words.append((terms, form, weight))
        if not words:
            return {}
        ranking = self.ranking
        k1, b, share = ranking.k1, ranking.b, ranking.other_forms
        average = statistics.average(FIELDS.text) or 1.0
        all_terms = frozenset().union(*(terms for terms, _, _ in words))
        all_forms = frozenset(form for _, form, _ in words)
        analyzer = self.backend.analyzer
        found: Dict[int, Dict[str, float]] = {}
        for candidate in candidates:
            term_counts, form_counts = analyzer.count_words(candidate.fields.get(FIELDS.text) or "", all_terms, all_forms)
            norm = k1 * (1 - b + b * quantized(candidate.lengths[FIELDS.text]) / average)
            losses = form_losses(words, term_counts, form_counts, k1, share, norm)
            if losses:
                found[candidate.number] = losses
        return found

    def explain(self, number: int) -> List[Tuple[str, str, float]]:
        evaluation = self.evaluation
        if evaluation is None:
            return []
        found = [(field, term, table[number]) for field, term, table in evaluation.leaves if number in table]
        found.sort(key=lambda item: -item[2])
        factor = evaluation.coordination_factor(number)
        if factor is not None:
            found.append(("coordination", "×", factor))
        ranking = self.ranking
        if ranking.context:
            doc_id = self.candidates[number].doc_id
            found.append(("article", f"{ranking.context:g} × article BM25", ranking.context * self.articles.get(doc_id, 0.0)))
        for form, value in sorted(self.losses.get(number, {}).items(), key=lambda item: item[1]):
            found.append(("other forms", form, value))
        found.append(("total", "score", self.scores.get(number, 0.0)))
        return found


