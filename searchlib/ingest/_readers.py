"""One reader per source format; each yields documents, warnings and failures.

Readers take the decoded bytes of one source and the id its documents
derive from; they never raise for bad content: a bad file or line becomes
an :class:`IngestFailure` naming it, so one bad source never stops the others.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Tuple, Union

from ._clean import first_line_title
from ._dates import normalize_date
from ._decode import NotText, clean_text, decode_bytes
from ._html import html_to_text
from ._markdown import markdown_to_text
from ._types import DEFAULT_FIELDS, Document, FieldMap, IngestFailure, IngestWarning

__all__ = ["FieldMap", "READERS", "read_bytes", "read_json_lines", "Item"]

Item = Union[Document, IngestFailure, IngestWarning]

_DATE_MARKER_RE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b[ \t]*")
_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FRONT_MATTER_LINE_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$", re.MULTILINE)




def document_from_record(
    data: Mapping[str, Any], columns: Mapping[str, Optional[str]], fallback_id: str, source: str, origin: str
) -> Document:
    """A document from one JSON object or CSV row; ``ValueError`` if invalid."""

    def get(part: str) -> Any:
        name = columns.get(part)
        return data.get(name) if name is not None else None

    raw_id = get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raw_id = fallback_id
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise ValueError(f"id must be a string or an integer, not {type(raw_id).__name__}")
    doc_id = str(raw_id).strip()
    text = get("text")
    if not isinstance(text, str):
        name = columns.get("text") or "text"
        raise ValueError(f"document {doc_id!r} has no {name!r} string")
    title = get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"document {doc_id!r}: title must be a string")
    url = get("url")
    if url is not None and not isinstance(url, str):
        raise ValueError(f"document {doc_id!r}: url must be a string")
    try:
        date = normalize_date(get("date"))
    except ValueError as error:
        raise ValueError(f"document {doc_id!r}: {error}") from None
    used = {name for name in columns.values() if name is not None}
    metadata = {key: value for key, value in data.items() if key not in used}
    return Document(
        id=doc_id,
        text=clean_text(text),
        title=clean_text(title).strip() or None if title else None,
        date=date,
        source=url or source,
        metadata=metadata,
        origin=origin,
    )


def _read_plain(text: str, doc_id: str, source: str, origin: str) -> Iterator[Item]:
    date, start, warning = _date_marker(text, source, origin)
    if warning is not None:
        yield warning
    yield Document(doc_id, text, first_line_title(text, start), date, source, {}, start, origin)


def _date_marker(text: str, source: str, origin: str) -> Tuple[Optional[str], int, Optional[IngestWarning]]:
    """(date, where the body starts, warning) from a leading ``date YYYY-MM[-DD]``
    line; a date that does not exist is left in the text, with a warning."""
    marker = _DATE_MARKER_RE.match(text)
    if not marker:
        return None, 0, None
    try:
        return normalize_date(marker.group(1)), marker.end(), None
    except ValueError as error:
        return None, 0, IngestWarning(source, f"{error}; date marker ignored", origin)


def _read_markdown(text: str, doc_id: str, source: str, origin: str) -> Iterator[Item]:
    metadata: Dict[str, Any] = {}
    date = None
    start = 0
    front = _FRONT_MATTER_RE.match(text)
    title = None
    if front:
        # YAML front matter of static-site generators: read flat "key: value" lines.
        start = front.end()
        for key, value in _FRONT_MATTER_LINE_RE.findall(front.group(1)):
            metadata[key.lower()] = value.strip("'\"")
        title = metadata.pop("title", None) or None
        if "date" in metadata:
            try:
                date = normalize_date(metadata.pop("date"))
            except ValueError as error:
                yield IngestWarning(source, f"front matter: {error}", origin)
    else:
        date, start, warning = _date_marker(text, source, origin)
        if warning is not None:
            yield warning
    page = markdown_to_text(text[start:])
    yield Document(doc_id, page.text, title or page.title, date, source, metadata, 0, origin)


def _read_html(text: str, doc_id: str, source: str, origin: str) -> Iterator[Item]:
    page = html_to_text(text)
    date = None
    if page.date:
        try:
            date = normalize_date(page.date)
        except ValueError:
            yield IngestWarning(source, f"publication date {page.date!r} not understood; ignored", origin)
    metadata: Dict[str, Any] = {"language": page.language} if page.language else {}
    yield Document(doc_id, clean_text(page.text), page.title, date, source, metadata, 0, origin)


def _read_jsonl(text: str, doc_id: str, source: str, origin: str, fields: FieldMap) -> Iterator[Item]:
    yield from read_json_lines(enumerate(text.split("\n"), 1), doc_id, source, origin, fields)


def _load_json(raw: str) -> Any:
    """JSON from decoded source text, its strings cleaned as every text is.

    Cleaning first is one fast pass, but it makes line separators and
    carriage returns line ends: a string holding U+2028 (valid JSON) would
    break, and an error's line and column would not be the file's. So the
    raw text decides when the cleaned one fails, and its error is the one
    reported."""
    try:
        return json.loads(clean_text(raw))
    except json.JSONDecodeError:
        pass
    return _clean_strings(json.loads(raw))


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(key): _clean_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    return value


def read_json_lines(
    lines: Iterable[Tuple[int, str]], doc_id: str, source: str, origin: str, fields: FieldMap
) -> Iterator[Item]:
    """Documents from numbered JSON Lines, one object a line, as decoded
    (not cleaned: a line is split at ``\\n`` only, as JSON Lines are)."""
    for number, line in lines:
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            data = _load_json(line)
        except json.JSONDecodeError as error:
            yield IngestFailure(where, f"invalid JSON ({error.msg}, column {error.colno})")
            continue
        if not isinstance(data, dict):
            yield IngestFailure(where, f"expected a JSON object, not {type(data).__name__}")
            continue
        yield from _from_mapping(data, fields, f"{doc_id}-{number}", where, source, origin)


def _read_json(text: str, doc_id: str, source: str, origin: str, fields: FieldMap) -> Iterator[Item]:
    try:
        data = _load_json(text)
    except json.JSONDecodeError as error:
        yield IngestFailure(f"{source}:{error.lineno}", f"invalid JSON ({error.msg}, column {error.colno})")
        return
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, 1):
        where = f"{source}[{number - 1}]" if isinstance(data, list) else source
        if not isinstance(record, dict):
            yield IngestFailure(where, f"expected a JSON object, not {type(record).__name__}")
            continue
        fallback = f"{doc_id}-{number}" if isinstance(data, list) else doc_id
        yield from _from_mapping(record, fields, fallback, where, source, origin)


def _from_mapping(
    data: Mapping[str, Any], fields: FieldMap, fallback_id: str, where: str, source: str, origin: str
) -> Iterator[Item]:
    columns = fields.resolve(list(data))
    if columns["text"] is None:
        wanted = fields.explicit("text") or "text"
        yield IngestFailure(where, f"no {wanted!r} field (fields: {', '.join(list(data)[:10]) or 'none'})")
        return
    try:
        yield document_from_record(data, columns, fallback_id, source, origin)
    except ValueError as error:
        yield IngestFailure(where, str(error))


def _read_csv(text: str, doc_id: str, source: str, origin: str, fields: FieldMap) -> Iterator[Item]:
    sample = text[:16384]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        yield IngestFailure(source, "empty CSV file")
        return
    except csv.Error as error:
        yield IngestFailure(f"{source}:1", f"invalid CSV ({error})")
        return
    header = [name.strip() for name in header]
    columns = fields.resolve(header)
    if columns["text"] is None:
        wanted = fields.explicit("text") or "text"
        yield IngestFailure(source, f"no {wanted!r} column in the header (columns: {', '.join(header[:10])})")
        return
    line = reader.line_num
    while True:
        start_line = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield IngestFailure(f"{source}:{start_line}", f"invalid CSV ({error})")
            return
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"{source}:{start_line}"
        if len(row) != len(header):
            yield IngestFailure(where, f"{len(row)} fields where the header has {len(header)}")
            continue
        data = dict(zip(header, row))
        try:
            yield document_from_record(data, columns, f"{doc_id}-{start_line}", source, origin)
        except ValueError as error:
            yield IngestFailure(where, str(error))


_TextReader = Callable[[str, str, str, str], Iterator[Item]]
_FieldReader = Callable[[str, str, str, str, FieldMap], Iterator[Item]]

READERS: Dict[str, Tuple[str, Union[_TextReader, _FieldReader], bool]] = {
    # format name -> (description, reader, takes a FieldMap)
    "txt": ("plain text", _read_plain, False),
    "md": ("Markdown", _read_markdown, False),
    "html": ("HTML", _read_html, False),
    "jsonl": ("JSON Lines", _read_jsonl, True),
    "json": ("JSON", _read_json, True),
    "csv": ("CSV", _read_csv, True),
}

SUFFIX_FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
}


def sniff_format(text: str) -> str:
    """Guess the format of unnamed input (standard input) from its start."""
    head = text.lstrip()[:512].lower()
    if head.startswith("{"):
        return "jsonl"
    if head.startswith("["):
        return "json"
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<article", "<p>", "<div")):
        return "html"
    if head.startswith("---\n") or head.startswith("# "):
        return "md"
    return "txt"


def read_bytes(
    data: bytes, fmt: Optional[str], doc_id: str, source: str, origin: str, fields: FieldMap = DEFAULT_FIELDS
) -> Iterator[Item]:
    """Documents from the raw bytes of one source, in format ``fmt`` (sniffed when None)."""
    try:
        decoded = decode_bytes(data)
    except NotText as error:
        yield IngestFailure(source, str(error))
        return
    text = clean_text(decoded.text)
    if not text.strip():
        # Nothing to index is not an error: failing made every later run
        # over the folder fail too.
        yield IngestWarning(source, "empty file; skipped" if not data else "no text (only white space); skipped")
        return
    if decoded.warning:
        yield IngestWarning(source, decoded.warning, origin)
    name = fmt or sniff_format(text)
    _, reader, takes_fields = READERS[name]
    if takes_fields:
        if name in ("json", "jsonl"):
            text = decoded.text  # cleaned as parsed, so lines and columns stay the file's
        yield from reader(text, doc_id, source, origin, fields)  # type: ignore[call-arg]
    else:
        yield from reader(text, doc_id, source, origin)  # type: ignore[call-arg]
