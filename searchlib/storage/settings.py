"""An index's settings, read and written here only.

The settings file (``searchlib.json``) records the format an index was
written in and what shaped its terms and passages (stop words, passage
sizes). It is written before anything else when an index is created: a
folder with Whoosh's files but no settings was not made by searchlib.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, Optional, Tuple

from .._defaults import SETTINGS_FILE
from ..analysis import FrenchAnalyzer
from ..errors import IndexCorruptError, SearchlibError

__all__ = ["FORMAT_VERSION", "STILL_READ", "SETTINGS_FILE", "DEFAULT_PASSAGE_WORDS", "Settings", "read", "peek", "write"]

#: raised whenever what is written changes; older indexes are refused with a
#: rebuild hint, except those of :data:`STILL_READ`
FORMAT_VERSION = 6
#: older formats read and written as they are: format 5's text postings keep
#: positions but no characters, so its highlights are found by analysing the
#: passages shown (``search index --rebuild`` brings it to the current format)
STILL_READ = frozenset({5})
DEFAULT_PASSAGE_WORDS = (40, 120)


@dataclass(frozen=True)
class Settings:
    """What an index was built with. ``stop_words`` None is the default list."""

    stop_words: Optional[FrozenSet[str]] = None
    passage_words: Tuple[int, int] = DEFAULT_PASSAGE_WORDS
    #: whether ``passage_words`` was chosen rather than the default
    passage_words_set: bool = False
    #: the format the index is written in
    format: int = FORMAT_VERSION
    #: the embedder whose vectors the index keeps (see
    #: :func:`searchlib.embedders.identity`), None: none
    embedder: Optional[Tuple[Tuple[str, Any], ...]] = None

    @property
    def embedder_identity(self) -> Optional[Dict[str, Any]]:
        return None if self.embedder is None else dict(self.embedder)

    def with_embedder(self, identity: Dict[str, Any]) -> "Settings":
        return replace(self, embedder=tuple(sorted(identity.items())))

    @property
    def keeps_offsets(self) -> bool:
        """Whether the text postings keep each occurrence's characters."""
        return self.format >= 6

    def analyzer(self) -> FrenchAnalyzer:
        return FrenchAnalyzer(stop_words=self.stop_words)

    def as_json(self) -> Dict[str, Any]:
        recorded: Dict[str, Any] = {"format": self.format}
        if self.stop_words is not None:
            recorded["stop_words"] = sorted(self.stop_words)
        if self.passage_words_set:
            recorded["passage_words"] = list(self.passage_words)
        if self.embedder is not None:
            recorded["embedder"] = dict(self.embedder)
        return recorded


def _from_json(recorded: Dict[str, Any]) -> Settings:
    stop_words = recorded.get("stop_words")
    sizes = recorded.get("passage_words")
    embedder = recorded.get("embedder")
    if embedder is not None and not (isinstance(embedder, dict) and isinstance(embedder.get("dimensions"), int)):
        raise ValueError("embedder")
    return Settings(
        stop_words=None if stop_words is None else frozenset(stop_words),
        passage_words=DEFAULT_PASSAGE_WORDS if sizes is None else (int(sizes[0]), int(sizes[1])),
        passage_words_set=sizes is not None,
        format=int(recorded.get("format", FORMAT_VERSION)),
        embedder=None if embedder is None else tuple(sorted(embedder.items())),
    )


def read(path: Path) -> Settings:
    """The settings of the index in ``path``, refusing a foreign, damaged or
    older index with one line that says what to do."""
    settings_file = path / SETTINGS_FILE
    try:
        recorded = json.loads(settings_file.read_text(encoding="utf-8"))
        version = recorded["format"]
        settings = _from_json(recorded)
    except FileNotFoundError:
        raise SearchlibError(f"{path} holds a Whoosh index not made by searchlib") from None
    except (ValueError, KeyError, TypeError, IndexError):
        raise IndexCorruptError(f"index {path}: {SETTINGS_FILE} is damaged") from None
    if version != FORMAT_VERSION and version not in STILL_READ:
        raise IndexCorruptError(
            f"index {path} has format {version}, this searchlib reads format "
            f"{FORMAT_VERSION}; rebuild it from its sources: search index --rebuild --index {path} PATH"
        )
    return settings


def peek(path: Path) -> Optional[Settings]:
    """The settings recorded in ``path`` whatever its format, or None if
    unreadable: what a rebuild carries over."""
    try:
        recorded = json.loads((path / SETTINGS_FILE).read_text(encoding="utf-8"))
        return _from_json(recorded) if isinstance(recorded, dict) else None
    except (OSError, ValueError, TypeError, IndexError):
        return None


def write(path: Path, settings: Settings, replace_whole: bool = False) -> None:
    """Write the settings file. ``replace_whole`` (an index in use, its
    settings changed): a new file replaces the old in one rename, so a
    reader never finds half of one. A new index's is written in place: it
    is the first file of the folder, and a crash right after it is what
    the next creation takes over."""
    text = json.dumps(settings.as_json(), ensure_ascii=False) + "\n"
    if not replace_whole:
        (path / SETTINGS_FILE).write_text(text, encoding="utf-8")
        return
    temporary = path / f".{SETTINGS_FILE}.new"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path / SETTINGS_FILE)
