"""Reading sources into :class:`Document` objects.

One reader per format (``.txt``, ``.md``, ``.jsonl``/``.ndjson``); each yields
documents, or :class:`IngestFailure` records that name the file (and line)
and what is wrong, so one bad source never stops the others.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Union

__all__ = [
    "Document",
    "IngestFailure",
    "SUPPORTED_SUFFIXES",
    "read_path",
    "read_file",
    "iter_files",
    "document_from_mapping",
    "as_documents",
    "normalize_date",
]

_DATE_MARKER_RE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b[ \t]*")
_ISO_DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_MD_HEADING_RE = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass
class Document:
    """A source document: ``id`` and ``text`` are required.

    ``date`` is an ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``);
    ``text_start`` is where the body starts in ``text`` (after a leading
    date marker, say), so passages never include such markers;
    ``metadata`` holds any other fields and is returned with every hit.
    """

    id: str
    text: str
    title: Optional[str] = None
    date: Optional[str] = None
    source: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    text_start: int = 0


@dataclass(frozen=True)
class IngestFailure:
    """A source (file, ``file:line`` or document id) that could not be read."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".jsonl", ".ndjson"})

_KNOWN_KEYS = {"id", "text", "title", "date", "source", "url"}


def normalize_date(value: Any) -> Optional[str]:
    """Return ``value`` as an ISO date string, or None when empty.

    Accepts ``date``/``datetime`` objects and strings starting with an ISO
    date; raises ``ValueError`` otherwise.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        match = _ISO_DATE_RE.match(text)
        if match and (match.end() == len(text) or text[match.end()] in "T "):
            iso = match.group()
            _check_calendar(iso)
            return iso
    raise ValueError(f"date {value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")


def _check_calendar(iso: str) -> None:
    parts = [int(p) for p in iso.split("-")]
    year, month, day = parts + [1] * (3 - len(parts))
    try:
        _dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"date {iso!r} does not exist") from None


def document_from_mapping(data: Mapping[str, Any]) -> Document:
    """Build a :class:`Document` from a dict; raises ``ValueError`` if invalid."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a document must be a mapping, not {type(data).__name__}")
    doc_id = data.get("id")
    if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
        raise ValueError("document has no 'id'")
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        raise ValueError(f"document id must be a string or an integer, not {type(doc_id).__name__}")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError(f"document {doc_id!r} has no 'text' string")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"document {doc_id!r}: 'title' must be a string")
    source = data.get("source") or data.get("url")
    if source is not None and not isinstance(source, str):
        raise ValueError(f"document {doc_id!r}: 'source' must be a string")
    try:
        date = normalize_date(data.get("date"))
    except ValueError as error:
        raise ValueError(f"document {doc_id!r}: {error}") from None
    metadata = {k: v for k, v in data.items() if k not in _KNOWN_KEYS}
    if data.get("url") and data.get("source"):
        metadata["url"] = data["url"]
    return Document(str(doc_id), text, title or None, date, source, metadata)


def _as_document(item: Union[Document, Mapping[str, Any]]) -> Document:
    if isinstance(item, Document):
        if not isinstance(item.id, str) or not item.id or not isinstance(item.text, str):
            raise ValueError("Document needs a non-empty str id and a str text")
        return item
    return document_from_mapping(item)


def _read_text(path: Path) -> str:
    # utf-8-sig drops a BOM; universal newlines turn CRLF and CR into \n.
    with open(path, encoding="utf-8-sig", newline=None) as handle:
        return handle.read()


def _read_plain(path: Path, doc_id: str) -> Iterator[Document]:
    text = _read_text(path)
    date = None
    start = 0
    marker = _DATE_MARKER_RE.match(text)
    if marker:
        date = normalize_date(marker.group(1))
        start = marker.end()
    title = None
    if path.suffix.lower() == ".md":
        heading = _MD_HEADING_RE.search(text, start)
        if heading:
            title = heading.group(1).strip()
    yield Document(doc_id, text, title, date, str(path), {}, start)


def _read_jsonl(path: Path, doc_id: str) -> Iterator[Union[Document, IngestFailure]]:
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield IngestFailure(where, f"invalid JSON ({error.msg}, column {error.colno})")
                continue
            if not isinstance(data, dict):
                yield IngestFailure(where, "expected a JSON object")
                continue
            data.setdefault("id", f"{doc_id}-{number}")
            if not data.get("source") and not data.get("url"):
                data["source"] = str(path)
            try:
                yield document_from_mapping(data)
            except ValueError as error:
                yield IngestFailure(where, str(error))


_READERS: Dict[str, Callable[[Path, str], Iterable[Union[Document, IngestFailure]]]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
}


def iter_files(root: Path) -> Iterator[Path]:
    """Supported files under ``root`` (itself if a file), in a stable order."""
    if root.is_file():
        yield root
        return
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(directory, name)
            if not name.startswith(".") and path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path


def read_file(file: Path) -> Iterator[Union[Document, IngestFailure]]:
    """Documents from one file; a file's document id is its name without
    extension, a JSON Lines file gives one document per line (``id`` field)."""
    reader = _READERS.get(file.suffix.lower())
    if reader is None:
        yield IngestFailure(str(file), f"unsupported file type {file.suffix or '(none)'!r}")
        return
    try:
        yield from reader(file, file.stem)
    except UnicodeDecodeError as error:
        yield IngestFailure(str(file), f"not UTF-8 text (byte {error.start})")
    except OSError as error:
        yield IngestFailure(str(file), error.strerror or str(error))


def read_path(path: Union[str, "os.PathLike[str]"]) -> Iterator[Union[Document, IngestFailure]]:
    """Documents from a file or a directory (recursively)."""
    root = Path(path)
    if not root.exists():
        yield IngestFailure(str(root), "no such file or directory")
        return
    for file in iter_files(root):
        yield from read_file(file)


def as_documents(items: Iterable[Union[Document, Mapping[str, Any]]]) -> Iterator[Union[Document, IngestFailure]]:
    """Validate caller-supplied documents, turning bad ones into failures."""
    for number, item in enumerate(items):
        try:
            yield _as_document(item)
        except ValueError as error:
            name = item.get("id") if isinstance(item, Mapping) else None
            yield IngestFailure(f"document {name!r}" if name is not None else f"document #{number}", str(error))

