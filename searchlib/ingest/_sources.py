"""Sources listed, read and turned into documents: the body of
:mod:`searchlib.ingest`, whose ``__all__`` names what is public. A little
over 400 lines: listing folders (globs, symlink loops, index folders
skipped) and reading a source (compression, sniffing, streams) share the
same guards against hostile files, kept side by side here."""

from __future__ import annotations

import codecs
import fnmatch
import gzip
import io
import itertools
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

# Re-exported through the package (see its __getattr__).
from ._clean import content_paragraphs as content_paragraphs
from ._dates import normalize_date as normalize_date
from ._decode import NotText, refuse_binary, clean_text
from ._readers import READERS, SUFFIX_FORMATS, Item, document_from_record, read_bytes, read_json_lines, sniff_format
from .._defaults import SETTINGS_FILE
from ._types import DEFAULT_FIELDS, FORMATS, Document, FieldMap, IngestFailure, IngestWarning

assert FORMATS == tuple(READERS), "a reader for each format, in order"
SUPPORTED_SUFFIXES = frozenset(SUFFIX_FORMATS)
_MAX_FILE_BYTES = 1 << 30  # a single source over 1 GiB is a mistake, not a document
_INDEX_MARKER = SETTINGS_FILE


@dataclass(frozen=True)
class SourceFile:
    """A file to read: its path, the id its documents derive from, its size."""

    path: Path
    doc_id: str
    size: int
    format: str

    @property
    def origin(self) -> str:
        return os.path.abspath(self.path)


def _format_of(name: str) -> Tuple[Optional[str], str]:
    """(format, name without its extensions) of a file name; format None if unknown."""
    base = name[:-3] if name.lower().endswith(".gz") else name
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        return None, base
    return SUFFIX_FORMATS.get("." + suffix.lower()), stem


def _glob_regex(pattern: str) -> "re.Pattern[str]":
    """A glob where ``*`` stays within a folder and ``**`` crosses folders."""
    parts: List[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a path relative to the root, or any folder above it, matches.

    A pattern without "/" is matched against each name along the path
    ("drafts", "*.bak"); one with "/" against the whole relative path.
    """
    names = relative.split("/")
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if not pattern:
            continue
        if "/" not in pattern:
            if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                return True
            continue
        regex = _glob_regex(pattern.lstrip("/"))
        prefixes = ["/".join(names[: i + 1]) for i in range(len(names))]
        if any(regex.match(prefix) for prefix in prefixes):
            return True
    return False


def list_sources(
    paths: Iterable[Union[str, "os.PathLike[str]"]],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Tuple[List[SourceFile], List[IngestFailure]]:
    """The files to read under ``paths``, in a stable order, and the paths
    that could not be walked (missing, unreadable, symbolic link loops).

    Folders are walked recursively, skipping hidden names; ``include``
    globs (default: every supported format) and ``exclude`` globs are
    matched against paths relative to the folder given.
    """
    files: List[SourceFile] = []
    failures: List[IngestFailure] = []
    for path in paths:
        root = Path(path)
        try:
            info = root.stat()
        except FileNotFoundError:
            failures.append(IngestFailure(str(root), "no such file or directory"))
            continue
        except OSError as error:
            failures.append(IngestFailure(str(root), error.strerror or str(error)))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(root, root, include, exclude, files, failures, set())
            continue
        fmt, stem = _format_of(root.name)
        if fmt is None:
            failures.append(IngestFailure(str(root), f"unsupported file type {root.suffix or '(none)'!r}"))
            continue
        files.append(SourceFile(root, stem, info.st_size, fmt))
    return files, failures


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _read_by_another_name(
    link: Path, folder: Path, root: Path, exclude: Sequence[str], failures: List[IngestFailure]
) -> bool:
    """Whether the folder ``link`` (in ``folder``) points to is read anyway:
    it holds the link (a loop: reported), or it lies under ``root``, where
    the walk reads it under its own name. Following such a link made a
    document's id depend on the order of the walk, and the folder's own
    name then reported as a loop."""
    target = os.path.realpath(link)
    if _within(os.path.realpath(folder), target):
        failures.append(IngestFailure(str(link), "symbolic link loop (it points to a folder above it); not followed"))
        return True
    real_root = os.path.realpath(root)
    if not _within(target, real_root) or target == real_root:
        return False
    relative = Path(os.path.relpath(target, real_root)).as_posix()
    return not any(name.startswith(".") for name in relative.split("/")) and not (exclude and _matches(relative, exclude))


def _walk(
    folder: Path,
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    files: List[SourceFile],
    failures: List[IngestFailure],
    visited: Set[Tuple[int, int]],
) -> None:
    try:
        info = folder.stat()
        key = (info.st_dev, info.st_ino)
        if key in visited:
            failures.append(IngestFailure(str(folder), "symbolic link loop (already visited); not followed"))
            return
        visited.add(key)
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        failures.append(IngestFailure(str(folder), f"cannot list folder ({error.strerror or error})"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        relative = path.relative_to(root).as_posix()
        if exclude and _matches(relative, exclude):
            continue
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError as error:
            failures.append(IngestFailure(str(path), error.strerror or str(error)))
            continue
        if is_dir:
            if entry.is_symlink() and _read_by_another_name(path, folder, root, exclude, failures):
                continue
            # os.path.isfile, not Path.is_file: a folder we may not enter
            # (EACCES) must reach _walk, which reports it, not raise here.
            if os.path.isfile(os.path.join(entry.path, _INDEX_MARKER)):
                continue  # a searchlib index kept among the sources is not a source
            _walk(path, root, include, exclude, files, failures, visited)
            continue
        if not is_file:
            if entry.is_symlink():
                failures.append(IngestFailure(str(path), "broken symbolic link"))
            continue
        fmt, _ = _format_of(entry.name)
        if include and not _matches(relative, include):
            continue
        if fmt is None:
            if include:
                failures.append(IngestFailure(str(path), f"unsupported file type {path.suffix or '(none)'!r}"))
            continue
        _, stem = _format_of(relative)
        try:
            size = entry.stat().st_size
        except OSError as error:
            failures.append(IngestFailure(str(path), error.strerror or str(error)))
            continue
        files.append(SourceFile(path, stem, size, fmt))


def read_source(
    source: SourceFile, fields: FieldMap = DEFAULT_FIELDS, advance: Optional[Callable[[int], None]] = None
) -> Iterator[Item]:
    """Documents, warnings and failures from one file.

    JSON Lines files are streamed line by line, so memory does not grow
    with the file; ``advance``, if given, is told how many bytes of the file
    have been read so far, for progress bars.
    """
    name = str(source.path)
    if source.format == "jsonl":
        yield from _stream_json_lines(source, fields, advance)
        return
    try:
        if source.size > _MAX_FILE_BYTES:
            yield IngestFailure(name, f"file too large ({source.size >> 20} MiB; the limit is 1024 MiB)")
            return
        data = source.path.read_bytes()
        if source.path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        message = getattr(error, "strerror", None) or str(error)
        yield IngestFailure(name, f"cannot read ({message})")
        return
    yield from read_bytes(data, source.format, source.doc_id, name, source.origin, fields)


class _JsonLines:
    """Numbered lines of JSON Lines bytes, decoded as UTF-8, each line not
    UTF-8 as Windows-1252 (``legacy`` then says so); ``every_256`` is
    called every 256 lines, for progress."""

    def __init__(self, lines: Iterable[bytes], every_256: Optional[Callable[[], None]] = None) -> None:
        self._lines = lines
        self._every_256 = every_256
        self.legacy = False

    def __iter__(self) -> Iterator[Tuple[int, str]]:
        for number, line in enumerate(self._lines, 1):
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                self.legacy = True
                text = line.decode("cp1252", errors="replace")
            yield number, text
            if self._every_256 is not None and number % 256 == 0:
                self._every_256()


_LEGACY_LINES = "not UTF-8: lines read as Windows-1252; convert the file to UTF-8 to be sure"


def _stream_json_lines(
    source: SourceFile, fields: FieldMap, advance: Optional[Callable[[int], None]]
) -> Iterator[Item]:
    name = str(source.path)
    try:
        with open(source.path, "rb") as raw:
            head = raw.read(8192)
            raw.seek(0)
            compressed = source.path.name.lower().endswith(".gz")
            if not compressed:
                try:
                    refuse_binary(head)
                except NotText as error:
                    yield IngestFailure(name, str(error))
                    return
            binary: BinaryIO = gzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
            lines = _JsonLines(binary, None if advance is None else lambda: advance(raw.tell()))
            documents = 0
            for item in read_json_lines(lines, source.doc_id, name, source.origin, fields):
                documents += isinstance(item, Document)
                yield item
            if advance is not None:
                advance(source.size)
    except (OSError, EOFError, zlib.error) as error:
        message = getattr(error, "strerror", None) or str(error)
        yield IngestFailure(name, f"cannot read ({message})")
        return
    if lines.legacy:
        yield IngestWarning(name, _LEGACY_LINES, source.origin)
    if not documents and source.size == 0:
        yield IngestWarning(name, "empty file; skipped")


def read_path(
    path: Union[str, "os.PathLike[str]"],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    fields: FieldMap = DEFAULT_FIELDS,
) -> Iterator[Item]:
    """Documents from a file or a folder (recursively)."""
    files, failures = list_sources([path], include, exclude)
    yield from failures
    for source in files:
        yield from read_source(source, fields)


def read_stream(
    stream: BinaryIO, format: Optional[str] = None, doc_id: str = "stdin", fields: FieldMap = DEFAULT_FIELDS
) -> Iterator[Item]:
    """Documents from a binary stream such as standard input (plain or gzip).

    The format is sniffed from the content unless given (JSON Lines when
    it starts with "{", HTML with a tag, else plain text); a plain-text
    stream is one document named ``doc_id``. JSON Lines are read a line at
    a time, as from a file, so memory does not grow with the stream; the
    other formats are read whole.
    """
    if format is not None and format not in READERS:
        raise ValueError(f"unknown format {format!r} (known: {', '.join(READERS)})")
    try:
        yield from _read_stream(stream, format, doc_id, fields)
    except (OSError, EOFError, zlib.error) as error:
        message = getattr(error, "strerror", None) or str(error)
        yield IngestFailure("<stdin>", f"cannot read ({message})")


def _read_stream(stream: BinaryIO, format: Optional[str], doc_id: str, fields: FieldMap) -> Iterator[Item]:
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        buffered = gzip.GzipFile(fileobj=buffered)
    # The lines up to the first that is not blank tell the format.
    head: List[bytes] = []
    for line in buffered:
        head.append(line)
        if line.strip():
            break
    first = head[-1] if head else b""
    wide = first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # BOM_UTF32_LE starts so too
    if not wide and (format or sniff_format(first[:512].decode("utf-8", errors="replace").lstrip("\ufeff"))) == "jsonl":
        try:
            refuse_binary(first[:8192])
        except NotText as error:
            yield IngestFailure("<stdin>", str(error))
            return
        lines = _JsonLines(itertools.chain(head, buffered))
        yield from read_json_lines(lines, doc_id, "<stdin>", "", fields)
        if lines.legacy:
            yield IngestWarning("<stdin>", _LEGACY_LINES)
        return
    yield from read_bytes(b"".join(head) + buffered.read(), format, doc_id, "<stdin>", "", fields)


def document_from_mapping(data: Mapping[str, Any], fields: FieldMap = DEFAULT_FIELDS) -> Document:
    """Build a :class:`Document` from a dict; raises ``ValueError`` if invalid.

    The dict needs ``id`` and ``text`` (or the fields ``fields`` names);
    ``title``, ``date``, ``url``/``source`` are optional; other keys are kept
    as metadata.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"a document must be a mapping, not {type(data).__name__}")
    columns = fields.resolve(list(data))
    if columns["id"] is None or data.get(columns["id"]) in (None, ""):
        raise ValueError("document has no 'id'")
    raw_id = data[columns["id"]]
    if isinstance(raw_id, str) and not raw_id.strip():
        raise ValueError("document has no 'id'")
    document = document_from_record(data, columns, "", "", "")
    document.source = document.source or None
    document.origin = None
    return document


def _as_document(item: Union[Document, Mapping[str, Any]]) -> Document:
    if isinstance(item, Document):
        if not isinstance(item.id, str) or not item.id.strip() or not isinstance(item.text, str):
            raise ValueError("Document needs a non-empty str id and a str text")
        text = clean_text(item.text)
        start = item.text_start
        if text != item.text:
            start = len(clean_text(item.text[:start]))
        title = clean_text(item.title).strip() or None if item.title else None
        return Document(item.id, text, title, item.date, item.source, dict(item.metadata), start, item.origin)
    return document_from_mapping(item)


def as_documents(items: Iterable[Union[Document, Mapping[str, Any]]]) -> Iterator[Union[Document, IngestFailure]]:
    """Validate caller-supplied documents, turning bad ones into failures."""
    for number, item in enumerate(items):
        try:
            yield _as_document(item)
        except ValueError as error:
            name = item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)
            yield IngestFailure(f"document {name!r}" if name is not None else f"document #{number}", str(error))
