"""What ingestion produces: documents, and notes about sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

__all__ = ["Document", "IngestFailure", "IngestWarning"]


@dataclass
class Document:
    """A source document: ``id`` and ``text`` are required.

    ``date`` is an ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``);
    ``text_start`` is where the body starts in ``text`` (after a leading
    date marker or front matter), so passages never include such markers;
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
    encoding, a date that was not understood)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"
