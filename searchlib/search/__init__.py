"""Queries to ranked passages: the reading side of the flow.

:mod:`.syntax` reads what the user typed; :mod:`.query` builds it into a
Whoosh query, asking :mod:`.expansion` what each word stands for (accents,
spellings, typos, name variants, synonyms: :mod:`.synonyms`) and
:mod:`.filters` for ``doc:``, ``source:`` and ``date:``. :mod:`.scoring`
and :mod:`.phrases` score the passages over the index's :mod:`.layout`,
:mod:`.proximity` weighs words standing close; :mod:`.ranking` orders them
and :mod:`.copies` leaves out copies; :mod:`.snippets` finds the words to
highlight; :mod:`.vocabulary` answers what the index holds. Whoosh's
private attributes are read in :mod:`.whoosh27` only. Nothing here imports
the writing side (:mod:`searchlib.indexing`).
"""
