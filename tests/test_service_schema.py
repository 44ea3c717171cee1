"""The service against its own OpenAPI description (schemathesis): requests
made from the description, valid and invalid; never a 500, and every answer
(status, headers, body) as the description says.

Examples are bounded per operation, so the whole file stays a few tens
of seconds; a real ``search serve`` process answers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[serve]'")
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install -e '.[test]'")

from hypothesis import HealthCheck, given, settings  # noqa: E402

import searchlib  # noqa: E402

from served import Server, start  # noqa: E402

KEY = "schema-key"


@pytest.fixture(scope="module")
def schema_server(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("schema")
    with searchlib.Index(folder / "index") as ix:
        ix.add_path(seeds_dir)
        ix.add_documents([
            {"id": "daté", "title": "Un titre", "date": "2019-03-02", "source": "https://exemple.fr/a",
             "text": "Lavrov et Kerry parlent de la Syrie, encore, à Genève."},
        ])
    server = start(folder / "index", "--api-key", KEY)
    yield server
    assert server.stop() == 0, server.log
    assert not [line for line in server.log if "Traceback" in line], server.log


OPERATIONS = [
    ("GET", "/search"), ("POST", "/search"), ("GET", "/documents"), ("POST", "/documents"),
    ("GET", "/documents/{doc_id}"), ("DELETE", "/documents/{doc_id}"), ("GET", "/stats"), ("GET", "/health"),
    ("GET", "/version"), ("GET", "/analyze"),
]


@pytest.fixture(scope="module")
def api_schema(schema_server: Server) -> Any:
    return schemathesis.openapi.from_url(schema_server.url + "openapi.json")


def test_the_description_lists_these_operations(api_schema: Any) -> None:
    listed = {(operation.ok().method.upper(), operation.ok().path) for operation in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


# Operations that take parameters, for requests the description calls invalid.
WITH_PARAMETERS = [("GET", "/search"), ("POST", "/search"), ("GET", "/documents"), ("POST", "/documents"), ("GET", "/analyze")]
CASES = [(m, p, "positive") for m, p in OPERATIONS] + [(m, p, "negative") for m, p in WITH_PARAMETERS]


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_every_answer_matches_the_description(api_schema: Any, method: str, path: str, mode: str) -> None:
    """Each answer's status is one the description lists for the operation,
    and its body matches that status's schema; no 500; a request the
    description calls invalid is refused. (A request it calls valid may
    still be refused with 400, as documented: a date the library cannot
    read, a query of blanks; a schema cannot say which dates exist.)"""
    operation = api_schema[path][method]
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

    @given(strategy)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def answers_as_described(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {KEY}"},
            excluded_checks=[schemathesis.checks.positive_data_acceptance],
        )

    answers_as_described()
