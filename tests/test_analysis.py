from __future__ import annotations

import unicodedata

import pytest

from searchlib import analyze
from searchlib.analysis import (
    ElisionFilter,
    FoldFilter,
    FrenchStopFilter,
    FrenchTokenizer,
    LowercaseFilter,
    NormalizeFilter,
    NumberFilter,
    SnowballStemFilter,
)


def terms(text: str) -> list[str]:
    return [t.text for t in analyze(text)]


def surfaces(text: str) -> list[str]:
    return [text[t.start : t.end] for t in analyze(text)]


def run(step, words: list[str], **token_options) -> list[str]:
    """Run one filter on tokens made by the tokenizer alone."""
    text = " ".join(words)
    tokens = FrenchTokenizer()(text, positions=True, chars=True, **token_options)
    return [t.text for t in step(tokens)]


# -- each step alone ---------------------------------------------------------


def test_tokenizer_splits_hyphens_and_keeps_apostrophes_inside_words():
    text = "cessez-le-feu l’armée aujourd'hui, Al-Nosra."
    # Whoosh reuses one token object, so read each token as it comes.
    tokens = [(t.text, t.startchar, t.endchar, t.pos) for t in FrenchTokenizer()(text, positions=True, chars=True)]
    assert [t[0] for t in tokens] == ["cessez", "le", "feu", "l’armée", "aujourd'hui", "Al", "Nosra"]
    assert [text[start:end] for _, start, end, _ in tokens] == [t[0] for t in tokens]
    assert [t[3] for t in tokens] == list(range(7))


def test_tokenizer_keeps_numbers_and_acronyms_whole():
    tokens = [t.text for t in FrenchTokenizer()("le 2,5 et 280.000 et 280\u00a0000 à l'O.N.U.", chars=True)]
    assert tokens == ["le", "2,5", "et", "280.000", "et", "280\u00a0000", "à", "l'O.N.U."]


def test_normalize_composes_nfd_and_expands_ligatures():
    nfd = unicodedata.normalize("NFD", "Sécurité")
    assert run(NormalizeFilter(), [nfd, "œuvre", "Œdipe", "ﬁn", "so\u00adcial", "l’État"]) == [
        "Sécurité",
        "oeuvre",
        "OEdipe",
        "fin",
        "social",
        "l'État",
    ]


def test_lowercase():
    assert run(LowercaseFilter(), ["L’ARMÉE", "Qu’il"]) == ["l’armée", "qu’il"]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("l'armée", "armée"),
        ("d'autres", "autres"),
        ("qu'il", "il"),
        ("jusqu'ici", "ici"),
        ("lorsqu'elle", "elle"),
        ("puisqu'on", "on"),
        ("quoiqu'il", "il"),
        ("s'ils", "ils"),
        ("c'est", "est"),
        ("aujourd'hui", "aujourd'hui"),
        ("prud'homme", "prud'homme"),
    ],
)
def test_elision(word, expected):
    assert run(ElisionFilter(), [word]) == [expected]


def test_elision_moves_the_start_offset_past_the_apostrophe():
    text = "L’ARMÉE"
    (token,) = analyze(text)
    assert text[token.start : token.end] == "ARMÉE"


def test_numbers_written_one_way():
    assert run(NumberFilter(), ["280.000", "2,5", "2017", "O.N.U."]) == ["280000", "2,5", "2017", "ONU"]


def test_stop_words_removed_with_position_gaps():
    tokens = FrenchStopFilter()(FrenchTokenizer()("les forces de la coalition", positions=True))
    assert [(t.text, t.pos) for t in tokens] == [("forces", 1), ("coalition", 4)]


def test_stop_list_has_what_older_lists_miss():
    stop = FrenchStopFilter().stops
    assert {"les", "ils", "cette", "le", "de", "été"} <= stop
    assert "syrie" not in stop


def test_stemming_uses_the_accented_word():
    # Snowball needs the accents: "sécurité" stems to "sécur", "securite" to "securit".
    assert run(SnowballStemFilter(), ["sécurité", "négociations", "russes"]) == ["sécur", "négoci", "russ"]


def test_fold_removes_accents():
    assert run(FoldFilter(), ["sécur", "négoci", "Qaïda"]) == ["secur", "negoci", "Qaida"]


# -- the whole analyzer --------------------------------------------------------


def test_accents_and_case_give_the_same_terms():
    assert terms("SÉCURITÉ") == terms("sécurité") == terms("Sécurité")
    assert terms("États-Unis") == terms("etats-unis") == terms("ETATS-UNIS")


def test_nfd_input_matches_nfc_with_exact_offsets():
    nfc = "Les négociations à Genève"
    nfd = unicodedata.normalize("NFD", nfc)
    assert terms(nfd) == terms(nfc)
    assert [unicodedata.normalize("NFC", s) for s in surfaces(nfd)] == surfaces(nfc)


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʼ"])
def test_elision_with_every_apostrophe_and_case(apostrophe):
    assert terms(f"L{apostrophe}ARMÉE QU{apostrophe}ELLE") == terms("armée elle") == ["arme"]
    assert terms(f"aujourd{apostrophe}hui") == ["aujourd'hui"]


def test_plurals_and_inflections_share_a_stem():
    assert len(set(terms("négociation négociations négocier"))) == 1
    assert len(set(terms("russe russes Russie"))) <= 2


def test_ligatures():
    assert terms("œuvre") == terms("oeuvre") == terms("ŒUVRE")


def test_numbers():
    assert terms("280.000") == terms("280 000") == terms("280\u202f000") == terms("280000") == ["280000"]
    assert terms("2,5") == ["2,5"]
    assert terms("en 2017") == ["2017"]


def test_acronyms():
    assert terms("O.N.U.") == terms("ONU") == terms("onu") == terms("l’O.N.U.") == ["onu"]
    text = "à l’O.N.U. hier"
    assert surfaces(text) == ["O.N.U.", "hier"]


def test_hyphenated_words_are_their_parts_in_sequence():
    tokens = analyze("cessez-le-feu")
    assert [t.text for t in tokens] == terms("cessez le feu")
    assert [t.position for t in tokens] == [t.position for t in analyze("cessez le feu")]


def test_offsets_point_into_the_original_text():
    text = "« La partie russe a mis l’accent », a-t-il dit à l’O.N.U. le 14 juillet."
    for token in analyze(text):
        original = text[token.start : token.end]
        assert original and not original[0].isspace()
        assert analyze(original)[0].text == token.text


def test_stop_words_only_gives_nothing():
    assert analyze("le la les de des et") == []
    assert analyze("") == []
    assert analyze(" ?!… « » ") == []


def test_analyze_rejects_non_text():
    with pytest.raises(TypeError):
        analyze(b"bytes")  # type: ignore[arg-type]
