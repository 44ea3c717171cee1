"""Markdown read as the text it renders to: no markers in passages or snippets."""

from __future__ import annotations

import re

import pytest

from searchlib import Index
from searchlib.ingest import Document, read_path
from searchlib.ingest._markdown import markdown_to_text

NOTE = """---
date: 2017-01-24
auteur: Marie
---
# Les pourparlers d’**Astana**

Les négociations sur la *Syrie* ont repris mardi à [Astana](https://fr.wikipedia.org/wiki/Astana "la ville"),
sous l'égide de la `Russie`, de l'__Iran__ et de la Turquie, qui parrainent
le cessez-le-feu entré en vigueur fin décembre entre le régime et les rebelles.

![Carte de la région](carte.png)

## Ce qui est sur la table

- le respect du **cessez-le-feu** dans tout le pays ;
* l'accès des convois humanitaires aux villes assiégées ;
1. la libération des prisonniers détenus par les deux camps.

> Nous sommes venus négocier la paix, pas la guerre,
> a déclaré le chef de la délégation rebelle à Astana.

---

| délégation | membres |
| --- | :---: |
| Russie | 12 |
| rebelles | 14 |
"""


def text_of(markdown: str) -> str:
    return markdown_to_text(markdown).text


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("# Titre\n\nTexte.", "Titre\n\nTexte."),
        ("## Sous-titre ##\n\nTexte.", "Sous-titre\n\nTexte."),
        ("Un **mot** et un __autre__, *un* et _deux_, ~~barré~~.", "Un mot et un autre, un et deux, barré."),
        ("Le `code` reste, même `**ceci**`.", "Le code reste, même **ceci**."),
        ("Voir [le site](http://x.fr) et [la note][1].\n\n[1]: http://y.fr", "Voir le site et la note."),
        ("Avant ![une image](a.png) après.", "Avant après."),
        ("- un\n- deux\n  suite\n\n1. trois\n2) quatre\n+ cinq\n- [x] fait", "un\n\ndeux suite\n\ntrois\n\nquatre\n\ncinq\n\nfait"),
        ("> cité\n> encore\n\nhors", "cité encore\n\nhors"),
        ("Avant\n\n***\n\n- - -\n\nAprès", "Avant\n\nAprès"),
        ("| a | b |\n|---|:-:|\n| 1 | 2 |", "a b\n\n1 2"),
        ("Titre\n=====\n\nSous\n---\n\nTexte", "Titre\n\nSous\n\nTexte"),
        ("```\nx = 1\n\ny = 2\n```\nfin", "x = 1\n\ny = 2\n\nfin"),
        ("une ligne\ncoupée en deux", "une ligne coupée en deux"),
        ("\\*pas d'emphase\\* et 5 &amp; 6 <https://a.fr>", "*pas d'emphase* et 5 & 6 https://a.fr"),
        ("un snake_case_name et 5 * 3 * 2", "un snake_case_name et 5 * 3 * 2"),
        ("Texte<br>suite <!-- caché --> <span>fin</span>", "Texte suite fin"),
        ("# Les **pourparlers**\n\nTexte.", "Les pourparlers\n\nTexte."),
        ("5 * 3, [note et *rien ** de ~~ fermé", "5 * 3, [note et *rien ** de ~~ fermé"),
        ("[" * 5000 + " Alep " + "*a " * 2000, "[" * 5000 + " Alep " + ("*a " * 2000).strip()),
    ],
)
def test_markdown_syntax_becomes_its_text(markdown, expected):
    assert text_of(markdown) == expected


def test_the_first_level_one_heading_is_the_title_without_its_markers():
    assert markdown_to_text("Intro.\n\n## Partie\n\n# Le **vrai** titre\n").title == "Le vrai titre"
    assert markdown_to_text("Le titre\n========\n\nTexte.").title == "Le titre"
    assert markdown_to_text("```\n# pas un titre\n```\n").title is None


def test_a_markdown_file_is_read_as_its_text(tmp_path):
    path = tmp_path / "astana.md"
    path.write_text(NOTE, encoding="utf-8")
    (document,) = [item for item in read_path(path) if isinstance(item, Document)]
    assert (document.title, document.date, document.metadata) == ("Les pourparlers d’Astana", "2017-01-24", {"auteur": "Marie"})
    assert document.text.startswith("Les pourparlers d’Astana\n\nLes négociations sur la Syrie ont repris mardi à Astana, sous")
    assert "qui parrainent le cessez-le-feu" in document.text  # one paragraph, not three lines
    assert not re.search(r"[#*_`|>\[\]]|\]\(|---|https?:", document.text), document.text


def test_passages_and_snippets_of_markdown_show_no_markers_and_exact_highlights(tmp_path):
    (tmp_path / "astana.md").write_text(NOTE, encoding="utf-8")
    with Index(tmp_path / "index") as ix:
        assert ix.add_path(tmp_path / "astana.md").added == 1
        for query, word in [("cessez-le-feu", "cessez-le-feu"), ("Astana", "Astana"), ("Russie", "Russie"), ("délégation", "délégation")]:
            hits = ix.search(query, limit=10)
            assert hits, query
            for hit in hits:
                assert not re.search(r"\*\*|__|`|\]\(|^#|^> |^- |\|", hit.text, re.MULTILINE), hit.text
                assert "**" not in hit.snippet and "](" not in hit.snippet
                assert hit.highlights and all(hit.text[start:end].lower() == word.lower() for start, end in hit.highlights)
                document = ix.document(hit.doc_id)
                assert document is not None and document.text[hit.start : hit.end] == hit.text
