"""Indexing through the API: change detection, cleaning, duplicates, prune, rebuild."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import searchlib
from searchlib import Index, SearchlibError

WIRE = (
    "Le ministre russe des Affaires étrangères Sergueï Lavrov et le secrétaire d'État américain "
    "John Kerry ont discuté mercredi au téléphone du conflit en Syrie, pour la deuxième fois en "
    "quelques jours, sur fond d'inquiétudes de Washington concernant un possible renforcement "
    "militaire russe dans ce pays."
)


def docs(results) -> list:
    return [hit.doc_id for hit in results]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the seeds, cleaned ---------------------------------------------------------


def test_seed_furniture_and_repeat_are_not_passages(seeds_index):
    results = seeds_index.search("Rechercher Dernières Infos", limit=50)
    assert all("Rechercher" not in hit.text and "Dernières Infos" not in hit.text for hit in results)
    kerry = seeds_index.search("Lavrov Kerry téléphone mercredi", limit=50)
    from_002 = [hit for hit in kerry if hit.doc_id.startswith("002")]
    assert from_002 and all("pays.M. Lavrov" not in hit.text for hit in from_002)
    assert from_002[0].title == "Deuxième entretien téléphonique Lavrov-Kerry sur la Syrie en quelques jours"


def test_hits_carry_metadata_and_offsets(index, tmp_path):
    path = write(tmp_path, "src/flux.jsonl", json.dumps({"id": "a", "text": "Trêve à Alep.", "auteur": "Marie", "tags": ["syrie"]}) + "\n")
    index.add_path(path)
    (hit,) = index.search("trêve")
    assert hit.metadata == {"auteur": "Marie", "tags": ["syrie"]}
    assert hit.to_dict()["metadata"] == hit.metadata
    assert (hit.start, hit.end) == (0, len("Trêve à Alep."))


def test_offsets_are_into_the_stored_nfc_text(index):
    import unicodedata

    text = unicodedata.normalize("NFD", "Accueil\nL'élève écoute à Genève.")
    index.add_documents([{"id": "nfd", "text": text}])
    (hit,) = index.search("eleve")
    stored = unicodedata.normalize("NFC", text)
    assert stored[hit.start : hit.end] == hit.text == "L'élève écoute à Genève."


# -- near-duplicates ------------------------------------------------------------


def test_wire_copy_is_shown_once_with_its_copies_named(index):
    index.add_documents(
        [
            {"id": "afp", "text": WIRE},
            {"id": "journal", "text": WIRE.replace("mercredi", "mardi").replace("d'État", "d’Etat")},
            {"id": "autre", "text": "John Kerry a rencontré Sergueï Lavrov à Genève pour parler de la Syrie."},
        ]
    )
    results = index.search("Lavrov Kerry Syrie")
    assert sorted(docs(results)) == ["afp", "autre"] or sorted(docs(results)) == ["autre", "journal"]
    shown = next(hit for hit in results if hit.doc_id != "autre")
    assert shown.duplicates == (("journal",) if shown.doc_id == "afp" else ("afp",))
    assert results.total == 3
    everything = index.search("Lavrov Kerry Syrie", collapse_duplicates=False)
    assert sorted(docs(everything)) == ["afp", "autre", "journal"]
    assert all(hit.duplicates == () for hit in everything)


# -- change detection and batches ----------------------------------------------


def test_an_unchanged_run_writes_nothing(index, seeds_dir):
    index.add_path(seeds_dir)
    before = {p.name: p.stat().st_mtime_ns for p in index.path.iterdir()}
    report = index.add_path(seeds_dir)
    assert (report.unchanged, report.changed) == (4, False)
    assert {p.name: p.stat().st_mtime_ns for p in index.path.iterdir()} == before


def test_a_commit_made_while_a_run_looks_a_document_up_is_read_past(tmp_path, monkeypatch):
    # Another process commits between the run finding the newest table of
    # contents and opening it: the file is gone, and the look-up starts again.
    from searchlib.indexing import writer as indexing_writer

    path = tmp_path / "index"
    with Index(path) as other:
        other.add_documents([{"id": "a", "text": "Premier texte sur Alep."}])
    looked_up = indexing_writer.stored_hash
    interrupted = []

    def stored_hash(searcher, doc_id):
        if not interrupted:
            interrupted.append(doc_id)
            with Index(path) as other:
                other.add_documents([{"id": "b", "text": "Un texte sur Homs."}])
            raise FileNotFoundError(2, "No such file or directory", "_MAIN_1.toc")
        return looked_up(searcher, doc_id)

    monkeypatch.setattr(indexing_writer, "stored_hash", stored_hash)
    with Index(path) as ix:
        report = ix.add_documents([{"id": "c", "text": "Un texte sur Palmyre."}])
        assert interrupted == ["c"] and report.added == 1
        assert [docs(ix.search(word)) for word in ("Alep", "Homs", "Palmyre")] == [["a"], ["b"], ["c"]]


def test_a_failure_mid_run_keeps_completed_batches_and_older_documents(tmp_path):
    def documents():
        for number in range(4):
            yield {"id": f"n{number}", "text": f"Nouveau document {number} sur Alep."}
        yield {"id": "ancien", "text": "Remplacement sur Homs."}
        raise OSError("disk vanished")

    with Index(tmp_path / "index", batch_size=2) as index:
        index.add_documents([{"id": "ancien", "text": "Un document sur Palmyre."}])
        with pytest.raises(OSError):
            index.add_documents(documents())
        assert docs(index.search("Palmyre")) == ["ancien"]
        assert docs(index.search("Homs")) == []
        assert sorted(docs(index.search("Alep", limit=10))) == ["n0", "n1", "n2", "n3"]


def generation(path: Path) -> int:
    """The number of the index's latest commit (its table of contents)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    return int(TOC._latest_generation(FileStorage(str(path)), "MAIN"))


@pytest.mark.parametrize("workers", [0, 2])
def test_batch_size_sets_the_documents_a_commit(tmp_path, workers):
    rows = [{"id": f"d{number}", "text": f"Dépêche {number} sur Alep."} for number in range(5)]
    with Index(tmp_path / "small", batch_size=2, workers=workers) as small, Index(tmp_path / "default") as default:
        first = generation(small.path)
        small.add_documents(rows)
        assert generation(small.path) - first == 3  # 2 + 2 + 1
        first = generation(default.path)
        default.add_documents(rows)
        assert generation(default.path) - first == 1


def test_batch_chars_sets_the_text_a_commit(tmp_path):
    rows = [{"id": f"d{number}", "text": f"Dépêche {number} sur Alep. " * 10} for number in range(4)]
    with Index(tmp_path / "ix", batch_chars=len(rows[0]["text"]) * 2, workers=0) as ix:
        first = generation(ix.path)
        ix.add_documents(rows)
        assert generation(ix.path) - first == 2


@pytest.mark.parametrize("name", ["batch_size", "batch_chars"])
@pytest.mark.parametrize("value", [0, -5, 2.5, True])
def test_batch_limits_must_be_positive_whole_numbers(tmp_path, name, value):
    with pytest.raises(SearchlibError, match=name):
        Index(tmp_path / "ix", **{name: value})


def test_passage_size_is_a_setting_of_the_index(tmp_path):
    text = " ".join(f"Phrase numéro {n} sur la guerre en Syrie." for n in range(60))
    with Index(tmp_path / "small", passage_words=(10, 20)) as small, Index(tmp_path / "default") as default:
        small.add_documents([{"id": "d", "text": text}])
        default.add_documents([{"id": "d", "text": text}])
        assert small.stats().passages > default.stats().passages >= 3
    with pytest.raises(SearchlibError, match="rebuild"):
        Index(tmp_path / "small", passage_words=(40, 120))
    with Index(tmp_path / "small") as reopened:
        assert reopened.stats().passages > 10


def test_standard_input_stream(index):
    report = index.add_stream(io.BytesIO("Un texte sur Raqqa.".encode("utf-8")), doc_id="note")
    assert report.added == 1 and docs(index.search("Raqqa")) == ["note"]
    with pytest.raises(SearchlibError):
        index.add_stream(io.BytesIO(b"x"), format="pdf")


# -- prune --------------------------------------------------------------------


def test_prune_removes_documents_whose_source_has_gone(index, tmp_path):
    src = tmp_path / "src"
    write(src, "a.txt", "Article sur Alep.")
    write(src, "b.txt", "Article sur Homs.")
    write(src, "flux.jsonl", json.dumps({"id": "j1", "text": "Ligne sur Idleb"}) + "\n" + json.dumps({"id": "j2", "text": "Ligne sur Deraa"}) + "\n")
    elsewhere = write(tmp_path / "ailleurs", "c.txt", "Article sur Palmyre.")
    index.add_path(src, elsewhere)
    (src / "b.txt").unlink()
    write(src, "flux.jsonl", json.dumps({"id": "j1", "text": "Ligne sur Idleb"}) + "\n")
    assert index.add_path(src).removed == 0  # without --prune nothing goes
    report = index.add_path(src, prune=True)
    assert (report.removed, report.unchanged) == (2, 2)
    assert docs(index.search("Homs")) == [] and docs(index.search("Deraa")) == []
    assert docs(index.search("Palmyre")) == ["c"]  # outside the pruned folder


def test_prune_keeps_documents_of_files_that_failed_to_read(index, tmp_path):
    src = tmp_path / "src"
    write(src, "a.txt", "Article sur Alep.")
    index.add_path(src)
    (src / "a.txt").write_bytes(b"%PDF-1.4 binaire")
    report = index.add_path(src, prune=True)
    assert report.failed == 1 and report.removed == 0
    assert docs(index.search("Alep")) == ["a"]


# -- rebuild ------------------------------------------------------------------


def test_rebuild_swaps_in_a_fresh_index_with_new_settings(tmp_path, seeds_dir):
    target = tmp_path / "index"
    target.mkdir()
    (target / "README.md").write_text("Index folder.\n", encoding="utf-8")
    with Index(target) as ix:
        ix.add_documents([{"id": "vieux", "text": "Un document qui doit disparaître."}])
    report = Index.rebuild(target, seeds_dir, passage_words=(20, 60))
    assert report.added == 4
    with Index(target, create=False) as ix:
        assert docs(ix.search("disparaître")) == []
        assert ix.stats().documents == 4 and ix.stats().passages > 20
    assert (target / "README.md").read_text(encoding="utf-8") == "Index folder.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]  # nothing left beside it


def test_rebuild_replaces_an_index_of_another_format(tmp_path, seeds_dir):
    target = tmp_path / "index"
    with Index(target) as ix:
        ix.add_documents([{"id": "x", "text": "Texte"}])
    (target / "searchlib.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(searchlib.IndexCorruptError, match="--rebuild"):
        Index(target)
    Index.rebuild(target, seeds_dir)
    with Index(target, create=False) as ix:
        assert ix.stats().documents == 4


def test_an_interrupted_rebuild_leaves_the_old_index_in_place(tmp_path, seeds_dir):
    target = tmp_path / "index"
    with Index(target) as ix:
        ix.add_documents([{"id": "garde", "text": "Document gardé sur Palmyre."}])

    def interrupt(progress):
        if progress.files_done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Index.rebuild(target, seeds_dir, progress=interrupt)
    with Index(target, create=False) as ix:
        assert docs(ix.search("Palmyre")) == ["garde"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


@pytest.mark.parametrize("workers", [0, 2])
def test_progress_goes_on_until_the_run_ends_and_can_stop_it_there(tmp_path, workers):
    """Sources are read ahead of the writing (a whole small corpus at once,
    with workers): reports go on while the rest is written, so a report that
    stops the run (the command line's Ctrl-C) is heard until the end."""
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for number in range(320):
            handle.write(json.dumps({"id": f"d{number}", "text": f"Dépêche {number} sur Alep et Homs."}) + "\n")
    after_reading = []

    def progress(state):
        if state.bytes_done == state.bytes_total:
            after_reading.append(state)
            if len(after_reading) == 2:
                raise KeyboardInterrupt

    with Index(tmp_path / "ix", workers=workers, batch_size=50) as ix:
        with pytest.raises(KeyboardInterrupt):
            ix.add_path(corpus, progress=progress)
        held = ix.stats().documents
    assert held % 50 == 0 and held < 320  # whole batches, the last one dropped
    with Index(tmp_path / "ix") as ix:
        assert ix.add_path(corpus).added == 320 - held


def test_rebuild_clears_what_a_killed_rebuild_left(tmp_path, seeds_dir):
    target = tmp_path / "index"
    leftover = tmp_path / ".index.rebuild-999999999"
    leftover.mkdir()
    (leftover / "junk").write_text("x", encoding="utf-8")
    Index.rebuild(target, seeds_dir)
    assert not leftover.exists() and Index.exists(target)
    assert os.listdir(tmp_path) == ["index"]


def test_a_run_of_documents_without_text_commits_nothing(tmp_path):
    with Index(tmp_path / "ix") as ix:
        ix.add_documents([{"id": "a", "text": "Un texte sur Alep."}])
        tables = sorted(path.name for path in (tmp_path / "ix").glob("_MAIN_*.toc"))
        report = ix.add_documents([{"id": "vide", "text": "   "}, {"id": "blanc", "text": "\n"}])
        assert report.failed == 2 and not report.changed
        assert sorted(path.name for path in (tmp_path / "ix").glob("_MAIN_*.toc")) == tables
        assert ix.stats().documents == 1
