"""Ranking: passage BM25, article context, coordination, weak words,
spellings of one word, and exact totals over every matching passage."""

from __future__ import annotations

import dataclasses
import math

import pytest

import searchlib
from searchlib import Index, Ranking
from searchlib.search import ranking as _ranking
from searchlib.search.scoring import probabilistic_idf

FILLER = "La réunion a eu lieu dans la capitale, selon un communiqué publié le soir même. "


def docs(results) -> list[str]:
    return [hit.doc_id for hit in results]


def paragraphs(*texts: str) -> str:
    """A document whose paragraphs become separate passages."""
    return "\n\n".join(text + " " + FILLER * 6 for text in texts)


@pytest.fixture
def index(tmp_path):
    with Index(tmp_path / "index") as ix:
        yield ix


def test_probabilistic_idf_gives_a_word_found_everywhere_next_to_no_weight():
    assert probabilistic_idf(1000, 1000) < 0.001 < probabilistic_idf(1000, 500) < probabilistic_idf(1000, 10)
    assert probabilistic_idf(1000, 1) == pytest.approx(math.log(1 + 999.5 / 1.5))


def test_the_article_context_ranks_a_passage_of_an_article_about_the_query_first(index):
    shared = "Le ministre Lavrov a rencontré son homologue à Genève."
    index.add_documents(
        [
            {"id": "about", "text": paragraphs(shared, "Lavrov et Kerry ont parlé de la trêve.", "Kerry reviendra.")},
            {"id": "aside", "text": paragraphs(shared, "Le marché aux fleurs ouvre samedi.", "Il pleuvra demain.")},
        ]
    )
    hits = index.search("Lavrov Kerry Genève", limit=10, collapse_duplicates=False)
    copies = [hit.doc_id for hit in hits if hit.text.startswith(shared)]
    assert copies == ["about", "aside"]
    without = index.search("Lavrov Kerry Genève", limit=10, collapse_duplicates=False, ranking=Ranking(context=0.0))
    alone = [hit for hit in without if hit.text.startswith(shared)]
    assert alone[0].score == pytest.approx(alone[1].score)  # the same passage scores alike without its article


def test_per_doc_ranks_each_document_once_by_its_best_passage(index):
    index.add_documents(
        [
            {"id": "many", "text": paragraphs("Astana accueille les pourparlers.", "Astana encore.", "Astana toujours.")},
            {"id": "one", "text": paragraphs("Les pourparlers d'Astana sur la Syrie reprennent à Astana.")},
        ]
    )
    every = index.search("pourparlers Astana", limit=10, collapse_duplicates=False)
    best = index.search("pourparlers Astana", limit=10, per_doc=1, collapse_duplicates=False)
    assert sorted(docs(best)) == ["many", "one"]
    first_passages = {}
    for hit in every:
        first_passages.setdefault(hit.doc_id, hit.passage)
    assert [(hit.doc_id, hit.passage) for hit in best] == [(d, first_passages[d]) for d in docs(best)]


def test_passages_holding_more_of_the_query_words_rank_higher(index):
    index.add_documents(
        [
            {"id": "both", "text": "Le cessez-le-feu à Alep tient depuis lundi."},
            {"id": "alep", "text": "Alep, Alep et encore Alep : la ville est au cœur de la guerre à Alep."},
        ]
    )
    assert docs(index.search("trêve Alep lundi", limit=2))[0] == "both"


def test_question_words_weigh_less_than_the_words_that_matter(index):
    index.add_documents(
        [
            {"id": "filler", "text": "Combien de fois ? Combien de jours, combien de temps."},
            {
                "id": "treaty",
                "text": "Le traité de Versailles fut signé à Paris en 1919 par les Alliés et les vaincus, "
                "après de longues négociations.",
            },
        ]
    )
    assert docs(index.search("combien traité", limit=2)) == ["treaty", "filler"]
    # the lever decides
    assert docs(index.search("combien traité", limit=2, ranking=Ranking(weak_words=1.0))) == ["filler", "treaty"]


def test_a_rare_spelling_does_not_outweigh_the_word_typed(index):
    index.add_documents(
        [{"id": f"daech{n}", "text": f"Daech a revendiqué l'attaque numéro {n} dans le nord."} for n in range(8)]
        + [{"id": "daesh", "text": "Daesh a revendiqué l'attaque dans le nord."}]
    )
    found = docs(index.search("Daech", limit=20))
    assert "daesh" in found and found[-1] == "daesh"
    assert docs(index.search("Daesh", limit=20))[0] == "daesh"


def test_a_name_is_not_taken_for_a_far_commoner_one(index):
    index.add_documents(
        [{"id": f"france{n}", "text": f"La France a voté le texte {n} à l'Assemblée."} for n in range(15)]
        + [{"id": "franck", "text": "Franck a voté le texte à l'Assemblée."}]
    )
    assert "franck" not in docs(index.search("France", limit=50))
    assert docs(index.search("Franck", limit=50))[0] == "franck"


def test_totals_and_matches_agree_with_whoosh_scoring(index):
    index.add_documents(
        [
            {"id": "a", "text": paragraphs("Lavrov à Genève.", "Kerry à Genève.")},
            {"id": "b", "text": paragraphs("Lavrov et Kerry à Vienne.")},
            {"id": "c", "text": paragraphs("Rien à voir.", "Genève sous la pluie.")},
        ]
    )
    for query in ["Lavrov Kerry", "Lavrov AND Genève", "Genève -Kerry", '"à Genève"', "Gen*"]:
        ours = index.search(query, limit=50, collapse_duplicates=False)
        theirs = index.search(query, limit=50, collapse_duplicates=False, ranking=Ranking.bm25())
        assert ours.total == theirs.total == len(ours), query
        assert sorted((h.doc_id, h.passage) for h in ours) == sorted((h.doc_id, h.passage) for h in theirs), query


def test_without_levers_passages_score_as_whoosh_scores_them(tmp_path):
    """With every lever off, searchlib's own scoring gives each passage
    Whoosh's BM25F score: the passage lengths and articles it reads match
    Whoosh's, across segments, updates and deletions."""
    plain = dataclasses.replace(Ranking.bm25(), term_at_a_time=True, one_word_spellings=False)
    words = ["Lavrov", "Kerry", "Genève", "Alep", "trêve"]
    rows = [
        {"id": f"d{n}", "text": paragraphs(*(" ".join(words[(n + k) % 5] for k in range(n % 4 + 1)) + "." for _ in range(n % 3 + 1)))}
        for n in range(30)
    ]
    with Index(tmp_path / "ix", workers=0) as ix:
        ix.add_documents(rows[:15])
        ix.add_documents(rows[15:])  # a second segment
        ix.add_documents([dict(rows[3], text=paragraphs("Lavrov Lavrov Kerry à Genève, encore."))])  # an update
        ix.delete("d20")
        for query in ["Lavrov", "Kerry", "Genève", "trêve"]:
            ours = {
                (h.doc_id, h.passage): h.score for h in ix.search(query, limit=100, collapse_duplicates=False, ranking=plain)
            }
            theirs = {
                (h.doc_id, h.passage): h.score
                for h in ix.search(query, limit=100, collapse_duplicates=False, ranking=Ranking.bm25())
            }
            assert ours.keys() == theirs.keys() and len(ours) > 10, query
            assert ("d20", 0) not in ours
            for key, score in ours.items():
                assert score == pytest.approx(theirs[key], rel=1e-9), (query, key)


def test_updated_and_deleted_documents_leave_no_trace_in_the_ranking(index):
    index.add_documents([{"id": "a", "text": "Minbej est tombée."}, {"id": "b", "text": "Minbej a été reprise."}])
    assert index.search("Minbej").total == 2
    index.add_documents([{"id": "a", "text": "Le front est calme."}])
    assert docs(index.search("Minbej")) == ["b"] and index.search("Minbej").total == 1
    assert docs(index.search("calme")) == ["a"]
    index.delete("b")
    assert index.search("Minbej").total == 0


def test_the_proximity_lever_ranks_words_standing_together_first(index):
    far = "Lavrov " + " ".join(f"mot{n}" for n in range(30)) + " Kerry."
    near = "Lavrov et Kerry " + " ".join(f"mot{n}" for n in range(28)) + "."
    index.add_documents([{"id": "far", "text": far}, {"id": "near", "text": near}])
    near_first = Ranking(proximity=0.5)
    results = index.search("Lavrov Kerry", limit=2, explain=True, collapse_duplicates=False, ranking=near_first)
    assert docs(results) == ["near", "far"]
    bonus = {hit.doc_id: dict((f, s) for f, _, s in hit.explanation)["proximity"] for hit in results}
    assert bonus["near"] > 0 == bonus["far"]


PHRASES = [
    '"gilets jaunes"', '"état d\'urgence"', '"Front national"', '"coupe du monde"', "cessez-le-feu",
    '"Nations unies"', '"le président de la République"', '"etats unis"', '"prix du pétrole" Syrie',
]


def test_phrases_matched_here_score_as_whoosh_matches_them(tmp_path, monkeypatch):
    """Phrases of plain words are matched by searchlib's own code; Whoosh's
    span matcher, on the same index, gives the same passages and scores,
    deleted passages and words with several spellings included."""
    from news_sample import articles

    from searchlib.search import scoring as _scoring

    rows = articles(400)
    rows.append({"id": "etats", "text": "Les États-Unis et les Etats unis : les états unis de la phrase."})
    with Index(tmp_path / "ix", workers=0) as ix:
        ix.add_documents(rows[:200])
        ix.add_documents(rows[200:])  # two segments
        ix.add_documents([dict(rows[5], text=rows[5]["text"] + " Gilets jaunes.")])  # a deletion
        ix.delete(rows[7]["id"])
        ours = {q: [(h.doc_id, h.passage, h.score) for h in ix.search(q, limit=50)] for q in PHRASES}
        ours_totals = {q: ix.search(q).total for q in PHRASES}
        used = []
        original = _scoring.phrase_scores
        monkeypatch.setattr(_scoring, "phrase_scores", lambda *a: used.append(1) or original(*a))
        ix.search('"gilets jaunes"')
        assert used, "the phrase was not matched by searchlib's own code"
        monkeypatch.setattr(_scoring, "phrase_clauses", lambda node: None)  # Whoosh's span matcher
        whoosh = {q: [(h.doc_id, h.passage, h.score) for h in ix.search(q, limit=50)] for q in PHRASES}
        whoosh_totals = {q: ix.search(q).total for q in PHRASES}
    assert ours == whoosh and ours_totals == whoosh_totals
    assert sum(len(hits) for hits in ours.values()) > 20


def test_the_phrase_matcher_finds_distinct_values_as_numpy_does():
    import numpy as np

    from searchlib.search.phrases import _unique

    rng = np.random.default_rng(7)
    cases = [np.array([], dtype=np.int64), np.array([3], dtype=np.int64), rng.integers(0, 5, 50), rng.integers(0, 1 << 40, 1000)]
    for values in cases:
        found = _unique(values)
        assert found.dtype == np.int64 and np.array_equal(found, np.unique(values))
    assert len(_unique(cases[2])) == 5


def test_a_word_found_as_typed_ranks_before_its_other_forms(index):
    # "présidence" and "président" share their stem: without the lever the
    # shorter passage, saying "présidence", would come first for "président".
    index.add_documents(
        [
            {"id": "office", "text": "La présidence a publié un communiqué."},
            {"id": "person", "text": "Le président a publié un communiqué ce soir."},
        ]
    )
    results = index.search("président", limit=2, explain=True)
    assert docs(results) == ["person", "office"]
    losses = {hit.doc_id: [(t, s < 0) for f, t, s in hit.explanation if f == "other forms"] for hit in results}
    assert losses == {"person": [], "office": [("president", True)]}
    # The other form counts nothing in the passage's own BM25, but its
    # article still counts it.
    office = {field: score for field, _, score in results[1].explanation}
    assert office["other forms"] == pytest.approx(-office["text"]) and office["article"] > 0
    # Typed without its accent, the word is still found as written.
    assert docs(index.search("president", limit=2)) == ["person", "office"]
    assert docs(index.search("présidence", limit=2)) == ["office", "person"]
    # the lever decides
    assert docs(index.search("président", limit=2, ranking=Ranking(other_forms=1.0))) == ["office", "person"]


def test_a_word_written_only_as_typed_keeps_its_whole_score(index):
    index.add_documents([{"id": "a", "text": "Kerry et Lavrov se sont vus à Genève."}])
    with_lever = index.search("Kerry Genève", limit=1)[0].score
    assert index.search("Kerry Genève", limit=1, ranking=Ranking(other_forms=1.0))[0].score == with_lever


def test_a_name_spelt_another_way_is_not_taken_for_another_form(index):
    # Daech for Daesh is the same name written otherwise (weighed as such by
    # the spellings lever), not a form of the word to rank below the typed one.
    index.add_documents(
        [
            {"id": "ch", "text": "Daech a revendiqué l'attentat de samedi."},
            {"id": "sh", "text": "Daesh a revendiqué l'attentat de dimanche."},
        ]
    )
    results = index.search("Daesh", limit=2, explain=True)
    assert sorted(docs(results)) == ["ch", "sh"]
    assert [row for hit in results for row in hit.explanation if row[0] == "other forms"] == []


def test_an_auxiliary_verb_weighs_less_than_the_words_that_matter(index):
    # "a" (avoir) is left out of the stop list for fear of "à": in a
    # question it must not outweigh the verb it helps.
    index.add_documents(
        [
            {"id": "weather", "text": "Il a plu, il a neigé, il a venté, puis il a gelé."},
            {"id": "treaty", "text": "Le traité fut finalement signé à Versailles par les délégations des Alliés."},
        ]
    )
    assert docs(index.search("Qui a signé ?", limit=2)) == ["treaty", "weather"]
    # the lever decides
    assert docs(index.search("Qui a signé ?", limit=2, ranking=Ranking(weak_words=1.0))) == ["weather", "treaty"]


def test_a_brief_about_the_query_ranks_above_a_long_report_repeating_its_words(index):
    # News runs from briefs to long reports: a report that says "sénateurs"
    # and "retraites" in most of its paragraphs holds them by sheer length,
    # while the brief is about them. BM25's length normalisation (b) and
    # term-frequency saturation (k1) decide between them.
    places = "budget commune école route pont marché parc stade musée hôpital gare port usine ferme forêt rivière".split()

    def filler(seed: int, sentences: int) -> str:
        return " ".join(
            f"Le {places[(seed * 7 + i) % len(places)]} numéro {seed * 100 + i} a été présenté au public."
            for i in range(sentences)
        )

    report = "\n\n".join(
        (f"Les sénateurs ont débattu des retraites pendant la séance {i}. " if i < 6 else f"La séance {i} a porté sur le budget. ")
        + filler(i, 3)
        for i in range(8)
    )
    index.add_documents(
        [{"id": f"autre{n}", "text": filler(n + 50, 4)} for n in range(20)]
        + [
            {"id": "breve", "text": "Retraites : les sénateurs adoptent la réforme en première lecture. " + filler(99, 3)},
            {"id": "rapport", "text": report},
        ]
    )
    assert docs(index.search("retraites sénateurs", limit=2, per_doc=1)) == ["breve", "rapport"]
    classic = Ranking(k1=1.2, b=0.75)
    assert docs(index.search("retraites sénateurs", limit=2, per_doc=1, ranking=classic)) == ["rapport", "breve"]  # the lever decides


def test_the_public_ranking_and_its_presets():
    assert searchlib.Ranking is Ranking is _ranking.Ranking
    assert Ranking() == _ranking.DEFAULT
    assert Ranking.bm25() == _ranking.FOUNDATION
    bm25 = Ranking.bm25()
    assert (bm25.context, bm25.coordination, bm25.proximity, bm25.term_at_a_time) == (0.0, 0.0, 0.0, False)


@pytest.mark.parametrize(
    "field, value",
    [("k1", -0.1), ("b", -0.1), ("b", 1.5), ("context", -1.0), ("coordination", -0.5), ("proximity", -0.5),
     ("weak_words", -0.25), ("other_forms", -1.0), ("k1", float("nan")), ("forms_depth", -1), ("proximity_depth", 2.5)],
)
def test_a_ranking_out_of_range_is_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"Ranking\.{field} "):
        Ranking(**{field: value})


def test_the_ranking_given_to_the_index_ranks_its_searches(tmp_path):
    shared = "Le ministre Lavrov a rencontré son homologue à Genève."
    rows = [
        {"id": "about", "text": paragraphs(shared, "Lavrov et Kerry ont parlé de la trêve.", "Kerry reviendra.")},
        {"id": "aside", "text": paragraphs(shared, "Le marché aux fleurs ouvre samedi.", "Il pleuvra demain.")},
    ]

    def shared_scores(ix, **options):
        hits = ix.search("Lavrov Kerry Genève", limit=10, collapse_duplicates=False, **options)
        return [hit.score for hit in hits if hit.text.startswith(shared)]

    with Index(tmp_path / "ix", ranking=Ranking(context=0.0)) as ix:
        ix.add_documents(rows)
        alone = shared_scores(ix)
        assert alone[0] == pytest.approx(alone[1])  # the article's context is off
        with_context = shared_scores(ix, ranking=Ranking())  # a search's own ranking wins
        assert with_context[0] > with_context[1]
        assert shared_scores(ix) == alone  # and is not kept
    with Index(tmp_path / "ix") as default:
        assert shared_scores(default) == with_context


def test_a_ranking_argument_must_be_a_ranking(index):
    index.add_documents([{"id": "a", "text": "Lavrov à Genève."}])
    with pytest.raises(TypeError, match="Ranking"):
        index.search("Lavrov", ranking={"context": 0.0})
    with pytest.raises(TypeError, match="Ranking"):
        Index(index.path, ranking="bm25")
