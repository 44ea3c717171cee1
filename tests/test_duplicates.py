from __future__ import annotations

from searchlib.analysis import FrenchAnalyzer
from searchlib.duplicates import near_identical, resemblance, sketch

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
