"""flask-smorest, fitted to a plain Flask app: request parsing and the OpenAPI document.

Only the API blueprint uses it. The app registers that blueprint like any other
and never gets a flask-smorest ``Api``, which would answer every HTTP error of the
whole app with its own JSON: the app keeps its HTML error pages and the blueprint
answers its own errors in its own shape (``views.error``). The document lists its
paths relative to the server URL ``/api/v1``, as it always has.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api, Blueprint, abort
from flask_smorest.spec.plugins import FlaskPlugin
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from summit.api.schemas import OPENAPI_RULES, Error

PREFIX = "/api/v1"
DESCRIPTION = (
    "Check-in for scanner apps. Authenticate with `Authorization: Bearer <token>`; an admin "
    "creates tokens under /staff/api-tokens or with `flask --app summit create-api-token "
    "EMAIL`. Every request is scoped to one event. Errors are JSON: "
    '`{"error": {"status", "message", "fields"}}`.'
)
NOT_JSON = 'Send a JSON object, e.g. {"code": "…"}.'
INVALID = {  # the only body is a check-in's
    "json": "The check-in request is not valid.",
    "query": "A query parameter is not valid.",
}


class BodyParser(FlaskParser):
    """webargs' parser, reading bodies the way this API always has.

    The body is read as JSON whatever its Content-Type says (a client that leaves
    the header out has always been answered), and a body that is not JSON (or is
    ``null``, holds a number too long to read or nests thousands deep) is a 400.
    Unknown query parameters are an error, as unknown body fields are: a misspelt
    ``updatedsince`` must not quietly return everything.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def _raw_load_json(self, req: Any) -> Any:
        try:
            body = req.get_json(force=True, silent=True)
        except RecursionError:  # arrays nested deeper than Python's stack: not a check-in
            body = None
        if body is None:
            abort(400, message=NOT_JSON)
        return body


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint: ``arguments`` validates, ``response`` dumps and documents."""

    ARGUMENTS_PARSER = BodyParser()


class ScannerApi(Api):
    """flask-smorest's ``Api``, writing this API's error shape and nothing it does not use."""

    ERROR_SCHEMA = Error
    DEFAULT_ERROR_RESPONSE_NAME = None  # every operation lists the errors it can answer

    def _register_pagination_header(self) -> None:
        """None: the API pages with a cursor (``next``), not flask-smorest's page header."""


class RelativePaths(FlaskPlugin):
    """Paths relative to the server URL ``/api/v1`` (``/events``, not ``/api/v1/events``)."""

    def path_helper(self, rule: Any, operations: Any, parameters: Any, **kwargs: Any) -> str:
        return super().path_helper(rule, operations, parameters, **kwargs).removeprefix(PREFIX)


class SchemaRules(BasePlugin):
    """Adds what a schema's validators check across fields (``schemas.OPENAPI_RULES``)."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        return OPENAPI_RULES.get(name)


def build_document(blueprint: Blueprint) -> dict[str, Any]:
    """The OpenAPI document of ``blueprint``, made on a bare app of its own.

    It depends on nothing but the blueprint's routes and schemas, so the app that
    serves it needs no flask-smorest ``Api``: building one takes 30 ms, which every
    app start (and so every test) would otherwise pay for a page few ever read.
    """
    api = ScannerApi(
        Flask(__name__),
        spec_kwargs={
            "title": "S5 Summit check-in API",
            "version": "1.0.0",
            "openapi_version": "3.1.0",
            "info": {"description": DESCRIPTION},
            "servers": [{"url": PREFIX}],
            "security": [{"bearerAuth": []}],
            "flask_plugin": RelativePaths(),
            "extra_plugins": [SchemaRules()],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token."}
    )
    api.register_blueprint(blueprint)
    return api.spec.to_dict()


def problems(error: Any) -> dict[str, str]:
    """What webargs found wrong, as the ``fields`` of an error: name to problem.

    A body that is not an object (marshmallow's ``_schema``) is the ``body``'s problem.
    Names are cut to 40 characters: an unknown field's name is the client's text.
    """
    found: dict[str, str] = {}
    for by_name in (getattr(error, "data", None) or {}).get("messages", {}).values():
        for name, texts in by_name.items():
            key = "body" if name == "_schema" else (str(name)[:40] or "(empty)")
            found[key] = "; ".join(_texts(texts))
    return found


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, dict):  # an item of a list or a nested object
        return [text for value in messages.values() for text in _texts(value)]
    if isinstance(messages, list):
        return [str(text) for text in messages]
    return [str(messages)]


def invalid_message(error: Any) -> str:
    """The error's message: what the client sent wrong, in a sentence."""
    data = getattr(error, "data", None) or {}
    if "message" in data:
        return data["message"]
    for location in data.get("messages", {}):
        if location in INVALID:
            return INVALID[location]
    return error.description
