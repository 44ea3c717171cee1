"""What ingestion produces: documents, and notes about sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence, TypeVar

from .._defaults import FORMATS
from ._decode import _LONE_SURROGATE_RE, escape_surrogates

__all__ = ["Document", "IngestFailure", "IngestWarning", "FieldMap", "FORMATS"]

#: the formats sources can be read as (each a reader in ``_readers``)

_T = TypeVar("_T")


@dataclass
class Document:
    """A source document: ``id`` and ``text`` are required.

    ``date`` is an ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``);
    ``text_start`` is where the body starts in ``text`` (after a plain-text
    file's leading date marker), so passages never include such markers;
    ``metadata`` holds any other fields and is returned with every hit;
    ``origin`` is the absolute path of the file it was read from (None for
    documents given directly), which ``prune`` uses to find vanished sources.
    """

    id: str
    text: str
    title: Optional[str] = None
    date: Optional[str] = None
    source: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    text_start: int = 0
    origin: Optional[str] = None

    def __post_init__(self) -> None:
        # The index stores id, source and origin as UTF-8 terms, which cannot
        # hold a lone surrogate ("\ud800" in JSON, a file name that is not
        # UTF-8): one such document used to stop the whole run.
        self.id = escape_surrogates(self.id)
        self.source = escape_surrogates(self.source) if self.source is not None else None
        self.origin = escape_surrogates(self.origin) if self.origin is not None else None
        # Metadata is shown with every hit (the CLI's --json prints it as
        # UTF-8): lone surrogates become U+FFFD, as in the text.
        self.metadata = _replace_surrogates(self.metadata)


def _replace_surrogates(value: _T) -> _T:
    """``value`` (JSON-like data) with each lone surrogate in its strings,
    keys included, made U+FFFD; ``value`` itself when it holds none."""
    if isinstance(value, str):
        if value.isascii() or not _LONE_SURROGATE_RE.search(value):
            return value
        return _LONE_SURROGATE_RE.sub("\ufffd", value)  # type: ignore[return-value]
    if isinstance(value, dict):
        items = [(_replace_surrogates(k), _replace_surrogates(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items())):
            return value
        return dict(items)  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        cleaned = [_replace_surrogates(item) for item in value]
        if all(a is b for a, b in zip(cleaned, value)):
            return value
        return (tuple(cleaned) if isinstance(value, tuple) else cleaned)  # type: ignore[return-value]
    return value


@dataclass(frozen=True)
class IngestFailure:
    """A source (file, ``file:line`` or document id) that could not be read."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class IngestWarning:
    """A source that was read, but with a caveat worth telling (a legacy
    encoding, a date that was not understood, an empty file skipped).

    ``origin``, for a caveat about a file's content (its encoding, a date),
    is that file's absolute path: indexing tells it only when the file's
    documents are added or updated, not on every run that finds them unchanged.
    """

    source: str
    message: str
    origin: Optional[str] = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class FieldMap:
    """Which JSON fields or CSV columns hold each part of a document.

    ``None`` means "the usual names": ``id``; ``text``, ``texte``, ``body``,
    ``content``, ``contenu``; ``title``, ``titre``, ``headline``; ``date``,
    ``published``, ``date_publication``; ``url``, ``link``, ``lien``,
    ``source`` (matched without regard to case). Any other field is kept
    as metadata.
    """

    id: Optional[str] = None
    text: Optional[str] = None
    title: Optional[str] = None
    date: Optional[str] = None
    url: Optional[str] = None

    _DEFAULTS = {
        "id": ("id", "doc_id", "docid", "identifiant"),
        "text": ("text", "texte", "body", "content", "contenu", "article", "corps"),
        "title": ("title", "titre", "headline"),
        "date": ("date", "published", "published_at", "date_publication", "pubdate"),
        "url": ("url", "link", "lien", "source"),
    }

    def resolve(self, names: Sequence[str]) -> Dict[str, Optional[str]]:
        """Map each part to the field that holds it among ``names``."""
        lowered = {name.lower(): name for name in reversed(list(names))}
        chosen: Dict[str, Optional[str]] = {}
        for part, candidates in self._DEFAULTS.items():
            explicit = getattr(self, part)
            if explicit is not None:
                chosen[part] = explicit if explicit in names else lowered.get(explicit.lower())
                continue
            chosen[part] = next((lowered[c] for c in candidates if c in lowered), None)
        return chosen

    def explicit(self, part: str) -> Optional[str]:
        value: Optional[str] = getattr(self, part)
        return value


DEFAULT_FIELDS = FieldMap()
