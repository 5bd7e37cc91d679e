"""Who is asking the API and what their token lets them see: bearer tokens and their scope.

A request names an event in its URL; an event outside the token's scope is
answered exactly like one that does not exist (404), so a scanner learns nothing
about events it was not given.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request
from sqlalchemy import select

from summit.api import schemas
from summit.auth.api_tokens import TokenScope, staff_for_token, token_scope
from summit.checkin.services import nonce_scope
from summit.extensions import db
from summit.loaders import find_event
from summit.models import Checkin, Event


def error(status: int, message: str, fields: dict[str, str] | None = None):
    """An answer in the one error shape (``schemas.Error``); a 401 says how to authenticate."""
    body: dict[str, Any] = {"status": status, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(schemas.Error().dump({"error": body}))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="summit"'
    return response


def token_required(view: Callable) -> Callable:
    """Act as the staff member of a live bearer token; 401 otherwise (before reading the body)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        staff = staff_for_token(token.strip()) if scheme.lower() == "bearer" else None
        granted = token_scope(token.strip(), staff) if staff is not None else None
        if staff is None or granted is None:
            return error(401, "Send a valid API token: Authorization: Bearer <token>.")
        g.api_staff = staff
        g.api_scope = granted
        return view(*args, **kwargs)

    return wrapped


def scope() -> TokenScope:
    """The scope of this request's token (set by ``token_required``)."""
    return g.api_scope


def scoped_event(slug: str) -> Event | None:
    """The event named in the URL when the token's scope covers it, else None (a 404)."""
    event = find_event(slug)
    if event is None or not scope().covers(event.id, event.is_published):
        return None
    return event


def checkins_by_nonce(nonce: str) -> list[Checkin]:
    """The token's own check-in with this nonce, else every one in the token's events."""
    rows = list(
        db.session.scalars(
            select(Checkin)
            .join(Event, Checkin.event_id == Event.id)
            .where(Checkin.nonce == nonce, scope().event_filter())
            .limit(20)
        )
    )
    own_scope = nonce_scope(None, scope().token_id)
    own = [row for row in rows if row.nonce_scope == own_scope]
    return own or rows
