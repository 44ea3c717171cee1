"""The parameters of each endpoint, declared once: read from a request
(a query string, or a JSON object for ``POST /search``) and described in
the OpenAPI document from the same declarations, so that what the service
accepts and what it says it accepts cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Param", "ParamError", "SEARCH", "LISTING", "ANALYZE", "FACETS", "MAX_LIMIT", "from_query", "from_json"]

#: the most hits one search answers, and documents one listing page holds
MAX_LIMIT = 100
#: the facets a search may count
FACETS = ("year", "month", "source")
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}


class ParamError(ValueError):
    """A parameter the service refuses (422), in one line."""


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind (``string``, ``integer``, ``boolean``,
    ``enum``, ``facets``), bounds, default and what it means."""

    name: str
    kind: str
    description: str
    default: Any = None
    required: bool = False
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    choices: Tuple[str, ...] = ()
    max_length: Optional[int] = None

    # -- reading ---------------------------------------------------------

    def from_text(self, text: str) -> Any:
        """The value of a query-string parameter."""
        if self.kind == "integer":
            if not _INTEGER.fullmatch(text):
                raise ParamError(f"{self.name} must be an integer, not {text!r}")
            return self._bounded(int(text))
        if self.kind == "boolean":
            if text not in _BOOLEANS:
                raise ParamError(f"{self.name} must be true or false, not {text!r}")
            return _BOOLEANS[text]
        if self.kind == "facets":
            return self._facets([part.strip(" ") for part in text.split(",")] if text.strip(" ") else [])
        if self.kind == "number":
            if not _NUMBER.fullmatch(text):
                raise ParamError(f"{self.name} must be a number, not {text!r}")
            return self._between(float(text))
        return self._text(text)

    def from_json(self, value: Any) -> Any:
        """The value of a member of a JSON object."""
        if value is None and not self.required:
            return self.default
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(f"{self.name} must be an integer, not {_json_type(value)}")
            return self._bounded(value)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise ParamError(f"{self.name} must be true or false, not {_json_type(value)}")
            return value
        if self.kind == "facets":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ParamError(f"{self.name} must be a list of names ({', '.join(FACETS)})")
            return self._facets(value)
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"{self.name} must be a number, not {_json_type(value)}")
            return self._between(float(value))
        if not isinstance(value, str):
            raise ParamError(f"{self.name} must be a string, not {_json_type(value)}")
        return self._text(value)

    def _bounded(self, value: int) -> int:
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{self.name} must be at least {self.minimum}, not {value}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{self.name} must be at most {self.maximum}, not {value}")
        return value

    def _between(self, value: float) -> float:
        if not (self.minimum is None or value >= self.minimum) or not (self.maximum is None or value <= self.maximum):
            raise ParamError(f"{self.name} must be from {self.minimum} to {self.maximum}, not {value:g}")
        return value

    def _text(self, value: str) -> str:
        if self.kind == "enum" and value not in self.choices:
            raise ParamError(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
        if self.required and not value:
            raise ParamError(f"{self.name} must not be empty")
        if self.max_length is not None and len(value) > self.max_length:
            raise ParamError(f"{self.name} is longer than {self.max_length} characters")
        return value

    def _facets(self, names: Sequence[str]) -> Tuple[str, ...]:
        unknown = [name for name in names if name not in FACETS]
        if unknown:
            raise ParamError(f"{self.name}: unknown facet {unknown[0]!r} (known: {', '.join(FACETS)})")
        return tuple(dict.fromkeys(names))

    # -- describing ------------------------------------------------------

    def schema(self, in_query: bool) -> Dict[str, Any]:
        """This parameter's JSON Schema, in a query string or a JSON body."""
        schema: Dict[str, Any]
        if self.kind == "integer":
            schema = {"type": "integer"}
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        elif self.kind == "boolean":
            schema = {"type": "boolean"}
        elif self.kind == "number":
            schema = {"type": "number", "minimum": self.minimum, "maximum": self.maximum}
        elif self.kind == "enum":
            schema = {"type": "string", "enum": list(self.choices)}
        elif self.kind == "facets" and in_query:
            name = "(" + "|".join(FACETS) + ")"
            schema = {"type": "string", "pattern": f"^ *$|^ *{name} *(, *{name} *)*$"}
        elif self.kind == "facets":
            schema = {"type": "array", "items": {"type": "string", "enum": list(FACETS)}}
        else:
            schema = {"type": "string"}
            if self.required:
                schema["minLength"] = 1
            if self.max_length is not None:
                schema["maxLength"] = self.max_length
        if self.default is not None:
            schema["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        if not self.required and not in_query:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema

    def openapi(self) -> Dict[str, Any]:
        """This parameter as an OpenAPI query parameter."""
        return {
            "name": self.name, "in": "query", "required": self.required, "description": self.description,
            "schema": self.schema(in_query=True),
        }


#: the longest query the service reads (the library caps its words and clauses)
MAX_QUERY_CHARS = 10_000

SEARCH: Tuple[Param, ...] = (
    Param("q", "string", "The query, in the query language of docs/query.md.", required=True, max_length=MAX_QUERY_CHARS),
    Param("limit", "integer", "Hits on this page.", 10, minimum=1, maximum=MAX_LIMIT),
    Param("offset", "integer", "Better hits skipped first (the next page: offset=10).", 0, minimum=0, maximum=100_000),
    Param("per_doc", "integer", "At most this many passages of any one document.", minimum=1, maximum=MAX_LIMIT),
    Param("after", "string", "Only passages dated on or after this ISO date (2016, 2016-07, 2016-07-14).", max_length=40),
    Param("before", "string", "Only passages dated on or before this ISO date.", max_length=40),
    Param("source", "string", "Only passages whose source contains this text.", max_length=1000),
    Param("sort", "enum", "relevance (best first) or date (newest first).", "relevance", choices=("relevance", "date")),
    Param(
        "facets", "facets",
        "Count the matching passages by year, month or source (comma-separated in a query string, a list in JSON).",
        (),
    ),
    Param("snippet_chars", "integer", "The snippet's length in characters (about).", 240, minimum=20, maximum=10_000),
    Param("format", "enum", "html: the snippet escaped, matches in <mark>; text: plain text.", "html", choices=("html", "text")),
    Param("explain", "boolean", "Add each hit's explanation: the terms it matched and what each added.", False),
    Param(
        "semantic", "number",
        "Fuse the ranking by words with one by meaning, from the index's vectors: meaning's weight, 0 (words alone) "
        "to 1 (docs/semantic.md).",
        minimum=0, maximum=1,
    ),
    Param(
        "fusion", "enum", "How semantic fuses the rankings: linear (scores normalised and weighed) or rrf "
        "(reciprocal rank fusion).", "linear", choices=("linear", "rrf"),
    ),
)

LISTING: Tuple[Param, ...] = (
    Param("offset", "integer", "Documents skipped first (by id).", 0, minimum=0),
    Param("limit", "integer", "Documents on this page.", 20, minimum=1, maximum=MAX_LIMIT),
)

ANALYZE: Tuple[Param, ...] = (
    Param("text", "string", "The text to analyse.", required=True, max_length=MAX_QUERY_CHARS),
)


def from_query(params: Sequence[Param], query: Mapping[str, str]) -> Dict[str, Any]:
    """The values of ``params`` in a query string (unknown names ignored,
    as in most HTTP APIs); an absent optional one takes its default."""
    values: Dict[str, Any] = {}
    for param in params:
        text = query.get(param.name)
        if text is None:
            if param.required:
                raise ParamError(f"{param.name} is required")
            values[param.name] = param.default
        else:
            values[param.name] = param.from_text(text)
    return values


def from_json(params: Sequence[Param], body: Any) -> Dict[str, Any]:
    """The values of ``params`` in a JSON object; an unknown member is
    refused (a misspelt name would otherwise be silently ignored)."""
    if not isinstance(body, dict):
        raise ParamError(f"the body must be a JSON object, not {_json_type(body)}")
    known = {param.name for param in params}
    unknown = [name for name in body if name not in known]
    if unknown:
        raise ParamError(f"unknown parameter {unknown[0]!r} (known: {', '.join(sorted(known))})")
    values: Dict[str, Any] = {}
    for param in params:
        if param.name not in body:
            if param.required:
                raise ParamError(f"{param.name} is required")
            values[param.name] = param.default
        else:
            values[param.name] = param.from_json(body[param.name])
    return values


def _json_type(value: Any) -> str:
    names: List[Tuple[type, str]] = [(bool, "a boolean"), (int, "a number"), (float, "a number"), (str, "a string"),
                                     (list, "an array"), (dict, "an object")]
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return "null"
