"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written by hand next to the views it describes; ``tests/test_api_schemathesis.py``
checks the API against it, so a change to one without the other fails the suite.
"""

from __future__ import annotations

from typing import Any

from summit.models import CHECKIN_STATUSES, REGISTRATION_STATES

DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
NONCE = {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,64}$"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "The body is not JSON.",
        401: "No valid bearer token.",
        403: "The token's staff member may not do this.",
        404: "No such event, session or check-in.",
        409: "The request conflicts with what is recorded.",
        422: "The body or a parameter does not match the schema; `fields` says where.",
    }
    return {str(code): _json(_ref("Error"), text[code]) for code in codes}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "Event": {
        "type": "object",
        "required": ["slug", "name", "starts_on", "ends_on", "timezone", "credit_mode"],
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "timezone": {"type": "string"},
            "credit_mode": {"type": "string", "enum": ["full_session", "actual_minutes"]},
        },
    },
    "CheckinRecord": {
        "type": "object",
        "description": "A successful, not annulled check-in: event entry (session_id null) "
        "or attendance of one session.",
        "required": ["nonce", "session_id", "direction", "scanned_at", "source", "is_replay"],
        "properties": {
            "nonce": {"type": ["string", "null"]},
            "session_id": {"type": ["integer", "null"]},
            "direction": {"type": "string", "enum": ["in", "out"]},
            "scanned_at": DATE_TIME,
            "source": {"type": "string"},
            "is_replay": {"type": "boolean"},
        },
    },
    "Registration": {
        "type": "object",
        "description": "Enough for a scanner app to decide offline: only `confirmed` "
        "may enter; `checkins` says who is already in where.",
        "required": ["ticket_code", "name", "agency", "tier", "state", "checkins"],
        "properties": {
            "ticket_code": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "agency": {"type": "string"},
            "tier": {
                "type": "object",
                "required": ["slug", "name"],
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            },
            "state": {"type": "string", "enum": list(REGISTRATION_STATES)},
            "updated_at": DATE_TIME,
            "checkins": {"type": "array", "items": _ref("CheckinRecord")},
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "title", "room", "starts_at", "ends_at", "topics"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "room": {"type": "string"},
            "starts_at": DATE_TIME,
            "ends_at": DATE_TIME,
            "closed": {"type": "boolean"},
            "topics": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "title", "minutes"],
                    "properties": {
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "minutes": {"type": "integer"},
                    },
                },
            },
        },
    },
    "CheckinRequest": {
        "type": "object",
        "required": ["code"],
        "additionalProperties": False,
        "properties": {
            "code": {
                "type": "string",
                "maxLength": 1000,
                "description": "The scanned ticket code. Spaces and dashes are ignored, case "
                "too. Anything that is not a ticket of this event is answered and recorded "
                "as a failed scan.",
            },
            "session_id": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 2147483647,
                "description": "Attend this session (also records event entry if missing); "
                "null for event entry.",
            },
            "nonce": {
                "type": ["string", "null"],
                "pattern": NONCE["pattern"],
                "description": "Client-made unique id of this scan: sending it again returns "
                "the first answer and records nothing new.",
            },
            "scanned_at": {
                **NULLABLE_DATE_TIME,
                "description": "When the scan happened, for scans queued offline. More than "
                "a minute in the past: recorded as given and flagged as a replay.",
            },
            "direction": {
                "type": "string",
                "enum": ["in", "out"],
                "default": "in",
                "description": "`out` records a check-out from the session (needs session_id).",
            },
        },
        "if": {"required": ["direction"], "properties": {"direction": {"const": "out"}}},
        "then": {"required": ["session_id"], "properties": {"session_id": {"type": "integer"}}},
    },
    "CheckinResponse": {
        "type": "object",
        "required": ["status", "message", "registration", "checked_in_at", "nonce"],
        "properties": {
            "status": {"type": "string", "enum": list(CHECKIN_STATUSES)},
            "message": {
                "type": "string",
                "description": "What to show staff, e.g. 'Already checked in at 07:42 by Kim'.",
            },
            "reason": {"type": ["string", "null"]},
            "registration": {
                "oneOf": [_ref("Registration"), {"type": "null"}],
                "description": "Null for unknown codes and tickets of another event.",
            },
            "checked_in_at": {
                **NULLABLE_DATE_TIME,
                "description": "The (first) successful check-in this answer is about.",
            },
            "checked_in_by": {"type": ["string", "null"]},
            "nonce": {"type": "string", "description": "Use it to annul the check-in."},
            "session_id": {"type": ["integer", "null"]},
            "direction": {"type": "string", "enum": ["in", "out"]},
            "scanned_at": DATE_TIME,
            "is_replay": {"type": "boolean"},
            "replayed": {
                "type": "boolean",
                "description": "True when answered from an earlier request with this nonce.",
            },
        },
    },
    "RegistrationPage": {
        "type": "object",
        "required": ["items", "next", "server_time"],
        "properties": {
            "items": {"type": "array", "items": _ref("Registration")},
            "next": {"type": ["string", "null"], "description": "The next page, or null."},
            "server_time": {
                **DATE_TIME,
                "description": "Pass as updated_since on the next sync.",
            },
        },
    },
}


def _event_param() -> dict[str, Any]:
    return {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def openapi_document() -> dict[str, Any]:
    """The document; relative server URL so it is right behind any host or proxy."""
    bearer = [{"bearerAuth": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "S5 Summit check-in API",
            "version": "1.0.0",
            "description": "Check-in for scanner apps. Authenticate with "
            "`Authorization: Bearer <token>`; an admin creates tokens under "
            "/staff/api-tokens or with `flask --app summit create-api-token EMAIL`. Every "
            "request is scoped to one event. Errors are JSON: "
            '`{"error": {"status", "message", "fields"}}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": bearer,
        "paths": {
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Events, newest first",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items"],
                                "properties": {"items": {"type": "array", "items": _ref("Event")}},
                            },
                            "The events.",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/events/{slug}/checkins": {
                "post": {
                    "operationId": "checkIn",
                    "summary": "Record a scan: event entry, or attendance of a session",
                    "parameters": [_event_param()],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("CheckinRequest")}},
                    },
                    "responses": {
                        "201": _json(
                            _ref("CheckinResponse"),
                            "The scan was recorded; `status` says whether the person may enter.",
                        ),
                        "200": _json(
                            _ref("CheckinResponse"),
                            "A scan with this nonce was already recorded: its first answer.",
                        ),
                        **_errors(400, 401, 403, 404, 409, 422),
                    },
                }
            },
            "/events/{slug}/registrations": {
                "get": {
                    "operationId": "listRegistrations",
                    "summary": "Registrations with their check-ins, for offline decisions",
                    "parameters": [
                        _event_param(),
                        {
                            "name": "q",
                            "in": "query",
                            "description": "Words of the name, email or agency.",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                        {
                            "name": "updated_since",
                            "in": "query",
                            "description": "Only registrations changed or checked in since then.",
                            "schema": DATE_TIME,
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "description": "Cursor from `next`.",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 500,
                                "default": 100,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("RegistrationPage"), "One page, in a stable order."),
                        **_errors(401, 403, 404, 422),
                    },
                }
            },
            "/events/{slug}/sessions": {
                "get": {
                    "operationId": "listSessions",
                    "summary": "The agenda sessions that can be scanned into",
                    "parameters": [_event_param()],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items"],
                                "properties": {
                                    "items": {"type": "array", "items": _ref("Session")}
                                },
                            },
                            "The sessions, in time order.",
                        ),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/checkins/{nonce}": {
                "delete": {
                    "operationId": "annulCheckin",
                    "summary": "Undo a successful check-in (an annulment: the record stays)",
                    "parameters": [
                        {"name": "nonce", "in": "path", "required": True, "schema": NONCE}
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "checkin"],
                                "properties": {
                                    "status": {"const": "annulled"},
                                    "annulled_at": DATE_TIME,
                                    "checkin": _ref("CheckinRecord"),
                                },
                            },
                            "Annulled (annulling twice is harmless).",
                        ),
                        **_errors(401, 403, 404, 409),
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token."}
            },
        },
    }
