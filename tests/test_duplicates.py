from __future__ import annotations

import gzip
import json

import pytest

from news_sample import CORPUS
from searchlib.analysis import FrenchAnalyzer
from searchlib.analysis.duplicates import near_identical, resemblance, sketch

ANALYZER = FrenchAnalyzer()
WIRE = (
    "Le ministre russe des Affaires étrangères Sergueï Lavrov et le secrétaire d'État américain "
    "John Kerry ont discuté mercredi au téléphone du conflit en Syrie, pour la deuxième fois en "
    "quelques jours, sur fond d'inquiétudes de Washington concernant un possible renforcement "
    "militaire russe dans ce pays."
)


def keys(text: str) -> list:
    return [info[2] for _, _, _, info in ANALYZER.words(text)]


def test_copies_with_other_typography_and_a_changed_word_are_near_identical():
    copy = WIRE.replace("d'État", "d’Etat").replace("mercredi", "mardi").upper()
    assert sketch(keys(copy)) != sketch(keys(WIRE))
    assert near_identical(sketch(keys(WIRE)), sketch(keys(copy)))
    assert resemblance(sketch(keys(WIRE)), sketch(keys(WIRE))) == 1.0


def test_passages_on_the_same_subject_are_not_near_identical(seeds_dir):
    other = (
        "M. Lavrov a notamment insisté sur l'établissement d'un dialogue entre les autorités syriennes "
        "et l'opposition, et sur la nécessité de consolider les efforts contre le terrorisme en Syrie."
    )
    assert not near_identical(sketch(keys(WIRE)), sketch(keys(other)))


def test_sketch_is_stable_and_small():
    first = sketch(keys(WIRE))
    assert first == sketch(keys(WIRE)) and len(first) == 12 and list(first) == sorted(first)
    assert sketch([]) == ()
    assert len(sketch(["seul"])) == 1


# -- near-identical documents ----------------------------------------------------

STORY = [
    "Le Premier ministre a remporté dimanche les élections municipales au Havre avec 58 % des voix "
    "face au député communiste, au terme d'une campagne qu'il avait menée depuis Matignon sans jamais "
    "dire s'il dirigerait la ville. Devant ses partisans réunis dans le hall de l'hôtel de ville, il a "
    "salué des résultats nets et remercié les électeurs qui lui ont renouvelé leur confiance.",
    "Le taux d'abstention a été de 58 % dans cette ville portuaire qui avait basculé à droite en 1995 "
    "après trois décennies de maire communiste, et les listes de gauche n'avaient pas fusionné entre "
    "les deux tours de scrutin. Au premier tour, le 15 mars, il était arrivé en tête avec 43,60 % des "
    "voix, devant la liste communiste, la liste écologiste et celle du Rassemblement national.",
    "Élu dès le premier tour en 2014 avec 52 % des voix, il est conseiller municipal du Havre depuis "
    "2001 et a été maire de cette ville de 170.000 habitants de 2010 à 2017, avant son entrée au "
    "gouvernement. Un sondage paru le 11 juin le donnait vainqueur avec 53 % des intentions de vote, "
    "et ses adversaires lui reprochaient de mener campagne depuis Paris.",
]
OTHER = (
    "À Lyon, les écologistes ont remporté les élections municipales dimanche soir, une victoire nette "
    "dans une ville longtemps tenue par la gauche modérée puis par les proches du président."
)


def test_a_story_indexed_under_two_ids_is_one_hit_naming_the_other(index):
    """Two copies of a several-passage article tie passage for passage: the
    second copy's best passage folds into the first, but its next passage
    used to be shown with ``per_doc=1`` as if it were another story."""
    index.add_documents(
        [
            {"id": "854", "title": "Municipales : le Premier ministre vainqueur au Havre", "text": "\n\n".join(STORY)},
            {"id": "923", "title": "Municipales : le Premier ministre élu au Havre", "text": "\n\n".join(STORY)},
            {"id": "lyon", "title": "Municipales à Lyon", "text": OTHER},
        ]
    )
    hits = index.search("élections municipales Havre ville", limit=10, per_doc=1)
    shown = [hit.doc_id for hit in hits]
    assert sorted(shown) == ["854", "lyon"], shown
    (story,) = [hit for hit in hits if hit.doc_id == "854"]
    assert story.duplicates == ("923",)
    assert [hit.doc_id for hit in index.search("élections municipales Havre ville", limit=10, collapse_duplicates=False, per_doc=1)] != shown


def test_a_lightly_edited_copy_is_one_hit_too(index):
    edited = [STORY[0].replace("dimanche", "ce dimanche"), STORY[1], STORY[2].replace("2001", "2001,")]
    index.add_documents(
        [
            {"id": "agence", "text": "\n\n".join(STORY)},
            {"id": "journal", "text": "\n\n".join(edited + ["Propos recueillis par la rédaction locale du journal."])},
        ]
    )
    hits = index.search("Havre ville", limit=10, per_doc=1)
    assert [(hit.doc_id, hit.duplicates) for hit in hits] in ([("agence", ("journal",))], [("journal", ("agence",))])


def test_articles_sharing_one_paragraph_stay_two_documents(index):
    """A wire paragraph quoted in two different articles folds at passage
    level; the articles' own passages are still shown."""
    second = [
        "Le maire sortant de Lyon a reconnu sa défaite et félicité les écologistes, qui dirigeront la "
        "métropole pour la première fois, après une campagne marquée par la crise sanitaire.",
        STORY[1],
        "À Marseille, le décompte des voix se poursuivait tard dans la nuit, sans qu'aucune liste ne "
        "puisse revendiquer une majorité au conseil municipal de la ville.",
    ]
    index.add_documents([{"id": "havre", "text": "\n\n".join(STORY)}, {"id": "bilan", "text": "\n\n".join(second)}])
    hits = index.search("ville", limit=10, per_doc=1)
    assert sorted(hit.doc_id for hit in hits) == ["bilan", "havre"]


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.exists(), reason="shared news corpus not available")
def test_the_news_corpus_story_filed_twice_is_shown_once(index):
    """Records 854 and 923 of the news corpus hold the same article; with
    other election stories around them, ``per_doc=1`` shows it once."""
    records = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            record = json.loads(line)
            if record["id"] in ("854", "923") or (number < 3000 and "Havre" in record.get("text", "")):
                records.append(record)
    assert {"854", "923"} <= {record["id"] for record in records} and len(records) > 5
    index.add_documents(records)
    hits = index.search("Municipales: Edouard Philippe vainqueur au Havre", limit=10, per_doc=1)
    story = [hit for hit in hits if hit.doc_id in ("854", "923")]
    assert len(story) == 1, [hit.doc_id for hit in hits]
    assert set(story[0].duplicates) >= {"854", "923"} - {story[0].doc_id}
    assert len(hits) == 10
