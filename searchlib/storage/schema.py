"""The one description of what an index holds: every field of a passage.

Each passage is one Whoosh document. Document-level data (title, date,
source, metadata, a hash of the content) is repeated on each of its passages
so a hit needs one stored-fields read and nothing else.

Every stage names a field through :data:`FIELDS` (``FIELDS.doc_id``), never
as a literal: a field's name, its Whoosh type and its meaning are written
here once. Read through ``FIELDS`` a field is its name, a plain ``str``, so
it goes wherever Whoosh takes a field name:
``searcher.document_numbers(**{FIELDS.doc_id: doc_id})``, ``stored[FIELDS.title]``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, Tuple

from whoosh import formats
from whoosh.analysis import Analyzer, Token
from whoosh.fields import ID, STORED, TEXT, FieldType, Schema

from .offsets import Offsets

__all__ = ["FIELDS", "Field", "PassageFields", "TermList", "VARIANT_SEPARATOR", "build_schema", "keeps_offsets", "term_text"]

# Joins a word's accent-resolution key to its indexed term in the
# ``variants`` field ("securit" + SEP + "secur" for "sécurité"), and a
# name's consonant skeleton to its spelling and term in ``sounds``.
VARIANT_SEPARATOR = "\x1f"


class TermList(Analyzer):
    """Indexes a list of ready-made terms as they are."""

    def __call__(self, value: Any, **kwargs: Any) -> Iterator[Token]:
        token = Token(**kwargs)
        token.boost = 1.0
        for position, term in enumerate(value if isinstance(value, (list, tuple)) else value.split()):
            token.text = term
            token.pos = position
            yield token


class Field:
    """A field of the schema: how Whoosh stores it and what it means. Read
    through :data:`FIELDS` it is its name, a plain ``str`` (``FIELDS.text``
    is ``"text"``), so it goes wherever Whoosh takes a field name and
    pickles as one; :meth:`PassageFields.describe` gives the field itself."""

    name: str

    def __init__(self, whoosh_type: Callable[[Analyzer], FieldType], meaning: str) -> None:
        self.whoosh_type = whoosh_type
        self.meaning = meaning

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name  # the attribute's name is the field's: written once

    def __get__(self, instance: object, owner: Optional[type] = None) -> str:
        return self.name


class PassageFields:
    """The fields of one indexed passage."""

    doc_id = Field(lambda a: ID(stored=True, sortable=True), "the document's id, on each of its passages")
    passage = Field(lambda a: STORED, "the passage's number in its document, from 0")
    text = Field(
        lambda a: _with_offsets(TEXT(analyzer=a, phrase=True, stored=True)),
        "the passage's text, analysed; its postings keep each occurrence's position and characters",
    )
    title = Field(lambda a: TEXT(analyzer=a, phrase=True, stored=True), "the document's title, analysed")
    stops = Field(
        lambda a: FieldType(formats.Frequency(), analyzer=TermList(), scorable=True),
        "the passage's stop words, for queries made only of them",
    )
    variants = Field(
        lambda a: FieldType(formats.Existence(), analyzer=TermList()),
        "each accented word's key joined to its term, so a word typed without accents finds the accented spelling",
    )
    sounds = Field(
        lambda a: FieldType(formats.Existence(), analyzer=TermList()),
        "each capitalised word's consonant skeleton joined to its spelling and term, for names spelt several ways",
    )
    date = Field(lambda a: ID(stored=True), "the document's date, YYYY-MM-DD (or shorter)")
    source = Field(lambda a: ID(stored=True), "the document's source (a file name, a site)")
    origin = Field(lambda a: ID(), "the file the document was read from, for pruning vanished sources")
    sketch = Field(lambda a: STORED, "a sketch of the passage's words, to find near-identical passages")
    doc_sketch = Field(lambda a: STORED, "a sketch of the document's words, to find near-identical ones")
    start = Field(lambda a: STORED, "where the passage starts in the document's text (characters)")
    end = Field(lambda a: STORED, "where the passage ends in the document's text (characters)")
    metadata = Field(lambda a: STORED, "the document's other fields, as given")
    doc_hash = Field(lambda a: STORED, "a hash of what decides the document's passages, to skip unchanged ones")

    @classmethod
    def describe(cls) -> Tuple[Field, ...]:
        """Every field, in the order above."""
        return tuple(value for value in vars(cls).values() if isinstance(value, Field))

    @classmethod
    def all(cls) -> Tuple[str, ...]:
        """Every field's name, in the order above."""
        return tuple(field.name for field in cls.describe())

    @property
    def searched(self) -> Tuple[str, str]:
        """The fields a query's words are looked up in."""
        return (self.text, self.title)


FIELDS = PassageFields()


def _with_offsets(field: FieldType) -> FieldType:
    field.format = Offsets(field.format.field_boost)
    return field


def keeps_offsets(schema: Schema) -> bool:
    """Whether an index's text postings keep each occurrence's characters
    (indexes of format 6 on; those of format 5 keep positions alone)."""
    return isinstance(schema[FIELDS.text].format, Offsets)


def build_schema(analyzer: Analyzer, offsets: bool = True) -> Schema:
    """The Whoosh schema of a searchlib index: one Whoosh document a passage.
    ``offsets=False``: the text postings of an index of format 5, which keep
    positions alone."""
    schema = Schema(**{field.name: field.whoosh_type(analyzer) for field in FIELDS.describe()})
    if not offsets:
        schema[FIELDS.text].format = formats.Positions(schema[FIELDS.text].format.field_boost)
    return schema


def term_text(raw: Any) -> str:
    """A term as text: Whoosh 2.7's lexicons and prefix expansions yield bytes."""
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
