"""What every answer of the service shares: the security headers, the cap
on request bodies, and errors as one JSON line, never a traceback.

:class:`Guard` is plain ASGI middleware (it sees every answer, the 404 of
an unknown path included). It refuses a body announced too large before
reading any of it, and counts the bytes of a body as they arrive: the
endpoint reading it gets :class:`BodyTooLarge` as soon as the cap is
passed, so a client sending a huge body without announcing its length is
stopped after ``max_body`` bytes, not after all of them.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import IndexCorruptError, IndexLockedError, QueryError, SearchlibError
from .params import ParamError

__all__ = ["Guard", "BodyTooLarge", "ApiError", "error_response", "answer_for", "SECURITY_HEADERS"]

#: sent with every answer: the page runs only its own script and style,
#: loads nothing from elsewhere, and cannot be framed
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

_log = logging.getLogger("searchlib.service")


class BodyTooLarge(Exception):
    """The request's body passed the service's cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")


class ApiError(Exception):
    """An answer other than 2xx: its status, code and one-line message."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: Optional[Dict[str, str]] = None) -> JSONResponse:
    """``{"error": {"code", "message"}}``, the message on one line."""
    line = " ".join(str(message).split())
    return JSONResponse({"error": {"code": code, "message": line}}, status_code=status, headers=headers)


def answer_for(error: BaseException) -> JSONResponse:
    """The error answer for an exception raised while answering."""
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, error.message, error.headers)
    if isinstance(error, ParamError):
        return error_response(422, "invalid_parameter", str(error))
    if isinstance(error, BodyTooLarge):
        return error_response(413, "body_too_large", str(error))
    if isinstance(error, QueryError):
        return error_response(400, "bad_query", str(error))
    if isinstance(error, IndexLockedError):
        return error_response(503, "index_busy", str(error), {"retry-after": "1"})
    if isinstance(error, IndexCorruptError):
        return error_response(503, "index_damaged", str(error))
    if isinstance(error, SearchlibError):
        return error_response(400, "refused", str(error))
    # A bug: the client gets one line, the server's log the traceback.
    _log.error("unexpected error answering a request", exc_info=error)
    return error_response(500, "internal_error", f"unexpected error: {type(error).__name__}")


class Guard:
    """Adds :data:`SECURITY_HEADERS` to every answer and caps request bodies at ``max_body`` bytes."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        announced = _content_length(scope)
        if announced is not None and announced > self.max_body:
            response = answer_for(BodyTooLarge(self.max_body))
            response.headers["connection"] = "close"
            await response(scope, receive, send_guarded)
            return
        received = 0

        async def receive_capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, receive_capped, send_guarded)


def _content_length(scope: Scope) -> Optional[int]:
    headers: Any = scope.get("headers") or []
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
