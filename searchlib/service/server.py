"""Running the service: :func:`serve`, over uvicorn.

One process serves with the ``Index`` it is given; with ``workers`` above
one, uvicorn starts that many fresh processes, each opening the index
itself (the library serialises their writes through the index's lock)
and closing it when it stops.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

import uvicorn
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from ..errors import SearchlibError
from .app import DEFAULT_MAX_BODY, DEFAULT_READ_THREADS, create_app

if TYPE_CHECKING:
    from ..api import Index

__all__ = ["serve", "check_exposure", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7700
#: seconds Ctrl-C waits for requests under way before cutting them off
_GRACE = 30
# Read by each worker process to open its own index (uvicorn starts
# workers by importing an application factory, which takes no argument).
_WORKER_SETTINGS = "SEARCHLIB_SERVE_WORKER"


def check_exposure(host: str, api_key: Optional[str]) -> None:
    """Refuse to serve beyond this machine without an API key: anyone who
    reached the service could change the index."""
    if api_key is None and not _is_loopback(host):
        raise SearchlibError(
            f"refusing to serve on {host} without an API key: anyone reaching it could change the index; "
            f"give --api-key KEY (or set SEARCHLIB_API_KEY), or serve on {DEFAULT_HOST}"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    index: Index,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: Optional[str] = None,
    workers: int = 1,
    max_body: int = DEFAULT_MAX_BODY,
    read_threads: int = DEFAULT_READ_THREADS,
    ready: Optional[Callable[[str], None]] = None,
) -> None:
    """Serve ``index`` over HTTP until interrupted (Ctrl-C, SIGTERM).

    ``ready`` is called with the service's URL once it listens (``port``
    0 picks a free port). ``api_key``, ``max_body`` and ``read_threads``
    are as for :func:`~searchlib.service.create_app`. On Ctrl-C, requests under way are finished
    (up to 30 s) before this returns; the caller then closes ``index``.
    Raises :class:`SearchlibError` for a host beyond this machine without
    an ``api_key`` (see :func:`check_exposure`) or an address that cannot
    be listened on.
    """
    check_exposure(host, api_key)
    if workers < 1:
        raise SearchlibError(f"workers must be at least 1, not {workers}")
    listener = _listen(host, port)
    family = listener.family
    bound = listener.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{bound}/"
    settings: Dict[str, Any] = dict(
        host=host, port=bound, log_level="warning", access_log=False, timeout_graceful_shutdown=_GRACE,
        server_header=False,
    )
    try:
        if workers == 1:
            app = create_app(index, api_key=api_key, max_body=max_body, read_threads=read_threads)
            server = _Server(uvicorn.Config(app, **settings))
            server.on_ready = (lambda: ready(url)) if ready is not None else None
            server.run(sockets=[listener])
        else:
            os.environ[_WORKER_SETTINGS] = json.dumps(
                {"path": str(index.path), "api_key": api_key, "max_body": max_body,
                 "read_threads": read_threads}
            )
            config = uvicorn.Config(
                f"{__name__}:worker_app", factory=True, workers=workers, lifespan="on", **settings
            )
            if ready is not None:
                ready(url)
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass  # uvicorn raises the Ctrl-C it caught again once it has stopped
    finally:
        listener.close()


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``, to hand to uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # TCP named outright: asyncio turns Nagle's algorithm off (TCP_NODELAY)
    # only on sockets whose protocol says TCP, and an accepted socket takes
    # its listener's. Left on, an answer's body, written after its headers,
    # waits for the client's delayed acknowledgement: some 40 ms a request.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host.strip("[]"), port))
    except OSError as error:
        listener.close()
        raise SearchlibError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    # Listening before any worker starts: a client connecting as soon as
    # the URL is printed waits in the backlog rather than being refused.
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


class _Server(uvicorn.Server):
    """uvicorn's server, telling when it listens."""

    on_ready: Optional[Callable[[], None]] = None

    async def startup(self, sockets: Optional[List[socket.socket]] = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()


def worker_app() -> Callable[[Scope, Receive, Send], Any]:
    """The application of one worker process: its own ``Index``, opened
    at start-up and closed at shutdown."""
    import contextlib

    from ..api import Index

    settings = json.loads(os.environ[_WORKER_SETTINGS])
    index = Index(settings["path"], create=False)
    app: Starlette = create_app(
        index, api_key=settings["api_key"], max_body=settings["max_body"], read_threads=settings["read_threads"]
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        try:
            yield
        finally:
            index.close()

    app.router.lifespan_context = lifespan
    return app
