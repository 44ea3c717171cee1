"""The index on disk: its schema, settings, locks, opening, check and rebuild.

Shared by the writing side (:mod:`searchlib.indexing`) and the reading side
(:mod:`searchlib.search`), and importing neither.
"""
