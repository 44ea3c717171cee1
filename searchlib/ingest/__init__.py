"""Reading sources into :class:`Document` objects.

Files and folders (``.txt``, ``.md``, ``.html``, ``.jsonl``/``.ndjson``,
``.json``, ``.csv``/``.tsv``, each possibly ``.gz``-compressed), standard
input, and documents given directly. Every reader yields documents, or
:class:`IngestWarning`/:class:`IngestFailure` records naming the file (and
line) and what is wrong, so one bad source never stops the others.

A file's document id is its path relative to the folder given, without the
extension (``seeds/001.txt`` indexed as ``seeds`` is ``001``; ``2016/07/a.md``
under ``articles`` is ``2016/07/a``); JSON and CSV records use their id field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._decode import escape_surrogates
from ._types import FORMATS, Document, FieldMap, IngestFailure, IngestWarning

if TYPE_CHECKING:
    from ._sources import _INDEX_MARKER, _MAX_FILE_BYTES, SUPPORTED_SUFFIXES, SourceFile, as_documents, content_paragraphs, document_from_mapping, list_sources, normalize_date, read_path, read_source, read_stream

__all__ = [
    "Document",
    "IngestFailure",
    "IngestWarning",
    "FieldMap",
    "SourceFile",
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "list_sources",
    "read_source",
    "read_path",
    "read_stream",
    "document_from_mapping",
    "as_documents",
    "normalize_date",
    "content_paragraphs",
    "escape_surrogates",
]


# What a search uses of this package beyond the types: reading dates
# (``after``, ``before``) needs the date rules, not the readers.
_WITHOUT_READERS = {"normalize_date": "_dates"}


def __getattr__(name: str) -> Any:
    """The readers, loaded on first use: a process that only searches never
    imports them (they hold most of the package's import time)."""
    import importlib

    sources = importlib.import_module(f"{__name__}.{_WITHOUT_READERS.get(name, '_sources')}")
    try:
        return getattr(sources, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
