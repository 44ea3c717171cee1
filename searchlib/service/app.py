"""The service's endpoints over one :class:`~searchlib.Index`.

Each endpoint reads its parameters (:mod:`.params`), calls the public
``Index`` API in a worker thread (an ``Index`` is thread-safe: searchers
are pooled, writes serialised by the library; a blocking call on the event
loop would stall every other request), and answers JSON shaped as the
CLI's ``--json``. Errors are answered by :func:`.guard.answer_for`.

Writes wait their turn here, in the order they arrived, before taking a
thread: the library serialises writers through the index's file lock,
which a writer polls for, so many waiting at once would each hold one of
the thread pool's threads (starving searches) and be let in in no
particular order, the unlucky ones giving up after the lock's timeout.

Reads run in at most ``read_threads`` threads at once (2 by default), the
other requests waiting on the event loop. A search is mostly Python, so
threads searching at once share one core through the GIL, and past two
they only add contention: over the 36k-article news index on two cores,
32 clients got 16 searches a second with eight threads searching, 31 with
two. More searches a second come from more processes (``--workers``).
"""

from __future__ import annotations

import functools
import hmac
import json
import mimetypes
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..analysis import analysis_steps
from ..results import document_dict
from . import params
from .guard import ApiError, Guard, answer_for, error_response
from .openapi import openapi_document

if TYPE_CHECKING:
    from ..api import Index

__all__ = ["create_app", "DEFAULT_MAX_BODY", "DEFAULT_READ_THREADS", "STATIC"]

#: the largest request body taken (a POST of documents, say): 16 MiB
DEFAULT_MAX_BODY = 16 * 1024 * 1024
#: reads (searches, documents, statistics) running at once, by default
DEFAULT_READ_THREADS = 2
#: the search page's files
STATIC = Path(__file__).resolve().parent / "static"

Endpoint = Callable[[Request], Awaitable[Response]]


def _answering(endpoint: Endpoint) -> Endpoint:
    """The endpoint, with every exception turned into its error answer."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as error:  # the promise: never a traceback
            return answer_for(error)

    return answer


def create_app(
    index: Index, *, api_key: Optional[str] = None, max_body: int = DEFAULT_MAX_BODY,
    read_threads: int = DEFAULT_READ_THREADS,
) -> Starlette:
    """An ASGI application serving ``index``'s JSON API and search page.

    Writes (``POST /documents``, ``DELETE /documents/{id}``) need
    ``Authorization: Bearer API_KEY`` when ``api_key`` is given; request
    bodies larger than ``max_body`` bytes are refused with 413; at most
    ``read_threads`` reads of the index run at once (writes, one at a
    time, in the order they came). The caller keeps ``index`` open while the application serves, and closes
    it. Mount it in another ASGI application as any Starlette one.
    """
    if api_key is not None and not api_key.strip():
        raise ValueError("api_key must be a non-empty string or None")
    if max_body < 1:
        raise ValueError(f"max_body must be a positive number of bytes, not {max_body!r}")
    if read_threads < 1:
        raise ValueError(f"read_threads must be at least 1, not {read_threads!r}")
    service = _Service(index, api_key, read_threads)
    document = openapi_document(__version__, max_body, api_key is not None)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    routes = [
        Route("/search", _answering(service.search), methods=["GET", "POST"]),
        Route("/documents", _answering(service.list_documents), methods=["GET"]),
        Route("/documents", _answering(service.add_documents), methods=["POST"]),
        Route("/documents/{doc_id:path}", _answering(service.document), methods=["GET"]),
        Route("/documents/{doc_id:path}", _answering(service.delete_document), methods=["DELETE"]),
        Route("/stats", _answering(service.stats), methods=["GET"]),
        Route("/health", _answering(service.health), methods=["GET"]),
        Route("/version", _answering(service.version), methods=["GET"]),
        Route("/analyze", _answering(service.analyze), methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/", _answering(_page), methods=["GET"]),
        Route("/static/{name}", _answering(_static_file), methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, max_body=max_body)],
        exception_handlers={HTTPException: _http_error},
    )


class _Service:
    """The endpoints, bound to one index and key."""

    def __init__(self, index: Index, api_key: Optional[str], read_threads: int) -> None:
        self.index = index
        self.api_key = api_key
        self._turn = anyio.Lock()  # first come, first served (see the module's docstring)
        self._readers = anyio.CapacityLimiter(read_threads)

    async def _read(self, call: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(call, *args), limiter=self._readers)

    async def _write(self, call: Callable[..., Any], *args: Any) -> Any:
        async with self._turn:
            return await anyio.to_thread.run_sync(functools.partial(call, *args))

    # -- reading -------------------------------------------------------------

    async def search(self, request: Request) -> Response:
        if request.method == "POST":
            values = params.from_json(params.SEARCH, await _json_body(request))
        else:
            values = params.from_query(params.SEARCH, request.query_params)
        return JSONResponse(await self._read(self._search, values))

    def _search(self, values: Dict[str, Any]) -> Dict[str, Any]:
        began = time.perf_counter()
        results = self.index.search(
            values["q"], limit=values["limit"], per_doc=values["per_doc"], after=values["after"],
            before=values["before"], source=values["source"], snippet_chars=values["snippet_chars"],
            explain=values["explain"], offset=values["offset"], sort=values["sort"],
            facets=values["facets"], semantic=values["semantic"], fusion=values["fusion"],
        )
        took = time.perf_counter() - began
        data = results.to_dict()
        if values["format"] == "text":
            for hit, row in zip(results, data["results"]):
                row["snippet"] = hit.format_snippet("text", ("", ""))
        return {**data, "took_ms": round(took * 1000, 1)}

    async def document(self, request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        answer = await self._read(self._document, doc_id)
        if answer is None:
            raise _unknown_document(doc_id)
        return JSONResponse(answer)

    def _document(self, doc_id: str) -> Optional[Dict[str, Any]]:
        document = self.index.document(doc_id)
        if document is None:
            return None
        passages = self.index.passages(doc_id)
        return {
            **document_dict(document),
            "passages": [{"number": p.number, "start": p.start, "end": p.end} for p in passages],
        }

    async def list_documents(self, request: Request) -> Response:
        values = params.from_query(params.LISTING, request.query_params)
        listing = await self._read(self.index.documents, values["offset"], values["limit"])
        return JSONResponse(listing.to_dict())

    async def stats(self, request: Request) -> Response:
        stats = await self._read(self.index.stats)
        return JSONResponse(stats.to_dict())

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def version(self, request: Request) -> Response:
        return JSONResponse({"version": __version__})

    async def analyze(self, request: Request) -> Response:
        text = params.from_query(params.ANALYZE, request.query_params)["text"]
        steps = await self._read(analysis_steps, text)
        return JSONResponse({
            "text": text,
            "steps": [
                {"step": step.name, "tokens": [dict(token.__dict__) for token in step.tokens]} for step in steps
            ],
        })

    # -- writing -------------------------------------------------------------

    def _check_key(self, request: Request) -> None:
        if self.api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.api_key.encode()):
            raise ApiError(
                401, "unauthorized", "writes need the API key: send Authorization: Bearer KEY",
                {"www-authenticate": "Bearer"},
            )

    async def add_documents(self, request: Request) -> Response:
        self._check_key(request)
        records = _records(await request.body(), request.headers.get("content-type", ""))
        report = await self._write(self.index.add_documents, records)
        return JSONResponse({
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "removed": report.removed, "failed": report.failed,
            "failures": [{"source": f.source, "message": f.message} for f in report.failures],
            "warnings": [{"source": w.source, "message": w.message} for w in report.warnings],
        })

    async def delete_document(self, request: Request) -> Response:
        self._check_key(request)
        doc_id = request.path_params["doc_id"]
        if not await self._write(self.index.delete, doc_id):
            raise _unknown_document(doc_id)
        return JSONResponse({"id": doc_id, "deleted": True})


def _unknown_document(doc_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no document {doc_id!r} in the index")


async def _json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_json", f"the body is not JSON: {error}") from None


def _records(body: bytes, content_type: str) -> List[Any]:
    """The documents of a body: a JSON array, or JSON Lines (one object a line)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_json", "the body is not UTF-8") from None
    lines = "ndjson" in content_type or "jsonl" in content_type
    if not lines:
        try:
            data = json.loads(text)
        except ValueError as error:
            if not isinstance(error, json.JSONDecodeError) or error.msg != "Extra data":
                raise ApiError(400, "bad_json", f"the body is not JSON: {error}") from None
            lines = True  # several values, one a line: JSON Lines sent as JSON
        else:
            if not isinstance(data, list):
                raise params.ParamError("the body must be a JSON array of documents (or JSON Lines)")
            records = data
    if lines:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as error:
                raise ApiError(400, "bad_json", f"line {number} is not JSON: {error}") from None
    strays = [number for number, record in enumerate(records, 1) if not isinstance(record, dict)]
    if strays:
        raise params.ParamError(f"document #{strays[0]} is not a JSON object")
    return records


async def _http_error(request: Request, error: Exception) -> Response:
    """Routing's own errors (unknown path, method not allowed) as JSON."""
    status = error.status_code if isinstance(error, HTTPException) else 500
    headers = dict(error.headers or {}) if isinstance(error, HTTPException) else {}
    if status == 404:
        return error_response(404, "not_found", f"no such endpoint: {request.url.path}")
    if status == 405:
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed here", headers)
    detail = error.detail if isinstance(error, HTTPException) else "error"
    return error_response(status, "http_error", str(detail), headers)


async def _page(request: Request) -> Response:
    return _static(STATIC / "index.html")


async def _static_file(request: Request) -> Response:
    name = request.path_params["name"]
    # Only the files of the folder itself, by their exact name: no listing,
    # no path leading out of it.
    if name.startswith(".") or name not in _static_names():
        raise ApiError(404, "not_found", f"no static file {name!r}")
    return _static(STATIC / name)


def _static_names() -> List[str]:
    try:
        return [path.name for path in STATIC.iterdir() if path.is_file()]
    except OSError:
        return []


_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json",
          ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8"}


def _static(path: Path) -> Response:
    if not path.is_file():
        raise ApiError(404, "not_found", "the search page is not installed")
    media_type = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)
