from __future__ import annotations

import re

from searchlib.passages import MAX_WORDS, MIN_WORDS, split_passages, split_sentences


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
