from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest

import searchlib

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
SHARED = PROJECT.parent / "shared"

#: the cluster the tests marked ``opensearch`` run against (``.ci/run`` starts one and sets it)
OPENSEARCH_VARIABLE = "SEARCHLIB_TEST_OPENSEARCH"
DEFAULT_OPENSEARCH = "http://127.0.0.1:9200"
# Loopback is never reached through the http_proxy of the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchlib.Index]:
    """One index of the seed articles, shared by read-only tests."""
    path = tmp_path_factory.mktemp("seeds") / "index"
    with searchlib.Index(path) as ix:
        report = ix.add_path(SEEDS)
        assert report.added == 4 and report.failed == 0
        yield ix


@pytest.fixture
def index(tmp_path: Path) -> Iterator[searchlib.Index]:
    with searchlib.Index(tmp_path / "index") as ix:
        yield ix


def cluster_request(url: str, method: str = "GET", timeout: float = 10.0) -> object:
    """The decoded JSON answer of one HTTP request to a cluster."""
    request = urllib.request.Request(url, method=method)
    with _DIRECT.open(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def _cluster_unfit(url: str) -> Optional[str]:
    """Why the cluster at ``url`` cannot serve the tests; None when it can."""
    try:
        health = cluster_request(f"{url}/_cluster/health", timeout=5.0)
    except urllib.error.HTTPError as error:
        return f"it answered HTTP {error.code}"
    except (OSError, ValueError) as error:
        return str(getattr(error, "reason", None) or error)
    status = health.get("status") if isinstance(health, dict) else None
    return None if status in ("green", "yellow") else f"its health is {status}"


@pytest.fixture(scope="session")
def cluster_url() -> str:
    """The URL of a running OpenSearch cluster (``$SEARCHLIB_TEST_OPENSEARCH``,
    else ``http://127.0.0.1:9200``); the test is skipped when none answers
    green or yellow, so the suite passes on a machine without Java."""
    url = (os.environ.get(OPENSEARCH_VARIABLE) or DEFAULT_OPENSEARCH).rstrip("/")
    why = _cluster_unfit(url)
    if why is not None:
        pytest.skip(
            f"no OpenSearch cluster at {url} ({why}): start one with scripts/opensearch-cluster start "
            "(needs Java 17 and Maven)"
        )
    return url


@pytest.fixture
def cluster_index(cluster_url: str) -> Iterator[str]:
    """A fresh index location on the test cluster (``opensearch://HOST:PORT/test-<uuid>``),
    whose indexes are deleted afterwards: the concrete ``NAME-v<ms>`` behind
    the alias ``NAME``, and any a rebuild made (``NAME-rebuild-…``)."""
    name = f"test-{uuid.uuid4().hex}"
    yield f"opensearch://{urllib.parse.urlsplit(cluster_url).netloc}/{name}"
    drop_indexes(cluster_url, name)


def drop_indexes(cluster_url: str, name: str) -> None:
    """Delete every index whose name starts with ``name`` (their aliases go with them)."""
    cluster_request(f"{cluster_url}/{name}*?expand_wildcards=all", method="DELETE")
