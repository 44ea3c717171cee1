"""Property-based tests: arbitrary Unicode thrown at the query parser and the
analyzer through the public API.

Properties:

* ``Index.search`` raises nothing but :class:`QueryError`, and that only for
  a blank query; it returns a :class:`SearchResults` whose hits have
  highlights and a snippet window inside ``hit.text``;
* ``analyze`` (and every step of ``analysis_steps``) gives tokens whose
  offsets lie inside the input, in order, on the word as written (past an
  elision); the fused analyzer gives exactly the composed steps' tokens;
* every call does bounded work (counted in functions called), and queries
  far beyond the caps (``docs/query.md``, "Limits") return with a note
  naming the cap.

Runs are reproducible: ``derandomize=True`` and no example database.
``SEARCHLIB_FUZZ_EXAMPLES=N`` multiplies the number of examples for a deeper
run than CI's.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Callable, Iterator, List, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import searchlib
from searchlib import QueryError, SearchlibError, SearchResults, analysis_steps, analyze
from searchlib.search.syntax import MAX_CLAUSES, MAX_DEPTH, MAX_FUZZY_DISTANCE, MAX_QUERY_CHARS
from searchlib.analysis import ELISION_PREFIXES, normalize_word
from searchlib.ingest import normalize_date
from searchlib.search.query import MAX_EXPANSION
from work import calls_made, grows_linearly

_SCALE = max(1, int(os.environ.get("SEARCHLIB_FUZZ_EXAMPLES", "1")))

settings.register_profile(
    "searchlib-fuzz",
    derandomize=True,  # the same examples on every run and every machine
    database=None,  # never replay a developer's saved failures in CI
    deadline=None,  # work is bounded by counts, per call, below
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(examples: int) -> settings:
    """The profile, with ``examples`` examples (times SEARCHLIB_FUZZ_EXAMPLES)."""
    return settings(settings.get_profile("searchlib-fuzz"), max_examples=examples * _SCALE)


# Budgets for one call, in functions called (tests/work.py): the same on
# every machine whatever its load. Each is many times what the call takes
# (measured maxima in comments); they catch runaway work (unbounded
# expansion, a scan repeated per token), not a slow machine. The calls'
# times are measured in benchmarks/hostile.py.
SEARCH_CALLS = 200_000  # queries of up to 300 characters: 13,000 at most
HOSTILE_SEARCH_CALLS = 5_000_000  # queries cut at the caps: 1,000,000 at most
ANALYZE_CALLS_PER_CHAR = 20  # 2 per character at most beyond a fixed 600
STEPS_CALLS_PER_CHAR = 60  # 8 per character at most beyond a fixed 2,400


def within(budget: int, call: Callable[[], T]) -> T:
    """``call()``, which must call at most ``budget`` functions."""
    result, count = calls_made(call)
    assert count <= budget, f"{count:,} calls, over the budget of {budget:,}"
    return result


def analyze_budget(text: str, per_char: int) -> int:
    return 10_000 + per_char * len(text)


# -- strategies -----------------------------------------------------------------

# Full Unicode: st.characters() (no category left out) gives controls,
# unassigned and private-use code points and lone surrogates; more lone
# surrogates are mixed in, whatever the version's defaults.
any_char = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr))
any_text = st.text(any_char, max_size=300)

WORDS = [
    "Lavrov", "Kerry", "Syrie", "Astana", "négociations", "negociation", "cessez-le-feu", "États-Unis",
    "ÉTATS-UNIS", "Alep", "Poutine", "Daech", "trêve", "sécurité", "securite", "œuvre", "l’armée", "l'ONU",
    "L’ARMÉE", "jusqu'", "jusqu’à", "qu’", "d'Alep", "aujourd’hui", "O.N.U.", "l’O.N.U.", "2016", "280 000",
    "280.000", "2,5", "1er", "10h30", "mi-2017", "a-t-il", "les", "de", "et", "ou", "il était", "Qui",
    "quel", "?", "!", ":", ";", "…", "—", "«", "»", "中", "北京", "Привет", "مرحبا", "😀", "\u00ad", "\u200b",
    unicodedata.normalize("NFD", "Genève"), "ﬁn", "x" * 65, "a" * 300, "Lav" + "\u0301" * 50,
    "\x00", "\x07", "\x1b[1m", "\ud800", "\udfff", "\ufeff", "\ufffd", "\U0010ffff",
]  # fmt: skip
SYNTAX = [
    '"', "«", "»", "“", "”", "(", ")", "((", "))", "*", "**", "~", "~1", "~2", "~9", "~99999999999999999999",
    "^", "^2", "^0", "^0.5", "^" + "9" * 400, "-", "+", "--", "+-", "OR", "AND", "NOT", "OU", "ET", "SAUF",
    "or", "et", "title:", "titre:", "source:", "site:", "doc:", "id:", "date:", "date:>=", "date:<",
    "date:2016", "date:2016-07..2016-09", "date:..2016-06", "date:>=2017-01", "date:<=2016-12", "date:hier",
    "date:9999-99-99", "foo:", ":", "::", "\\", "'", "’",
]  # fmt: skip
MODIFIERS = ["", "", "", "*", "~", "~1", "~2", "~7", "^2", "^0", "^1.5", "*~", "~^3", "*^2", "**"]
SEPARATORS = [" ", " ", " ", "", "\t", "\n", "\u00a0", "\u202f", "\u3000", "  "]

word = st.one_of(
    st.sampled_from(WORDS),
    st.text(st.characters().filter(lambda char: unicodedata.category(char)[0] in "LMN"), min_size=1, max_size=12),
    st.text(any_char, min_size=1, max_size=6),
)
modified_word = st.builds(lambda prefix, w, modifier: prefix + w + modifier, st.sampled_from(["", "", "-", "+"]), word, st.sampled_from(MODIFIERS))
token = st.one_of(modified_word, st.sampled_from(SYNTAX), st.builds(lambda f, w: f + w, st.sampled_from(["title:", "date:", "doc:", "source:"]), word))
grammar_query = st.lists(st.tuples(token, st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda pairs: "".join(t + s for t, s in pairs)
)
query_text = st.one_of(any_text, grammar_query)


# -- search ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def warm_index(seeds_index: searchlib.Index) -> searchlib.Index:
    # The first search reads the segments' article layout: not what the
    # per-call bound is about.
    seeds_index.search("Lavrov")
    return seeds_index


def check_results(query: str, results: SearchResults, limit: int) -> None:
    assert isinstance(results, SearchResults)
    assert results.query == query
    assert isinstance(results.notes, tuple) and all(isinstance(note, str) and note for note in results.notes)
    assert 0 <= len(results) <= limit and results.total >= len(results)
    for hit in results:
        assert isinstance(hit, searchlib.Hit) and isinstance(hit.text, str) and hit.text
        left, right = hit.snippet_window
        assert 0 <= left <= right <= len(hit.text)
        previous_end = 0
        for start, end in hit.highlights:
            assert previous_end <= start < end <= len(hit.text), (hit.highlights, len(hit.text))
            assert hit.text[start:end] == hit.text[start:end].strip()
            previous_end = end
        marked = hit.snippet.count("<mark>")
        assert marked == hit.snippet.count("</mark>")
        assert marked == sum(1 for s, e in hit.highlights if left <= s and e <= right)


def search_never_fails(ix: searchlib.Index, query: str, limit: int = 5) -> None:
    try:
        results = within(SEARCH_CALLS, lambda: ix.search(query, limit=limit))
    except QueryError:
        assert not query.strip(), f"QueryError for a query that is not blank: {query!r}"
        return
    assert query.strip(), f"a blank query must raise QueryError: {query!r}"
    check_results(query, results, limit)


@fuzz(150)
@given(query=any_text)
def test_arbitrary_unicode_query(warm_index: searchlib.Index, query: str) -> None:
    search_never_fails(warm_index, query)


@fuzz(250)
@given(query=grammar_query)
# Found by this test: a lone surrogate in a doc: or source: filter reached
# the index as a term (UnicodeEncodeError).
@example(query="doc:« \ud800 ")
@example(query='source:"x\udcff" Lavrov')
def test_query_syntax_soup(warm_index: searchlib.Index, query: str) -> None:
    search_never_fails(warm_index, query, limit=3)


@fuzz(40)
@given(query=query_text, after=st.one_of(st.none(), st.sampled_from(["2016", "2017-01", "2016-07-14"]), any_text),
       source=st.one_of(st.none(), any_text), snippet_chars=st.integers(min_value=20, max_value=400))  # fmt: skip
# Found by this test: a date option holding a lone surrogate made Unidecode warn.
@example(query="Lavrov", after="\ud800", source=None, snippet_chars=240)
def test_search_options_with_hostile_values(
    warm_index: searchlib.Index, query: str, after: "str | None", source: "str | None", snippet_chars: int
) -> None:
    """Options too: a blank query or a bad date is a QueryError, nothing
    else escapes."""
    bad_date = after is not None and not _is_date(after)
    try:
        results = within(
            SEARCH_CALLS,
            lambda: warm_index.search(query, limit=3, after=after, source=source, snippet_chars=snippet_chars),
        )
    except QueryError:
        assert not query.strip() or bad_date, (query, after)
        return
    except SearchlibError as error:  # pragma: no cover - the property fails
        pytest.fail(f"{type(error).__name__} is not documented for search: {error}")
    assert query.strip()
    # A bad date goes unread only when the query leaves nothing to search.
    assert not bad_date or len(results) == 0
    check_results(query, results, 3)


def _is_date(value: str) -> bool:
    try:
        normalize_date(value)
    except ValueError:
        return False
    return True


# -- the caps -----------------------------------------------------------------------


def _hostile_search(ix: searchlib.Index, query: str) -> SearchResults:
    results = within(HOSTILE_SEARCH_CALLS, lambda: ix.search(query, limit=5))
    check_results(query, results, 5)
    return results


def _noted(results: SearchResults, *fragments: str) -> bool:
    return any(all(fragment in note for fragment in fragments) for note in results.notes)


@pytest.mark.parametrize(
    "query",
    [
        "Lavrov " * 20_000,  # 140,000 characters
        "x" * 100_000,
        " ".join(f"w{i}" for i in range(10_000)),  # 10,000 terms
        "(" * 10_000 + "Lavrov" + ")" * 10_000,  # nesting 10,000 deep
        '"' * 100_000,
        "-" * 100_000,
        "Lavrov~ " * 10_000,
        "s* " * 10_000,
        "title:" * 10_000 + "Syrie",
        "\ud800" * 100_000,
    ],
    ids=["repeated-words", "one-long-word", "10k-terms", "nesting-10k", "quotes", "dashes", "fuzzy", "prefixes",
         "fields", "surrogates"],
)  # fmt: skip
def test_queries_far_beyond_the_caps_return_quickly_with_a_note(warm_index: searchlib.Index, query: str) -> None:
    results = _hostile_search(warm_index, query)
    assert _noted(results, f"first {MAX_QUERY_CHARS} characters"), results.notes


def test_clause_cap(warm_index: searchlib.Index) -> None:
    query = " ".join(f"w{i}" for i in range(200))
    assert len(query) <= MAX_QUERY_CHARS
    results = _hostile_search(warm_index, query + " Lavrov")
    assert _noted(results, f"first {MAX_CLAUSES} words"), results.notes
    # Words beyond the cap are not searched: Lavrov (word 201) finds nothing.
    assert len(results) == 0
    assert len(_hostile_search(warm_index, " ".join(f"w{i}" for i in range(MAX_CLAUSES - 1)) + " Lavrov")) > 0


def test_depth_cap(warm_index: searchlib.Index) -> None:
    depth = (MAX_QUERY_CHARS - 10) // 2
    results = _hostile_search(warm_index, "(" * depth + "Lavrov" + ")" * depth)
    assert _noted(results, f"deeper than {MAX_DEPTH}"), results.notes
    assert len(results) > 0  # flattened, not dropped
    shallow = _hostile_search(warm_index, "(" * MAX_DEPTH + "Lavrov" + ")" * MAX_DEPTH)
    assert not _noted(shallow, "deeper") and len(shallow) > 0


def test_fuzzy_cap(warm_index: searchlib.Index) -> None:
    results = _hostile_search(warm_index, "Lavorv~99999999999999999999")
    assert _noted(results, f"at most {MAX_FUZZY_DISTANCE} edits"), results.notes


@pytest.fixture(scope="module")
def wide_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchlib.Index]:
    """An index whose vocabulary holds 676 words starting "bav" (the seeds
    hold too few words for any prefix to reach the cap)."""
    words = [f"bav{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    with searchlib.Index(tmp_path_factory.mktemp("wide") / "index") as ix:
        ix.add_documents({"id": f"d{n}", "text": " ".join(words[n : n + 26])} for n in range(0, len(words), 26))
        yield ix


def test_expansion_cap(wide_index: searchlib.Index) -> None:
    for query in ("bav*", "bavqq~2", "bavqq~"):
        results = _hostile_search(wide_index, query)
        assert _noted(results, f"first {MAX_EXPANSION} are searched"), (query, results.notes)
        # At most MAX_EXPANSION indexed words (terms) of the 676 are searched and marked.
        every = wide_index.search(query, limit=100)
        marked = {analyze(hit.text[start:end])[0].text for hit in every for start, end in hit.highlights}
        assert 0 < len(marked) <= MAX_EXPANSION, (query, len(marked))
    many = _hostile_search(wide_index, " ".join(["bav*"] * 60 + ["bavqq~"] * 60))
    assert _noted(many, f"first {MAX_EXPANSION} are searched"), many.notes


def test_each_cap_is_documented_with_its_value() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "query.md").read_text(encoding="utf-8")
    limits = doc.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in limits.splitlines() if line.startswith("| ")}

    def number(value: int) -> str:
        return rf"(?<![\d,]){value:,}(?![\d,])"

    expected = {
        "query length": [MAX_QUERY_CHARS],
        "words and phrases": [MAX_CLAUSES],
        "nesting": [MAX_DEPTH],
        "prefix (`négoc*`)": [MAX_EXPANSION],
        "fuzzy (`word~`)": [MAX_FUZZY_DISTANCE, MAX_EXPANSION],
        "`source:`": [MAX_EXPANSION * 4],
    }
    for name, values in expected.items():
        assert name in rows, f"docs/query.md, Limits: no row for {name}"
        for value in values:
            assert re.search(number(value), rows[name]), f"docs/query.md, Limits, {name}: {value} not stated"


# -- the analyzer ---------------------------------------------------------------

ELISIONS = {prefix + "'" for prefix in ELISION_PREFIXES}


def check_tokens(text: str, tokens: List[searchlib.Token]) -> None:
    previous_end, previous_start, previous_position = 0, 0, -1
    for token in tokens:
        assert isinstance(token.text, str) and token.text
        assert 0 <= token.start < token.end <= len(text), (token, len(text))
        assert previous_start <= token.start, "tokens go backwards"
        if token.position == previous_position:
            # A word's other forms share its position: the hyphenated word
            # joined (it spans the next parts), a name's part after its apostrophe.
            continue
        assert token.position > previous_position
        assert previous_end <= token.start or _in_hyphenated_word(text, previous_end, token.start), "tokens overlap"
        previous_end, previous_start, previous_position = token.end, token.start, token.position


def _in_hyphenated_word(text: str, end: int, start: int) -> bool:
    # Where the word joined came first at its position (its first part a
    # stop word or too long), the next part starts inside it, after a hyphen.
    return start < end and text[start - 1] in "-\u2010\u2011"


def check_analysis(text: str) -> None:
    tokens = within(analyze_budget(text, ANALYZE_CALLS_PER_CHAR), lambda: analyze(text))
    check_tokens(text, tokens)
    steps = within(analyze_budget(text, STEPS_CALLS_PER_CHAR), lambda: analysis_steps(text))
    assert [step.name for step in steps][0] == "tokenizer"
    for step in steps:
        for token in step.tokens:
            assert 0 <= token.start <= token.end <= len(text), (step.name, token)
    # What the index uses (the fused loop) is exactly the composed steps.
    assert tokens == list(steps[-1].tokens)
    # Each token lies on a word as the tokenizer found it, as written: the
    # same end, the start past an elided article ("l'", "jusqu’") at most;
    # or it is the hyphenated word joined, which ends where a later part
    # does, or a name's part after its apostrophe ("O'Neill": "Neill").
    written = {token.position: token for token in steps[0].tokens}
    ends = {token.end for token in steps[0].tokens}
    for token in tokens:
        word = written[token.position]
        assert word.start <= token.start and token.end in ends
        if token.end != word.end:
            assert token.end > word.end and text[word.end] in "-\u2010\u2011", (token, word)
        skipped = normalize_word(text[word.start : token.start]).lower()
        # (Without its apostrophe only where normalisation makes it out of
        # the next character: "ŉ" is "ʼn".)
        elided = not skipped or skipped in ELISIONS or (skipped in ELISION_PREFIXES and text[token.start] == "ŉ")
        name_part = "'" in skipped and text[token.start].isupper()
        assert elided or name_part, skipped
        surface = text[token.start : token.end]
        assert surface.strip() == surface


@fuzz(300)
@given(text=st.text(any_char, max_size=2000))
def test_analyzer_offsets_on_arbitrary_unicode(text: str) -> None:
    check_analysis(text)


@fuzz(300)
# Found by this test: the index's analyzer read a spaced number after "'",
# "_", an ideograph or a lone combining mark as two numbers, the documented
# pipeline as one (so "‘280 000’" was not found by 280000).
@example(text="Lavrov*'280 000 ")
# Found by this test: "ŉ" is "ʼn" in NFKC, so "Cŉ" read as the elision
# "c'n" made the analyzer (and so indexing) raise ValueError.
@example(text="Lavrov Cŉ lŉ dŉ'x")
@example(text="‘280 000’ x_280 000 中280 000 \u0301280 000 5'280 000 a1 000 000 l'280 000")
@given(text=st.lists(st.tuples(modified_word, st.sampled_from(SEPARATORS + [", ", ". ", "-", "'", "’"])), max_size=60).map(
    lambda pairs: "".join(w + s for w, s in pairs)
))  # fmt: skip
def test_analyzer_offsets_on_french_like_text(text: str) -> None:
    check_analysis(text)


@fuzz(200)
@given(text=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join))
def test_a_tokens_surface_analyses_to_its_term(text: str) -> None:
    """``text[start:end]`` is the word as written: analysed alone it gives
    the same term (what highlighting and suggestions rely on)."""
    for token in analyze(text):
        surface = text[token.start : token.end]
        assert token.text in [t.text for t in analyze(surface)], (surface, token)


@pytest.mark.parametrize(
    "text",
    [
        "a." * 100_000 + "ab",
        "l'" * 100_000 + "x",
        "1 000" * 20_000,
        "1." * 100_000 + "x",
        "e" + "\u0301" * 200_000,
        "\ud800" * 200_000,
        "\u00ad" * 200_000,
        "O.N.U." * 30_000,
        ("mot " * 50_000),
    ],
    ids=["acronym-dots", "elisions", "spaced-numbers", "number-dots", "combining", "surrogates", "soft-hyphens",
         "acronyms", "many-words"],
)  # fmt: skip
def test_analyzer_on_long_hostile_input_is_bounded(text: str) -> None:
    tokens = within(analyze_budget(text, ANALYZE_CALLS_PER_CHAR), lambda: analyze(text))
    check_tokens(text, tokens)
    # Work inside one C call (a regular expression backtracking) is not
    # counted: the time taken on a quarter of the input, measured here
    # beside the whole, must grow linearly, not quadratically.
    assert grows_linearly(lambda size: analyze(text[:size]), len(text))
