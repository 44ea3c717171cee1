from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import unicodedata
from pathlib import Path

import pytest

from searchlib.ingest import Document, FieldMap, IngestFailure, IngestWarning, as_documents, document_from_mapping, list_sources, normalize_date, read_path, read_stream


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


# A record whose text holds a line separator (valid JSON, common in scraped
# text), then one broken far along a line that also holds a carriage return
# (JSON white space): the column must be the one Python's parser gives.
_SEPARATED = json.dumps({"id": "sep", "text": "Première ligne\u2028seconde ligne"}, ensure_ascii=False)
_BROKEN = '{"id": "b",\r "text": "' + "Alep " * 30 + '" "title": "sans virgule"}'


def _json_error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return caught.value


@pytest.mark.parametrize("through", ["file", "gzip", "stdin"])
def test_a_jsonl_error_gives_the_line_and_column_python_gives(tmp_path, through):
    data = (_SEPARATED + "\n" + _BROKEN + "\n" + json.dumps({"id": "c", "text": "Fin"}) + "\n").encode("utf-8")
    if through == "stdin":
        items = list(read_stream(io.BytesIO(data)))
        name = "<stdin>"
    else:
        path = tmp_path / ("a.jsonl.gz" if through == "gzip" else "a.jsonl")
        path.write_bytes(gzip.compress(data) if through == "gzip" else data)
        items, name = read(path), str(path)
    (failure,) = [i for i in items if isinstance(i, IngestFailure)]
    expected = _json_error(_BROKEN)
    assert expected.colno > 100
    assert (failure.source, failure.message) == (f"{name}:2", f"invalid JSON ({expected.msg}, column {expected.colno})")
    assert "\n" not in str(failure)
    documents = [i for i in items if isinstance(i, Document)]
    assert [d.id for d in documents] == ["sep", "c"]
    assert documents[0].text == "Première ligne\nseconde ligne"


def test_a_json_file_error_gives_the_line_and_column_python_gives(tmp_path):
    text = "[\n" + _SEPARATED + ",\n" + _BROKEN + "\n]\n"
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8", newline="")
    (failure,) = read(path)
    expected = _json_error(text)
    assert (expected.lineno, expected.colno > 100) == (3, True)
    assert (failure.source, failure.message) == (f"{path}:3", f"invalid JSON ({expected.msg}, column {expected.colno})")
    path.write_text("[\n" + _SEPARATED + "\n]\n", encoding="utf-8")
    (document,) = read(path)
    assert document.text == "Première ligne\nseconde ligne"


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


# -- encodings and text cleaning -------------------------------------------------


def only_document(path: Path) -> Document:
    documents = [item for item in read(path) if isinstance(item, Document)]
    assert len(documents) == 1, read(path)
    return documents[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_unicode_files_with_a_byte_order_mark_are_read(tmp_path, encoding):
    path = tmp_path / "article.txt"
    text = "Sergueï Lavrov a rencontré l’émissaire de l’ONU à Genève."
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")
    path.write_bytes((bom + text).encode(encoding))
    items = read(path)
    assert [type(i) for i in items] == [Document]  # no warning for Unicode files
    assert items[0].text == text


def test_legacy_windows_file_is_decoded_with_a_warning_naming_it(tmp_path):
    path = tmp_path / "ancien.txt"
    path.write_bytes("L’élève a dû payer 5 € à l’œuvre.".encode("cp1252"))
    items = read(path)
    (warning,) = [i for i in items if isinstance(i, IngestWarning)]
    assert warning.source == str(path) and "UTF-8" in warning.message
    assert only_document(path).text == "L’élève a dû payer 5 € à l’œuvre."


def test_latin1_file_is_decoded(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café de la gare, près d'Alep.".encode("latin-1"))
    assert only_document(path).text == "Le café de la gare, près d'Alep."


def test_line_ends_and_nfc_are_normalised(tmp_path):
    path = tmp_path / "mac.txt"
    decomposed = unicodedata.normalize("NFD", "Première ligne\rdeuxième\r\ntroisième")
    path.write_bytes(decomposed.encode("utf-8"))
    assert only_document(path).text == "Première ligne\ndeuxième\ntroisième"


def test_control_characters_and_nul_bytes_do_not_break_a_file(tmp_path):
    path = tmp_path / "sale.txt"
    path.write_bytes("Texte\x00 avec\x07 des\x1b contrôles.".encode("utf-8"))
    assert only_document(path).text == "Texte  avec  des  contrôles."


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (bytes(range(256)) * 8, "binary"),
    ],
)
def test_binary_files_fail_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "x.txt"
    path.write_bytes(content)
    (failure,) = read(path)
    assert isinstance(failure, IngestFailure) and failure.source == str(path)
    assert reason in failure.message


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("x.txt", b"", "empty"),
        ("x.md", b"  \n\n \t\n", "white space"),
        ("x.jsonl", b"", "empty"),
        ("x.csv.gz", gzip.compress(b""), "empty"),
    ],
)
def test_empty_files_are_skipped_with_a_note(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    (note,) = read(path)
    assert isinstance(note, IngestWarning) and note.source == str(path)
    assert reason in note.message and "skipped" in note.message


# -- formats -------------------------------------------------------------------


def test_html_page_gives_visible_text_and_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html lang='fr'><head><title>Trêve en Syrie</title>"
        "<meta property='article:published_time' content='2016-09-12T08:00:00Z'>"
        "<script>var rechercher = 1;</script></head><body>"
        "<nav><a>Accueil</a><a>Rechercher</a></nav>"
        "<article><h1>Trêve en Syrie</h1><p>La trêve négociée par Moscou et Washington "
        "est entrée en vigueur lundi soir.</p><p>Les combats ont cessé à Alep.</p></article>"
        "<footer>Mentions légales</footer></body></html>",
        encoding="utf-8",
    )
    document = only_document(path)
    assert document.title == "Trêve en Syrie" and document.date == "2016-09-12"
    assert "La trêve négociée par Moscou" in document.text and "Les combats ont cessé à Alep." in document.text
    for furniture in ("rechercher", "Accueil", "Mentions"):
        assert furniture not in document.text


def test_csv_with_default_columns_semicolons_and_a_bad_row(tmp_path):
    path = tmp_path / "depeches.csv"
    path.write_text(
        "id;titre;texte;date;url;rubrique\n"
        "d1;Alep;Les combats reprennent à Alep.;29 avril 2017;http://x/1;monde\n"
        'd2;Genève;"Les pourparlers; reprise à Genève.";1er août 2016;http://x/2;monde\n'
        "d3;sans texte\n",
        encoding="utf-8",
    )
    items = read(path)
    documents = [i for i in items if isinstance(i, Document)]
    assert [(d.id, d.title, d.date, d.source) for d in documents] == [
        ("d1", "Alep", "2017-04-29", "http://x/1"),
        ("d2", "Genève", "2016-08-01", "http://x/2"),
    ]
    assert documents[1].text == "Les pourparlers; reprise à Genève."
    assert documents[0].metadata == {"rubrique": "monde"}
    (failure,) = [i for i in items if isinstance(i, IngestFailure)]
    assert failure.source == f"{path}:4"


def test_csv_without_its_text_column_fails_naming_the_columns(tmp_path):
    path = tmp_path / "vide.csv"
    path.write_text("id,resume\n1,Un résumé\n", encoding="utf-8")
    (failure,) = read(path)
    assert failure.source == str(path) and "'text'" in failure.message and "resume" in failure.message


def test_field_map_names_the_columns(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"ref": "r1", "corps": "Texte", "entete": "Titre", "jour": "3/4/2017"}) + "\n", encoding="utf-8")
    fields = FieldMap(id="ref", text="corps", title="entete", date="jour")
    (document,) = read_path(path, fields=fields)
    assert (document.id, document.text, document.title, document.date) == ("r1", "Texte", "Titre", "2017-04-03")
    (failure,) = read_path(path, fields=FieldMap(text="absent"))
    assert "'absent'" in failure.message


def test_json_array_and_gzip_files(tmp_path):
    (tmp_path / "lot.json").write_text(json.dumps([{"id": "j1", "text": "Un"}, {"id": "j2", "text": "Deux"}]), encoding="utf-8")
    with gzip.open(tmp_path / "flux.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "g1", "text": "Compressé"}) + "\n")
    (tmp_path / "note.txt.gz").write_bytes(gzip.compress("Une note compressée.".encode("utf-8")))
    assert sorted(d.id for d in read(tmp_path)) == ["g1", "j1", "j2", "note"]


def test_jsonl_missing_id_is_derived_from_file_and_line(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "flux.jsonl"
    path.write_text("\n" + json.dumps({"text": "Sans identifiant"}) + "\n", encoding="utf-8")
    (document,) = read(tmp_path)
    assert document.id == "sub/flux-2"
    assert document.origin == str(path.resolve())


@pytest.mark.parametrize(
    "data, fmt, expected",
    [
        (b'{"id": "s1", "text": "Depuis l\'entree standard"}\n', None, ["s1"]),
        ("Un texte tapé à la main.".encode("utf-8"), None, ["stdin"]),
        (b"<html><body><p>Une page.</p></body></html>", None, ["stdin"]),
        (b"id,text\nc1,Une ligne\n", "csv", ["c1"]),
        (gzip.compress(b'{"id": "z1", "text": "gz"}\n'), None, ["z1"]),
    ],
)
def test_standard_input_formats(data, fmt, expected):
    assert [d.id for d in read_stream(io.BytesIO(data), fmt)] == expected


def test_markdown_front_matter_gives_title_date_and_metadata(tmp_path):
    path = tmp_path / "billet.md"
    path.write_text("---\ntitle: Les pourparlers\ndate: 2016-07-14\nauteur: Marie\n---\n# Autre\n\nTexte.\n", encoding="utf-8")
    document = only_document(path)
    assert (document.title, document.date, document.metadata) == ("Les pourparlers", "2016-07-14", {"auteur": "Marie"})
    assert document.text[document.text_start :].startswith("Autre\n\nTexte.")  # the heading's text, without "#"


def test_plain_text_headline_becomes_the_title(seeds_dir):
    document = only_document(seeds_dir / "002_6a89048487369a54.txt")
    assert document.title == "Deuxième entretien téléphonique Lavrov-Kerry sur la Syrie en quelques jours"
    first_line = only_document(seeds_dir / "001_efc4fda914ae2fdd.txt")
    assert first_line.title is None  # it opens with a quotation, not a headline


# -- walking folders -------------------------------------------------------------


def make_tree(root: Path) -> None:
    for name in ["2016/07/a.md", "2016/08/b.txt", "drafts/c.txt", "d.html", "notes/e.TXT", "f.bak"]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Texte {name}", encoding="utf-8")


@pytest.mark.parametrize(
    "include, exclude, expected",
    [
        ((), (), ["2016/07/a", "2016/08/b", "d", "drafts/c", "notes/e"]),
        (("*.txt",), (), ["2016/08/b", "drafts/c"]),
        (("*.txt", "*.TXT"), ("drafts",), ["2016/08/b", "notes/e"]),
        (("2016/**",), (), ["2016/07/a", "2016/08/b"]),
        ((), ("2016/07/*", "*.html"), ["2016/08/b", "drafts/c", "notes/e"]),
    ],
)
def test_include_and_exclude_globs(tmp_path, include, exclude, expected):
    make_tree(tmp_path)
    files, failures = list_sources([tmp_path], include, exclude)
    assert failures == []
    assert [f.doc_id for f in files] == expected


def test_symlink_loop_is_reported_not_followed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("Texte", encoding="utf-8")
    (tmp_path / "a" / "boucle").symlink_to(tmp_path / "a")
    (tmp_path / "cassé.txt").symlink_to(tmp_path / "absent.txt")
    files, failures = list_sources([tmp_path])
    assert [f.doc_id for f in files] == ["a/x"]
    messages = sorted(f"{Path(f.source).name}: {f.message}" for f in failures)
    assert messages[0].startswith("boucle: symbolic link loop") and messages[1].startswith("cassé.txt: broken")


def test_an_index_folder_among_the_sources_is_not_read(tmp_path):
    (tmp_path / "a.txt").write_text("Texte", encoding="utf-8")
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "searchlib.json").write_text('{"format": 3}', encoding="utf-8")
    assert [d.id for d in read(tmp_path)] == ["a"]


# -- dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("29 avril 2017", "2017-04-29"),
        ("1er août 2016", "2016-08-01"),
        ("1er aout 2016", "2016-08-01"),
        ("lundi 3 mars 2014 à 14h05", "2014-03-03"),
        ("Publié le 12 déc. 2015", "2015-12-12"),
        ("février 2016", "2016-02"),
        ("14/07/2016", "2016-07-14"),
        ("2016/07/14", "2016-07-14"),
        ("April 29, 2017", "2017-04-29"),
        ("Tue, 25 Apr 2017 10:00:00 +0000", "2017-04-25"),
    ],
)
def test_dates_as_french_sources_write_them(value, expected):
    assert normalize_date(value) == expected


@pytest.mark.parametrize("name", ["note.txt", "note.md"])
def test_an_impossible_date_marker_is_a_warning_not_a_crash(tmp_path, name):
    path = tmp_path / name
    path.write_text("date 2016-02-30 Le texte.\n", encoding="utf-8")
    items = read(path)
    (warning,) = [i for i in items if isinstance(i, IngestWarning)]
    assert "does not exist" in warning.message
    assert only_document(path).date is None
