from __future__ import annotations

from whoosh import query as wq

from searchlib import analyze
from searchlib.query import parse_query


def parse(text: str):
    return parse_query(text, analyze)


def test_bare_words_each_count():
    parsed = parse("Lavrov Kerry")
    assert isinstance(parsed.query, wq.Or)
    assert parsed.patterns == ((("lavrov", 0),), (("kerry", 0),))
    assert {t for _, t in parsed.query.iter_all_terms()} == {"lavrov", "kerry"}
    assert {f for f, _ in parsed.query.iter_all_terms()} == {"text", "title"}


def test_hyphenated_word_is_a_phrase_with_the_stop_word_gap():
    parsed = parse("cessez-le-feu")
    assert parsed.patterns == ((("cess", 0), ("feu", 2)),)
    phrases = [q for q in parsed.query.leaves() if isinstance(q, wq.Phrase)]
    assert phrases and all(p.words == ["cess", "feu"] for p in phrases)


def test_quoted_phrases_in_any_quotes():
    for text in ['"cessez le feu"', "« cessez le feu »", "“cessez le feu”", '"cessez le feu']:
        assert parse(text).patterns == ((("cess", 0), ("feu", 2)),), text


def test_french_punctuation_is_not_syntax():
    assert parse("Qui est Lavrov ?").patterns == parse("Lavrov").patterns
    assert parse("Lavrov : Kerry ; Syrie !").patterns == parse("Lavrov Kerry Syrie").patterns


def test_only_common_words_leaves_nothing_with_a_note():
    parsed = parse("le la les")
    assert parsed.query is None and parsed.patterns == ()
    assert parsed.notes and "le" in parsed.notes[0]
    assert parse("?? !!").query is None


def test_repeated_words_highlight_once():
    assert parse("Syrie syrie SYRIE").patterns == ((("syr", 0),),)
