"""Defaults shared by the library and the command, in a module that imports
nothing: the command's help and completion read them without loading Whoosh."""

#: seconds a writer waits for another one to let the index's lock go
DEFAULT_LOCK_TIMEOUT = 10.0

#: the formats of source files and of standard input
FORMATS = ("txt", "md", "html", "jsonl", "json", "csv")

#: the file in an index folder that records its settings (and says that
#: the folder holds a searchlib index: reading sources skips such folders)
SETTINGS_FILE = "searchlib.json"
