"""Documents to segments: the writing side of the flow.

:mod:`.run` compares each document with what the index holds and writes the
new and changed ones in batches; :mod:`.prepare` cuts a document into
passages and analyses them (in worker processes, :mod:`.workers`);
:mod:`.segment` and :mod:`.blocks` write the prepared passages as Whoosh
segments. Searching never imports this package.
"""
