"""Which lines of a document are content: site furniture and repeats out.

Scraped news keeps the page's navigation ("Rechercher", "Dernières Infos",
"Partager sur Facebook", "Lire aussi : …") and often repeats a paragraph,
sometimes cut short with "...". Such lines must not become passages, but
the document text stays as it was, so offsets still point into it: this
module only says which paragraph spans to keep.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from unidecode import unidecode

from .passages import paragraph_spans

__all__ = ["content_paragraphs", "is_furniture", "first_line_title"]

Span = Tuple[int, int]

# Whole lines that are page furniture, folded to ASCII and lower case.
_FURNITURE_PHRASES = frozenset(
    phrase.strip()
    for phrase in """
    rechercher, recherche, accueil, menu, fermer, ouvrir, connexion, se connecter, deconnexion,
    s'inscrire, inscription, s'abonner, abonnez-vous, abonnez vous, abonnement, newsletter, newsletters,
    dernieres infos, dernieres informations, dernieres actualites, dernieres nouvelles, derniere minute,
    a la une, les plus lus, les plus partages, les plus commentes, en direct, fil info, fil infos,
    flash info, flash infos, toute l'actualite, toutes les actualites, actualites, actualite, info, infos,
    partager, partagez, partager cet article, imprimer, envoyer, envoyer par e mail, envoyer par email,
    tweeter, tweet, facebook, twitter, linkedin, whatsapp, instagram, youtube, e mail, email,
    publicite, pub, annonce, sponsorise, contenu sponsorise, voir plus, voir aussi, lire aussi,
    a lire aussi, a lire egalement, lire la suite, suite de l'article, plus d'infos, plus d'informations,
    commentaires, commenter, reagir, reagissez, ajouter un commentaire, voir les commentaires,
    retour, retour en haut, haut de page, retour a l'accueil, page suivante, page precedente,
    suivant, precedent, suivez nous, suivez nous sur, mentions legales, cookies, gerer les cookies,
    accepter, tout accepter, refuser, tous droits reserves, droits reserves, plan du site, contact,
    contactez nous, video, videos, photos, diaporama, podcast, ecouter, regarder, audio,
    search, home, share, print, subscribe, sign in, log in, login, read more, related, advertisement
    """.split(",")
)
# Lines that announce a link to another article, whatever follows.
_LINK_LINE_RE = re.compile(
    r"^(?:a lire (?:aussi|egalement)|lire aussi|lire egalement|voir aussi|voir egalement|"
    r"sur le meme sujet|a voir aussi|en savoir plus|read more|see also)\b"
)
# "Partager sur Facebook", "Suivez-nous sur Twitter", "Share on LinkedIn".
_SHARE_RE = re.compile(
    r"^(?:partager|partagez|partage|suivez nous|suivre|share|follow us|envoyer|imprimer)"
    r"(?: (?:sur|on|via|par|l'article|cet article)(?: [\w']+){0,2})?$"
)
_CREDIT_RE = re.compile(
    r"^(?:\(c\)|©|copyright|cr[ée]dits? photo|photo\s*:|cr[ée]dits?\s*:|"
    # Agency credits: "Source AFP", "Avec Reuters", "(AFP)", "Source : AFP/Reuters".
    r"(?:sources?|avec|par)?\s*:?\s*\(?(?:afp|reuters|ap|ats|belga|dpa|ansa|efe|xinhua|ria novosti|tass|sputnik)\)?"
    r"(?:\s*(?:,|/|et)\s*(?:afp|reuters|ap|ats|belga|dpa|ansa|efe|xinhua|tass|sputnik))*\s*$)",
    re.IGNORECASE,
)
_BREADCRUMB_RE = re.compile(r"\S\s*(?:>|»|›|/|\|)\s*\S")
_SENTENCE_PUNCTUATION = frozenset(".!?…;:»\"”)")
_FOLD_RE = re.compile(r"[^a-z0-9']+")
_WORD_RE = re.compile(r"\w+")
_TRUNCATION_RE = re.compile(r"(?:\.\.\.|…|\[\.\.\.\]|\(\.\.\.\))\s*$")
_MAX_FURNITURE_WORDS = 6
_MIN_REPEAT_WORDS = 8


class _FoldTable(Dict[int, str]):
    """``str.translate`` table that folds each character once, on first sight:
    translating a paragraph then runs in C, where ``unidecode`` on the whole
    text would visit every character in Python."""

    def __missing__(self, char: int) -> str:
        folded = unidecode(chr(char)).lower()
        self[char] = folded
        return folded


_FOLD_TABLE = _FoldTable({ord("’"): "'"})


def _fold(text: str) -> str:
    folded = text.lower() if text.isascii() else text.translate(_FOLD_TABLE)
    return " ".join(_FOLD_RE.sub(" ", folded).split())


def is_furniture(line: str, folded: Optional[str] = None) -> bool:
    """Whether a line is navigation or site furniture rather than content."""
    stripped = line.strip()
    if folded is None:
        folded = _fold(stripped)
    if not folded:
        return True  # only symbols: "|", "•", "---"
    if _LINK_LINE_RE.match(folded):
        return True
    words = folded.split()
    if len(words) > _MAX_FURNITURE_WORDS or stripped[-1] in _SENTENCE_PUNCTUATION and len(words) > 2:
        return False
    if folded in _FURNITURE_PHRASES or _SHARE_RE.match(folded) or _CREDIT_RE.match(stripped):
        return True
    if all(word.isdigit() for word in words):
        return True  # page numbers, counters
    # "Accueil > Monde > Syrie": a breadcrumb of furniture or short items.
    return bool(_BREADCRUMB_RE.search(stripped)) and words[0] in _FURNITURE_PHRASES


def content_paragraphs(text: str, start: int = 0) -> List[Span]:
    """The paragraph spans of ``text[start:]`` worth indexing.

    Drops furniture lines, short lines repeated within the document (menus
    printed twice), and paragraphs that repeat earlier text of the same
    document, including a repeat cut short with "..." (a common scraping
    artefact), even when the repeat runs two paragraphs together.
    """
    spans = list(paragraph_spans(text, start))
    folds = [_fold(text[first:last]) for first, last in spans]
    short_counts: Dict[str, int] = {}
    for (first, last), folded in zip(spans, folds):
        if last - first < 60 and text[last - 1] not in _SENTENCE_PUNCTUATION:
            short_counts[folded] = short_counts.get(folded, 0) + 1
    kept: List[Span] = []
    seen: Set[str] = set()
    earlier = " "  # folded text of the kept paragraphs, space-delimited
    for (first, last), folded in zip(spans, folds):
        line = text[first:last]
        if is_furniture(line, folded) or short_counts.get(folded, 0) > 1 or folded in seen:
            continue
        if len(folded) > 40 and _repeats_earlier(line, folded, earlier):
            continue
        seen.add(folded)
        earlier += folded + " "
        kept.append((first, last))
    # A document that is nothing but furniture by these rules (a teaser of
    # "À lire aussi" links, say) is still indexed rather than lost.
    return kept or spans


def _repeats_earlier(line: str, folded: str, earlier: str) -> bool:
    words = folded.split()
    if _TRUNCATION_RE.search(line):
        words = words[:-1]  # the last word may be cut mid-word
    if len(words) < _MIN_REPEAT_WORDS:
        return False
    return " " + " ".join(words) + " " in earlier


def first_line_title(text: str, start: int = 0) -> Optional[str]:
    """The headline of a plain-text article, if its first content line is one.

    A headline is a single short line (3 to 25 words) with no sentence
    punctuation at its end, followed by more text.
    """
    spans = content_paragraphs(text, start)
    if len(spans) < 2:
        return None
    first, last = spans[0]
    line = text[first:last]
    count = len(_WORD_RE.findall(line))
    if not 3 <= count <= 25 or line[-1] in _SENTENCE_PUNCTUATION or line[0] in "«\"“-—–•*":
        return None
    return line
