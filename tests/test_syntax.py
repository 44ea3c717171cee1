"""The query language's reader: structure, leniency, caps."""

from __future__ import annotations

import random

import pytest

from searchlib.search.syntax import MAX_CLAUSES, MAX_QUERY_CHARS, MUST, MUST_NOT, SHOULD, Either, Filter, Group, Phrase, Word, parse
from work import calls_made


def clauses(text: str):
    return parse(text).root.clauses


def test_bare_words_are_optional_and_each_counts():
    assert clauses("Lavrov Kerry") == ((SHOULD, Word("Lavrov")), (SHOULD, Word("Kerry")))


def test_exclusions_requirements_and_operators():
    assert clauses('-Daech -"État islamique" +Syrie') == (
        (MUST_NOT, Word("Daech")),
        (MUST_NOT, Phrase("État islamique")),
        (MUST, Word("Syrie")),
    )
    assert clauses("Syrie AND Russie") == ((MUST, Word("Syrie")), (MUST, Word("Russie")))
    assert clauses("Kerry NOT Lavrov") == ((SHOULD, Word("Kerry")), (MUST_NOT, Word("Lavrov")))
    assert clauses("trêve Poutine OR Lavrov") == (
        (SHOULD, Word("trêve")),
        (SHOULD, Either((Word("Poutine"), Word("Lavrov")))),
    )
    assert clauses("Poutine OU Lavrov ET Syrie") == (
        (MUST, Either((Word("Poutine"), Word("Lavrov")))),
        (MUST, Word("Syrie")),
    )


def test_lower_case_operator_words_and_inner_hyphens_are_words():
    assert clauses("paix ou guerre") == tuple((SHOULD, Word(w)) for w in ("paix", "ou", "guerre"))
    assert clauses("cessez-le-feu États-Unis") == ((SHOULD, Word("cessez-le-feu")), (SHOULD, Word("États-Unis")))


def test_groups_prefix_fuzzy_boost_and_fields():
    ((occur, group),) = clauses("(Alep OR Homs)^2")
    assert occur == SHOULD and isinstance(group, Group) and group.boost == 2.0
    assert clauses("négoc* Lavorv~ Poutin~1 Kerry^3 Lavrov~5") == (
        (SHOULD, Word("négoc", prefix=True)),
        (SHOULD, Word("Lavorv", fuzzy=2)),
        (SHOULD, Word("Poutin", fuzzy=1)),
        (SHOULD, Word("Kerry", boost=3.0)),
        (SHOULD, Word("Lavrov", fuzzy=2)),
    )
    assert clauses('titre:"trêve en Syrie" source:afp doc:002* date:2016-07..2016-09') == (
        (SHOULD, Filter("title", Phrase("trêve en Syrie"))),
        (SHOULD, Filter("source", Word("afp"))),
        (SHOULD, Filter("doc", Word("002", prefix=True))),
        (SHOULD, Filter("date", Word("2016-07..2016-09"))),
    )


def test_french_punctuation_is_never_syntax():
    assert [n.text for _, n in clauses("Qui est Lavrov ?")] == ["Qui", "est", "Lavrov"]
    assert [n.text for _, n in clauses("Syrie : la trêve ! — « oui »")] == ["Syrie", "la", "trêve", " oui "]
    assert clauses("« oui »") == ((SHOULD, Phrase(" oui ")),)
    assert clauses("Syrie:trêve") == ((SHOULD, Group(((SHOULD, Word("Syrie")), (SHOULD, Word("trêve"))))),)


@pytest.mark.parametrize(
    "text, note",
    [
        ('"cessez le feu', "unclosed quote"),
        ("(Alep OR Homs", "unbalanced parenthesis"),
        ("Alep) Homs", "')' without"),
        ("Alep OR", "nothing after"),
        ("AND Alep", "nothing before"),
        ("Alep NOT", "nothing after"),
        ("Lavrov~9", "at most 2"),
        ("*rov", "'*' only ends a word"),
        ("(" * 50 + "Alep" + ")" * 50, "nested deeper"),
    ],
)
def test_malformed_queries_are_read_sensibly_with_a_note(text, note):
    parsed = parse(text)
    assert any(note in n for n in parsed.notes), parsed.notes
    words = [n for _, n in parsed.root.clauses]
    assert words, "something is still searched"


def test_caps_on_length_and_clauses():
    parsed = parse("mot " * 5000)
    assert len(parsed.root.clauses) == MAX_CLAUSES
    assert any(str(MAX_QUERY_CHARS) in n for n in parsed.notes)


def test_arbitrary_input_never_raises_and_does_bounded_work():
    alphabet = list('ab é"«»()*~^:-+?!. \t\n') + ["OR", "AND", "NOT", "date:", "title:", "\x00", "\ud800", "中"]
    rng = random.Random(7)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    for text in texts:
        _, calls = calls_made(lambda: parse(text))
        assert calls < 20_000, (text, calls)  # 700 at most
    for text in ("(" * 100_000, '"' * 100_000, "-" * 100_000):
        _, calls = calls_made(lambda: parse(text))
        assert calls < 100_000, (text[:10], calls)  # 8,000 at most: cut at the length cap first


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_a_number_grouped_by_spaces_is_one_word_as_in_documents(space):
    assert clauses(f"280{space}000 réfugiés") == ((SHOULD, Word(f"280{space}000")), (SHOULD, Word("réfugiés")))
    assert clauses(f"-1{space}000{space}000^2") == ((MUST_NOT, Word(f"1{space}000{space}000", boost=2.0)),)
    # What the document analyzer keeps apart stays apart: a year, a 4-digit group.
    assert clauses(f"2016{space}300{space}000") == ((SHOULD, Word("2016")), (SHOULD, Word(f"300{space}000")))
    assert clauses(f"12{space}3456") == ((SHOULD, Word("12")), (SHOULD, Word("3456")))


def test_a_query_too_long_is_cut_after_a_whole_word_without_a_dangling_operator():
    tail = '" Kerry OR Obama'
    head = '"' + "a" * (MAX_QUERY_CHARS - len(tail) + len(" Obama") - len(" O") - 1)
    text = head + tail
    assert text[:MAX_QUERY_CHARS].endswith("Kerry OR O")  # the hard cut fell inside "Obama"
    parsed = parse(text)
    assert parsed.root.clauses == ((SHOULD, Phrase(head[1:])), (SHOULD, Word("Kerry")))
    assert any(f"first {MAX_QUERY_CHARS} characters" in note and "Kerry" in note for note in parsed.notes), parsed.notes
