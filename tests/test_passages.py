from __future__ import annotations

import re

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.ingest.passages import MAX_WORDS, MIN_WORDS, _WordCounter, split_passages, split_sentences


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def sentence(n: int, word: str = "mot") -> str:
    return " ".join([word.capitalize()] + [word] * (n - 1)) + "."


def test_sentences_split_at_full_stops_but_not_after_abbreviations():
    text = (
        "M. Lavrov a parlé avec Mme Clinton. Le Dr Martin, etc. était là. "
        "John F. Kennedy aussi ! « Vraiment ? » Oui… Puis il est parti."
    )
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "M. Lavrov a parlé avec Mme Clinton.",
        "Le Dr Martin, etc. était là.",
        "John F. Kennedy aussi !",
        "« Vraiment ? »",
        "Oui…",
        "Puis il est parti.",
    ]


def test_numbers_do_not_end_sentences():
    text = "Il y a 280.000 réfugiés et 2,5 millions de déplacés. Le 1er août 2016 est loin."
    assert len(split_sentences(text)) == 2


def test_each_line_is_a_paragraph_and_short_ones_are_joined():
    long_paragraph = " ".join(sentence(10) for _ in range(5))  # 50 words
    text = f"Titre court\n\n{long_paragraph}\n{long_paragraph}\n"
    passages = split_passages(text)
    assert [p.number for p in passages] == list(range(len(passages)))
    first = passages[0].text_of(text)
    assert first.startswith("Titre court") and first.endswith(long_paragraph)
    assert passages[-1].text_of(text) == long_paragraph


def test_a_long_paragraph_is_cut_at_sentence_ends_within_bounds():
    paragraph = " ".join(sentence(n) for n in [12, 30, 8, 25, 17, 40, 9, 22, 31, 14, 27, 19] * 2)
    passages = split_passages(paragraph)
    assert len(passages) > 1
    for passage in passages:
        text = passage.text_of(paragraph)
        assert text[0].isupper() and text.endswith(".")  # whole sentences
        assert MIN_WORDS <= words(text) <= MAX_WORDS
    # Together the passages cover the paragraph, in order, without overlap.
    assert " ".join(p.text_of(paragraph) for p in passages) == paragraph


def test_offsets_are_exact_and_start_is_respected():
    text = "date 2016-07 Corps du texte. Deuxième phrase."
    start = text.index("Corps")
    (passage,) = split_passages(text, start)
    assert (passage.start, passage.end) == (start, len(text))


def test_blank_text_gives_no_passage():
    assert split_passages("") == []
    assert split_passages("  \n\n \t\n") == []


def test_seed_000_one_long_line_becomes_several_passages(seeds_dir):
    text = (seeds_dir / "000_878e2fb0528ae5be.txt").read_text(encoding="utf-8")
    passages = split_passages(text)
    assert len(passages) >= 4
    for passage in passages:
        assert words(passage.text_of(text)) <= MAX_WORDS


def test_missing_space_after_a_full_stop_still_ends_a_sentence():
    text = "Le vote a eu lieu jeudi.Le gouvernement a perdu. Il y a 280.000 soldats et 2,5 % de plus.Selon M. Dupont, c'est le 1er pas."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Le vote a eu lieu jeudi.",
        "Le gouvernement a perdu.",
        "Il y a 280.000 soldats et 2,5 % de plus.",
        "Selon M. Dupont, c'est le 1er pas.",
    ]


def test_abbreviations_initials_and_ellipses():
    text = "MM. Kerry et Lavrov, cf. art. 3, p. 12, sont là… Ils parlent. J.-F. Copé aussi."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "MM. Kerry et Lavrov, cf. art. 3, p. 12, sont là…",
        "Ils parlent.",
        "J.-F. Copé aussi.",
    ]


def test_a_sentence_longer_than_the_maximum_is_cut_between_words():
    text = " ".join(["l’armée"] * 300)
    passages = split_passages(text, max_words=120)
    assert len(passages) == 3
    assert all(p.text_of(text).startswith("l’armée") and p.text_of(text).endswith("l’armée") for p in passages)
    assert all(words(p.text_of(text)) <= 2 * 120 for p in passages)


def test_short_paragraphs_do_not_merge_across_left_out_lines():
    first, second = "Premier paragraphe court.", "Second paragraphe court."
    text = f"{first}\nPartager\n{second}"
    spans = [(0, len(first)), (text.index(second), len(text))]
    passages = split_passages(text, paragraphs=spans)
    assert [p.text_of(text) for p in passages] == [first, second]
    merged = split_passages(f"{first}\n{second}")
    assert len(merged) == 1


def test_configurable_passage_length():
    text = " ".join(sentence(10) for _ in range(30))  # 300 words, one paragraph
    small = split_passages(text, min_words=10, max_words=30)
    assert all(words(p.text_of(text)) <= 30 for p in small) and len(small) == 10
    with pytest.raises(ValueError):
        split_passages(text, min_words=50, max_words=20)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="aé_1 \n.'’-B\u0301!", max_size=300),
    bounds=st.lists(st.integers(min_value=0, max_value=300), min_size=2, max_size=2),
)
def test_passage_word_counts_match_counting_each_span_alone(text, bounds):
    # Passages are sized by counting the words of each span; counting them
    # from one pass over the whole text must give the same number as
    # counting the span's own text, even for spans that cut a word.
    start, end = sorted(min(bound, len(text)) for bound in bounds)
    assert _WordCounter(text)(start, end) == words(text[start:end])
