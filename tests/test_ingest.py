from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from searchlib.ingest import Document, IngestFailure, as_documents, document_from_mapping, normalize_date, read_path


def read(path: Path) -> list:
    return list(read_path(path))


def test_seeds_read_as_documents_named_after_their_files(seeds_dir):
    documents = read(seeds_dir)
    assert [d.id for d in documents] == [
        "000_878e2fb0528ae5be",
        "001_efc4fda914ae2fdd",
        "002_6a89048487369a54",
        "004_4207ef848aced888",
    ]
    assert all(isinstance(d, Document) and d.text for d in documents)


def test_leading_date_marker_becomes_the_date_and_is_not_text(seeds_dir):
    (document,) = read(seeds_dir / "004_4207ef848aced888.txt")
    assert document.date == "2017-04"
    assert document.text[document.text_start :].startswith("Selon le chef")


def test_markdown_heading_is_the_title(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Les pourparlers d’Astana\n\nLe texte.\n", encoding="utf-8")
    (document,) = read(path)
    assert (document.id, document.title) == ("note", "Les pourparlers d’Astana")


def test_bom_and_crlf_are_handled(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffPremière ligne\r\nDeuxième ligne\r\n".encode("utf-8"))
    (document,) = read(path)
    assert document.text == "Première ligne\nDeuxième ligne\n"


def test_jsonl_lines_become_documents_and_bad_lines_are_named(tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "Texte un", "title": "Un", "date": "2016-07-14", "url": "http://x", "lang": "fr"}),
        "{not json",
        json.dumps({"id": "a3"}),
        "",
        json.dumps({"id": "a5", "text": "Texte cinq", "date": "14/07/2016"}),
        json.dumps(["a list"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read(path)
    documents = [i for i in items if isinstance(i, Document)]
    failures = [i for i in items if isinstance(i, IngestFailure)]
    assert [d.id for d in documents] == ["a1", "a5"]
    assert documents[0].metadata == {"lang": "fr"}
    assert documents[0].source == "http://x" and documents[0].date == "2016-07-14"
    assert documents[1].date == "2016-07-14"  # day first, as the French write it
    assert [f.source for f in failures] == [f"{path}:2", f"{path}:3", f"{path}:6"]
    assert "invalid JSON" in failures[0].message
    assert "text" in failures[1].message
    assert "object" in failures[2].message


def test_missing_paths_are_failures(tmp_path):
    (missing,) = read(tmp_path / "nope")
    assert isinstance(missing, IngestFailure) and "no such file" in missing.message


def test_directories_are_walked_for_supported_files_only(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("B", encoding="utf-8")
    (tmp_path / "a.md").write_text("A", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("H", encoding="utf-8")
    assert [d.id for d in read(tmp_path)] == ["a", "sub/b"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2016", "2016"),
        ("2016-07", "2016-07"),
        ("2016-07-14", "2016-07-14"),
        ("2016-07-14T10:00:00Z", "2016-07-14"),
        (dt.date(2016, 7, 14), "2016-07-14"),
        (dt.datetime(2016, 7, 14, 10), "2016-07-14"),
        (None, None),
        ("", None),
    ],
)
def test_normalize_date(value, expected):
    assert normalize_date(value) == expected


@pytest.mark.parametrize("value", ["2016-13", "31/02/2016", "2016-02-30", "hier", 2016])
def test_normalize_date_rejects(value):
    with pytest.raises(ValueError):
        normalize_date(value)


def test_document_from_mapping_validates():
    doc = document_from_mapping({"id": 7, "text": "t", "source": "s", "extra": [1]})
    assert (doc.id, doc.source, doc.metadata) == ("7", "s", {"extra": [1]})
    for bad in [{"text": "t"}, {"id": "x"}, {"id": "", "text": "t"}, {"id": "x", "text": 3}, {"id": True, "text": "t"}]:
        with pytest.raises(ValueError):
            document_from_mapping(bad)


def test_as_documents_turns_bad_items_into_failures():
    items = list(as_documents([{"id": "ok", "text": "t"}, {"id": "bad"}, "not a mapping"]))
    assert isinstance(items[0], Document)
    assert isinstance(items[1], IngestFailure) and items[1].source == "document 'bad'"
    assert isinstance(items[2], IngestFailure) and items[2].source == "document #2"
