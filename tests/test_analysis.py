from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from searchlib import analysis_steps, analyze
from searchlib.analysis import MAX_TOKEN_LENGTH, ElisionFilter, FoldFilter, FrenchAnalyzer, FrenchStopFilter, FrenchTokenizer, LengthFilter, LowercaseFilter, NormalizeFilter, NumberFilter, StemFilter, french_pipeline

ANALYZER = FrenchAnalyzer()


def terms(text: str, analyzer: FrenchAnalyzer = ANALYZER) -> list[str]:
    return [t.text for t in analyze(text, analyzer)]


def surfaces(text: str) -> list[str]:
    return [text[t.start : t.end] for t in analyze(text, ANALYZER)]


def run(step, words: list[str]) -> list[str]:
    """Run one filter on tokens made by the tokenizer alone."""
    tokens = FrenchTokenizer()(" ".join(words), positions=True, chars=True)
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
    tokens = [t.text for t in FrenchTokenizer()("le 2,5 et 280.000 et 280\u00a0000 à l'O.N.U. et l’U.E", chars=True)]
    assert tokens == ["le", "2,5", "et", "280.000", "et", "280\u00a0000", "à", "l'O.N.U.", "et", "l’U.E"]


def test_tokenizer_splits_ideographs_one_by_one():
    assert [t.text for t in FrenchTokenizer()("北京市 Paris")] == ["北", "京", "市", "Paris"]


def test_normalize_composes_nfd_and_expands_ligatures():
    nfd = unicodedata.normalize("NFD", "Sécurité")
    assert run(NormalizeFilter(), [nfd, "œuvre", "Œdipe", "ﬁn", "ﬂeur", "so\u00adcial", "l’État"]) == [
        "Sécurité",
        "oeuvre",
        "OEdipe",
        "fin",
        "fleur",
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
        ("j'ai", "ai"),
        ("m'a", "a"),
        ("n'est", "est"),
        ("t'es", "es"),
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


def test_numbers_written_one_way():
    assert run(NumberFilter(), ["280.000", "2,5", "2017", "1.5", "o.n.u."]) == ["280000", "2,5", "2017", "1.5", "onu"]


def test_length_filter_drops_garbage():
    assert run(LengthFilter(), ["court", "x" * (MAX_TOKEN_LENGTH + 1)]) == ["court"]


def test_stop_words_removed_with_position_gaps():
    tokens = FrenchStopFilter()(FrenchTokenizer()("les forces de la coalition", positions=True))
    assert [(t.text, t.pos) for t in tokens] == [("forces", 1), ("coalition", 4)]


def test_stop_list_is_snowballs_with_what_older_lists_miss():
    stop = FrenchStopFilter().stops
    assert {"les", "ils", "cette", "le", "de", "été", "qu", "l"} <= stop
    assert "syrie" not in stop and "fois" not in stop


def test_stemming_uses_the_accented_word():
    # Snowball needs the accents: "sécurité" stems to "sécur", "securite" to "securit".
    assert run(StemFilter(), ["sécurité", "securite", "négociations", "russes"]) == ["sécur", "securit", "négoci", "russ"]


def test_stemming_joins_plurals_in_x_to_their_singular():
    assert run(StemFilter(), ["jeux", "jeu", "feux", "feu", "lieux", "lieu", "voeux", "voeu"]) == [
        "jeu",
        "jeu",
        "feu",
        "feu",
        "lieu",
        "lieu",
        "voeu",
        "voeu",
    ]
    # ...without splitting words Snowball put together
    assert len(set(run(StemFilter(), ["heureux", "heureuse", "heureuses"]))) == 1


def test_fold_removes_accents_of_latin_letters_only():
    assert run(FoldFilter(), ["sécur", "négoci", "Qaïda", "Łódź", "Путин", "北"]) == ["secur", "negoci", "Qaida", "Lodz", "Путин", "北"]


# -- the whole analyzer --------------------------------------------------------


def _composed(text: str) -> list[tuple[str, int, int, int]]:
    tokenizer, *filters = [step for _, step in french_pipeline()]
    stream = tokenizer(text, positions=True, chars=True)
    for step in filters:
        stream = step(stream)
    return [(t.text, t.startchar, t.endchar, t.pos) for t in stream]


def test_fused_analyzer_equals_the_composed_steps(seeds_dir):
    samples = [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.iterdir())]
    samples.append("L’ŒUVRE d’Al-Qaïda à l’O.N.U. : 280\u202f000 réfugiés, 2,5 %, qu’ils aient « vu » x" + "y" * 300)
    samples.append("a280 000 l'280 000 1.280 000 12 3456 (3 000) 1 000 000,5 2016 300 000 x_y 北京 ᵃ")
    for text in samples:
        fused = [(t.text, t.start, t.end, t.position) for t in analyze(text, FrenchAnalyzer())]
        assert fused == _composed(text)


# Words of letters with punctuation around them take the analyzer's fast
# path; these runs mix them with every character that must leave it.
_RUN_PIECES = st.sampled_from(
    ["a", "lʼ", "d’", "qu'", "É", "œ", "Qaïda", "x" * 60, "ʼ", "’", "'", "-", ".", "U.E", ",", "…", "«", "»", "(", ")", "[", '"', "“",
     "1", "2,5", "\u0301", "\u00ad", "北", "_", "ᵃ", "Ł", "ß", "?", "!", ";", ":", "\u200b", "/", "%"]
)


@settings(derandomize=True, database=None, deadline=None, max_examples=400)
@given(st.lists(st.lists(_RUN_PIECES, min_size=1, max_size=5).map("".join), min_size=1, max_size=6).map(" ".join))
def test_the_fast_path_for_plain_words_reads_as_the_composed_steps(text):
    fused = [(t.text, t.start, t.end, t.position) for t in analyze(text, FrenchAnalyzer())]
    assert fused == _composed(text)


def test_a_letter_apostrophe_still_elides():
    tokens = analyze("dʼAlep lʼarmée", FrenchAnalyzer())
    assert [(t.text, t.start) for t in tokens] == [("alep", 2), ("arme", 9)]


def test_accents_and_case_give_the_same_terms():
    assert terms("SÉCURITÉ") == terms("sécurité") == terms("Sécurité")
    assert terms("États-Unis") == terms("etats-unis") == terms("ETATS-UNIS")


def test_nfd_input_matches_nfc_with_exact_offsets():
    nfc = "Les négociations à Genève, l’Élysée et l’œuvre"
    nfd = unicodedata.normalize("NFD", nfc)
    assert terms(nfd) == terms(nfc)
    assert [unicodedata.normalize("NFC", s) for s in surfaces(nfd)] == surfaces(nfc)


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʼ"])
def test_elision_with_every_apostrophe_and_case(apostrophe):
    assert terms(f"L{apostrophe}ARMÉE QU{apostrophe}ELLE") == terms("armée elle") == ["arme"]
    assert terms(f"aujourd{apostrophe}hui") == terms("aujourd'hui") == ["aujourd'hui"]
    text = f"JUSQU{apostrophe}AUX LORSQU{apostrophe}ON d{apostrophe}Alep"
    assert surfaces(text) == ["Alep"]


def test_plurals_and_inflections_share_a_term():
    assert len(set(terms("négociation négociations négocier"))) == 1
    assert terms("jeux") == terms("jeu") and terms("feux") == terms("feu") and terms("lieux") == terms("lieu")


def test_ligatures():
    assert terms("œuvre") == terms("oeuvre") == terms("ŒUVRE") == terms("OEUVRE")
    assert terms("nævus") == terms("naevus")
    assert terms("ﬁn ﬂeur") == terms("fin fleur")


def test_unicode_spaces_and_invisible_characters():
    assert terms("Syrie\u00a0et\u202fRussie") == terms("Syrie Russie")
    assert terms("Sy\u200brie") == terms("Sy\u00adrie") == terms("Syrie")
    assert terms("« Syrie » “Russie” ‘Iran’") == terms("Syrie Russie Iran")
    text = "so\u00adcial"
    assert surfaces(text) == [text]


def test_numbers():
    assert terms("280.000") == terms("280 000") == terms("280\u00a0000") == terms("280\u202f000") == terms("280000") == ["280000"]
    assert terms("2,5") == ["2,5"]
    assert terms("en 2017") == ["2017"]
    assert terms("1er août 2016") == ["1er", "aout", "2016"]


def test_acronyms():
    assert terms("O.N.U.") == terms("ONU") == terms("onu") == terms("l’O.N.U.") == terms("O.N.U") == ["onu"]
    assert surfaces("à l’O.N.U. hier") == ["O.N.U.", "hier"]


def test_hyphenated_words_are_their_parts_in_sequence_and_the_word_joined():
    for hyphenated in ["cessez-le-feu", "États-Unis", "arabo-kurdes", "Al-Nosra", "a-t-il", "mi-2017"]:
        spaced = hyphenated.replace("-", " ")
        joined = analyze(hyphenated.replace("-", ""))[0]
        parts = [(t.text, t.position) for t in analyze(spaced)]
        assert [(t.text, t.position) for t in analyze(hyphenated)] == [parts[0], (joined.text, 0)] + parts[1:]
    assert terms("Al-Nosra") == ["al", "alnosr", "nosr"]
    assert terms("e-mail") == ["e", "email", "mail"] and "email" in terms("email")
    assert terms("week-end") == ["week", "weekend", "end"] and terms("weekend") == ["weekend"]


def test_the_joined_word_spans_the_hyphenated_one_as_written():
    text = "Un e-mail, l’e‑mail ; 2016-2017 et 280 000-Z"
    found = [(t.text, text[t.start : t.end], t.position) for t in analyze(text)]
    assert ("email", "e-mail", 1) in found and ("email", "e‑mail", 3) in found
    assert not any(term.startswith("2016") and term != "2016" for term, _, _ in found)  # numbers alone are not joined
    assert [term for term, _, _ in found][-1] == "z"  # nor a number grouped by spaces


@pytest.mark.parametrize("apostrophe", ["'", "’", "ʼ"])
def test_a_name_with_an_apostrophe_also_gives_its_main_part(apostrophe):
    text = f"Eugene O{apostrophe}Neill et d{apostrophe}O{apostrophe}Brien"
    found = [(t.text, text[t.start : t.end], t.position) for t in analyze(text)]
    assert found == [
        ("eugen", "Eugene", 0), ("o'neil", f"O{apostrophe}Neill", 1), ("neil", "Neill", 1),
        ("o'brien", f"O{apostrophe}Brien", 3), ("brien", "Brien", 3),
    ]  # fmt: skip
    assert terms(f"aujourd{apostrophe}hui") == ["aujourd'hui"]  # not a name: kept whole


def test_fused_analyzer_equals_the_composed_steps_on_joined_words():
    text = "Le cessez-le-feu, l’e-mail d’O’Neill, aujourd'hui-même, COVID-19, 2016-2017, a-280 000-b, week‑end, x-" + "y" * 300
    fused = [(t.text, t.start, t.end, t.position) for t in analyze(text, FrenchAnalyzer())]
    assert fused == _composed(text)


def test_offsets_point_into_the_original_text():
    text = "« La partie russe a mis l’accent », a-t-il dit à l’O.N.U. le 14 juillet. Œuvre ﬁnale."
    for token in analyze(text):
        original = text[token.start : token.end]
        assert original and original == original.strip()
        assert token.text in [t.text for t in analyze(original)]  # a hyphenated word joined is not its first


def test_custom_stop_words():
    analyzer = FrenchAnalyzer(stop_words={"syrie"})
    assert terms("les Syrie", analyzer) == ["le"]


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", " ?!… « » — ", "\x00\x01\x1f\x7f", "😀🇫🇷", "مرحبا بالعالم", "Привет мир", "北京欢迎你", "\ud800 lone surrogate"],
)
def test_robust_input(text):
    tokens = analyze(text)
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)


def test_a_megabyte_word_is_dropped_quickly():
    text = "début " + "a" * 1_000_000 + " fin"
    assert terms(text) == ["debut", "fin"]


def test_other_scripts_are_searchable_as_written():
    assert terms("Привет") == ["привет"]
    assert terms("北京") == ["北", "京"]


def test_stop_words_only_gives_no_terms():
    assert analyze("le la les de des et") == []


def test_analyze_rejects_non_text():
    with pytest.raises(TypeError):
        analyze(b"bytes")  # type: ignore[arg-type]


def test_analysis_steps_show_each_stage():
    steps = analysis_steps("L’ARMÉE des États-Unis")
    assert [s.name for s in steps] == [
        "tokenizer", "normalize", "lowercase", "elision", "compounds", "numbers", "length", "stop", "stem", "fold"
    ]  # fmt: skip
    by_name = {s.name: [t.text for t in s.tokens] for s in steps}
    assert by_name["tokenizer"] == ["L’ARMÉE", "des", "États", "Unis"]
    assert by_name["elision"] == ["armée", "des", "états", "unis"]
    assert by_name["compounds"] == ["armée", "des", "états", "étatsunis", "unis"]
    assert by_name["stop"] == ["armée", "états", "étatsunis", "unis"]
    assert by_name["fold"] == terms("L’ARMÉE des États-Unis")


def test_analyzer_survives_pickling():
    import pickle

    clone = pickle.loads(pickle.dumps(FrenchAnalyzer(stop_words={"x"})))
    assert clone == FrenchAnalyzer(stop_words={"x"}) and terms("x Syrie", clone) == ["syr"]


def test_count_words_tells_a_words_forms_apart():
    analyzer = FrenchAnalyzer()
    text = "Le Président et la présidence ; les présidents, l'autre président."
    terms, forms = analyzer.count_words(text, {"president"}, {"president"})
    assert terms == {"president": 4}  # one stem for all four
    assert forms == {"president": 2}  # written so twice, accents and case aside
    assert analyzer.count_words(text, {"president"}, {"presidence", "presidents"})[1] == {"presidence": 1, "presidents": 1}
    assert analyzer.count_words(text, {"autr"}, {"autre"}) == ({"autr": 1}, {"autre": 1})  # past the elision


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x303F), max_size=40) | st.sampled_from(
    ["O.N.U.", "l'U.E.", "280 000 €", "2,5 1er 10h30", "aujourd'hui", "e\u0301te\u0301", "co\u00adop", "x_1 ²③"]
))
def test_text_without_cjk_is_tokenized_as_the_whole_pattern_tokenizes_it(text):
    """The tokenizer reads text holding no character from U+3040 on with a
    pattern less the CJK ranges (it compiles at once): same tokens."""
    from searchlib.analysis import words

    whole = words._TOKEN_RE.compiled()
    assert [m.span() for m in words._TOKEN_RE.finditer(text)] == [m.span() for m in whole.finditer(text)]


def test_ideographs_are_still_a_token_each_beside_other_words():
    from searchlib.analysis import words

    assert [m.group() for m in words._TOKEN_RE.finditer("Tokyo東京, l'été 2016")] == ["Tokyo", "東", "京", "l'été", "2016"]
