"""A damaged index: one clear error naming it and the way out, never a
traceback; ``Index.check`` and ``search check`` find the damage."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("pristine") / "ix"
    with searchlib.Index(path) as ix:
        ix.add_path(seeds_dir)
    return path


@pytest.fixture
def copy(tmp_path: Path, pristine: Path) -> Path:
    path = tmp_path / "ix"
    shutil.copytree(pristine, path)
    return path


def segment_of(path: Path) -> Path:
    (segment,) = path.glob("*.seg")
    return segment


def truncate(path: Path) -> None:
    segment = segment_of(path)
    segment.write_bytes(segment.read_bytes()[:1000])


def delete(path: Path) -> None:
    segment_of(path).unlink()


def garble_toc(path: Path) -> None:
    (toc,) = path.glob("_MAIN_*.toc")
    toc.write_bytes(bytes(range(256)) * 2)


def zero_middle(path: Path) -> None:
    """Bytes rotted inside the file, its size unchanged."""
    segment = segment_of(path)
    data = bytearray(segment.read_bytes())
    data[len(data) // 8 : len(data) * 7 // 8] = bytes(len(data) * 6 // 8)
    segment.write_bytes(bytes(data))


def run(*args: str) -> tuple:
    result = CliRunner().invoke(cli, list(args), prog_name="search")
    return result.exit_code, result.output


def test_a_sound_index_checks_ok(pristine):
    report = searchlib.Index.check(pristine)
    assert report.ok and report.problems == ()
    with searchlib.Index(pristine, create=False) as ix:
        stats = ix.stats()
    assert (report.documents, report.passages, report.segments) == (stats.documents, stats.passages, 1)
    code, output = run("check", "--index", str(pristine))
    assert code == 0 and "OK, 4 documents" in output


@pytest.mark.parametrize(
    "damage, says",
    [
        (truncate, "segment file MAIN_"),
        (delete, "is missing"),
        (garble_toc, "table of contents _MAIN_1.toc is truncated or unreadable"),
    ],
    ids=["truncated segment", "deleted segment", "garbage table of contents"],
)
def test_damage_gives_one_clear_error_and_rebuild_repairs_it(copy, seeds_dir, damage: Callable[[Path], None], says):
    damage(copy)
    with pytest.raises(searchlib.IndexCorruptError) as raised:
        searchlib.Index(copy, create=False)
    message = str(raised.value)
    assert f"index {copy} is damaged" in message and says in message
    assert f"search index --rebuild --index {copy} PATH" in message

    for command in (["query", "Syrie"], ["stats"], ["index", str(seeds_dir)]):
        code, output = run(command[0], "--index", str(copy), *command[1:])
        assert code == 1
        assert output.count("\n") == 1 and output.startswith("search: index") and "--rebuild" in output, output

    report = searchlib.Index.check(copy)
    assert not report.ok and says in report.problems[0]
    code, output = run("check", "--index", str(copy))
    assert code == 1 and "problem: " in output and "search index --rebuild" in output

    code, output = run("index", "--rebuild", "--index", str(copy), str(seeds_dir))
    assert code == 0, output
    assert searchlib.Index.check(copy).ok
    with searchlib.Index(copy, create=False) as ix:
        assert ix.stats().documents == 4 and len(ix.search("Astana")) > 0


def test_rot_inside_a_file_is_found_by_check_and_never_escapes_as_a_traceback(copy):
    zero_middle(copy)
    assert not searchlib.Index.check(copy).ok
    failures = 0
    try:
        ix = searchlib.Index(copy, create=False)
    except searchlib.IndexCorruptError:
        return  # found at once: fine
    with ix:
        for query in ("Syrie", "Lavrov Kerry", "cessez-le-feu", "Astana", "négociations", "terroristes"):
            try:
                ix.search(query)
            except searchlib.IndexCorruptError as error:
                assert "is damaged" in str(error) and "--rebuild" in str(error)
                failures += 1
    assert failures > 0


def test_damage_after_opening_is_reported_as_damage(copy):
    """A long-lived application whose index files are damaged under it:
    the next searcher to open them reports the damage."""
    with searchlib.Index(copy, create=False) as ix:
        assert ix.search("Syrie")
        truncate(copy)
        raised = []

        def search_in_a_new_thread() -> None:
            try:
                ix.search("Syrie")
            except Exception as error:  # kept for the assertion below
                raised.append(error)

        thread = threading.Thread(target=search_in_a_new_thread)
        thread.start()
        thread.join()
        assert len(raised) == 1 and isinstance(raised[0], searchlib.IndexCorruptError), raised
        assert "is truncated or unreadable" in str(raised[0]) and "--rebuild" in str(raised[0])


def test_folders_that_hold_no_index(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("pas un index", encoding="utf-8")
    # A folder of other files is never made an index: its hint builds one beside it.
    hints = {
        "notes": f"search: {tmp_path / 'notes'}/ holds other files but no searchlib index; index them into a new "
        f"folder with: search index --index {tmp_path / 'notes-index'} {tmp_path / 'notes'}, then search with: "
        f"search --index {tmp_path / 'notes-index'} QUERY\n",
        "nowhere": f"search: no index at {tmp_path / 'nowhere'}/; build one with: search index --index {tmp_path / 'nowhere'} PATH\n",
    }
    for folder in ("notes", "nowhere"):
        with pytest.raises(searchlib.IndexNotFoundError):
            searchlib.Index.check(tmp_path / folder)
        code, output = run("check", "--index", str(tmp_path / folder))
        assert code == 1 and output == hints[folder]
        code, output = run("query", "--index", str(tmp_path / folder), "Syrie")
        assert code == 1 and output == hints[folder]
    code, output = run("index", "--index", str(tmp_path / "notes"), str(tmp_path / "notes" / "a.txt"))
    assert code == 1 and "holds no searchlib index" in output
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["a.txt"]


def test_check_notes_what_an_interrupted_run_left(copy):
    live = segment_of(copy).name
    (copy / "MAIN_abandonedsegment.seg").write_bytes(b"half written")
    report = searchlib.Index.check(copy)
    assert report.ok
    assert any("MAIN_abandonedsegment.seg" in note for note in report.notes)
    assert not any(live in note for note in report.notes)


def test_check_finds_a_document_with_passages_missing(tmp_path):
    path = tmp_path / "ix"
    long_text = "\n\n".join(
        f"Paragraphe {n} : " + " ".join(f"mot{n}x{k}" for k in range(60)) + "." for n in range(5)
    )
    with searchlib.Index(path) as ix:
        ix.add_documents([{"id": "long", "text": long_text}, {"id": "court", "text": "Un court texte sur Alep."}])
        assert ix.check(path).ok
        with ix._backend._store.reading() as searcher:
            (number,) = [n for n in searcher.document_numbers(doc_id="long") if searcher.stored_fields(n)["passage"] == 2]
        from searchlib.indexing.writer import writer as open_writer

        with open_writer(ix._backend._store) as writer:  # damage of a kind no public call can make
            writer.delete_document(number)
    report = searchlib.Index.check(path)
    assert report.problems == ("document 'long': passages 2 are missing",)
