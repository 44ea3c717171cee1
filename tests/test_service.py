"""The HTTP service, through a real ``search serve`` process on a free
loopback port: every endpoint, every error code, the API key on writes,
the cap on bodies, and a clean stop on Ctrl-C.

Longer than most test modules: the tests of one running server share it
(a module fixture), so splitting them would start it once a file."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install -e '.[serve]'")

import searchlib  # noqa: E402
from searchlib import service  # noqa: E402
from searchlib.storage.locks import release, take_write_lock  # noqa: E402

from served import Server, start  # noqa: E402

KEY = "s3cret-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
# Dated and sourced articles beside the seeds, for facets and sorting; one
# holds markup that must come back as text.
ARTICLES = [
    {"id": "rio-1", "title": "Ouverture à Rio", "date": "2016-08-05", "source": "https://sport.example/rio",
     "text": "Les Jeux olympiques de Rio s'ouvrent vendredi au Maracanã, devant les délégations du monde entier."},
    {"id": "rio-2", "title": "Clôture à Rio", "date": "2016-08-21", "source": "https://sport.example/cloture",
     "text": "La cérémonie de clôture des Jeux olympiques de Rio a eu lieu dimanche au Maracanã."},
    {"id": "tokyo", "title": "Tokyo se prépare", "date": "2019-03-02", "source": "https://monde.example/tokyo",
     "text": "Tokyo prépare les Jeux olympiques de l'été prochain, après ceux de Rio."},
    {"id": "balises", "title": "Balises <b>grasses</b>", "date": "2019-04-01",
     "text": "Un texte olympique avec <script>alert(1)</script> et <img src=x onerror=alert(2)> dedans."},
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("served")
    with searchlib.Index(folder / "index") as ix:
        ix.add_path(seeds_dir)
        ix.add_documents(ARTICLES)
    server = start(folder / "index", "--api-key", KEY)
    yield server
    assert server.stop() == 0, server.log


def _without_time(data: Dict[str, Any]) -> Dict[str, Any]:
    assert isinstance(data["took_ms"], (int, float)) and data["took_ms"] >= 0
    return {key: value for key, value in data.items() if key != "took_ms"}


# -- reading -----------------------------------------------------------------


def test_the_server_says_where_it_listens(served: Server):
    assert served.first_line == f"Serving {served.url.split('//')[0]}" or served.first_line.startswith("Serving ")
    assert served.url.startswith("http://127.0.0.1:") and served.port > 0


def test_search_answers_the_hits_of_the_cli_json(served: Server):
    answer = served.call("GET", "/search", {"q": "Lavrov Kerry", "limit": 3})
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert set(data) == {"query", "total", "offset", "limit", "took_ms", "suggestion", "notes", "facets", "results"}
    assert data["query"] == "Lavrov Kerry" and data["total"] >= 3 and len(data["results"]) == 3
    assert (data["offset"], data["limit"], data["facets"], data["notes"]) == (0, 3, {}, [])
    with searchlib.Index(Path(served.process.args[3]), create=False) as ix:
        expected = ix.search("Lavrov Kerry", limit=3).to_dict()
    assert data["results"] == expected["results"] and data["total"] == expected["total"]
    first = data["results"][0]
    assert first["rank"] == 1 and "<mark>Lavrov" in first["snippet"]
    for start, end in first["highlights"]:
        assert first["text"][start:end].lower().startswith(("lavrov", "kerry"))


def test_post_search_is_the_same_search(served: Server):
    query: Dict[str, Any] = {"q": "Jeux olympiques", "limit": 2, "offset": 1, "sort": "date", "facets": ["year"]}
    posted = served.call("POST", "/search", json_body=query)
    got = served.call("GET", "/search", {**query, "facets": ",".join(query["facets"])})
    assert posted.status == got.status == 200
    assert _without_time(posted.json()) == _without_time(got.json())
    assert posted.json()["offset"] == 1 and len(posted.json()["results"]) == 2


def test_pages_follow_each_other(served: Server):
    both = served.call("GET", "/search", {"q": "Syrie", "limit": 2}).json()["results"]
    second = served.call("GET", "/search", {"q": "Syrie", "limit": 1, "offset": 1}).json()["results"]
    assert second[0]["rank"] == 2 and second[0]["doc_id"] == both[1]["doc_id"]
    assert second[0]["passage"] == both[1]["passage"]


def test_snippets_escape_markup_in_html_and_leave_it_in_text(served: Server):
    html = served.call("GET", "/search", {"q": "olympique dedans"}).json()["results"]
    hit = next(hit for hit in html if hit["doc_id"] == "balises")
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"] and "<mark>" in hit["snippet"]
    assert "<script>" in hit["text"]  # the passage itself is data, for the client to escape
    text = served.call("GET", "/search", {"q": "olympique dedans", "format": "text"}).json()["results"]
    plain = next(hit for hit in text if hit["doc_id"] == "balises")
    assert "<script>alert(1)</script>" in plain["snippet"] and "<mark>" not in plain["snippet"]


def test_a_malformed_query_is_a_note_not_an_error(served: Server):
    answer = served.call("GET", "/search", {"q": '"Lavrov Kerry'})
    assert answer.status == 200
    data = answer.json()
    assert data["notes"] and data["total"] > 0


def test_a_misspelt_query_brings_a_suggestion(served: Server):
    data = served.call("GET", "/search", {"q": "Lavorv Kerry"}).json()
    assert data["suggestion"] == "Lavrov Kerry" and data["total"] > 0


def test_explain_adds_each_hits_explanation(served: Server):
    data = served.call("GET", "/search", {"q": "Lavrov", "limit": 1, "explain": "true"}).json()
    explanation = data["results"][0]["explanation"]
    assert any(field == "text" and "lavrov" in term for field, term, _ in explanation)
    assert "explanation" not in served.call("GET", "/search", {"q": "Lavrov", "limit": 1}).json()["results"][0]


def test_filters_keep_what_they_say(served: Server):
    data = served.call("GET", "/search", {"q": "Jeux", "after": "2019", "source": "monde.example"}).json()
    assert [hit["doc_id"] for hit in data["results"]] == ["tokyo"]


def test_facets_and_sort_by_date(served: Server):
    data = served.call("GET", "/search", {"q": "Jeux olympiques", "facets": "year,source", "sort": "date"}).json()
    assert data["facets"]["year"] == {"2016": 2, "2019": 2}  # rio-1, rio-2; tokyo, balises
    assert data["facets"]["source"]["https://sport.example/rio"] == 1 and list(data["facets"]) == ["year", "source"]
    dates = [hit["date"] for hit in data["results"] if hit["date"]]
    assert dates == sorted(dates, reverse=True) and dates[0].startswith("2019")


def test_a_document_with_its_passages(served: Server):
    answer = served.call("GET", "/documents/rio-2")
    assert answer.status == 200
    data = answer.json()
    assert (data["id"], data["title"], data["date"]) == ("rio-2", "Clôture à Rio", "2016-08-21")
    assert "Maracanã" in data["text"]
    assert data["passages"] and all(data["text"][p["start"]:p["end"]].strip() for p in data["passages"])


def test_a_seed_document_with_its_passages(served: Server):
    hit = served.call("GET", "/search", {"q": "Lavrov", "limit": 1}).json()["results"][0]
    data = served.call("GET", f"/documents/{hit['doc_id']}").json()
    passage = next(p for p in data["passages"] if p["number"] == hit["passage"])
    assert data["text"][passage["start"]:passage["end"]] == hit["text"]


def test_listing_documents_a_page_at_a_time(served: Server):
    first = served.call("GET", "/documents", {"limit": 3}).json()
    rest = served.call("GET", "/documents", {"offset": 3, "limit": 100}).json()
    ids = [d["id"] for d in first["results"] + rest["results"]]
    assert first["total"] == len(ids) >= 8 and ids == sorted(ids)
    assert "passages" not in first["results"][0] and first["results"][0]["text"]


def test_stats_health_version_and_analyze(served: Server):
    stats = served.call("GET", "/stats").json()
    assert stats["documents"] >= 8 and stats["passages"] > stats["documents"] - 1
    assert served.call("GET", "/health").json() == {"status": "ok"}
    assert served.call("GET", "/version").json() == {"version": searchlib.__version__}
    steps = served.call("GET", "/analyze", {"text": "L’ARMÉE"}).json()["steps"]
    assert steps[0]["step"] == "tokenizer" and steps[-1]["tokens"][0]["text"] == "arme"
    assert [s["step"] for s in steps] == [s.name for s in searchlib.analysis_steps("L’ARMÉE")]


def test_openapi_describes_every_endpoint(served: Server):
    document = served.call("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/search", "/documents", "/documents/{doc_id}", "/stats", "/health", "/version", "/analyze",
    }
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize("path", ["/search?q=Syrie", "/documents/nope", "/nowhere", "/openapi.json", "/static/x.js"])
def test_every_answer_carries_the_security_headers(served: Server, path: str):
    answer = served.call("GET", path)
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (path, name)


# -- writing -----------------------------------------------------------------


def test_writes_need_the_key(served: Server):
    document = [{"id": "clef", "text": "Un document écrit sans la clef."}]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        answer = served.call("POST", "/documents", json_body=document, headers=headers)
        assert answer.status == 401 and answer.error["code"] == "unauthorized", headers
        assert answer.headers["www-authenticate"] == "Bearer"
    assert served.call("DELETE", "/documents/rio-1").status == 401
    assert served.call("GET", "/documents/clef").status == 404
    assert served.call("GET", "/documents/rio-1").status == 200


def test_post_documents_then_search_show_and_delete(served: Server):
    records = [
        {"id": "note/1", "title": "Réunion", "date": "2017-05-02", "text": "Préparer les négociations d’Astana."},
        {"id": "note/2", "text": "Relire le compte rendu des négociations.", "auteur": "Marie"},
        {"id": "bad"},
    ]
    answer = served.call("POST", "/documents", json_body=records, headers=AUTH)
    assert answer.status == 200
    report = answer.json()
    assert (report["added"], report["failed"]) == (2, 1) and "bad" in report["failures"][0]["source"]
    again = served.call("POST", "/documents", json_body=records[:2], headers=AUTH).json()
    assert (again["added"], again["unchanged"]) == (0, 2)
    hits = served.call("GET", "/search", {"q": "négociations Astana", "limit": 1}).json()["results"]
    assert hits[0]["doc_id"] == "note/1"
    shown = served.call("GET", "/documents/note/2").json()
    assert shown["metadata"] == {"auteur": "Marie"} and shown["title"] is None
    assert served.call("DELETE", "/documents/note/1", headers=AUTH).json() == {"id": "note/1", "deleted": True}
    gone = served.call("DELETE", "/documents/note/1", headers=AUTH)
    assert gone.status == 404 and gone.error["code"] == "not_found"
    assert served.call("GET", "/documents/note/1").status == 404
    assert served.call("DELETE", "/documents/note/2", headers=AUTH).status == 200


def test_post_documents_as_json_lines(served: Server):
    lines = "\n".join(json.dumps({"id": f"ligne-{n}", "text": f"Dépêche numéro {n} sur les Jeux."}) for n in range(3))
    for content_type in ("application/x-ndjson", "application/json"):
        answer = served.call("POST", "/documents", body=lines + "\n", headers={**AUTH, "Content-Type": content_type})
        assert answer.status == 200, answer.body
        assert answer.json()["added"] + answer.json()["unchanged"] == 3
    assert served.call("GET", "/documents/ligne-2").json()["text"] == "Dépêche numéro 2 sur les Jeux."
    for n in range(3):
        assert served.call("DELETE", f"/documents/ligne-{n}", headers=AUTH).status == 200


# -- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, says",
    [
        ({}, "q is required"),
        ({"q": ""}, "q must not be empty"),
        ({"q": "Syrie", "limit": "0"}, "limit must be at least 1"),
        ({"q": "Syrie", "limit": "101"}, "limit must be at most 100"),
        ({"q": "Syrie", "limit": "dix"}, "limit must be an integer"),
        ({"q": "Syrie", "offset": "-1"}, "offset must be at least 0"),
        ({"q": "Syrie", "sort": "hasard"}, "sort must be one of relevance, date"),
        ({"q": "Syrie", "facets": "year,colour"}, "unknown facet 'colour'"),
        ({"q": "Syrie", "format": "xml"}, "format must be one of html, text"),
        ({"q": "Syrie", "explain": "peut-être"}, "explain must be true or false"),
        ({"q": "Syrie", "snippet_chars": "5"}, "snippet_chars must be at least 20"),
    ],
)
def test_bad_parameters_are_422_in_one_line(served: Server, params: Dict[str, str], says: str):
    answer = served.call("GET", "/search", params)
    assert answer.status == 422 and answer.error["code"] == "invalid_parameter"
    assert says in answer.error["message"] and "\n" not in answer.error["message"]


def test_the_librarys_query_caps_are_notes_and_a_huge_query_is_refused(served: Server):
    """The query language's caps apply as in the library, each said in a
    note of a 200 answer; past 10,000 characters a query is not read at all."""
    words = " ".join(f"mot{number}" for number in range(100)) + " Syrie"
    capped = served.call("GET", "/search", {"q": words})
    assert capped.status == 200 and any("64" in note for note in capped.json()["notes"]), capped.json()["notes"]
    nested = served.call("POST", "/search", json_body={"q": "(" * 20 + "Syrie" + ")" * 20})
    assert nested.status == 200 and nested.json()["total"] > 0 and nested.json()["notes"]
    long = served.call("POST", "/search", json_body={"q": "Syrie " * 1600})
    assert long.status == 200 and long.json()["notes"]
    huge = served.call("POST", "/search", json_body={"q": "Syrie " * 1600 + "x" * 500})
    assert huge.status == 422 and "longer than 10000 characters" in huge.error["message"]


def test_what_the_library_refuses_is_400(served: Server):
    answer = served.call("GET", "/search", {"q": "Syrie", "after": "2016-13-45"})
    assert answer.status == 400 and answer.error["code"] == "bad_query" and "after" in answer.error["message"]
    blank = served.call("GET", "/search", {"q": "   "})
    assert blank.status == 400 and "empty query" in blank.error["message"]


def test_bodies_that_are_not_json_are_400_and_unknown_members_422(served: Server):
    answer = served.call("POST", "/search", body="{q: Syrie", headers={"Content-Type": "application/json"})
    assert answer.status == 400 and answer.error["code"] == "bad_json"
    unknown = served.call("POST", "/search", json_body={"q": "Syrie", "limite": 3})
    assert unknown.status == 422 and "limite" in unknown.error["message"]
    not_object = served.call("POST", "/search", json_body=["Syrie"])
    assert not_object.status == 422
    lines = served.call("POST", "/documents", body='{"id": "a", "text": "x"}\n{oops\n', headers=AUTH)
    assert lines.status == 400 and "line 2" in lines.error["message"]
    stray = served.call("POST", "/documents", json_body=[{"id": "a", "text": "b"}, 3], headers=AUTH)
    assert stray.status == 422 and "#2" in stray.error["message"]


def test_unknown_paths_documents_and_methods(served: Server):
    assert served.call("GET", "/documents/nope").error["code"] == "not_found"
    assert served.call("GET", "/nowhere").status == 404
    answer = served.call("PUT", "/search")
    assert answer.status == 405 and answer.error["code"] == "method_not_allowed" and "GET" in answer.headers["allow"]


def test_bodies_over_the_cap_are_413_before_being_read(served: Server):
    """A body announced larger than the cap is refused before any of it is sent."""
    with socket.create_connection((served.host, served.port), timeout=60) as connection:
        connection.sendall(
            b"POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (service.DEFAULT_MAX_BODY + 1)
        )
        reply = b""
        while b"}}" not in reply:
            data = connection.recv(65536)
            if not data:
                break
            reply += data
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert b'"code":"body_too_large"' in reply and b"16777216 bytes" in reply
    small = served.call("POST", "/search", json_body={"q": "Syrie " * 10})
    assert small.status == 200


def test_a_streamed_body_is_cut_at_the_cap(served: Server):
    """Sent in chunks, without announcing its length: refused once the cap
    is passed, while the client still has most of it to send."""
    sent = 0
    chunk = b" " * 65536
    with socket.create_connection((served.host, served.port), timeout=60) as connection:
        connection.sendall(
            b"POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
            + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        reply = b""
        try:
            while sent < 4 * service.DEFAULT_MAX_BODY and b"\r\n\r\n" not in reply:
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                connection.setblocking(False)
                try:
                    reply += connection.recv(65536)
                except BlockingIOError:
                    pass
                connection.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.settimeout(30)
        while b"\r\n\r\n" not in reply:
            data = connection.recv(65536)
            if not data:
                break
            reply += data
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 2 * service.DEFAULT_MAX_BODY


# -- in a Python application, and a busy index --------------------------------


def _asgi_call(app: Any, method: str, path: str, body: bytes = b"", headers: Tuple[Tuple[bytes, bytes], ...] = ()) -> Tuple[int, Dict[str, str], Any]:
    """One request straight to an ASGI application, as a server makes it."""
    sent: List[Dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"test"), *headers], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    payload = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, json.loads(payload)


def test_writes_sent_at_once_are_all_taken_in_turn(tmp_path: Path, seeds_dir: Path):
    """Many writes at once, with searches among them: each is answered 200
    (none gives up waiting for the index's lock) and each document is
    there at the end."""
    with searchlib.Index(tmp_path / "index") as ix:
        ix.add_path(seeds_dir)
    server = start(tmp_path / "index", "--api-key", KEY)
    try:
        statuses: List[Tuple[str, int]] = []

        def write(number: int) -> None:
            document = {"id": f"burst-{number}", "text": f"Rafale {number} de documents sur la Syrie."}
            statuses.append(("write", server.call("POST", "/documents", json_body=[document], headers=AUTH).status))

        def read() -> None:
            statuses.append(("search", server.call("GET", "/search", {"q": "Syrie"}).status))

        threads = [threading.Thread(target=write if number % 3 else read, args=(number,) if number % 3 else ())
                   for number in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        listing = server.call("GET", "/documents", {"limit": 100}).json()
    finally:
        assert server.stop() == 0, server.log
    assert len(statuses) == 60 and {status for _, status in statuses} == {200}, statuses
    burst = {doc["id"] for doc in listing["results"] if doc["id"].startswith("burst-")}
    assert burst == {f"burst-{number}" for number in range(60) if number % 3}


def test_connections_answer_without_waiting_for_acknowledgements():
    """Accepted connections have Nagle's algorithm off, so an answer's body,
    written after its headers, is sent at once rather than after the
    client's delayed acknowledgement (some 40 ms a request)."""
    from searchlib.service.server import _listen

    listener = _listen("127.0.0.1", 0)
    flags: List[int] = []

    async def exchange() -> None:
        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            flags.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=listener)
        async with server:
            reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            await reader.read()
            writer.close()

    asyncio.run(exchange())
    assert len(flags) == 1 and flags[0] != 0


def test_create_app_serves_an_index_of_the_callers(tmp_path: Path, seeds_dir: Path):
    with searchlib.Index(tmp_path / "ix", lock_timeout=0.2) as ix:
        ix.add_path(seeds_dir)
        app = service.create_app(ix, api_key=KEY)
        status, headers, data = _asgi_call(app, "GET", "/search?q=Lavrov&limit=1")
        assert status == 200 and data["results"][0]["doc_id"] and headers["x-content-type-options"] == "nosniff"
        # Another writer holding the index longer than the lock timeout: 503.
        lock = take_write_lock(tmp_path / "ix", 5)
        try:
            body = json.dumps([{"id": "x", "text": "Texte."}]).encode()
            status, headers, data = _asgi_call(app, "POST", "/documents", body, ((b"authorization", f"Bearer {KEY}".encode()),))
        finally:
            release(lock)
        assert status == 503 and data["error"]["code"] == "index_busy" and headers["retry-after"] == "1"
        status, _, data = _asgi_call(app, "POST", "/documents", body, ((b"authorization", f"Bearer {KEY}".encode()),))
        assert status == 200 and data["added"] == 1


def test_create_app_refuses_a_blank_key_and_no_reading_thread(index: searchlib.Index):
    with pytest.raises(ValueError):
        service.create_app(index, api_key=" ")
    with pytest.raises(ValueError, match="read_threads"):
        service.create_app(index, read_threads=0)


# -- the command ---------------------------------------------------------------


def _serve_fails(tmp_path: Path, *args: str) -> Tuple[int, str]:
    import subprocess

    from served import search_command

    done = subprocess.run(
        [search_command(), "serve", "--index", str(tmp_path / "none"), *args], capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    return done.returncode, done.stdout + done.stderr


def test_serving_beyond_loopback_without_a_key_is_refused_in_one_line(tmp_path: Path):
    code, output = _serve_fails(tmp_path, "--host", "0.0.0.0")
    assert code == 2 and len(output.strip().splitlines()) == 1
    assert "refusing to serve on 0.0.0.0 without an API key" in output and "Traceback" not in output


def test_serving_beyond_loopback_with_a_key(tmp_path: Path, seeds_dir: Path):
    with searchlib.Index(tmp_path / "index") as ix:
        ix.add_path(seeds_dir)
    server = start(tmp_path / "index", "--host", "0.0.0.0", env={"SEARCHLIB_API_KEY": KEY})
    try:
        assert server.url.startswith("http://0.0.0.0:")
        local = Server(server.process, f"http://127.0.0.1:{server.port}/", server.first_line)
        assert local.call("POST", "/documents", json_body=[{"id": "a", "text": "b"}]).status == 401
        assert local.call("POST", "/documents", json_body=[{"id": "a", "text": "b"}], headers=AUTH).status == 200
    finally:
        assert server.stop() == 0


def test_a_missing_index_is_one_line(tmp_path: Path):
    code, output = _serve_fails(tmp_path)
    assert code == 1 and len(output.strip().splitlines()) == 1 and "no index" in output


def test_ctrl_c_finishes_the_requests_under_way_then_exits_0(tmp_path: Path, seeds_dir: Path):
    with searchlib.Index(tmp_path / "index") as ix:
        ix.add_path(seeds_dir)
    server = start(tmp_path / "index", "--workers", "1")
    answers: List[int] = []
    began = threading.Event()

    def client() -> None:
        began.set()
        for _ in range(20):
            try:
                answers.append(server.call("GET", "/search", {"q": "Syrie négociations", "limit": 20}).status)
            except OSError:
                break  # the server stopped taking new connections

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    began.wait()
    while len(answers) < 8:
        time.sleep(0.01)
    code = server.stop()
    for thread in threads:
        thread.join()
    assert code == 0, server.log
    assert answers and set(answers) == {200}  # every request it took was answered
    assert not [line for line in server.log if "Traceback" in line or "ERROR" in line], server.log
    with searchlib.Index(tmp_path / "index", lock_timeout=0.5) as ix:
        ix.add_documents([{"id": "après", "text": "Écrit après l'arrêt du service."}])  # no lock left


def test_several_workers_serve_the_same_index(tmp_path: Path, seeds_dir: Path):
    with searchlib.Index(tmp_path / "index") as ix:
        ix.add_path(seeds_dir)
    server = start(tmp_path / "index", "--workers", "2")
    try:
        for n in range(4):
            added = server.call("POST", "/documents", json_body=[{"id": f"w{n}", "text": f"Texte partagé {n}."}])
            assert added.json()["added"] == 1
        totals = {server.call("GET", "/search", {"q": "partagé"}).json()["total"] for _ in range(6)}
        assert totals == {4}  # whichever worker answers, it sees every write
    finally:
        assert server.stop() == 0
