"""Any OpenAI-compatible ``/embeddings`` endpoint as an embedder (Ollama,
vLLM, TEI, hosted services), spoken to with the standard library alone."""

from __future__ import annotations

import json
import math
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import EmbedderError
from ._vectors import as_rows, with_prefixes

if TYPE_CHECKING:
    from . import Vectors

#: where the key is looked for when none is given, in this order
KEY_VARIABLES = ("SEARCHLIB_EMBEDDINGS_KEY", "OPENAI_API_KEY")
_FIRST_PAUSE = 0.5  # seconds before the first retry, doubled before each next one
_LONGEST_PAUSE = 30.0  # a server's Retry-After is honoured up to this
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# A server on this machine is never reached through a proxy of the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_OPTIONS = ("model", "dimensions", "query_prefix", "passage_prefix", "batch_size", "timeout", "retries")


class _Failure(Exception):
    """One request that failed: why, and whether trying again may help."""

    def __init__(self, reason: str, retryable: bool, wait: Optional[float] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.wait = wait


class OpenAIEmbeddings:
    """The vectors of ``model`` served at ``url``: the base of an
    OpenAI-compatible API (``http://127.0.0.1:11434/v1``) or its full
    ``…/embeddings`` URL. The key (``api_key``, else the environment's
    ``SEARCHLIB_EMBEDDINGS_KEY``, else ``OPENAI_API_KEY`` for OpenAI's own
    hosts alone) goes in an
    ``Authorization: Bearer`` header and nowhere else: not in ``spec``,
    ``name``, the repr or a message. It does travel with the adapter when
    pickled, so that worker processes can use it.

    ``version`` is the model's name (with any prefixes): the same model
    served by another host gives the same vectors, so an index may move to
    it. ``dimensions``, when given, is sent with each request (models that
    can shorten their vectors do); else it is found by embedding one query
    the first time it is read. Texts go ``batch_size`` to a request; a
    request that meets a connection error, a timeout, HTTP 429 or 5xx is
    sent again up to ``retries`` times, after 0.5 s, 1 s, 2 s… (or the
    server's ``Retry-After``); other failures raise :class:`EmbedderError`
    at once. Requests from many threads at once are fine.
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: Optional[str] = None,
        dimensions: Optional[int] = None,
        timeout: float = 30.0,
        retries: int = 3,
        batch_size: int = 64,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        self.url = _checked_url(url)
        if not isinstance(model, str) or not model.strip():
            raise EmbedderError(f"openai:{self.url}: name the model (model=NAME)")
        _check_numbers(self.url, dimensions=dimensions, batch_size=batch_size, timeout=timeout, retries=retries)
        self.endpoint = self.url if self.url.endswith("/embeddings") else self.url + "/embeddings"
        self.model = model
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.batch_size = int(batch_size)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._asked_dimensions = dimensions
        self._dimensions = dimensions
        self._api_key = api_key if api_key is not None else _key_from_environment(self.url)
        self.name = f"openai:{model}"
        self.version = with_prefixes(model, query_prefix, passage_prefix)
        self.spec: Optional[str] = "openai:" + self.url + "?" + urllib.parse.urlencode(
            {name: value for name, value in self._options().items() if value is not None},
            quote_via=urllib.parse.quote,
        )
        host = urllib.parse.urlsplit(self.url).hostname or ""
        self._direct = host in _LOOPBACK

    @classmethod
    def from_url(cls, text: str) -> "OpenAIEmbeddings":
        """The adapter an ``openai:`` spec names, from what follows
        ``openai:``: a URL whose query holds ``model`` (required) and any of
        ``dimensions``, ``query_prefix``, ``passage_prefix``, ``batch_size``,
        ``timeout`` and ``retries``, e.g.
        ``http://127.0.0.1:11434/v1?model=bge-m3&batch_size=32``."""
        text = text.strip()
        parts = urllib.parse.urlsplit(text)
        base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        shown = _without_secrets(base)
        options: Dict[str, str] = {}
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            if name not in _OPTIONS:
                # Its value is not echoed: it may be a key put where it does not belong.
                raise EmbedderError(f"openai:{shown}: unknown option {name!r} ({', '.join(_OPTIONS)})")
            options[name] = value
        if not options.get("model", "").strip():
            raise EmbedderError(f"openai:{shown}: name the model with ?model=NAME")
        arguments: Dict[str, Any] = {}
        for name, value in options.items():
            try:
                if name in ("dimensions", "batch_size", "retries"):
                    arguments[name] = int(value)
                elif name == "timeout":
                    arguments[name] = float(value)
                elif name != "model":
                    arguments[name] = value
            except ValueError:
                raise EmbedderError(f"openai:{shown}: {name}={value!r} is not a valid value") from None
        embedder = cls(base, options["model"], **arguments)
        embedder.spec = "openai:" + text
        return embedder

    def _options(self) -> Dict[str, Any]:
        """The options that differ from the defaults, as a spec's query holds them."""
        return {
            "model": self.model,
            "dimensions": self._asked_dimensions,
            "query_prefix": self.query_prefix or None,
            "passage_prefix": self.passage_prefix or None,
            "batch_size": self.batch_size if self.batch_size != 64 else None,
            "timeout": f"{self.timeout:g}" if self.timeout != 30.0 else None,
            "retries": self.retries if self.retries != 3 else None,
        }

    def __repr__(self) -> str:
        return f"OpenAIEmbeddings({self.url!r}, {self.model!r})"

    def __getstate__(self) -> Dict[str, Any]:
        return {
            "url": self.url, "model": self.model, "api_key": self._api_key, "dimensions": self._asked_dimensions,
            "timeout": self.timeout, "retries": self.retries, "batch_size": self.batch_size,
            "query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix, "spec": self.spec,
            "found_dimensions": self._dimensions,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        spec, found = state.pop("spec"), state.pop("found_dimensions")
        url, model = state.pop("url"), state.pop("model")
        self.__init__(url, model, **state)  # type: ignore[misc]
        self.spec, self._dimensions = spec, found

    @property
    def dimensions(self) -> int:
        """The length of every vector: as given, else that of one query's."""
        if self._dimensions is None:
            self._dimensions = int(self.embed_query("dimensions").shape[0])
        return self._dimensions

    @dimensions.setter
    def dimensions(self, value: int) -> None:
        self._dimensions = int(value)

    def embed_passages(self, texts: Sequence[str]) -> "Vectors":
        import numpy as np

        texts = [self.passage_prefix + text for text in texts]
        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        batches = [self._embed(texts[start:start + self.batch_size]) for start in range(0, len(texts), self.batch_size)]
        return np.concatenate(batches) if len(batches) > 1 else batches[0]

    def embed_query(self, text: str) -> "Vectors":
        vector: Vectors = self._embed([self.query_prefix + text])[0]
        return vector

    def _embed(self, texts: List[str]) -> "Vectors":
        """One request's vectors, checked, in the order of ``texts``."""
        body: Dict[str, Any] = {"model": self.model, "input": texts}
        if self._asked_dimensions is not None:
            body["dimensions"] = self._asked_dimensions
        answer = self._post(json.dumps(body).encode("utf-8"))
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise EmbedderError(f"embeddings at {self._shown}: the answer holds no list of embeddings (data)")
        if len(data) != len(texts):
            raise EmbedderError(f"embeddings at {self._shown}: {len(data)} vectors answered for {len(texts)} texts")
        # Servers may answer in any order: each item says which text it is.
        places = [item.get("index", position) for position, item in enumerate(data)]
        if sorted(places) != list(range(len(texts))):
            raise EmbedderError(f"embeddings at {self._shown}: the answer's indexes are not 0 to {len(texts) - 1}")
        vectors: List[Any] = [None] * len(texts)
        for place, item in zip(places, data):
            vectors[place] = item.get("embedding")
        expected = self._dimensions
        for vector in vectors:
            if not isinstance(vector, list):
                raise EmbedderError(f"embeddings at {self._shown}: an embedding is not a list of numbers")
            if expected is None:
                expected = len(vector)
            if len(vector) != expected:
                raise EmbedderError(
                    f"embeddings at {self._shown}: a vector of {len(vector)} dimensions, not {expected}"
                )
        rows = as_rows(vectors, len(texts), self.name)
        self._dimensions = expected
        return rows

    @property
    def _shown(self) -> str:
        return _without_secrets(self.endpoint)

    def _post(self, body: bytes) -> Any:
        """The decoded answer to one request, sent again while its failures
        may pass; the last failure as one line when they do not."""
        attempts = 0
        pause = _FIRST_PAUSE
        while True:
            attempts += 1
            try:
                return self._send(body)
            except _Failure as failure:
                if not failure.retryable or attempts > self.retries:
                    tried = f" ({attempts} attempts)" if attempts > 1 else ""
                    raise EmbedderError(f"embeddings at {self._shown}: {self._hidden(failure.reason)}{tried}") from None
                time.sleep(min(failure.wait if failure.wait is not None else pause, _LONGEST_PAUSE))
                pause *= 2

    def _send(self, body: bytes) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        opener = _DIRECT.open if self._direct else urllib.request.urlopen
        try:
            with opener(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            retryable = error.code == 429 or error.code >= 500
            wait = _seconds(error.headers.get("Retry-After")) if error.headers is not None else None
            reason = f"HTTP {error.code}: {_server_message(error)}"
            raise _Failure(reason, retryable, wait) from None
        except (socket.timeout, TimeoutError):
            raise _Failure(f"no answer within {self.timeout:g} s", True) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise _Failure(f"no answer within {self.timeout:g} s", True) from None
            raise _Failure(f"cannot connect: {_first_line(error.reason)}", True) from None
        except OSError as error:  # the connection reset or closed mid-answer
            raise _Failure(f"the connection failed: {_first_line(error)}", True) from None
        try:
            return json.loads(raw)
        except ValueError:
            raise _Failure("the answer is not JSON", False) from None

    def _hidden(self, text: str) -> str:
        """``text`` without the key, should a server repeat it."""
        return text.replace(self._api_key, "***") if self._api_key else text


def _key_from_environment(url: str) -> Optional[str]:
    """``SEARCHLIB_EMBEDDINGS_KEY``; ``OPENAI_API_KEY`` only for OpenAI's
    own hosts, so that a key set for OpenAI never travels to another server."""
    if os.environ.get(KEY_VARIABLES[0]):
        return os.environ[KEY_VARIABLES[0]]
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if (host == "openai.com" or host.endswith(".openai.com")) and os.environ.get(KEY_VARIABLES[1]):
        return os.environ[KEY_VARIABLES[1]]
    return None


def _checked_url(url: str) -> str:
    """``url`` without a trailing slash, refused unless it is a plain
    http(s) URL: options go in arguments, a key never in the URL (a spec
    is recorded in an index)."""
    if not isinstance(url, str):
        raise EmbedderError(f"openai: the endpoint's URL is a string, not {url!r}")
    parts = urllib.parse.urlsplit(url.strip())
    shown = _without_secrets(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EmbedderError(f"openai:{shown}: not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise EmbedderError(
            f"openai:{shown}: put the key in {KEY_VARIABLES[0]} or {KEY_VARIABLES[1]}, not in the URL"
        )
    if parts.query or parts.fragment:
        raise EmbedderError(f"openai:{shown}: the options are arguments here, not the URL's query")
    return url.strip().rstrip("/")


def _check_numbers(shown: str, **numbers: Optional[float]) -> None:
    """Refuse a count that is not a whole number (at least 1, or 0 for
    ``retries``) and a timeout that is not a positive number of seconds."""
    for name, value in numbers.items():
        if value is None and name == "dimensions":
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if name == "timeout":
            valid = number and value is not None and value > 0
        else:
            valid = number and value is not None and value == int(value) and value >= (0 if name == "retries" else 1)
        if not valid:
            raise EmbedderError(f"openai:{shown}: {name}={value!r} is not a valid value")


def _without_secrets(url: str) -> str:
    """``url`` without its user and password."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _seconds(value: Optional[str]) -> Optional[float]:
    """A Retry-After given in seconds; None for a date or nothing."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None


def _server_message(error: urllib.error.HTTPError) -> str:
    """What the server said of a refused request: its JSON error's message,
    else the first line of its answer, else the status's reason."""
    try:
        raw = error.read(4096)
    except OSError:
        raw = b""
    text = raw.decode("utf-8", "replace")
    try:
        found: Any = json.loads(text)
    except ValueError:
        found = None
    if isinstance(found, dict):
        cause = found.get("error")
        message = cause.get("message") if isinstance(cause, dict) else cause
        if isinstance(message, str) and message.strip():
            return _first_line(message)
        if isinstance(found.get("message"), str) and found["message"].strip():
            return _first_line(found["message"])
    return _first_line(text) if text.strip() else _first_line(error.reason or "refused")


def _first_line(reason: Any) -> str:
    lines: Tuple[str, ...] = tuple(line.strip() for line in str(reason).splitlines() if line.strip())
    return lines[0][:300] if lines else "no reason given"
