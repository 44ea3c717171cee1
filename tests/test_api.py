from __future__ import annotations

import io
import json
import threading
import unicodedata
from typing import List, Tuple

import pytest

import searchlib
from searchlib import Document, Hit, Index, QueryError
from work import in_waves


def docs(results) -> list[str]:
    return [hit.doc_id for hit in results]


def marked(hit: Hit) -> list[str]:
    return [hit.text[s:e] for s, e in hit.highlights]


# -- searching the seeds ------------------------------------------------------


def test_minbej_ranks_a_passage_of_000_first(seeds_index):
    results = seeds_index.search("Minbej")
    assert results[0].doc_id == "000_878e2fb0528ae5be"
    assert "Minbej" in marked(results[0])
    assert "<mark>Minbej</mark>" in results[0].snippet


def test_astana_finds_004_with_its_date(seeds_index):
    results = seeds_index.search("Astana")
    assert set(docs(results)) == {"004_4207ef848aced888"}
    assert results[0].date == "2017-04"


def test_unaccented_query_highlights_the_accented_original(seeds_index):
    results = seeds_index.search("etats-unis", limit=50)
    spans = [span for hit in results for span in marked(hit)]
    assert "États-Unis" in spans
    assert "Etats-Unis" in spans


def test_cessez_le_feu_en_syrie(seeds_index):
    results = seeds_index.search("cessez-le-feu en Syrie", limit=5)
    top = results[0]
    assert top.doc_id in {"004_4207ef848aced888", "001_efc4fda914ae2fdd"}
    assert "cessez-le-feu" in marked(top) and "Syrie" in marked(top)
    assert results.total >= len(results)
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)


def test_case_accents_and_nfd_do_not_change_results(seeds_index):
    base = docs(seeds_index.search("négociations"))
    assert base
    for variant in ["NÉGOCIATIONS", "negociations", unicodedata.normalize("NFD", "négociations")]:
        assert docs(seeds_index.search(variant)) == base


def test_hit_text_is_the_original_passage(seeds_index, seeds_dir):
    hit = seeds_index.search("Minbej")[0]
    original = (seeds_dir / "000_878e2fb0528ae5be.txt").read_text(encoding="utf-8")
    assert hit.text in original
    assert hit.source and hit.source.endswith("000_878e2fb0528ae5be.txt")
    for start, end in hit.highlights:
        assert 0 <= start < end <= len(hit.text)


def test_passages_are_numbered_from_zero_in_document_order(index):
    paragraphs = [f"Paragraphe {name} " + " ".join(["texte"] * 50) + "." for name in ["alpha", "bravo", "charlie"]]
    text = "\n\n".join(paragraphs)
    index.add_documents([{"id": "d", "text": text}])
    for number, name in enumerate(["alpha", "bravo", "charlie"]):
        (hit,) = index.search(name)
        assert hit.passage == number
        assert hit.text == paragraphs[number]


def test_limit_total_and_per_doc(seeds_index):
    everything = seeds_index.search("Syrie", limit=1000)
    assert len(everything) == everything.total > 4
    limited = seeds_index.search("Syrie", limit=3)
    assert len(limited) == 3 and limited.total == everything.total
    assert docs(limited) == docs(everything)[:3]
    one_each = seeds_index.search("Syrie", limit=10, per_doc=1)
    assert sorted(docs(one_each)) == sorted(set(docs(everything)))
    assert one_each.total == everything.total
    two_each = seeds_index.search("Syrie", limit=100, per_doc=2)
    assert all(docs(two_each).count(d) <= 2 for d in set(docs(two_each)))
    # per_doc keeps each document's best passages
    best = {}
    for hit in everything:
        best.setdefault(hit.doc_id, hit.passage)
    assert {h.doc_id: h.passage for h in one_each} == best


def test_words_found_nowhere_give_empty_results(seeds_index):
    results = seeds_index.search("xylophone")
    assert len(results) == 0 and results.total == 0


def test_a_query_of_only_stop_words_still_finds_passages(seeds_index):
    results = seeds_index.search("qui sont")
    assert len(results) > 0 and results.notes
    top = results[0]
    words = {w.lower() for w in marked(top)}
    assert {"qui", "sont"} <= words


@pytest.mark.parametrize("bad", ["", "   ", "\n"])
def test_empty_query_is_an_error(seeds_index, bad):
    with pytest.raises(QueryError):
        seeds_index.search(bad)


@pytest.mark.parametrize("options", [{"limit": 0}, {"limit": -1}, {"per_doc": 0}, {"limit": "3"}])
def test_bad_limits_are_errors(seeds_index, options):
    with pytest.raises(QueryError):
        seeds_index.search("Syrie", **options)


def test_results_serialise_to_json_ready_data(seeds_index):
    data = seeds_index.search("Lavrov", limit=2).to_dict()
    assert data["query"] == "Lavrov" and data["total"] >= 2
    first = data["results"][0]
    assert first["rank"] == 1
    assert set(first) == {
        "rank", "score", "doc_id", "passage", "title", "date", "source", "text", "snippet", "highlights",
        "start", "end", "metadata", "duplicates", "snippet_window",
    }


def test_searching_from_many_threads_gives_the_same_answers(seeds_index):
    queries = ["Minbej", "Astana", "Lavrov Kerry", "cessez-le-feu", "Syrie", "Poutine Obama"]
    expected = {q: [(h.doc_id, h.passage) for h in seeds_index.search(q)] for q in queries}
    errors = []

    def worker():
        try:
            for _ in range(20):
                for q in queries:
                    assert [(h.doc_id, h.passage) for h in seeds_index.search(q)] == expected[q]
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- writing ------------------------------------------------------------------


def test_add_documents_update_unchanged_and_delete(index):
    report = index.add_documents(
        [
            {"id": "a", "text": "La Syrie et la Russie.", "title": "Diplomatie", "date": "2016-07-14", "url": "http://a", "lang": "fr"},
            Document(id="b", text="Le Kremlin à Moscou."),
        ]
    )
    assert (report.added, report.updated, report.unchanged, report.failed) == (2, 0, 0, 0)
    hit = index.search("Syrie")[0]
    assert (hit.doc_id, hit.title, hit.date, hit.source, hit.metadata) == ("a", "Diplomatie", "2016-07-14", "http://a", {"lang": "fr"})

    report = index.add_documents([{"id": "a", "text": "La Syrie et la Russie.", "title": "Diplomatie", "date": "2016-07-14", "url": "http://a", "lang": "fr"}])
    assert (report.added, report.unchanged) == (0, 1)

    report = index.add_documents([{"id": "a", "text": "Nouveau texte sur Astana."}])
    assert report.updated == 1
    assert docs(index.search("Syrie")) == []
    assert docs(index.search("Astana")) == ["a"]

    assert index.delete("a") is True
    assert docs(index.search("Astana")) == []
    assert index.delete("a") is False
    assert index.stats().documents == 1


def test_a_title_word_finds_the_passages_of_its_document(index):
    index.add_documents([{"id": "t", "title": "Minbej", "text": "Un texte sans le nom de la ville."}])
    assert docs(index.search("Minbej")) == ["t"]


def test_bad_documents_are_reported_and_good_ones_indexed(index):
    report = index.add_documents([{"id": "ok", "text": "Texte valide"}, {"id": "no-text"}, {"id": "empty", "text": "  "}, {"id": "ok", "text": "doublon"}])
    assert (report.added, report.failed) == (1, 3)
    messages = " | ".join(str(f) for f in report.failures)
    assert "no-text" in messages and "no text to index" in messages and "duplicate" in messages
    assert docs(index.search("valide")) == ["ok"]


def test_add_path_counts_and_is_incremental(index, seeds_dir, tmp_path):
    first = index.add_path(seeds_dir)
    assert (first.added, first.failed) == (4, 0)
    again = index.add_path(seeds_dir)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in seeds_dir.iterdir():
        copy.joinpath(path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    edited = copy / "002_6a89048487369a54.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUn paragraphe ajouté sur Tombouctou.\n", encoding="utf-8")
    changed = index.add_path(copy / "002_6a89048487369a54.txt")
    assert changed.updated == 1
    assert docs(index.search("Tombouctou")) == ["002_6a89048487369a54"]
    assert index.stats().documents == 4


def test_add_path_reports_bad_files_and_keeps_going(index, tmp_path):
    (tmp_path / "good.txt").write_text("Un bon article sur Alep.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00garbage\xff")
    (tmp_path / "lines.jsonl").write_text('{"id": "j1", "text": "Ligne sur Alep"}\n{broken\n', encoding="utf-8")
    progress = []
    report = index.add_path(tmp_path, tmp_path / "missing", progress=progress.append)
    assert (report.added, report.failed) == (2, 3)
    sources = sorted(f.source for f in report.failures)
    assert str(tmp_path / "bad.txt") in sources and f"{tmp_path / 'lines.jsonl'}:2" in sources
    assert str(tmp_path / "missing") in sources
    last = progress[-1]
    assert (last.files_done, last.files_total, last.documents) == (3, 3, 2)
    sizes = sum((tmp_path / name).stat().st_size for name in ("good.txt", "bad.txt", "lines.jsonl"))
    assert last.bytes_done == last.bytes_total == sizes
    assert sorted(docs(index.search("Alep"))) == ["good", "j1"]


def test_a_crash_while_adding_loses_nothing_already_indexed(index):
    index.add_documents([{"id": "keep", "text": "Document déjà indexé sur Palmyre."}])

    def exploding():
        yield {"id": "keep", "text": "remplacement"}
        raise OSError("disk vanished")

    with pytest.raises(OSError):
        index.add_documents(exploding())
    assert docs(index.search("Palmyre")) == ["keep"]
    assert docs(index.search("remplacement")) == []


def test_index_reopens_with_its_contents(tmp_path, seeds_dir):
    with Index(tmp_path / "ix") as ix:
        ix.add_path(seeds_dir)
    with Index(tmp_path / "ix", create=False) as ix:
        assert ix.stats().documents == 4
        assert docs(ix.search("Astana"))


def test_missing_index_without_create(tmp_path):
    with pytest.raises(searchlib.IndexNotFoundError):
        Index(tmp_path / "none", create=False)
    assert Index.exists(tmp_path / "none") is False


def test_closed_index_refuses_work(tmp_path):
    ix = Index(tmp_path / "ix")
    ix.close()
    ix.close()  # closing twice is harmless
    with pytest.raises(searchlib.SearchlibError):
        ix.search("Syrie")


def test_public_api_is_small_and_typed():
    import pathlib

    assert set(searchlib.__all__) >= {"Index", "Hit", "SearchResults", "Document", "analyze", "QueryError"}
    assert (pathlib.Path(searchlib.__file__).parent / "py.typed").exists()


# -- accent-insensitive search, both directions ---------------------------------


def test_query_without_accents_finds_the_accented_word(index):
    index.add_documents(
        [
            {"id": "s", "text": "La sécurité du pays est en jeu."},
            {"id": "u", "text": "Les universités ferment leurs portes."},
            {"id": "e", "text": "Un élève de l’École normale."},
        ]
    )
    # Snowball stems "securite" to "securit" but "sécurité" to "sécur":
    # folding alone would miss it.
    for query, expected in [("securite", "s"), ("SECURITE", "s"), ("universite", "u"), ("ecole", "e"), ("eleve", "e")]:
        results = index.search(query)
        assert docs(results) == [expected], query
        assert marked(results[0]), query


def test_query_with_accents_finds_the_word_written_without(index):
    index.add_documents([{"id": "plain", "text": "LA SECURITE DES ETATS-UNIS ET DE L'UNIVERSITE"}])
    for query in ["sécurité", "Sécurité", unicodedata.normalize("NFD", "sécurité"), "États-Unis", "université"]:
        assert docs(index.search(query)) == ["plain"], query


def test_every_accented_word_of_the_seeds_is_found_typed_plainly(seeds_index, seeds_dir):
    """Each accented word of the seeds, typed without accents, in capitals or
    in NFD, finds a passage that holds it (and highlights it)."""
    import re

    from unidecode import unidecode

    words = set()
    for document in searchlib.ingest.read_path(seeds_dir):
        for start, end in searchlib.ingest.content_paragraphs(document.text, document.text_start):
            words.update(w for w in re.findall(r"[^\W\d_]+", document.text[start:end]) if not w.isascii())
    assert len(words) > 100
    analyzer = searchlib.analysis.FrenchAnalyzer()
    for word in sorted(words):
        if not searchlib.analyze(word, analyzer):
            continue  # a stop word ("été", "à")
        for typed in {unidecode(word).lower(), word.upper(), unicodedata.normalize("NFD", word)}:
            results = seeds_index.search(typed, limit=1000)
            found = {w for hit in results for w in marked(hit)}
            assert word in found, (word, typed)


def test_custom_stop_words_are_kept_by_the_index(tmp_path):
    with Index(tmp_path / "ix", stop_words={"syrie"}) as ix:
        ix.add_documents([{"id": "a", "text": "La Syrie et les forces."}])
        assert docs(ix.search("les")) == ["a"]  # no longer a stop word
    with Index(tmp_path / "ix") as ix:  # reopened: the same list applies
        assert docs(ix.search("les")) == ["a"]
        assert ix.search("syrie").notes
    with pytest.raises(searchlib.SearchlibError, match="stop words"):
        Index(tmp_path / "ix", stop_words={"autre"})


def test_hyphenated_and_spaced_spellings_match_as_words_and_phrases(index):
    index.add_documents(
        [
            {"id": "hyphen", "text": "Le cessez-le-feu tient depuis hier."},
            {"id": "spaced", "text": "Ils demandent : cessez le feu maintenant."},
            {"id": "apart", "text": "Cessez donc de jouer avec le feu."},
        ]
    )
    for query in ["cessez-le-feu", '"cessez le feu"', "« cessez-le-feu »"]:
        results = index.search(query)
        assert sorted(docs(results)) == ["hyphen", "spaced"], query
    assert sorted(docs(index.search("cessez feu"))) == ["apart", "hyphen", "spaced"]


@pytest.mark.parametrize("typed", ["280 000", "280\u00a0000", "280\u202f000", "280.000", '"280 000 réfugiés"'])
def test_a_number_typed_in_groups_of_three_finds_it_however_written(index, typed):
    index.add_documents(
        [
            {"id": "dots", "text": "Le pays accueille 280.000 réfugiés selon l'ONU."},
            {"id": "spaces", "text": "Au total, 280\u202f000 réfugiés sont arrivés."},
            {"id": "other", "text": "En 280 avant notre ère, 000 n'était pas un nombre."},
        ]
    )
    results = index.search(typed)
    assert sorted(docs(results)) == ["dots", "spaces"]
    assert {span for hit in results for span in marked(hit)} >= {"280.000", "280\u202f000"}


def test_a_year_beside_a_spaced_number_stays_a_year(index):
    index.add_documents(
        [
            {"id": "year", "text": "En 2016, 300 000 personnes ont fui."},
            {"id": "joined", "text": "Le compteur affiche 2016300000."},
        ]
    )
    assert docs(index.search('"2016 300 000"')) == ["year"]
    assert docs(index.search("2016 300 000")) == ["year"]


def test_words_written_joined_or_hyphenated_find_each_other(index):
    index.add_documents(
        [
            {"id": "hyphens", "text": "Envoyez-nous un e-mail avant le week-end."},
            {"id": "joined", "text": "Un email envoyé pendant le weekend."},
            {"id": "apart", "text": "Le courrier de la semaine et le mail du soir."},
        ]
    )
    for query in ["email", "e-mail", "E‑mail", "weekend", "week-end", '"un e-mail"', '"un email"']:
        assert sorted(docs(index.search(query))) == ["hyphens", "joined"], query
    hits = {hit.doc_id: marked(hit) for hit in index.search("email week-end")}
    assert hits == {"hyphens": ["e-mail", "week-end"], "joined": ["email", "weekend"]}


def test_a_title_filter_finds_a_word_written_joined_or_hyphenated(index):
    index.add_documents(
        [
            {"id": "hyphen", "title": "Un week-end à Rome", "text": "Le récit du voyage en train."},
            {"id": "joined", "title": "Un weekend à Rome", "text": "Le voyage et ses musées."},
            {"id": "other", "title": "Une semaine à Rome", "text": "Un voyage au printemps."},
        ]
    )
    for query in ["titre:weekend", "titre:week-end", "voyage NOT titre:week-end"]:
        expected = ["other"] if query.startswith("voyage") else ["hyphen", "joined"]
        assert sorted(docs(index.search(query))) == expected, query


def test_a_name_is_found_by_its_part_after_an_apostrophe_that_is_no_elision(index):
    index.add_documents(
        [
            {"id": "straight", "text": "Une pièce d'Eugene O'Neill est reprise."},
            {"id": "curly", "text": "Le juge Sandra Day O’Connor et Tip O’Neill."},
            {"id": "other", "text": "Le neuvième art et la bande dessinée."},
        ]
    )
    results = index.search("Neill")
    assert sorted(docs(results)) == ["curly", "straight"]
    assert {span for hit in results for span in marked(hit)} == {"Neill"}
    for typed in ["O'Neill", "O’Neill", "oʼneill", '"Eugene O’Neill"']:
        assert "straight" in docs(index.search(typed)), typed
    assert marked(index.search('"Eugene O’Neill"')[0]) == ["Eugene", "O'Neill"]


def test_document_gives_back_what_was_indexed_with_hit_offsets_intact(index):
    text = "Premier paragraphe sur la trêve à Alep.\n\nSecond paragraphe : les négociations de Genève reprennent."
    index.add_documents([{"id": "n1", "text": text, "title": "Trêve", "date": "2016-09-12", "auteur": "AFP"}])
    document = index.document("n1")
    assert document is not None
    assert (document.id, document.title, document.date, document.metadata) == ("n1", "Trêve", "2016-09-12", {"auteur": "AFP"})
    assert document.text.split() == text.split()
    for hit in index.search("Genève trêve", per_doc=None):
        assert document.text[hit.start : hit.end] == hit.text
    assert index.document("absent") is None


def test_document_of_a_long_article_holds_every_passage_at_its_offsets(seeds_index):
    hits = seeds_index.search("Syrie", limit=50, per_doc=None)
    document = seeds_index.document(hits[0].doc_id)
    passages = [hit for hit in hits if hit.doc_id == hits[0].doc_id]
    assert len(passages) > 1
    assert all(document.text[hit.start : hit.end] == hit.text for hit in passages)


def test_an_empty_index_is_searched_and_finds_nothing(index):
    results = index.search("Syrie")
    assert (len(results), results.total) == (0, 0)
    assert index.document("absent") is None and index.stats().documents == 0


def test_add_path_counts_documents_whose_file_has_gone(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("a", "b", "c"):
        (source / f"{name}.txt").write_text(f"Article {name} sur Alep.", encoding="utf-8")
    (source / "d.jsonl").write_text('{"id": "d1", "text": "Dépêche sur Alep."}\n', encoding="utf-8")
    with searchlib.Index(tmp_path / "ix") as ix:
        assert ix.add_path(source).orphaned == 0
        (source / "b.txt").unlink()
        (source / "d.jsonl").unlink()
        report = ix.add_path(source)
        assert (report.unchanged, report.orphaned, report.changed) == (2, 2, False)
        (source / "b.txt").write_text("Article b sur Alep.", encoding="utf-8")
        assert ix.add_path(source / "b.txt").orphaned == 0  # only what lies under the paths given
        pruned = ix.add_path(source, prune=True)
        assert (pruned.removed, pruned.orphaned) == (1, 0)
        assert sorted({hit.doc_id for hit in ix.search("Alep")}) == ["a", "b", "c"]


def test_add_stream_names_plain_text_and_will_not_replace_an_unnamed_one(tmp_path):
    import io

    with searchlib.Index(tmp_path / "ix") as ix:
        assert ix.add_stream(io.BytesIO("Une note sur Homs.".encode())).added == 1
        assert ix.add_stream(io.BytesIO("Une note sur Homs.".encode())).unchanged == 1
        with pytest.raises(searchlib.DocumentIdError, match="doc_id"):
            ix.add_stream(io.BytesIO("Une autre note, sur Alep.".encode()))
        assert ix.add_stream(io.BytesIO("Une autre note, sur Alep.".encode()), doc_id="alep").added == 1
        assert [hit.doc_id for hit in ix.search("Homs")] == ["stdin"]
        assert [hit.doc_id for hit in ix.search("Alep")] == ["alep"]


def test_add_stream_reports_bytes_and_documents_read(tmp_path):
    import io
    import json

    data = "".join(json.dumps({"id": f"d{n}", "text": f"Dépêche {n} sur Alep."}) + "\n" for n in range(300)).encode()
    states = []
    with searchlib.Index(tmp_path / "ix") as ix:
        report = ix.add_stream(io.BytesIO(data), progress=states.append)
    assert report.added == 300 and states
    last = states[-1]
    assert (last.bytes_done, last.documents, last.bytes_total) == (len(data), 300, 0)  # 0: the total is unknown
    assert [s.bytes_done for s in states] == sorted(s.bytes_done for s in states)
    assert [s.documents for s in states] == sorted(s.documents for s in states)


_DISPATCH = "Les diplomates ont discuté de la trêve à Alep et du convoi humanitaire. " * 25  # 2 KB


class _EndlessNews(io.RawIOBase):
    """JSON Lines of 2 KB produced as they are read, up to ``most`` lines
    or until ``stop`` is set."""

    def __init__(self, most: int) -> None:
        self.served = 0
        self.most = most
        self.stop = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while len(self._pending) < len(buffer) and not self.stop and self.served < self.most:
            line = {"id": f"d{self.served}", "text": f"Dépêche {self.served}. " + _DISPATCH}
            self._pending += (json.dumps(line, ensure_ascii=False) + "\n").encode()
            self.served += 1
        count = min(len(buffer), len(self._pending))
        buffer[:count], self._pending = self._pending[:count], self._pending[count:]
        return count


@pytest.mark.parametrize("workers", [0, None], ids=["in process", "workers"])
def test_add_stream_indexes_json_lines_as_they_are_read(tmp_path, workers):
    # Were the stream read whole first (40 MB), no document would be
    # indexed before all its lines were produced; read as indexed, the
    # producer is told to stop once the first documents are (a chunk of
    # documents, a few hundred kilobytes, is prepared at a time).
    stream = _EndlessNews(most=20_000)

    def progress(state: searchlib.Progress) -> None:
        if state.documents:
            stream.stop = True

    with searchlib.Index(tmp_path / "ix", workers=workers) as ix:
        report = ix.add_stream(io.BufferedReader(stream), progress=progress)
        assert report.added == stream.served == ix.stats().documents
    assert 0 < stream.served < 5_000


# -- pages ------------------------------------------------------------------------

PAGED_QUERIES = ["Syrie", "Lavrov Kerry", "cessez-le-feu en Syrie", "(Washington OR Moscou) terrorisme", "terror*", "Russie -Kerry"]


def _ranked(results) -> list:
    return [(hit.doc_id, hit.passage, hit.score) for hit in results]


@pytest.mark.parametrize("per_doc", [None, 1])
@pytest.mark.parametrize("query", PAGED_QUERIES)
def test_pages_put_together_are_the_long_list(seeds_index, query, per_doc):
    whole = seeds_index.search(query, limit=40, per_doc=per_doc)
    assert len(whole) > 2  # several pages to compare
    pages = []
    for offset in range(0, len(whole) + 2, 2):
        page = seeds_index.search(query, limit=2, per_doc=per_doc, offset=offset)
        assert (page.offset, page.limit, page.total) == (offset, 2, whole.total)
        pages.extend(page)
    assert _ranked(pages) == _ranked(whole)


def test_a_page_is_the_end_of_the_list_a_larger_limit_gives(seeds_index):
    page = seeds_index.search("Syrie", limit=4, offset=4)
    first_eight = seeds_index.search("Syrie", limit=8)
    assert [hit.to_dict() for hit in page] == [hit.to_dict() for hit in first_eight[4:]]
    data = page.to_dict()
    assert (data["offset"], data["limit"]) == (4, 4)
    assert [row["rank"] for row in data["results"]] == [5, 6, 7, 8]  # ranks in the whole list


def test_a_later_page_never_repeats_a_story_of_an_earlier_one(tmp_path):
    import random

    words = (
        "ministre conflit téléphone semaine accord frontière armée ville réfugiés aide convoi trêve sommet "
        "négociation opposition régime frappe aviation coalition rebelles province route hôpital école "
        "pétrole gaz élection parlement président sanction embargo Genève Vienne Astana Moscou Washington"
    ).split()
    documents = []
    for n in range(12):  # twelve stories, each filed by three outlets
        text = "Lavrov et Kerry : " + " ".join(random.Random(n).choices(words, k=60)) + "."
        for outlet in ("afp", "reuters", "ap"):
            documents.append({"id": f"{outlet}-{n}", "text": text})
    with searchlib.Index(tmp_path / "ix") as ix:
        ix.add_documents(documents)
        whole = ix.search("Lavrov Kerry", limit=30)
        stories = [hit.doc_id.split("-")[1] for hit in whole]
        assert len(stories) == len(set(stories)) == 12  # each story once, its copies named by it
        assert all(len(hit.duplicates) == 2 for hit in whole)
        seen = []
        for offset in range(0, 12, 5):
            seen.extend(hit.doc_id.split("-")[1] for hit in ix.search("Lavrov Kerry", limit=5, offset=offset))
        assert seen == stories


def test_an_offset_past_the_end_gives_no_hits_and_the_total(seeds_index):
    total = seeds_index.search("Syrie").total
    for offset in (total, total + 1, 10**9):
        results = seeds_index.search("Syrie", offset=offset)
        assert (len(results), results.total, results.offset) == (0, total, offset)


@pytest.mark.parametrize("offset", [-1, 1.5, "2", None, True])
def test_a_bad_offset_is_refused_by_name(seeds_index, offset):
    with pytest.raises(QueryError, match="offset"):
        seeds_index.search("Syrie", offset=offset)


# -- how a query is read ---------------------------------------------------------


def test_parse_shows_a_phrase_an_exclusion_an_or_and_a_filter(seeds_index):
    parsed = seeds_index.parse('"cessez le feu" -Daech (Alep OR Homs) date:2017')
    assert isinstance(parsed, searchlib.ParsedQuery)
    phrase, excluded, group, date = parsed.clauses
    assert (phrase.kind, phrase.occur, phrase.text) == ("phrase", "should", "cessez le feu")
    assert phrase.terms == (("cess",), ("feu",))  # "le" is a stop word: it keeps its place, holds no term
    assert (excluded.kind, excluded.occur, excluded.text) == ("word", "must_not", "Daech")
    assert "daesh" in excluded.terms[0]  # the other spelling the index holds is excluded too
    (either,) = group.clauses
    assert (group.kind, either.kind) == ("group", "or")
    assert [(option.kind, option.text) for option in either.clauses] == [("word", "Alep"), ("word", "Homs")]
    assert (date.kind, date.field, date.text, date.occur) == ("filter", "date", "2017", "must")
    assert parsed.notes == () and parsed.suggestion is None


def test_parse_shows_prefixes_fuzzy_words_boosts_and_accents(seeds_index):
    prefix, fuzzy, boosted, unaccented, title = seeds_index.parse("négoc* Lavorv~1 Kerry^3 securite titre:entretien").clauses
    assert (prefix.kind, prefix.text) == ("prefix", "négoc") and prefix.terms
    assert all(term.startswith("negoc") for term in prefix.terms[0])
    assert (fuzzy.kind, fuzzy.distance) == ("fuzzy", 1)
    assert (boosted.kind, boosted.text, boosted.boost) == ("word", "Kerry", 3.0)
    assert "securit" in unaccented.terms[0]  # "sécurité", which Snowball stems apart from "securite"
    assert (title.kind, title.field, title.occur, title.terms) == ("filter", "title", "should", (("entretien",),))


def test_parse_notes_an_over_long_query(seeds_index):
    parsed = seeds_index.parse("Syrie " * 300)
    assert any("cut to its first 1000 characters" in note for note in parsed.notes)
    assert any("only the first 64 words" in note for note in parsed.notes)
    assert parsed.notes == seeds_index.search("Syrie " * 300).notes


def test_parse_takes_a_misspelt_word_for_the_indexed_one_and_suggests_it(seeds_index):
    parsed = seeds_index.parse("Lavorv Kerry")
    lavorv = parsed.clauses[0]
    assert "lavrov" in lavorv.terms[0]
    assert parsed.corrections == (("Lavorv", "lavrov"),)
    assert parsed.suggestion == "Lavrov Kerry" == seeds_index.search("Lavorv Kerry").suggestion
    # A stem stands for several words: the one suggested is the nearest to the word typed.
    assert seeds_index.parse("négotiations à Astanna").suggestion == "négociations à Astana"


def test_parse_is_plain_json_and_refuses_an_empty_query(seeds_index):
    import json

    data = seeds_index.parse("Lavrov -Kerry (Alep OR Homs)^2").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert [clause["occur"] for clause in data["clauses"]] == ["should", "must_not", "should"]
    assert data["clauses"][2]["boost"] == 2.0 and data["clauses"][2]["clauses"][0]["kind"] == "or"
    with pytest.raises(QueryError, match="empty"):
        seeds_index.parse("  ")


def test_a_thread_per_request_holds_no_more_searchers_than_readers(tmp_path, seeds_dir):
    """A web server starting a thread for each of 120 requests, 12 at a
    time, against one Index: every answer right, at most ``readers``
    searchers ever open."""
    with searchlib.Index(tmp_path / "ix", readers=2) as ix:
        ix.add_path(seeds_dir)
        expected = [(hit.doc_id, hit.passage) for hit in ix.search("Lavrov Kerry", limit=5)]
        assert expected
        answers: List[List[Tuple[str, int]]] = []
        most_open: List[int] = []

        def request() -> None:
            answers.append([(hit.doc_id, hit.passage) for hit in ix.search("Lavrov Kerry", limit=5)])
            most_open.append(ix._backend._store.open_searchers)

        in_waves(request, waves=10, threads=12)
        assert answers == [expected] * 120
        assert 1 <= max(most_open) <= 2


@pytest.mark.parametrize("readers", [0, -1, 1.5, True, "2"])
def test_a_bad_number_of_readers_is_refused(tmp_path, readers):
    with pytest.raises(searchlib.SearchlibError, match="readers"):
        searchlib.Index(tmp_path / "ix", readers=readers)
    assert not (tmp_path / "ix").exists()


def test_a_repeated_query_reads_what_it_learnt_of_the_vocabulary_once(index, seeds_dir):
    from work import calls_made

    index.add_path(seeds_dir)  # an index of its own: nothing learnt by other tests' queries
    query = "négotiations Lavorv Daech Astanna"
    first, first_calls = calls_made(lambda: index.parse(query))
    again, again_calls = calls_made(lambda: index.parse(query))
    assert again.to_dict() == first.to_dict() and again.suggestion == "négociations Lavrov Daech Astana"
    # Spellings, names sounding alike and typing errors are not looked up again.
    assert again_calls * 2 < first_calls, (first_calls, again_calls)


def test_what_parsing_learnt_follows_every_commit(index):
    index.add_documents([{"id": "a", "text": "Les combats reprennent près de la ville."}])
    assert index.parse("Palmyrre").suggestion is None  # nothing close is indexed yet
    assert index.search("Palmyrre").total == 0
    index.add_documents([{"id": f"p{n}", "text": f"Palmyre, ville antique, numéro {n}."} for n in range(4)])
    assert index.parse("Palmyrre").suggestion == "Palmyre"
    assert index.search("Palmyrre").total == 4
    for n in range(4):
        index.delete(f"p{n}")
    assert index.parse("Palmyrre").suggestion is None
    assert index.search("Palmyrre").total == 0
