"""searchlib: French-aware full-text search over passages.

>>> import searchlib
>>> with searchlib.Index("index") as ix:          # doctest: +SKIP
...     ix.add_path("seeds")
...     hits = ix.search("cessez-le-feu en Syrie", limit=3)
"""

from .analysis import AnalysisStep, Token, analysis_steps, analyze
from .api import AddReport, CheckReport, Hit, Index, IndexStats, Progress, SearchResults
from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, QueryError, SearchlibError
from .ingest import Document, FieldMap, IngestFailure, IngestWarning

__version__ = "0.1.0"

__all__ = [
    "Index",
    "Hit",
    "SearchResults",
    "AddReport",
    "IndexStats",
    "CheckReport",
    "Progress",
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
    "__version__",
]
