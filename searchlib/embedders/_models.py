"""Models run in this process by sentence-transformers or fastembed."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from . import EmbedderError
from ._vectors import as_rows, with_prefixes

if TYPE_CHECKING:
    from . import Vectors


class _LocalModel:
    """What both adapters share: the model loaded on first use, in whichever
    process uses it, one call at a time (their tokenizers fail when two
    threads share them); ``dimensions`` read from the model when first
    asked; pickled without the model, for worker processes."""

    #: the package and the extra that installs it, for the message when it is missing
    package = ""
    module = ""
    extra = ""

    def __init__(self, model: str, batch_size: int) -> None:
        if not isinstance(model, str) or not model.strip():
            raise EmbedderError(f"the {self.package} embedder needs a model's name or path, not {model!r}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise EmbedderError(f"the {self.package} embedder: batch_size={batch_size!r} is not a valid value")
        self.model = model.strip()
        self.batch_size = batch_size
        # The same model on the hub or copied into a folder of the same name
        # makes the same vectors: the name is the last part of either.
        self.name = self.model.replace("\\", "/").rstrip("/").rpartition("/")[2] or self.model
        self._dimensions: Optional[int] = None
        self._model: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r})"

    def __getstate__(self) -> Dict[str, Any]:
        raise NotImplementedError

    def __setstate__(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        model = state.pop("model")
        self.__init__(model, **state)  # type: ignore[misc]

    @property
    def dimensions(self) -> int:
        """The length of every vector, as the model says (loading it)."""
        if self._dimensions is None:
            with self._lock:
                found = self._size(self._loaded())
            self._dimensions = int(found) if found else int(self.embed_query("dimensions").shape[0])
        return self._dimensions

    @dimensions.setter
    def dimensions(self, value: int) -> None:
        self._dimensions = int(value)

    def _loaded(self) -> Any:
        """The model, loaded the first time (the caller holds the lock)."""
        if self._model is None:
            try:
                package = importlib.import_module(self.module)
            except ImportError as error:
                missing = f" (it could not import {error.name})" if error.name and error.name != self.module else ""
                raise EmbedderError(
                    f"the {self.package} embedder needs the {self.package} package{missing}: "
                    f"pip install 'searchlib[{self.extra}]'"
                ) from None
            try:
                self._model = self._load(package)
            except Exception as error:  # each library fails its own way: a missing model, no network, bad files
                lines = [line.strip() for line in str(error).splitlines() if line.strip()]
                reason = lines[0][:300] if lines else type(error).__name__
                raise EmbedderError(f"the {self.package} embedder cannot load {self.model}: {reason}") from None
        return self._model

    def _load(self, package: Any) -> Any:
        raise NotImplementedError

    def _size(self, model: Any) -> Optional[int]:
        """The model's dimensions when it tells them without embedding."""
        return None

    def embed_query(self, text: str) -> "Vectors":
        raise NotImplementedError


class SentenceTransformers(_LocalModel):
    """A model loaded by sentence-transformers (the ``sentence-transformers``
    extra) from its name on the Hugging Face hub or a local folder, on
    ``device`` (None: a GPU when there is one, else the CPU).

    Models of the e5 family want "query: " and "passage: " before texts:
    when the model's name holds "e5" and no prefix is given, those are
    used; give ``query_prefix`` and ``passage_prefix`` (empty strings too)
    for a model trained with others. ``name`` is the last part of the
    model's name or path; ``version`` names the prefixes, since they change
    the vectors. ``normalize`` asks the model for unit vectors (they are
    normalised again in any case). ``spec`` is None when the prefixes are
    not the model's defaults: ``sentence-transformers:NAME`` would not make
    the same vectors."""

    package = "sentence-transformers"
    module = "sentence_transformers"
    extra = "sentence-transformers"

    def __init__(
        self,
        model: str,
        *,
        device: Optional[str] = None,
        batch_size: int = 32,
        query_prefix: Optional[str] = None,
        passage_prefix: Optional[str] = None,
        normalize: bool = True,
    ) -> None:
        super().__init__(model, batch_size)
        self.device = device
        self.normalize = normalize
        e5 = "e5" in self.name.lower()
        default_query, default_passage = ("query: ", "passage: ") if e5 else ("", "")
        self.query_prefix = default_query if query_prefix is None and passage_prefix is None else query_prefix or ""
        self.passage_prefix = (
            default_passage if query_prefix is None and passage_prefix is None else passage_prefix or ""
        )
        self.version = with_prefixes("sentence-transformers", self.query_prefix, self.passage_prefix)
        defaults = (self.query_prefix, self.passage_prefix) == (default_query, default_passage)
        self.spec: Optional[str] = f"sentence-transformers:{self.model}" if defaults else None

    def __getstate__(self) -> Dict[str, Any]:
        return {
            "model": self.model, "device": self.device, "batch_size": self.batch_size,
            "query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix, "normalize": self.normalize,
        }

    def _load(self, package: Any) -> Any:
        return package.SentenceTransformer(self.model, device=self.device)

    def _size(self, model: Any) -> Optional[int]:
        size = model.get_sentence_embedding_dimension()
        return int(size) if size else None

    def _encode(self, texts: List[str]) -> Any:
        with self._lock:
            return self._loaded().encode(
                texts, batch_size=self.batch_size, normalize_embeddings=self.normalize,
                convert_to_numpy=True, show_progress_bar=False,
            )

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        if not texts:
            import numpy as np

            return np.zeros((0, self.dimensions), np.float32)
        return as_rows(self._encode([self.passage_prefix + text for text in texts]), len(texts), self.name)

    def embed_query(self, text: str) -> "Vectors":
        vector: Vectors = as_rows(self._encode([self.query_prefix + text]), 1, self.name)[0]
        return vector


class FastEmbed(_LocalModel):
    """A model run by fastembed (the ``fastembed`` extra) on ONNX Runtime,
    by the name fastembed knows it by; ``threads`` is ONNX Runtime's
    threads (None: its own choice), ``cache_dir`` where the model is kept.
    fastembed puts the model's own prefixes before queries and passages.
    ``name`` is the last part of the model's name; ``version`` says
    fastembed, whose models may be quantised or exported differently from
    the same model elsewhere."""

    package = "fastembed"
    module = "fastembed"
    extra = "fastembed"
    version = "fastembed"

    def __init__(
        self, model: str, *, batch_size: int = 32, threads: Optional[int] = None, cache_dir: Optional[str] = None
    ) -> None:
        super().__init__(model, batch_size)
        self.threads = threads
        self.cache_dir = cache_dir
        self.spec: Optional[str] = f"fastembed:{self.model}"

    def __getstate__(self) -> Dict[str, Any]:
        return {
            "model": self.model, "batch_size": self.batch_size, "threads": self.threads, "cache_dir": self.cache_dir,
        }

    def _load(self, package: Any) -> Any:
        return package.TextEmbedding(model_name=self.model, threads=self.threads, cache_dir=self.cache_dir)

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        if not texts:
            import numpy as np

            return np.zeros((0, self.dimensions), np.float32)
        with self._lock:
            rows = list(self._loaded().passage_embed(list(texts), batch_size=self.batch_size))
        return as_rows(rows, len(texts), self.name)

    def embed_query(self, text: str) -> "Vectors":
        with self._lock:
            rows = list(self._loaded().query_embed([text]))
        vector: Vectors = as_rows(rows, 1, self.name)[0]
        return vector
