from __future__ import annotations

import pytest

from searchlib.ingest import content_paragraphs
from searchlib.ingest._clean import is_furniture


def kept(text: str) -> list:
    return [text[s:e] for s, e in content_paragraphs(text)]


PARAGRAPH = (
    "Le ministre russe des Affaires étrangères Sergueï Lavrov et le secrétaire d'État "
    "américain John Kerry ont discuté mercredi au téléphone du conflit en Syrie."
)
SECOND = "M. Lavrov a notamment insisté sur l'établissement d'un dialogue entre les autorités syriennes et l'opposition."


def test_seed_navigation_lines_are_not_content(seeds_dir):
    text = (seeds_dir / "002_6a89048487369a54.txt").read_text(encoding="utf-8")
    paragraphs = kept(text)
    assert paragraphs[0].startswith("Deuxième entretien téléphonique")
    assert not any(p in ("Rechercher", "Dernières Infos") for p in paragraphs)


def test_seed_truncated_repeat_is_dropped(seeds_dir):
    text = (seeds_dir / "002_6a89048487369a54.txt").read_text(encoding="utf-8")
    paragraphs = kept(text)
    assert paragraphs[-1].endswith("que peu de soutien.")
    assert sum(p.startswith("Le ministre russe des Affaires") for p in paragraphs) == 1


def test_offsets_point_into_the_original_text():
    text = "Accueil\n\n" + PARAGRAPH + "\nPartager sur Facebook\n" + SECOND + "\n"
    spans = content_paragraphs(text)
    assert [text[s:e] for s, e in spans] == [PARAGRAPH, SECOND]


def test_exact_and_truncated_repeats_are_dropped_even_when_runs_are_joined():
    repeat_joined = PARAGRAPH + SECOND[:40] + "..."
    text = "\n".join([PARAGRAPH, SECOND, PARAGRAPH, repeat_joined, PARAGRAPH[:60] + "…"])
    assert kept(text) == [PARAGRAPH, SECOND]


def test_short_repeated_sentences_are_kept():
    # A short line that ends a sentence is content even when it repeats.
    text = "Non.\nIl a dit non, encore une fois, au téléphone.\nNon."
    assert kept(text)[:2] == ["Non.", "Il a dit non, encore une fois, au téléphone."]


@pytest.mark.parametrize(
    "line",
    [
        "Rechercher",
        "Dernières Infos",
        "DERNIÈRES INFOS",
        "Partager",
        "Lire aussi : Alep, la bataille décisive",
        "À lire aussi",
        "Accueil > International > Syrie",
        "Source AFP",
        "(AFP)",
        "© AFP 2016",
        "Publicité",
        "Abonnez-vous",
        "•",
        "12",
    ],
)
def test_furniture(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Deuxième entretien téléphonique Lavrov-Kerry sur la Syrie en quelques jours",
        "Syrie : la trêve tient à Alep",
        "L'AFP a rapporté que la trêve tient.",
        "Le président Poutine",
        "Recherche d'une solution politique en Syrie",
        "Partager le pouvoir à Damas ?",
    ],
)
def test_content(line):
    assert not is_furniture(line)


def test_a_document_of_only_furniture_is_kept_whole():
    text = "A lire aussi :Nicolas Sarkozy mis en examen pour corruption… Lire la suite sur LesEchos"
    assert kept(text) == [text]
