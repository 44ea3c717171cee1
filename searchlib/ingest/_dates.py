"""Dates as sources write them, to ISO (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``).

French news writes "29 avril 2017", "1er août 2016", "lundi 3 mars",
"03/04/2017" (day first); feeds write RFC 822; data files write ISO.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from typing import Any, Optional

from unidecode import unidecode

__all__ = ["normalize_date"]

_MONTHS = {
    # French, folded to ASCII, with the usual abbreviations.
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
    # English, as found in feeds and scraped bylines.
    "january": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_ISO_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?=$|[T\s])")
_DAY_FIRST_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_WORDS_RE = re.compile(
    r"(?:(?P<day>\d{1,2})(?:er|e|st|nd|rd|th)?\s+)?(?P<month>[a-z]+)\.?,?\s+(?:(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+)?(?P<year>\d{4})\b"
)


def normalize_date(value: Any) -> Optional[str]:
    """Return ``value`` as an ISO date string, or None when empty.

    Accepts ``date``/``datetime`` objects, ISO strings (a time part is
    dropped), day-first numeric dates ("14/07/2016"), French and English
    dates in words ("1er août 2016", "lundi 29 avril 2017", "avril 2017",
    "April 29, 2017") and RFC 822 dates from feeds. Raises ``ValueError``
    for anything else, or for a date that does not exist.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"date {value!r} is not a date")
    text = value.strip()
    iso = _ISO_RE.match(text)
    if iso:
        return _checked(iso.group(1), iso.group(2), iso.group(3), value)
    day_first = _DAY_FIRST_RE.match(text)
    if day_first:
        return _checked(day_first.group(3), day_first.group(2), day_first.group(1), value)
    # Unidecode warns (RuntimeWarning) on a lone surrogate; no date holds one.
    folded = unidecode(text.encode("utf-8", "replace").decode("utf-8")).lower()
    for match in _WORDS_RE.finditer(folded):
        month = _MONTHS.get(match.group("month"))
        if month is not None:
            day = match.group("day") or match.group("day2")
            return _checked(match.group("year"), str(month), day, value)
    parsed = email.utils.parsedate_tz(text)
    if parsed is not None and parsed[0] > 0:
        return _checked(str(parsed[0]), str(parsed[1]), str(parsed[2]), value)
    raise ValueError(f"date {value!r} is not a date searchlib reads (ISO 2016-07-14, 14/07/2016, 14 juillet 2016)")


def _checked(year: str, month: Optional[str], day: Optional[str], original: str) -> str:
    parts = [int(year)] + [int(p) for p in (month, day) if p is not None]
    padded = parts + [1] * (3 - len(parts))
    try:
        _dt.date(*padded)
    except ValueError:
        raise ValueError(f"date {original!r} does not exist") from None
    return "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]])
