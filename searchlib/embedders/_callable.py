"""Any Python callable as an embedder."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from . import EmbedderError
from ._vectors import as_rows

if TYPE_CHECKING:
    from . import Vectors


class CallableEmbedder:
    """An embedder made of a function ``embed(texts, query=False)`` that
    returns one vector per text (lists or an array). ``name`` and
    ``version`` identify the model behind it (an index refuses another);
    ``dimensions`` is found by embedding one text when not given."""

    def __init__(
        self,
        embed: Callable[..., Any],
        *,
        name: str,
        version: str = "1",
        dimensions: Optional[int] = None,
        batch_size: int = 32,
        spec: Optional[str] = None,
    ) -> None:
        if not callable(embed):
            raise EmbedderError(f"an embedder function must be callable, not {embed!r}")
        self._embed = embed
        self.name = name
        self.version = version
        self.batch_size = batch_size
        self.spec = spec
        self.dimensions = dimensions if dimensions is not None else int(self.embed_query("dimension").shape[0])

    @classmethod
    def from_path(cls, path: str) -> "CallableEmbedder":
        """``MODULE:FUNCTION``, imported; the function's ``name`` and
        ``version`` attributes, when it has them, identify the model."""
        module_name, _, attribute = path.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError, ValueError) as error:
            raise EmbedderError(f"embedder python:{path}: cannot import it ({error})") from None
        return cls(
            function, name=str(getattr(function, "name", path)), version=str(getattr(function, "version", "1")),
            spec=f"python:{path}",
        )

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        return as_rows(self._embed(list(texts), query=False), len(texts), self.name)

    def embed_query(self, text: str) -> "Vectors":
        vector: Vectors = as_rows(self._embed([text], query=True), 1, self.name)[0]
        return vector
