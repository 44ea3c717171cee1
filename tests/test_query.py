from __future__ import annotations

from whoosh import query as wq

from searchlib.analysis import FrenchAnalyzer
from searchlib.query import parse_query

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


def test_hyphenated_word_is_a_phrase_with_the_stop_word_gap():
    parsed = parse("cessez-le-feu")
    assert parsed.patterns == (slots(("cess", 0), ("feu", 2)),)
    assert {t for _, t in parsed.query.iter_all_terms()} == {"cess", "feu"}
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
