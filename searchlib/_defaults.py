"""Defaults shared by the library and the command, in a module that imports
nothing: the command's help and completion read them without loading Whoosh."""

#: seconds a writer waits for another one to let the index's lock go
DEFAULT_LOCK_TIMEOUT = 10.0

#: the formats of source files and of standard input
FORMATS = ("txt", "md", "html", "jsonl", "json", "csv")

#: the file in an index folder that records its settings (and says that
#: the folder holds a searchlib index: reading sources skips such folders)
SETTINGS_FILE = "searchlib.json"

#: the schemes of an index on an OpenSearch cluster (``opensearch://host:9200/news``;
#: ``opensearchs://`` over TLS)
CLUSTER_SCHEMES = ("opensearch", "opensearchs")


def is_cluster_location(location: object) -> bool:
    """Whether ``location`` names an index on a cluster (a URL) rather than a folder."""
    return (
        isinstance(location, str) and "://" in location and location.split("://", 1)[0].lower() in CLUSTER_SCHEMES
    )


def shown_location(location: object) -> str:
    """An index's location as messages show it: a folder with a trailing
    slash (``index/``), a cluster's URL as it is."""
    return str(location) if is_cluster_location(location) else f"{location}/"

#: the name on the cluster of an index exported for OpenSearch, when none is given
DEFAULT_EXPORT_NAME = "searchlib"
