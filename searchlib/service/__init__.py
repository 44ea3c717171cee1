"""The HTTP service: a JSON API and a search page over one :class:`~searchlib.Index`.

``create_app(index)`` is an ASGI application (Starlette) to run with any
ASGI server or mount in another application; :func:`serve` runs it with
uvicorn, as ``search serve`` does. Installed with the ``serve`` extra
(``pip install 'searchlib[serve]'``). The endpoints are in docs/serve.md.
"""

from __future__ import annotations

from .app import DEFAULT_MAX_BODY, DEFAULT_READ_THREADS, create_app
from .server import DEFAULT_HOST, DEFAULT_PORT, check_exposure, serve

__all__ = ["create_app", "serve", "check_exposure", "DEFAULT_MAX_BODY", "DEFAULT_READ_THREADS", "DEFAULT_HOST", "DEFAULT_PORT"]
