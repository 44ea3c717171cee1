"""Where the schema's term-list analyzer lived before the package was cut
into stages.

Whoosh pickles an index's schema into each of its tables of contents, and
indexes written then name ``searchlib.store._TermList`` there. searchlib
itself opens an index with its own schema and never reads that copy, but
other tools (``whoosh.index.open_dir``) do: this name keeps it loadable.
"""

from .storage.schema import TermList as _TermList

__all__ = ["_TermList"]
