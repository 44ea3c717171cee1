"""The exceptions searchlib raises; all derive from :class:`SearchlibError`."""

from __future__ import annotations

__all__ = [
    "SearchlibError",
    "IndexNotFoundError",
    "IndexLockedError",
    "IndexCorruptError",
    "QueryError",
    "DocumentIdError",
]


class SearchlibError(Exception):
    """Base class of every error searchlib raises on purpose."""


class IndexNotFoundError(SearchlibError):
    """No index exists at the given path (and creating one was not asked for)."""


class IndexLockedError(SearchlibError):
    """Another writer holds the index lock beyond the wait timeout."""


class IndexCorruptError(SearchlibError):
    """The index exists but cannot be read; rebuild it from its sources."""


class QueryError(SearchlibError, ValueError):
    """The query cannot be searched (for example, it is empty)."""


class DocumentIdError(SearchlibError, ValueError):
    """A document read without an id would replace a different one indexed
    under the same default id (a second text on standard input, say)."""
