"""Bytes to clean text: encoding detection, line ends, NFC, stray controls.

Sources come as UTF-8 (with or without BOM), UTF-16/32 with a BOM, or
legacy Windows-1252/Latin-1 files from older tools; binary files are
recognised and refused rather than indexed as noise.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

__all__ = ["Decoded", "NotText", "decode_bytes", "clean_text", "escape_surrogates"]

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data (name it .gz to have it read)"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3", "a SQLite database"),
)
# Control characters other than tab, newline, carriage return and form feed:
# a few in a text file are noise; many mean binary data.
_CONTROL_BYTES = bytes(range(0, 9)) + b"\x0b" + bytes(range(14, 32)) + b"\x7f"
_CONTROLS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NEWLINE_RE = re.compile("\r\n?|\u2028|\u2029|\x0c|\x85")
_SAMPLE = 8192


class NotText(ValueError):
    """The bytes are not text in any encoding searchlib reads."""


@dataclass(frozen=True)
class Decoded:
    """Decoded text and, for a legacy encoding, a warning to show."""

    text: str
    encoding: str
    warning: Optional[str] = None


def decode_bytes(data: bytes) -> Decoded:
    """Decode a file's bytes, raising :class:`NotText` for binary data.

    A BOM decides; otherwise UTF-8 if the bytes are valid UTF-8, otherwise
    Windows-1252 (a superset of Latin-1's printable range, and what French
    text from older Windows tools is), with a warning.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(codec), name)
            except UnicodeDecodeError as error:
                raise NotText(f"invalid {name} (byte {error.start + len(bom)})") from None
    refuse_binary(data)
    try:
        return Decoded(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError as error:
        utf8_error = error.start
    text = data.decode("cp1252", errors="replace")
    if "\ufffd" in text:
        # Bytes cp1252 leaves undefined (0x81, 0x8d, ...) are Latin-1 controls.
        text = data.decode("latin-1")
    return Decoded(
        text,
        "Windows-1252",
        f"not UTF-8 (byte {utf8_error}): read as Windows-1252/Latin-1; convert it to UTF-8 to be sure",
    )


def refuse_binary(data: bytes) -> None:
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise NotText(f"binary file ({kind}), not text")
    sample = data[:_SAMPLE]
    if not sample:
        return
    if sample.count(0) * 4 > len(sample):
        # UTF-16 without a BOM looks like this too, but is too rare to guess at.
        raise NotText("binary file (many NUL bytes; UTF-16 needs a byte-order mark)")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls * 10 > len(sample) and controls > 8:
        raise NotText("binary file (control bytes), not text")


def clean_text(text: str) -> str:
    """Text as searchlib stores it: NFC, ``\\n`` line ends, no control
    characters (each becomes a space, so words stay apart), no lone
    surrogates (each becomes U+FFFD)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _LONE_SURROGATE_RE.search(text):
            text = _LONE_SURROGATE_RE.sub("\ufffd", text)
    if "\r" in text or "\x0c" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = _NEWLINE_RE.sub("\n", text)
    if _CONTROLS_RE.search(text):
        text = _CONTROLS_RE.sub(" ", text)
    return text


def escape_surrogates(value: str) -> str:
    """``value`` with each lone surrogate written as its escape (``\\ud800``):
    for ids and sources, which the index keeps as UTF-8 terms (no surrogate
    fits) and where two ids must not become one, as U+FFFD would make them."""
    if value.isascii() or not _LONE_SURROGATE_RE.search(value):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
