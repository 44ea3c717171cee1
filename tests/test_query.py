from __future__ import annotations

import pytest
from whoosh import query as wq

from searchlib import QueryError

from searchlib.analysis import FrenchAnalyzer
from searchlib.search.query import parse_query

ANALYZER = FrenchAnalyzer()


def parse(text: str, resolve=None):
    return parse_query(text, ANALYZER, resolve)


def slots(*terms_and_offsets):
    return tuple((frozenset([term]), offset) for term, offset in terms_and_offsets)


def test_bare_words_each_count():
    parsed = parse("Lavrov Kerry")
    assert isinstance(parsed.query, wq.Or)
    assert parsed.patterns == (slots(("lavrov", 0)), slots(("kerry", 0)))
    assert {t for _, t in parsed.query.iter_all_terms()} == {"lavrov", "kerry"}
    assert {f for f, _ in parsed.query.iter_all_terms()} == {"text", "title"}


def test_hyphenated_word_is_a_phrase_with_the_stop_word_gap_or_the_word_joined():
    parsed = parse("cessez-le-feu")
    assert parsed.patterns == (slots(("cess", 0), ("feu", 2)), slots(("cessezlefeu", 0)))
    assert {t for _, t in parsed.query.iter_all_terms()} == {"cess", "feu", "cessezlefeu"}
    assert not any(isinstance(q, wq.Term) and q.fieldname == "text" for q in parsed.query.children())


def test_quoted_phrases_in_any_quotes():
    for text in ['"cessez le feu"', "« cessez le feu »", "“cessez le feu”", '"cessez le feu']:
        assert parse(text).patterns == (slots(("cess", 0), ("feu", 2)),), text


def test_french_punctuation_is_not_syntax():
    assert parse("Qui est Lavrov ?").patterns == parse("Lavrov").patterns
    assert parse("Lavrov : Kerry ; Syrie !").patterns == parse("Lavrov Kerry Syrie").patterns
    assert parse("?").query is None


def test_only_stop_words_are_searched_as_written():
    parsed = parse("il était une fois")  # "fois" is not a stop word
    assert parsed.patterns == (slots(("fois", 0)),)
    parsed = parse("qui sont les")
    assert parsed.notes and "qui" in parsed.notes[0]
    assert {(f, t) for f, t in parsed.query.iter_all_terms()} == {("stops", "qui"), ("stops", "sont"), ("stops", "les")}


def test_nothing_to_search():
    parsed = parse("?? !! …")
    assert parsed.query is None and parsed.patterns == () and parsed.notes


def test_repeated_words_highlight_once():
    assert parse("Syrie syrie SYRIE").patterns == (slots(("syr", 0)),)


def test_resolver_adds_accented_spellings():
    seen = []

    def resolve(term, key):
        seen.append((term, key))
        return {term, "secur"} if key == "securit" else {term}

    parsed = parse("securite", resolve)
    assert seen == [("securit", "securit")]
    assert parsed.patterns == (((frozenset({"securit", "secur"}), 0),),)
    assert {t for _, t in parsed.query.iter_all_terms()} == {"securit", "secur"}


# -- the query language on the seeds ----------------------------------------------


def doc_ids(results) -> set:
    return {hit.doc_id[:3] for hit in results}


def test_exclusion_and_required_words(seeds_index):
    assert doc_ids(seeds_index.search("Lavrov", limit=50)) == {"000", "002", "004"}
    without = seeds_index.search("Lavrov -Kerry", limit=50)
    assert 0 < without.total < seeds_index.search("Lavrov", limit=50).total
    assert all("Lavrov" in hit.text and "Kerry" not in hit.text for hit in without)
    john_kerry = doc_ids(seeds_index.search('"John Kerry"', limit=50))
    assert john_kerry
    assert all("John Kerry" not in hit.text for hit in seeds_index.search('Lavrov -"John Kerry"', limit=50))
    assert doc_ids(seeds_index.search("Astana AND Lavrov", limit=50)) == {"004"}
    assert doc_ids(seeds_index.search("Kerry NOT Lavrov", limit=50)) <= {"000", "001"}


def test_or_groups_and_boosts(seeds_index):
    either = doc_ids(seeds_index.search("Astana OR Minbej", limit=50))
    assert either == doc_ids(seeds_index.search("Astana", limit=50)) | doc_ids(seeds_index.search("Minbej", limit=50))
    grouped = seeds_index.search("(Astana OR Minbej) AND terrorisme", limit=50)
    assert doc_ids(grouped) == either & doc_ids(seeds_index.search("terrorisme", limit=50))
    # Whichever word a boost lifts, passages holding it come first.
    for boosted, word, other in (("Kerry^5 Astana", "Kerry", "Astana"), ("Kerry Astana^5", "Astana", "Kerry")):
        top = seeds_index.search(boosted)[0]
        assert word in top.text and other not in top.text, boosted


def test_prefix_and_fuzzy_words_find_and_highlight(seeds_index):
    prefix = seeds_index.search("négoc*", limit=50)
    assert prefix and all(any(w.lower().startswith("négoc") for w in [hit.text[s:e] for s, e in hit.highlights]) for hit in prefix)
    fuzzy = seeds_index.search("Lavorv~")
    assert fuzzy and "Lavrov" in [fuzzy[0].text[s:e] for s, e in fuzzy[0].highlights]


def test_field_filters(seeds_index):
    assert doc_ids(seeds_index.search("title:entretien", limit=50)) == {"002"}
    assert doc_ids(seeds_index.search("Lavrov date:2017", limit=50)) == {"004"}
    assert doc_ids(seeds_index.search("Lavrov date:>=2017-04", limit=50)) == {"004"}
    assert doc_ids(seeds_index.search("Lavrov date:2016..2016-12", limit=50)) == set()
    assert doc_ids(seeds_index.search("Lavrov doc:002*", limit=50)) == {"002"}
    assert doc_ids(seeds_index.search("Lavrov source:004_", limit=50)) == {"004"}
    only = seeds_index.search("date:2017-04", limit=100)
    assert doc_ids(only) == {"004"} and only.total == len(only)


def test_filters_as_options(seeds_index):
    assert doc_ids(seeds_index.search("Lavrov", limit=50, after="2017-01")) == {"004"}
    assert doc_ids(seeds_index.search("Lavrov", limit=50, before="2017-03")) == set()
    assert doc_ids(seeds_index.search("Lavrov", limit=50, source="002_")) == {"002"}
    results = seeds_index.search("Lavrov", limit=1, after="2017")
    assert results.total == len(seeds_index.search("Lavrov", limit=50, after="2017"))
    with pytest.raises(QueryError):
        seeds_index.search("Lavrov", after="hier")


@pytest.mark.parametrize(
    "text",
    ['"Lavrov Kerry', "(Lavrov OR", "Lavrov) ((", "OR AND NOT", "-Lavrov", "?", "*", "~", "^2", "x" * 10_000,
     "(" * 1000, "Lavrov~99", "a* b*", "\x00\ud800", "«»", "date:>=hier Lavrov"],
)
def test_malformed_queries_never_raise(seeds_index, text):
    results = seeds_index.search(text)
    assert isinstance(results.notes, tuple)
    if not results:
        assert results.notes, "an empty answer to a malformed query says why"


# -- typing errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, meant, document",
    [("Lavorv", "Lavrov", "002"), ("Poutin", "Poutine", "001"), ("Astanna", "Astana", "004"), ("négotiations", "négociations", "004")],
)
def test_misspelt_words_find_the_passages_they_mean(seeds_index, typed, meant, document):
    results = seeds_index.search(typed, limit=20)
    assert document in doc_ids(results)
    assert meant in [hit.text[s:e] for hit in results for s, e in hit.highlights]


def test_suggestion_uses_the_indexed_spelling(seeds_index):
    assert seeds_index.search("Astanna négotiations").suggestion == "Astana négociations"
    assert seeds_index.search("Lavorv Kerry").suggestion == "Lavrov Kerry"
    assert seeds_index.search("Lavrov Kerry").suggestion is None


def test_exact_matches_rank_above_corrections(index):
    index.add_documents(
        [{"id": f"juste{n}", "text": f"Lavrov à {city}."} for n, city in enumerate(["Alep", "Homs", "Idleb", "Raqqa", "Deraa"])]
        + [{"id": "faute", "text": "Le ministre Lavrof parle aussi."}]
    )
    exact = index.search("Lavrof", limit=10)
    assert exact[0].doc_id == "faute" and len(exact) == 6
    assert index.search("Lavrov", limit=10).total == 5  # a common word is not widened


def test_a_query_cut_for_length_does_not_search_half_a_word(index):
    index.add_documents(
        [
            {"id": "kerry", "text": "John Kerry rencontre Sergueï Lavrov à Genève."},
            {"id": "cedric", "text": "Le secrétaire d'État Cédric O présente son plan numérique."},
        ]
    )
    query = "«" + "mot " * 246 + "mot» Kerry OR Obama"
    assert query[:1000].endswith("OR O")
    results = index.search(query)
    assert [hit.doc_id for hit in results] == ["kerry"]
    assert any("1000 characters" in note for note in results.notes)


def test_a_filter_inside_a_group_only_applies_there(seeds_index):
    either = doc_ids(seeds_index.search("(Lavrov date:2017) OR Minbej", limit=50))
    assert either == {"004", "000"}


# -- synonyms -----------------------------------------------------------------------


def test_synonyms_apply_to_words_phrases_and_runs_of_words(seeds_dir, tmp_path):
    from searchlib import Index

    synonyms = tmp_path / "synonymes.txt"
    synonyms.write_text("# groupes\nEI, État islamique, Daech, Daesh\nONU, Nations unies\n", encoding="utf-8")
    with Index(tmp_path / "ix") as ix:
        ix.add_path(seeds_dir)
    with Index(tmp_path / "ix", synonyms=synonyms) as ix:
        marked = {hit.text[s:e] for hit in ix.search("etat islamique", limit=50) for s, e in hit.highlights}
        assert {"Daech", "Daesh", "État", "islamique"} <= marked
        onu = {hit.text[s:e] for hit in ix.search("ONU", limit=50) for s, e in hit.highlights}
        assert {"ONU", "Nations", "unies"} <= onu
        assert ix.search("Lavrov -EI", limit=50).total < ix.search("Lavrov", limit=50).total
    with Index(tmp_path / "ix", synonyms=[["Lavrov", "chef de la diplomatie russe"]]) as ix:
        found = {hit.doc_id[:3] for hit in ix.search("Lavrov", limit=50)}
        assert "004" in found


def test_bad_synonyms_file_is_named(tmp_path, seeds_dir):
    from searchlib import Index, SearchlibError

    bad = tmp_path / "bad.txt"
    bad.write_text("ONU, Nations unies\nseul\n", encoding="utf-8")
    with pytest.raises(SearchlibError, match=r"bad.txt:2"):
        Index(tmp_path / "ix", synonyms=bad)
    with pytest.raises(SearchlibError, match="absent"):
        Index(tmp_path / "ix", synonyms=tmp_path / "absent.txt")


# -- names spelt several ways --------------------------------------------------------


@pytest.mark.parametrize(
    "typed, written",
    [("Daesh", {"Daech", "Daesh"}), ("Daech", {"Daech", "Daesh"}), ("Manbij", {"Minbej"}), ("al-Nusra", {"al-Nosra"}), ('"Front al-Nusra"', {"al-Nosra"})],
)
def test_transliterations_of_names_match_each_other(seeds_index, typed, written):
    found = {hit.text[s:e] for hit in seeds_index.search(typed, limit=50) for s, e in hit.highlights}
    assert written <= found


def test_a_common_word_is_not_taken_for_a_name_spelt_alike(index):
    # "crise" and Corse, "villes" and Valls share a consonant skeleton and lie
    # two edits apart, as Daech and Daesh do; but they are common words.
    index.add_documents(
        [
            {"id": "corse", "text": "La Corse a voté. Manuel Valls était en Corse avec Daech pour sujet."},
            {"id": "crise", "text": "La crise frappe les villes du nord, et la crise dure."},
            {"id": "daesh", "text": "Daesh a revendiqué l'attentat."},
        ]
    )
    for typed, unwanted in (("crise", "Corse"), ("villes", "Valls")):
        marked = {hit.text[s:e] for hit in index.search(typed, limit=10) for s, e in hit.highlights}
        assert marked and unwanted not in marked
    # A name typed still finds its other spellings.
    marked = {hit.text[s:e] for hit in index.search("Daech", limit=10) for s, e in hit.highlights}
    assert {"Daech", "Daesh"} <= marked


def test_explain_names_the_matched_terms_fields_and_scores(seeds_index):
    results = seeds_index.search("Lavrov Kerry", limit=3, explain=True)
    for hit in results:
        rows = list(hit.explanation)
        assert rows[-1][:2] == ("total", "score") and rows[-1][2] == pytest.approx(hit.score)
        terms = [row for row in rows if row[0] in ("text", "title")]
        assert terms and {term for _, term, _ in terms} <= {"lavrov", "kerry"}
        scores = [score for _, _, score in terms]
        assert all(score > 0 for score in scores) and scores == sorted(scores, reverse=True)
        if "Kerry" in hit.text and "Lavrov" in hit.text:
            assert {("text", "lavrov"), ("text", "kerry")} <= {(f, t) for f, t, _ in terms}
        # The levers' rows account for the whole score.
        levers = {field: score for field, _, score in rows if field in ("coordination", "article")}
        other_forms = sum(score for field, _, score in rows if field == "other forms")
        assert sum(scores) * levers.get("coordination", 1.0) + levers.get("article", 0.0) + other_forms == pytest.approx(
            hit.score
        )
    assert all(hit.explanation == () for hit in seeds_index.search("Lavrov Kerry", limit=3))


def test_explain_shows_the_article_context_and_coordination(seeds_index):
    hits = seeds_index.search("Lavrov Kerry", limit=50, explain=True)
    assert all(dict((f, s) for f, _, s in hit.explanation)["article"] > 0 for hit in hits)
    holding = {len({term for field, term, _ in hit.explanation if field in ("text", "title")}): hit for hit in hits}
    assert holding.keys() == {1, 2}, "some passages hold both words, some one"
    for count, hit in holding.items():
        factor = dict((f, s) for f, _, s in hit.explanation).get("coordination", 1.0)
        assert (factor == 1.0) if count == 2 else (factor < 1.0)
