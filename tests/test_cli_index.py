"""``search index`` end to end: sources, options, failures, interruptions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest
from click.testing import CliRunner

from searchlib import Index
from searchlib.indexing import run as _indexing
from searchlib.cli import cli


def run(*args: str, input: bytes | str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCHLIB_INDEX", raising=False)
    return tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def ids(index: str, query: str) -> list:
    result = run("query", "--index", index, "--json", "-n", "50", query)
    assert result.exit_code == 0, result.output
    return sorted(hit["doc_id"] for hit in json.loads(result.stdout)["results"])


def test_standard_input_jsonl_and_text(workdir):
    lines = "\n".join(json.dumps({"id": f"s{n}", "text": f"Dépêche {n} sur Alep."}) for n in range(3))
    result = run("index", "--index", "ix", "-", input=lines.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert "3 added" in result.stdout
    assert ids("ix", "Alep") == ["s0", "s1", "s2"]
    text = run("index", "--index", "ix", "--format", "txt", "-", input="Une note sur Homs.".encode("utf-8"))
    assert text.exit_code == 0 and ids("ix", "Homs") == ["stdin"]
    mixed = run("index", "--index", "ix", "--prune", "-", input=b"x")
    assert mixed.exit_code == 2 and "standard input" in mixed.stderr


def test_globs_field_options_and_relative_ids(workdir):
    write(workdir / "src/2016/a.md", "# Titre\n\nArticle sur Alep.")
    write(workdir / "src/drafts/b.txt", "Brouillon sur Alep.")
    write(workdir / "src/c.csv", "ref,corps\nc1,Ligne CSV sur Alep.\n")
    result = run("index", "--index", "ix", "--exclude", "drafts", "--id-field", "ref", "--text-field", "corps", "src")
    assert result.exit_code == 0, result.output
    assert ids("ix", "Alep") == ["2016/a", "c1"]
    only_md = run("index", "--index", "ix2", "--include", "*.md", "src")
    assert only_md.exit_code == 0 and ids("ix2", "Alep") == ["2016/a"]


def test_failures_and_warnings_are_one_line_each(workdir):
    write(workdir / "src/bon.txt", "Un bon article sur Alep.")
    (workdir / "src/vieux.txt").write_bytes("Un vieil article sur Alep, écrit sous Windows.".encode("cp1252"))
    (workdir / "src/image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    write(workdir / "src/vide.md", "")
    write(workdir / "src/table.csv", "id,resume\n1,x\n")
    result = run("index", "--index", "ix", "src")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 4, result.stderr
    assert any("warning" in line and "vieux.txt" in line and "UTF-8" in line for line in lines)
    assert any("image.txt" in line and "PNG" in line for line in lines)
    assert any("warning" in line and "vide.md" in line and "empty" in line for line in lines)
    assert any("table.csv" in line and "'text'" in line for line in lines)
    assert "2 added" in result.stdout and "2 failed" in result.stdout
    assert "Traceback" not in result.output
    assert ids("ix", "Alep") == ["bon", "vieux"]


def test_prune_and_rebuild_options(workdir):
    write(workdir / "src/a.txt", "Article sur Alep.")
    write(workdir / "src/b.txt", "Article sur Alep et Homs.")
    assert run("index", "--index", "ix", "src").exit_code == 0
    (workdir / "src/b.txt").unlink()
    result = run("index", "--index", "ix", "--prune", "src")
    assert result.exit_code == 0 and "1 removed" in result.stdout
    assert ids("ix", "Alep") == ["a"]
    write(workdir / "other/c.txt", "Article sur Alep, autre source.")
    rebuilt = run("index", "--index", "ix", "--rebuild", "--passage-words", "10-30", "other")
    assert rebuilt.exit_code == 0 and "Rebuilt" in rebuilt.stdout
    assert ids("ix", "Alep") == ["c"]
    bad = run("index", "--index", "ix", "--passage-words", "30-10", "other")
    assert bad.exit_code == 2 and "MIN-MAX" in bad.stderr


def make_corpus(path: Path, total: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number in range(total):
            words = " ".join(f"mot{(number * 7 + k) % 997}" for k in range(30))
            handle.write(json.dumps({"id": f"d{number}", "text": f"Dépêche {number} sur Alep. {words}."}) + "\n")


def start_indexing(workdir: Path, corpus: Path) -> tuple:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "searchlib", "index", "--index", "ix", "-q", str(corpus)]
    # SIGINT's default action restored, as in a terminal: a test run started
    # in the background by a shell inherits SIGINT ignored, and so would the run.
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    # Whoosh names each commit's table of contents by generation: wait for
    # the first batch's commit, then interrupt while the second is written.
    while time.monotonic() < deadline and not (workdir / "ix" / "_MAIN_1.toc").exists():
        time.sleep(0.02)
    return process, command, env


def test_ctrl_c_stops_cleanly_and_keeps_the_index(workdir):
    corpus = workdir / "corpus.jsonl"
    # Two batches after the first commit: the interrupt lands while one is written.
    make_corpus(corpus, 3 * _indexing._BATCH_DOCUMENTS)
    process, _, _ = start_indexing(workdir, corpus)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines() == [
        "searchlib: interrupted; ix/ keeps what it held and every batch this run committed (run it again to finish)"
    ]
    with Index(workdir / "ix", create=False) as ix:
        assert ix.stats().documents == _indexing._BATCH_DOCUMENTS


def test_a_killed_run_leaves_a_searchable_index_and_the_rerun_completes(workdir):
    """SIGKILL in the middle of a long run: exactly the committed batches stay
    readable, and running the same command again finishes the job."""
    total = 3 * _indexing._BATCH_DOCUMENTS  # the kill lands while the second batch is written
    corpus = workdir / "corpus.jsonl"
    make_corpus(corpus, total)
    process, command, env = start_indexing(workdir, corpus)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with Index(workdir / "ix", create=False) as ix:
        assert ix.stats().documents == _indexing._BATCH_DOCUMENTS
        assert ix.search("Dépêche 17")[0].doc_id == "d17"
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with Index(workdir / "ix", create=False) as ix:
        assert ix.stats().documents == total
        assert ix.search(f"Dépêche {total - 1}")[0].doc_id == f"d{total - 1}"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def _stderr_on_a_terminal(args: List[str], cwd: Path, stdin: bytes = b"") -> str:
    """What ``search ARGS`` writes to its stderr when that is a terminal."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "searchlib", *args], cwd=cwd, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    assert process.stdin is not None
    process.stdin.write(stdin)
    process.stdin.close()
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(leader)
    return seen.decode("utf-8", "replace")


def test_progress_bar_shows_on_a_terminal_only(workdir, seeds_dir):
    def stderr_of(*options: str) -> str:
        return _stderr_on_a_terminal(["index", *options, str(seeds_dir)], workdir)

    shown = stderr_of("--index", "ix")
    assert "Indexing" in shown and "4 documents" in shown and "100%" in shown
    assert stderr_of("--index", "ix2", "--quiet") == ""


def _search_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_reindexing_tells_of_documents_whose_file_has_gone(workdir):
    write(workdir / "src/a.txt", "Article sur Alep.")
    write(workdir / "src/b.txt", "Article sur Alep et Homs.")
    write(workdir / "src/c.txt", "Article sur Homs.")
    assert _search_command("index", "--index", "ix", "src", cwd=workdir).returncode == 0
    (workdir / "src/b.txt").unlink()
    (workdir / "src/c.txt").unlink()
    again = _search_command("index", "--index", "ix", "src", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert "ix/ is up to date: 1 document unchanged" in again.stdout
    assert "2 indexed documents have lost their source" in again.stdout and "--prune" in again.stdout
    write(workdir / "src/d.txt", "Article sur Idleb.")
    changed = _search_command("index", "--index", "ix", "src", cwd=workdir)
    assert "1 added" in changed.stdout and "2 indexed documents have lost their source" in changed.stdout
    pruned = _search_command("index", "--index", "ix", "--prune", "src", cwd=workdir)
    assert "2 removed" in pruned.stdout and "lost their source" not in pruned.stdout
    assert ids("ix", "Alep OR Homs OR Idleb") == ["a", "d"]
    quiet = _search_command("index", "--index", "ix", "src", cwd=workdir)
    assert "up to date" in quiet.stdout and "lost" not in quiet.stdout


def _piped(text: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SEARCHLIB_INDEX"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return subprocess.run(
        [sys.executable, "-m", "searchlib", "index", "--index", "ix", *args, "-"],
        cwd=cwd, env=env, input=text, capture_output=True, text=True, timeout=120,
    )


def test_a_second_text_on_standard_input_needs_an_id_rather_than_replacing_the_first(workdir):
    first = _piped("Une note sur Homs.", cwd=workdir)
    assert first.returncode == 0 and "1 added" in first.stdout, first.stderr
    again = _piped("Une note sur Homs.", cwd=workdir)
    assert again.returncode == 0 and "up to date" in again.stdout  # the same text again is harmless
    second = _piped("Une autre note, sur Alep.", cwd=workdir)
    assert second.returncode == 2 and second.stdout == ""
    assert len(second.stderr.strip().splitlines()) == 1 and "--id" in second.stderr
    assert ids("ix", "Homs") == ["stdin"] and ids("ix", "Alep") == []  # the first kept, nothing written
    named = _piped("Une autre note, sur Alep.", "--id", "note-alep", cwd=workdir)
    assert named.returncode == 0 and "1 added" in named.stdout, named.stderr
    assert ids("ix", "Alep") == ["note-alep"] and ids("ix", "Homs") == ["stdin"]
    replaced = _piped("Une note revue sur Homs.", "--id", "stdin", cwd=workdir)
    assert replaced.returncode == 0 and "1 updated" in replaced.stdout
    misplaced = run("index", "--index", "ix", "--id", "x", str(workdir))
    assert misplaced.exit_code == 2 and "--id" in misplaced.stderr


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_standard_input_shows_documents_and_bytes_read_on_a_terminal_only(workdir):
    lines = "".join(json.dumps({"id": f"s{n}", "text": f"Dépêche {n} sur Alep."}) + "\n" for n in range(3)).encode()

    def stderr_of(*options: str) -> str:
        return _stderr_on_a_terminal(["index", *options, "-"], workdir, stdin=lines)

    shown = stderr_of("--index", "ix")
    assert "3 documents" in shown and f"{len(lines)} bytes read" in shown
    assert stderr_of("--index", "ix2", "--quiet") == ""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    piped = subprocess.run(
        [sys.executable, "-m", "searchlib", "index", "--index", "ix3", "-"],
        cwd=workdir, env=env, input=lines, capture_output=True, timeout=60,
    )
    assert piped.returncode == 0 and piped.stderr == b""


def test_an_empty_file_is_a_note_and_every_run_succeeds(workdir):
    write(workdir / "src/bon.txt", "Un bon article sur Alep.")
    write(workdir / "src/vide.txt", "")
    write(workdir / "src/blanc.md", "  \n\n")
    (workdir / "src/rien.jsonl").write_bytes(b"")
    for _ in range(2):
        result = run("index", "--index", "ix", "src")
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 3 and all("warning" in line and "skipped" in line for line in lines), result.stderr
    assert ids("ix", "Alep") == ["bon"]


def test_content_warnings_are_told_only_when_the_file_is_indexed(workdir):
    (workdir / "src").mkdir()
    (workdir / "src/vieux.txt").write_bytes("Un vieil article sur Alep, écrit sous Windows.".encode("cp1252"))
    (workdir / "src/vieux.jsonl").write_bytes('{"id": "j1", "text": "Alep, côté jsonl."}\n'.encode("cp1252"))
    write(workdir / "src/date.md", "date 2016-02-30 Un billet sur Alep.")
    first = run("index", "--index", "ix", "src")
    assert first.exit_code == 0 and "3 added" in first.stdout
    assert sorted(line.split(": ")[2] for line in first.stderr.splitlines()) == [
        str(Path("src/date.md")), str(Path("src/vieux.jsonl")), str(Path("src/vieux.txt"))
    ], first.stderr
    again = run("index", "--index", "ix", "src")
    assert again.exit_code == 0 and "3 documents unchanged" in again.stdout
    assert again.stderr == ""
    (workdir / "src/vieux.txt").write_bytes("Un vieil article sur Alep, réécrit sous Windows.".encode("cp1252"))
    changed = run("index", "--index", "ix", "src")
    assert "1 updated" in changed.stdout
    assert len(changed.stderr.splitlines()) == 1 and "vieux.txt" in changed.stderr and "UTF-8" in changed.stderr


def generation(path: Path) -> int:
    """The number of the index's latest commit (its table of contents)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    return int(TOC._latest_generation(FileStorage(str(path)), "MAIN"))


def test_batch_size_sets_the_documents_a_commit(workdir):
    make_corpus(workdir / "corpus.jsonl", 5)
    result = run("index", "--index", "ix", "--batch-size", "2", "corpus.jsonl")
    assert result.exit_code == 0, result.output
    assert generation(workdir / "ix") == 3  # 2 + 2 + 1, the first commit creating the index
    rebuilt = run("index", "--index", "ix", "--rebuild", "--batch-size", "3", "corpus.jsonl")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert generation(workdir / "ix") == 2  # 3 + 2 in the fresh index swapped in
    assert run("index", "--index", "ix", "--batch-size", "0", "corpus.jsonl").exit_code == 2
