"""Queries to ranked passages: the reading side of the flow.

:mod:`.syntax` reads what the user typed, :mod:`.query` builds it into a
Whoosh query (accents, spellings, typos, name variants, synonyms, filters),
:mod:`.scoring` and :mod:`.phrases` score the passages, :mod:`.ranking`
orders them, :mod:`.snippets` finds the words to highlight. Nothing here
imports the writing side (:mod:`searchlib.indexing`).
"""
