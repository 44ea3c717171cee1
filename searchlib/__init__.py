"""searchlib: French-aware full-text search over passages.

>>> import searchlib
>>> with searchlib.Index("index") as ix:          # doctest: +SKIP
...     ix.add_path("seeds")
...     hits = ix.search("cessez-le-feu en Syrie", limit=3)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import DocumentIdError, IndexCorruptError, IndexLockedError, IndexNotFoundError, QueryError, SearchlibError

if TYPE_CHECKING:
    from .analysis import AnalysisStep, Token, analysis_steps, analyze
    from .search.ranking import Ranking
    from .api import (
        AddReport, CheckReport, DocumentList, Hit, Index, IndexStats, ParsedQuery, Passage, Progress, QueryClause,
        SearchResults,
    )
    from .ingest import Document, FieldMap, IngestFailure, IngestWarning

__version__ = "0.1.0"

__all__ = [
    "Index",
    "Hit",
    "SearchResults",
    "DocumentList",
    "Passage",
    "ParsedQuery",
    "QueryClause",
    "AddReport",
    "IndexStats",
    "CheckReport",
    "Progress",
    "Ranking",
    "Document",
    "FieldMap",
    "IngestFailure",
    "IngestWarning",
    "Token",
    "AnalysisStep",
    "analyze",
    "analysis_steps",
    "SearchlibError",
    "IndexNotFoundError",
    "IndexLockedError",
    "IndexCorruptError",
    "QueryError",
    "DocumentIdError",
    "__version__",
]

# Where each public name lives. They are imported on first use (PEP 562):
# numpy and Whoosh take most of a fresh process's start-up, and the
# command's help, version and shell completion need neither.
_LAZY = {
    "AnalysisStep": "analysis",
    "Token": "analysis",
    "analysis_steps": "analysis",
    "analyze": "analysis",
    "AddReport": "api",
    "CheckReport": "api",
    "Hit": "api",
    "Index": "api",
    "IndexStats": "api",
    "ParsedQuery": "api",
    "Progress": "api",
    "QueryClause": "api",
    "SearchResults": "api",
    "DocumentList": "api",
    "Passage": "api",
    "Ranking": "search.ranking",
    "Document": "ingest",
    "FieldMap": "ingest",
    "IngestFailure": "ingest",
    "IngestWarning": "ingest",
}


# Stages and modules reachable as attributes (``searchlib.analysis``), some
# under the names they had before the package was cut into stages.
_MODULES = {
    "analysis": "analysis",
    "ingest": "ingest",
    "indexing": "indexing",
    "storage": "storage",
    "search": "search",
    "api": "api",
    "results": "results",
    "query": "search.query",
    "snippets": "search.snippets",
    "synonyms": "search.synonyms",
    "passages": "ingest.passages",
    "duplicates": "analysis.duplicates",
    "phonetic": "analysis.phonetic",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{_MODULES[name]}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
