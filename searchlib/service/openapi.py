"""The OpenAPI description of the service (``GET /openapi.json``).

Parameters come from :mod:`.params`, the declarations the endpoints read
requests with; the answers' schemas are written here, beside the code
shaping them in :mod:`.app`, and the tests check every answer against
them (schemathesis).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from . import params

__all__ = ["openapi_document"]


def _nullable(kind: str) -> Dict[str, Any]:
    return {"type": [kind, "null"]}


def _object(properties: Dict[str, Any], optional: Tuple[str, ...] = (), **extra: Any) -> Dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        **extra,
    }


_SPAN = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}

_HIT = _object(
    {
        "rank": {"type": "integer", "minimum": 1},
        "doc_id": {"type": "string"},
        "passage": {"type": "integer", "minimum": 0},
        "score": {"type": "number"},
        "title": _nullable("string"),
        "date": _nullable("string"),
        "source": _nullable("string"),
        "text": {"type": "string", "description": "The passage as in the source."},
        "snippet": {"type": "string", "description": "Its best fragment: HTML with matches in <mark>, or plain text."},
        "highlights": {"type": "array", "items": _SPAN, "description": "[start, end] of each match in text."},
        "start": {"type": "integer", "description": "Where text starts in the document's text."},
        "end": {"type": "integer"},
        "metadata": {"type": "object"},
        "duplicates": {"type": "array", "items": {"type": "string"}},
        "snippet_window": {**_SPAN, "description": "[start, end] of the snippet in text."},
        "explanation": {
            "type": "array",
            "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}, {"type": "number"}]},
            "description": "[field, term, score] of each term matched (with explain).",
        },
    },
    optional=("explanation",),
)

_SEARCH_ANSWER = _object(
    {
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0, "description": "Every matching passage."},
        "offset": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1},
        "took_ms": {"type": "number", "minimum": 0},
        "suggestion": {**_nullable("string"), "description": "The query with misspelt words corrected."},
        "notes": {"type": "array", "items": {"type": "string"}, "description": "How a malformed query was read."},
        "facets": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
            "description": "For each facet asked: value -> matching passages.",
        },
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    }
)

_DOCUMENT_FIELDS = {
    "id": {"type": "string"},
    "title": _nullable("string"),
    "date": _nullable("string"),
    "source": _nullable("string"),
    "metadata": {"type": "object"},
    "text": {"type": "string"},
}

_DOCUMENT = _object(
    {
        **_DOCUMENT_FIELDS,
        "passages": {
            "type": "array",
            "items": _object({
                "number": {"type": "integer", "minimum": 0},
                "start": {"type": "integer", "minimum": 0},
                "end": {"type": "integer", "minimum": 0},
            }),
            "description": "Each passage's [start, end) in text.",
        },
    }
)

_LISTING = _object(
    {
        "results": {"type": "array", "items": _object(_DOCUMENT_FIELDS)},
        "offset": {"type": "integer"},
        "limit": {"type": "integer"},
        "total": {"type": "integer"},
    }
)

_NOTICE = _object({"source": {"type": "string"}, "message": {"type": "string"}})

_ADD_REPORT = _object(
    {
        "added": {"type": "integer"},
        "updated": {"type": "integer"},
        "unchanged": {"type": "integer"},
        "removed": {"type": "integer"},
        "failed": {"type": "integer"},
        "failures": {"type": "array", "items": _NOTICE},
        "warnings": {"type": "array", "items": _NOTICE},
    }
)

# Any object is taken: a record the library cannot index (no id, a text
# that is not a string) is counted in the report's failed, not refused.
_NEW_DOCUMENT = {
    "type": "object",
    "properties": {
        "id": {"description": "The document's id (a non-empty string)."},
        "text": {"description": "Its text (a string)."},
        "title": {"description": "Its title."},
        "date": {"description": "ISO (2016, 2016-07, 2016-07-14) or French (1er août 2016)."},
        "source": {"description": "Where it comes from (a URL, say); also read from url."},
    },
    "description": (
        "A document: id and text are needed (a record without them is counted in failed, the others "
        "indexed all the same); other members are kept as metadata."
    ),
}

_STATS = _object(
    {
        "path": {"type": "string"},
        "documents": {"type": "integer"},
        "passages": {"type": "integer"},
        "terms": {"type": "integer"},
        "size_bytes": {"type": "integer"},
        "last_update": _nullable("string"),
    }
)

_TOKEN = _object({
    "text": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"}, "position": {"type": "integer"},
})

_ANALYSIS = _object(
    {
        "text": {"type": "string"},
        "steps": {
            "type": "array",
            "items": _object({"step": {"type": "string"}, "tokens": {"type": "array", "items": _TOKEN}}),
        },
    }
)

_ERROR = _object({"error": _object({"code": {"type": "string"}, "message": {"type": "string"}})})

_STATUS_TEXT = {
    400: "The request cannot be read (a body that is not JSON, a date the library refuses).",
    401: "A write without the API key.",
    404: "Unknown document or path.",
    413: "The request body is larger than the service takes.",
    422: "A parameter out of its range or of the wrong type.",
    503: "The index is busy (another writer held it too long) or damaged.",
}


def _json(schema: Dict[str, Any], description: str) -> Dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answers(ok: Dict[str, Any], *errors: int) -> Dict[str, Any]:
    answers: Dict[str, Any] = {"200": ok}
    for status in errors:
        answers[str(status)] = _json(_ref("Error"), _STATUS_TEXT[status])
    return answers


def _operation(summary: str, answers: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    return {"summary": summary, "responses": answers, **extra}


def openapi_document(version: str, max_body: int, keyed: bool) -> Dict[str, Any]:
    """The OpenAPI 3.1 description of a service taking bodies of up to
    ``max_body`` bytes, and asking for a key on writes when ``keyed``."""
    search_answer = _json(_ref("SearchResults"), "The hits of this page, the total and the facets.")
    search_body = {
        "type": "object",
        "properties": {param.name: param.schema(in_query=False) for param in params.SEARCH},
        "required": [param.name for param in params.SEARCH if param.required],
        "additionalProperties": False,
    }
    path_id = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
    write_security: List[Dict[str, List[str]]] = [{"apiKey": []}] if keyed else []
    write_errors = (400, 401, 413, 422, 503) if keyed else (400, 413, 422, 503)
    body_note = f" Bodies over {max_body} bytes are refused (413)."
    paths: Dict[str, Any] = {
        "/search": {
            "get": _operation(
                "Search: ranked passages with snippets, the total, notes and facets.",
                _answers(search_answer, 400, 422, 503),
                parameters=[param.openapi() for param in params.SEARCH],
            ),
            "post": _operation(
                "Search, the parameters in a JSON object (facets as a list)." + body_note,
                _answers(search_answer, 400, 413, 422, 503),
                requestBody={"required": True, "content": {"application/json": {"schema": search_body}}},
            ),
        },
        "/documents": {
            "get": _operation(
                "The indexed documents, by id, a page at a time.",
                _answers(_json(_ref("DocumentList"), "A page of documents."), 422, 503),
                parameters=[param.openapi() for param in params.LISTING],
            ),
            "post": _operation(
                "Index documents (a JSON array, or JSON Lines): new ones added, changed ones replaced." + body_note,
                _answers(_json(_ref("AddReport"), "What was added, updated, unchanged or failed."), *write_errors),
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"type": "array", "items": _ref("NewDocument")}},
                        "application/x-ndjson": {"schema": {"type": "string"}},
                    },
                },
                security=write_security,
            ),
        },
        "/documents/{doc_id}": {
            "get": _operation(
                "A document: its fields, its text and where each passage lies in it.",
                _answers(_json(_ref("Document"), "The document."), 404, 503),
                parameters=[path_id],
            ),
            "delete": _operation(
                "Remove a document and its passages.",
                _answers(
                    _json(_object({"id": {"type": "string"}, "deleted": {"type": "boolean"}}), "It is gone."),
                    404, *write_errors,
                ),
                parameters=[path_id],
                security=write_security,
            ),
        },
        "/stats": {"get": _operation("Documents, passages, terms, size and last update.", _answers(
            _json(_ref("IndexStats"), "The figures."), 503))},
        "/health": {"get": _operation("Whether the service answers.", _answers(
            _json(_object({"status": {"type": "string", "const": "ok"}}), "It does.")))},
        "/version": {"get": _operation("searchlib's version.", _answers(
            _json(_object({"version": {"type": "string"}}), "The version.")))},
        "/analyze": {
            "get": _operation(
                "The tokens after each step of the French analysis (search analyze --steps).",
                _answers(_json(_ref("Analysis"), "Each step and its tokens."), 422),
                parameters=[param.openapi() for param in params.ANALYZE],
            ),
        },
    }
    components: Dict[str, Any] = {
        "schemas": {
            "Hit": _HIT, "SearchResults": _SEARCH_ANSWER, "Document": _DOCUMENT, "DocumentList": _LISTING,
            "NewDocument": _NEW_DOCUMENT, "AddReport": _ADD_REPORT, "IndexStats": _STATS, "Analysis": _ANALYSIS,
            "Error": _ERROR,
        },
    }
    if keyed:
        components["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchlib",
            "version": version,
            "description": "French full-text search over passages: the JSON API of `search serve` (docs/serve.md).",
        },
        "paths": paths,
        "components": components,
    }
