"""Talking to an OpenSearch cluster: its location, the client, and what a
failed request becomes (one line naming the cluster and what went wrong).

A location is a URL: ``opensearch://host:9200/news`` (``opensearchs://``
for TLS), with ``user:password@`` for basic authentication, several hosts
separated by commas, and options after ``?``: ``shards`` and ``replicas``
for a new index, ``verify_certs=false`` and ``ca_certs=PATH`` for TLS,
``timeout`` in seconds. The password may come from
``$SEARCHLIB_OPENSEARCH_PASSWORD`` rather than the URL.
"""

from __future__ import annotations

import os
import random
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar

from ..._defaults import CLUSTER_SCHEMES
from ...errors import SearchlibError
from ...storage.schema import FIELDS

__all__ = ["SCHEMES", "Location", "parse", "connect", "call", "ClusterError", "document_buckets"]

SCHEMES = CLUSTER_SCHEMES
_T = TypeVar("_T")
#: how long a read may wait for a cluster that answers 429 or lost a node
#: (writes wait longer: see :mod:`.writing`); a cluster that is not there
#: at all is reported within this time
_RETRY_SECONDS = 5.0


class ClusterError(SearchlibError):
    """The cluster refused a request or could not be reached."""


@dataclass(frozen=True)
class Location:
    """Where an index lives on a cluster, and how to reach it."""

    hosts: Tuple[str, ...]
    index: str
    tls: bool = False
    user: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    shards: int = 1
    replicas: int = 1
    verify_certs: bool = True
    ca_certs: Optional[str] = None
    timeout: float = 30.0

    def __str__(self) -> str:
        scheme = "opensearchs" if self.tls else "opensearch"
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{','.join(self.hosts)}/{self.index}"

    @property
    def urls(self) -> List[str]:
        scheme = "https" if self.tls else "http"
        return [f"{scheme}://{host}" for host in self.hosts]


def parse(location: str) -> Location:
    """The :class:`Location` a URL names; :class:`SearchlibError` with one
    line saying what is wrong."""
    scheme, _, rest = location.partition("://")
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise SearchlibError(f"{location}: not a cluster location (opensearch://host:9200/index)")
    netloc, _, path_and_query = rest.partition("/")
    path, _, query = path_and_query.partition("?")
    user: Optional[str] = None
    password: Optional[str] = None
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        user, _, typed = credentials.partition(":")
        user = urllib.parse.unquote(user)
        password = urllib.parse.unquote(typed) if typed else os.environ.get("SEARCHLIB_OPENSEARCH_PASSWORD")
    hosts = tuple(host.strip() for host in netloc.split(",") if host.strip())
    index = urllib.parse.unquote(path.strip("/"))
    shown = f"{scheme}://{netloc}/{path}"
    if not hosts:
        raise SearchlibError(f"{shown}: no host in the cluster location (opensearch://host:9200/index)")
    if not index or index != index.lower() or any(c in index for c in ' "*\\<|,>/?#:') or index.startswith(("_", "-", "+")):
        raise SearchlibError(
            f"{shown}: {index!r} cannot name an OpenSearch index (lower case, no spaces or any of \" * \\ < | , > / ? # :)"
        )
    options: Dict[str, Any] = {}
    for name, values in urllib.parse.parse_qs(query, keep_blank_values=True).items():
        value = values[-1]
        try:
            if name in ("shards", "replicas"):
                options[name] = int(value)
                if options[name] < (1 if name == "shards" else 0):
                    raise ValueError
            elif name == "verify_certs":
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                options[name] = value.lower() in ("true", "1")
            elif name == "ca_certs":
                options[name] = value
            elif name == "timeout":
                options[name] = float(value)
                if options[name] <= 0:
                    raise ValueError
            else:
                raise SearchlibError(
                    f"{shown}: unknown option {name!r} (shards, replicas, verify_certs, ca_certs, timeout)"
                )
        except ValueError:
            raise SearchlibError(f"{shown}: {name}={value!r} is not a valid value") from None
    return Location(hosts, index, scheme == "opensearchs", user, password, **options)


def connect(location: Location) -> Any:
    """An ``opensearchpy.OpenSearch`` client for ``location``."""
    try:
        import opensearchpy
    except ImportError:
        raise SearchlibError(
            f"{location}: searching a cluster needs the OpenSearch client: pip install 'searchlib[opensearch]'"
        ) from None
    options: Dict[str, Any] = {
        "hosts": location.urls,
        "timeout": location.timeout,
        "max_retries": 2,
        "retry_on_timeout": True,
        "http_compress": False,
    }
    if location.user is not None:
        options["http_auth"] = (location.user, location.password or "")
    if location.tls:
        options["use_ssl"] = True
        options["verify_certs"] = location.verify_certs
        options["ssl_show_warn"] = location.verify_certs
        if location.ca_certs:
            options["ca_certs"] = location.ca_certs
    return opensearchpy.OpenSearch(**options)


def _retryable(error: Exception) -> bool:
    import opensearchpy

    if isinstance(error, opensearchpy.SSLError):
        return False  # a certificate or a protocol will not change by waiting
    if isinstance(error, (opensearchpy.ConnectionError, opensearchpy.ConnectionTimeout)):
        return True
    return isinstance(error, opensearchpy.TransportError) and error.status_code in (429, 502, 503, 504)


def describe(location: Location, error: Exception) -> str:
    """One line saying what a failed request met."""
    import opensearchpy

    if isinstance(error, opensearchpy.ConnectionTimeout):
        return f"{location}: the cluster did not answer within {location.timeout:g} s"
    if isinstance(error, opensearchpy.ConnectionError):
        reason = str(getattr(error, "info", "") or error)
        if "refused" in reason.lower():
            reason = "connection refused"
        elif "certificate" in reason.lower() or "ssl" in reason.lower():
            reason = "TLS failed (" + reason.splitlines()[0][:160] + ")"
        else:
            reason = reason.splitlines()[0][:160] if reason else "no answer"
        return f"{location}: cannot reach the cluster: {reason}"
    if isinstance(error, opensearchpy.TransportError):
        info = error.info if isinstance(error.info, dict) else {}
        cause = info.get("error", {}) if isinstance(info.get("error"), dict) else {}
        root = (cause.get("root_cause") or [cause])[0] if cause else {}
        reason = root.get("reason") or cause.get("reason") or error.error or "refused"
        if error.status_code == 401:
            reason = "authentication failed (user and password)"
        elif error.status_code == 403:
            reason = "the user may not do this (" + str(reason)[:160] + ")"
        return f"{location}: the cluster answered {error.status_code}: {str(reason)[:300]}"
    return f"{location}: {error}"


def call(location: Location, request: Callable[[], _T], retry_seconds: float = _RETRY_SECONDS) -> _T:
    """Run ``request``, waiting with back-off and trying again while the
    cluster answers 429 (too many requests) or a node cannot be reached,
    up to ``retry_seconds``; other failures raise :class:`ClusterError`."""
    import opensearchpy

    deadline = time.monotonic() + retry_seconds
    pause = 0.1
    while True:
        try:
            return request()
        except opensearchpy.OpenSearchException as error:
            if not _retryable(error) or time.monotonic() + pause > deadline:
                raise ClusterError(describe(location, error)) from None
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 5.0)


def document_buckets(
    search: Callable[[Dict[str, Any]], Dict[str, Any]], query: Dict[str, Any], aggs: Optional[Dict[str, Any]] = None
) -> Iterator[Dict[str, Any]]:
    """One bucket for each document id among the records ``query`` matches,
    in order of id, a thousand a request (a composite aggregation, read
    to its end); each bucket with ``aggs`` computed over its records."""
    after: Optional[Dict[str, Any]] = None
    while True:
        composite: Dict[str, Any] = {"size": 1000, "sources": [{"id": {"terms": {"field": FIELDS.doc_id}}}]}
        if after is not None:
            composite["after"] = after
        buckets: Dict[str, Any] = {"composite": composite}
        if aggs:
            buckets["aggs"] = aggs
        found = search({"size": 0, "query": query, "aggs": {"ids": buckets}})["aggregations"]["ids"]
        yield from found["buckets"]
        after = found.get("after_key")
        if not found["buckets"] or after is None:
            return
