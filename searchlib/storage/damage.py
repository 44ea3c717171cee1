"""The one-line messages for a damaged index and for refused writes."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from ..errors import SearchlibError

__all__ = ["damaged", "describe_damage", "segment_damage", "segment_file", "write_error"]


def damaged(path: Path, what: str) -> str:
    """The one-line error for a damaged index, with the way out."""
    return (
        f"index {path} is damaged: {what}; rebuild it from its sources with "
        f"'search index --rebuild --index {path} PATH' ('search check --index {path}' lists the damage)"
    )


def describe_damage(error: BaseException) -> str:
    """What a Whoosh error raised on reading a file says about it: the
    file "is missing", "is truncated or unreadable (...)"."""
    if isinstance(error, FileNotFoundError):
        return "missing"
    text = str(error) or type(error).__name__
    return "truncated or unreadable (" + (text if len(text) < 120 else text[:117] + "...") + ")"


def segment_file(segment: Any) -> str:
    """The file (compound) or file prefix a segment is stored in."""
    return f"{segment.segment_id()}.seg" if segment.is_compound() else f"{segment.segment_id()}.*"


def segment_damage(segment: Any, error: BaseException) -> str:
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"segment file {os.path.basename(str(error.filename))} is missing"
    return f"segment file {segment_file(segment)} is {describe_damage(error)}"


def write_error(path: Path, error: OSError) -> SearchlibError:
    """The one-line error for a write the system refused."""
    where = f" ({os.path.basename(str(error.filename))})" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return SearchlibError(
            f"cannot write to index {path}: no space left on device{where}; what was committed before "
            f"stays searchable: free some space and run the same command again"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return SearchlibError(f"cannot write to index {path}: {(error.strerror or str(error)).lower()}{where}")
    return SearchlibError(f"cannot write to index {path}: {error.strerror or error}{where}")
