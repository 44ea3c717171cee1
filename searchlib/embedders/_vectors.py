"""What every adapter does to the vectors it is given, and to its version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EmbedderError

if TYPE_CHECKING:
    from . import Vectors


def as_rows(found: Any, count: int, name: str) -> "Vectors":
    """``found`` as ``count`` float32 rows, L2-normalised; an answer of
    another shape, or with values that are not finite, is refused."""
    import numpy as np

    try:
        rows = np.asarray(found, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise EmbedderError(f"embedder {name} returned something that is not vectors ({error})") from None
    if rows.ndim != 2 or rows.shape[0] != count or rows.shape[1] < 1:
        raise EmbedderError(f"embedder {name} returned an array of shape {rows.shape} for {count} texts")
    if not np.isfinite(rows).all():
        raise EmbedderError(f"embedder {name} returned values that are not finite numbers")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    normalised: Vectors = (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)
    return normalised


def with_prefixes(version: str, query_prefix: str, passage_prefix: str) -> str:
    """``version`` naming the prefixes put before texts, when there are any:
    the same model given other prefixes makes other vectors, and an index
    must refuse them."""
    if not query_prefix and not passage_prefix:
        return version
    return f"{version}, prefixes {query_prefix!r} {passage_prefix!r}"
