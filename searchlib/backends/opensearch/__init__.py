"""An index on an OpenSearch cluster: the same :class:`~searchlib.backends.base.Backend`
as a folder, for archives that outgrow one machine.

``Index("opensearch://127.0.0.1:9200/news")`` opens (or creates) the index
``news`` on the cluster; see :mod:`.client` for the location's options.
searchlib analyses the text and sends its own terms (:mod:`.mapping`), so
a query matches exactly the passages it matches locally; the cluster
finds them (totals and facets over every match) and picks candidates by
its BM25, which searchlib then ranks as it ranks locally (:mod:`.scoring`).
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from ...analysis import FrenchAnalyzer
from ...ingest import Document
from ...results import AddReport, CheckReport, EmbedProgress, EmbedReport, IndexStats
from ...search import query as _query
from ...search.filters import MAX_SOURCES
from ...search.ranking import DEFAULT, Ranking
from ...search.synonyms import Synonyms
from ...storage.schema import FIELDS
from ...storage.settings import DEFAULT_PASSAGE_WORDS
from ...embedders import Embedder
from ...errors import SearchlibError
from ..base import Item, Ranked, SearchRequest
from . import client, indexes, mapping
from .indexes import FORMAT
from .client import ClusterError
from .scoring import Statistics
from .translate import restriction, to_dsl
from .vocabulary import ClusterVocabulary

__all__ = ["OpenSearchBackend", "FORMAT", "exists", "check", "rebuild"]

#: documents read before their hashes are looked up and their records sent
_BATCH_DOCUMENTS = 500
#: seconds the index-wide statistics (counts, lengths) are kept between searches
_STATISTICS_SECONDS = 5.0


_NO_SEMANTIC = (
    "index {location} is on an OpenSearch cluster, where searchlib does not keep vectors yet: "
    "search by meaning works on an index in a folder"
)


class OpenSearchBackend:
    """A searchlib index on a cluster, opened (and created unless ``create``
    is False). The options are those of :class:`searchlib.Index`; the
    lock timeout, workers and readers have no use on a cluster."""

    def __init__(
        self,
        location: str,
        *,
        create: bool = True,
        lock_timeout: float = 0.0,
        stop_words: Optional[Iterable[str]] = None,
        passage_words: Optional[Tuple[int, int]] = None,
        workers: Optional[int] = None,
        batch: Tuple[Optional[int], Optional[int]] = (None, None),
        readers: int = 1,
        ranking: Ranking = DEFAULT,
        synonyms: Optional[Synonyms] = None,
    ) -> None:
        self._where = client.parse(location)
        self.location = str(self._where)
        self.path = self.location
        self._client = client.connect(self._where)
        self._ranking = ranking
        self.synonyms = synonyms
        self._batch = batch[0] or _BATCH_DOCUMENTS
        self._workers = workers
        meta = indexes.open_index(self._client, self._where, create, stop_words, passage_words, ranking)
        words = meta.get("stop_words")
        self.analyzer = FrenchAnalyzer(stop_words=frozenset(words) if words is not None else None)
        low, high = meta.get("passage_words") or DEFAULT_PASSAGE_WORDS
        self.passage_words = (int(low), int(high))
        self._vocabulary = ClusterVocabulary(self._search_body)
        self._statistics: Optional[Tuple[float, Statistics]] = None

    def close(self) -> None:
        self._client.close()

    # -- requests ------------------------------------------------------

    def _call(self, request: Callable[[], Any], retry_seconds: Optional[float] = None) -> Any:
        if retry_seconds is None:
            return client.call(self._where, request)
        return client.call(self._where, request, retry_seconds)

    def _search_body(self, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._call(lambda: self._client.search(index=self._where.index, body=body))  # type: ignore[no-any-return]

    def _msearch(self, bodies: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        lines: List[Dict[str, Any]] = []
        for body in bodies:
            lines += [{"index": self._where.index}, body]
        answer = self._call(lambda: self._client.msearch(body=lines))
        responses = answer["responses"]
        for response in responses:
            if "error" in response:
                import opensearchpy

                error = opensearchpy.TransportError(response.get("status", 500), "search", response)
                raise ClusterError(client.describe(self._where, error))
        return responses  # type: ignore[no-any-return]

    def _changed(self) -> None:
        self._vocabulary.forget()
        self._statistics = None

    # -- writing -------------------------------------------------------

    def write(
        self,
        items: Iterable[Item],
        *,
        prune_roots: Optional[Sequence[str]] = None,
        kept_origins: Optional[Set[str]] = None,
        orphan_roots: Optional[Sequence[str]] = None,
        between: Optional[Callable[[], None]] = None,
        embedder: Optional[Embedder] = None,
        embedded: Optional[Callable[[int], None]] = None,
    ) -> AddReport:
        from .writing import Writer

        if embedder is not None:
            self.use_embedder(embedder)

        writer = Writer(self, self._batch, self._workers)
        try:
            report = writer.run(items, between)
            if prune_roots:
                writer.prune(prune_roots, kept_origins or set())
            if orphan_roots:
                report.orphaned = sum(
                    1 for doc_id, origin in self.documents_from(orphan_roots)
                    if doc_id not in writer.seen and not os.path.exists(origin)
                )
        except BaseException:
            self._changed()
            try:  # what was written before the failure becomes searchable, if the cluster can
                self._client.indices.refresh(index=self._where.index)
            except Exception:
                pass  # the run's own error says more
            raise
        self._changed()
        self._call(lambda: self._client.indices.refresh(index=self._where.index), 120.0)
        return report

    def documents_from(self, roots: Sequence[str]) -> Iterator[Tuple[str, str]]:
        """(doc_id, origin) of the documents read from files under ``roots``."""
        for root in roots:
            root = os.path.abspath(root)
            query = {"bool": {"filter": [{"term": {"kind": mapping.ARTICLE}}, {"prefix": {FIELDS.origin: root}}]}}
            for source in self._scan(query, [FIELDS.doc_id, FIELDS.origin]):
                origin = source.get(FIELDS.origin) or ""
                if origin == root or origin.startswith(root.rstrip(os.sep) + os.sep):
                    yield source[FIELDS.doc_id], origin

    def _scan(self, query: Dict[str, Any], fields: Any) -> Iterator[Dict[str, Any]]:
        """Every record ``query`` matches (``fields`` of it), in order of id."""
        return (hit["_source"] for hit in self._hits(query, fields))

    def stored_hashes(self, doc_ids: Sequence[str], retry_seconds: Optional[float] = None) -> Dict[str, Tuple[str, int]]:
        """Each indexed document's content hash and number of passages
        (waiting up to ``retry_seconds`` for a cluster that lost a node)."""
        if not doc_ids:
            return {}
        answer = self._call(
            lambda: self._client.mget(
                index=self._where.index, body={"ids": [mapping.article_id(doc_id) for doc_id in doc_ids]},
                _source_includes=[FIELDS.doc_hash, "passages", FIELDS.doc_id],
            ),
            retry_seconds,
        )
        found: Dict[str, Tuple[str, int]] = {}
        for doc in answer["docs"]:
            if doc.get("found"):
                source = doc["_source"]
                found[source[FIELDS.doc_id]] = (source.get(FIELDS.doc_hash, ""), int(source.get("passages", 0)))
        return found

    def content_hash(self, document: Document) -> str:
        from .writing import content_hash

        return content_hash(document, self.passage_words)

    def replaces_other(self, document: Document) -> bool:
        previous = self.stored_hashes([document.id]).get(document.id)
        return previous is not None and previous[0] != self.content_hash(document)

    def delete(self, doc_id: str) -> bool:
        found = self.delete_many([doc_id])
        return bool(found)

    def delete_many(self, doc_ids: Sequence[str]) -> int:
        """Remove documents (their passages and article records); how many
        records went. Ids are looked up and deleted in bulk, which every
        cluster can do (delete-by-query needs the reindex module)."""
        from .writing import Writer

        removed = 0
        for start in range(0, len(doc_ids), 500):
            chunk = list(doc_ids[start : start + 500])
            query = {"terms": {FIELDS.doc_id: chunk}}
            ids = [hit["_id"] for hit in self._hits(query)]
            Writer(self, self._batch, 0).send([({"delete": {"_index": self._where.index, "_id": id_}}, None) for id_ in ids])
            removed += len(ids)
        self._call(lambda: self._client.indices.refresh(index=self._where.index))
        self._changed()
        return removed

    def _hits(self, query: Dict[str, Any], fields: Any = False, size: int = 1000) -> Iterator[Dict[str, Any]]:
        """Every record ``query`` matches, in order of id, a page at a time
        (with ``fields`` of its source; ids and sort keys alone by default)."""
        after: Optional[List[Any]] = None
        while True:
            body: Dict[str, Any] = {
                "query": query, "size": size, "_source": fields, "sort": [{FIELDS.doc_id: "asc"}, {"seq": "asc"}, {"kind": "asc"}],
            }
            if after is not None:
                body["search_after"] = after
            hits = self._search_body(body)["hits"]["hits"]
            yield from hits
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    # -- reading -------------------------------------------------------

    def parse(self, query: str, ranking: Optional[Ranking] = None) -> _query.BuiltQuery:
        return self._build(query, ranking or self._ranking)

    def _build(self, query: str, ranking: Ranking) -> _query.BuiltQuery:
        known = self._vocabulary
        return _query.parse_query(query, self.analyzer, known.alternatives, known, self.synonyms, ranking.weak_words)

    # -- the semantic layer: not on a cluster yet -------------------------

    def embedder_identity(self) -> Optional[Dict[str, Any]]:
        return None

    def use_embedder(self, embedder: Embedder) -> None:
        raise SearchlibError(_NO_SEMANTIC.format(location=self.location))

    def fill_vectors(
        self, embedder: Embedder, batch: int, progress: Optional[Callable[[EmbedProgress], None]]
    ) -> EmbedReport:
        raise SearchlibError(_NO_SEMANTIC.format(location=self.location))

    def missing_vectors(self) -> int:
        return 0

    def search(self, request: SearchRequest) -> Ranked:
        from .ranking import rank

        if request.query_vector is not None:
            raise SearchlibError(_NO_SEMANTIC.format(location=self.location))

        ranking = request.ranking or self._ranking
        built = self._build(request.query, ranking)
        if built.query is None:
            return Ranked(0, [], built)
        sources = None
        if request.source:
            sources = self._vocabulary.sources(request.source, MAX_SOURCES)
        filters = [{"term": {"kind": mapping.PASSAGE}}] + restriction(built.filter, request.after, request.before, sources)
        return rank(self, built, filters, request, ranking)

    def statistics(self) -> Statistics:
        """The index-wide counts and lengths, kept a few seconds."""
        now = time.monotonic()
        held = self._statistics
        if held is not None and now - held[0] < _STATISTICS_SECONDS:
            return held[1]
        body = {
            "size": 0,
            "aggs": {
                "passages": {
                    "filter": {"term": {"kind": mapping.PASSAGE}},
                    "aggs": {
                        FIELDS.text: {"sum": {"field": mapping.TEXT.length}},
                        FIELDS.title: {"sum": {"field": mapping.TITLE.length}},
                        FIELDS.stops: {"sum": {"field": mapping.STOPS_LENGTH}},
                    },
                },
                "articles": {
                    "filter": {"term": {"kind": mapping.ARTICLE}},
                    "aggs": {"length": {"sum": {"field": "article_length"}}},
                },
            },
        }
        found = self._search_body(body)["aggregations"]
        statistics = Statistics(
            passages=int(found["passages"]["doc_count"]),
            total_lengths={name: float(found["passages"][name]["value"]) for name in (FIELDS.text, FIELDS.title, FIELDS.stops)},
            articles=int(found["articles"]["doc_count"]),
            article_length_total=float(found["articles"]["length"]["value"]),
        )
        self._statistics = (now, statistics)
        return statistics

    def texts_holding(self, term: str, limit: int) -> List[str]:
        texts: List[str] = []
        for fieldname, names in ((FIELDS.text, mapping.TEXT), (FIELDS.title, mapping.TITLE)):
            body = {"query": {"term": {names.words: term}}, "size": limit, "_source": [fieldname], "sort": ["seq"]}
            texts += [str(hit["_source"].get(fieldname) or "") for hit in self._search_body(body)["hits"]["hits"]]
        return texts

    def passages(self, doc_id: str) -> List[Mapping[str, Any]]:
        query = {"bool": {"filter": [{"term": {"kind": mapping.PASSAGE}}, {"term": {FIELDS.doc_id: doc_id}}]}}
        rows = [mapping.stored_fields(source) for source in self._scan(query, True)]
        return sorted(rows, key=lambda row: int(row[FIELDS.passage]))

    def document_ids(self, offset: int, limit: int) -> Tuple[int, List[str]]:
        query = {"term": {"kind": mapping.ARTICLE}}
        total = int(self._call(lambda: self._client.count(index=self._where.index, body={"query": query}))["count"])
        if offset + limit <= 10_000:
            body = {"query": query, "from": offset, "size": limit, "_source": [FIELDS.doc_id], "sort": [{FIELDS.doc_id: "asc"}]}
            return total, [hit["_source"][FIELDS.doc_id] for hit in self._search_body(body)["hits"]["hits"]]
        ids: List[str] = []
        for number, source in enumerate(self._scan(query, [FIELDS.doc_id])):
            if number >= offset + limit:
                break
            if number >= offset:
                ids.append(source[FIELDS.doc_id])
        return total, ids

    def matching_documents(
        self, query: Optional[str], after: Optional[str], before: Optional[str], source: Optional[str]
    ) -> List[str]:
        sources = self._vocabulary.sources(source, MAX_SOURCES) if source else None
        if query is None:
            filters = [{"term": {"kind": mapping.ARTICLE}}] + restriction(None, after, before, sources)
            return [hit[FIELDS.doc_id] for hit in self._scan({"bool": {"filter": filters}}, [FIELDS.doc_id])]
        built = self._build(query, self._ranking)
        if built.query is None:
            return []
        filters = [{"term": {"kind": mapping.PASSAGE}}] + restriction(built.filter, after, before, sources)
        search = {"bool": {"must": [to_dsl(built.query)], "filter": filters}}
        return [bucket["key"]["id"] for bucket in client.document_buckets(self._search_body, search)]

    def stats(self) -> IndexStats:
        body = {
            "size": 0,
            "aggs": {
                "passages": {"filter": {"term": {"kind": mapping.PASSAGE}}},
                "articles": {"filter": {"term": {"kind": mapping.ARTICLE}}, "aggs": {"last": {"max": {"field": "indexed_at"}}}},
                "terms": {"cardinality": {"field": mapping.TEXT.words, "precision_threshold": 40000}},
            },
        }
        found = self._search_body(body)["aggregations"]
        sizes = self._call(lambda: self._client.indices.stats(index=self._where.index, metric="store"))
        size = int(sizes["_all"]["primaries"]["store"]["size_in_bytes"])
        last_ms = found["articles"]["last"]["value"]
        last = (
            time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(last_ms / 1000)) if last_ms else None
        )
        return IndexStats(
            self.location, int(found["articles"]["doc_count"]), int(found["passages"]["doc_count"]),
            int(found["terms"]["value"]), size, last,
        )


def exists(location: str) -> bool:
    where = client.parse(location)
    connection = client.connect(where)
    try:
        return indexes.existing(where, connection) is not None
    finally:
        connection.close()


def check(location: str) -> CheckReport:
    from . import upkeep

    return upkeep.check(location)


def rebuild(location: str, build: Callable[[Any, Optional[Iterable[str]], Optional[Tuple[int, int]]], AddReport],
            *, stop_words: Optional[Iterable[str]], passage_words: Optional[Tuple[int, int]]) -> AddReport:
    from . import upkeep

    return upkeep.rebuild(location, build, stop_words=stop_words, passage_words=passage_words)
