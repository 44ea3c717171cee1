from __future__ import annotations

from searchlib.analysis import FrenchAnalyzer
from searchlib.search.query import parse_query
import pytest

from searchlib.results import ELLIPSIS, render
from searchlib.search.snippets import find_matches, make_snippet, merge_spans, pattern_terms, snippet_window


ANALYZER = FrenchAnalyzer()


def matches(text: str, query: str):
    return find_matches(text, parse_query(query, ANALYZER).patterns, ANALYZER.all_tokens)


def test_matches_land_on_the_words_as_written():
    text = "L’inquiétude des États-Unis grandit aux ÉTATS-UNIS."
    found = matches(text, "etats-unis")
    # the parts of the phrase, and the word joined
    assert [text[s:e] for s, e, _ in found] == ["États", "États-Unis", "Unis", "ÉTATS", "ÉTATS-UNIS", "UNIS"]
    assert [text[s:e] for s, e in merge_spans(text, found)] == ["États-Unis", "ÉTATS-UNIS"]


def test_highlighting_from_the_query_words_alone_finds_the_same_matches():
    """Search builds tokens only for the query's own words: phrases and
    single words are highlighted exactly as from every token."""
    text = (
        "Le secrétaire d'État des États-Unis et le cessez-le-feu : les États unis, "
        "puis l'état d'urgence, enfin la Syrie et les Nations unies à Genève."
    )
    for query in ["etats-unis", '"état d\'urgence" Syrie', "cessez-le-feu Genève", '"Nations unies"', "le la"]:
        patterns = parse_query(query, ANALYZER).patterns
        wanted = pattern_terms(patterns)
        only = find_matches(text, patterns, lambda value: ANALYZER.all_tokens(value, only=wanted))
        assert only == find_matches(text, patterns, ANALYZER.all_tokens) != [], query
        assert len(ANALYZER.all_tokens(text, only=wanted)) < len(ANALYZER.all_tokens(text))


def test_phrase_parts_are_highlighted_only_where_the_phrase_is():
    text = "Le secrétaire d'État américain parle des États-Unis."
    assert [text[s:e] for s, e in merge_spans(text, matches(text, "etats-unis"))] == ["États-Unis"]


def test_compound_with_an_unmatched_middle_is_one_highlight():
    text = "Le cessez-le-feu tient."
    assert [text[s:e] for s, e in merge_spans(text, matches(text, "cessez-le-feu"))] == ["cessez-le-feu"]


def test_snippet_marks_and_escapes():
    text = 'Un <script>alert("x")</script> & la Syrie'
    snippet = make_snippet(text, matches(text, "Syrie"))
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert snippet.endswith("<mark>Syrie</mark>")


def test_snippet_is_the_densest_cluster_not_the_first_match():
    filler = " ".join(["remplissage"] * 60)
    text = f"Lavrov au début. {filler} Enfin Lavrov rencontre Kerry à Genève. {filler}"
    snippet = make_snippet(text, matches(text, "Lavrov Kerry Genève"), width=120)
    assert "<mark>Kerry</mark>" in snippet and "<mark>Genève</mark>" in snippet
    assert snippet.startswith(ELLIPSIS) and snippet.endswith(ELLIPSIS)
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 120 + 2


def test_snippet_cuts_between_words():
    text = " ".join(f"mot{i}" for i in range(200)) + " Syrie " + " ".join(f"mot{i}" for i in range(200))
    snippet = make_snippet(text, matches(text, "Syrie"), width=80)
    inner = snippet.strip(ELLIPSIS).replace("<mark>", "").replace("</mark>", "")
    for word in inner.split():
        assert word in text.split()


def test_short_passage_is_whole():
    text = "La Syrie."
    assert make_snippet(text, matches(text, "syrie")) == "La <mark>Syrie</mark>."
    assert make_snippet(text, []) == "La Syrie."


def test_formats_and_marks():
    text = "Le <b>ministre</b> Lavrov & Kerry."
    start = text.index("Lavrov")
    window, spans = (0, len(text)), [(start, start + 6)]
    assert render(text, window, spans, "html") == "Le &lt;b&gt;ministre&lt;/b&gt; <mark>Lavrov</mark> &amp; Kerry."
    assert render(text, window, spans, "ansi") == "Le <b>ministre</b> \x1b[1mLavrov\x1b[0m & Kerry."
    assert render(text, window, spans, "text") == "Le <b>ministre</b> [Lavrov] & Kerry."
    assert render(text, window, spans, "text", ("**", "**")) == "Le <b>ministre</b> **Lavrov** & Kerry."
    with pytest.raises(ValueError):
        render(text, window, spans, "pdf")


def test_window_length_is_configurable():
    text = " ".join(f"mot{n}" for n in range(200)) + " Lavrov " + " ".join(f"mot{n}" for n in range(200))
    start = text.index("Lavrov")
    matches = [(start, start + 6, "lavrov")]
    for width in (60, 240, 600):
        left, right = snippet_window(text, matches, width)
        assert left <= start < start + 6 <= right and right - left <= width
        assert text[left - 1] == " " and text[right] == " "  # cut between words
